"""Model settings in words, for the ARD's notes and the report's footnotes and methods."""

from __future__ import annotations

from trialkit.stats.paired import EXACT_HL_MAX_N

COVARIANCE = {"us": "unstructured", "toep": "Toeplitz", "csh": "heterogeneous compound symmetry",
              "cs": "compound symmetry", "ar1h": "heterogeneous first-order autoregressive",
              "ar1": "first-order autoregressive"}
#: the same structures as SAS PROC MIXED's REPEATED / TYPE= and R nlme::gls's arguments (Toeplitz has no gls equivalent)
SAS_TYPE = {"us": "UN", "toep": "TOEP", "csh": "CSH", "cs": "CS", "ar1h": "ARH(1)", "ar1": "AR(1)"}
GLS = {"us": "corSymm and varIdent", "csh": "corCompSymm and varIdent", "cs": "corCompSymm",
       "ar1h": "corAR1 and varIdent", "ar1": "corAR1"}
DF = {"satterthwaite": "Satterthwaite", "kenward-roger": "Kenward-Roger", "residual": "residual",
      "between-within": "between-within"}


#: how the Hodges-Lehmann interval's order statistics are chosen
HL_CRITICAL = f"signed-rank critical value: exact up to {EXACT_HL_MAX_N:,} pairs, its normal approximation above"


def covariance(structure: str) -> str:
    """'us' -> 'unstructured covariance'."""
    return f"{COVARIANCE[structure]} covariance"


def degrees_of_freedom(method: str) -> str:
    """'satterthwaite' -> 'Satterthwaite degrees of freedom'."""
    return f"{DF[method]} degrees of freedom"
