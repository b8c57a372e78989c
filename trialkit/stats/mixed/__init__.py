"""Linear mixed models and MMRM fitted by exact (restricted) maximum likelihood."""

from trialkit.stats.mixed.lmm import lmm
from trialkit.stats.mixed.mmrm import mmrm
from trialkit.stats.mixed.result import MixedModelResult

__all__ = ["MixedModelResult", "lmm", "mmrm"]
