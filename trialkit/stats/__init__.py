"""Statistical methods: one function per method, results as frozen objects with ``.to_frame()``."""

from trialkit.stats.ancova import ancova
from trialkit.stats.arms import ArmComparison
from trialkit.stats.cmh import CMHResult, cmh
from trialkit.stats.descriptive import Summary, descriptive, summarize
from trialkit.stats.group_tests import GroupTest, anova_oneway, chisq_independence
from trialkit.stats.mixed import MixedModelResult, lmm, mmrm
from trialkit.stats.mmrm_arms import mmrm_by_arm
from trialkit.stats.multiplicity import DunnettResult, adjust, dunnett, fixed_sequence, holm
from trialkit.stats.ols import OLSFit, ols
from trialkit.stats.ordinal import ProportionalOddsResult, proportional_odds
from trialkit.stats.paired import FriedmanResult, PairedTestResult, friedman, hodges_lehmann, paired_t, wilcoxon
from trialkit.stats.responder import ProportionResult, ResponderComparison, clopper_pearson, responder_by_arm, responder_rate
from trialkit.stats.shift import ShiftResult, shift_table

__all__ = [
    "ArmComparison",
    "CMHResult",
    "DunnettResult",
    "FriedmanResult",
    "GroupTest",
    "MixedModelResult",
    "OLSFit",
    "PairedTestResult",
    "ProportionResult",
    "ProportionalOddsResult",
    "ResponderComparison",
    "ShiftResult",
    "Summary",
    "adjust",
    "ancova",
    "anova_oneway",
    "chisq_independence",
    "clopper_pearson",
    "cmh",
    "descriptive",
    "dunnett",
    "fixed_sequence",
    "friedman",
    "hodges_lehmann",
    "holm",
    "lmm",
    "mmrm",
    "mmrm_by_arm",
    "ols",
    "paired_t",
    "proportional_odds",
    "responder_by_arm",
    "responder_rate",
    "shift_table",
    "summarize",
    "wilcoxon",
]
