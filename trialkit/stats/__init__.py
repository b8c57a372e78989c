"""Statistical methods: one function per method, results as frozen objects with ``.to_frame()``."""

from trialkit.stats.descriptive import Summary, descriptive, summarize
from trialkit.stats.mixed import MixedModelResult, lmm, mmrm
from trialkit.stats.ordinal import ProportionalOddsResult, proportional_odds
from trialkit.stats.paired import FriedmanResult, PairedTestResult, friedman, hodges_lehmann, paired_t, wilcoxon
from trialkit.stats.shift import ShiftResult, shift_table
from trialkit.stats.responder import ProportionResult, clopper_pearson, responder_rate

__all__ = [
    "FriedmanResult",
    "MixedModelResult",
    "PairedTestResult",
    "ProportionResult",
    "ProportionalOddsResult",
    "ShiftResult",
    "Summary",
    "clopper_pearson",
    "descriptive",
    "friedman",
    "hodges_lehmann",
    "lmm",
    "mmrm",
    "paired_t",
    "proportional_odds",
    "responder_rate",
    "shift_table",
    "summarize",
    "wilcoxon",
]
