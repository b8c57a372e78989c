"""Model settings in words, for the ARD's notes and the report's footnotes and methods."""

from __future__ import annotations

COVARIANCE = {"us": "unstructured", "toep": "Toeplitz", "csh": "heterogeneous compound symmetry",
              "cs": "compound symmetry", "ar1h": "heterogeneous first-order autoregressive",
              "ar1": "first-order autoregressive"}
DF = {"satterthwaite": "Satterthwaite", "kenward-roger": "Kenward-Roger", "residual": "residual",
      "between-within": "between-within"}


def covariance(structure: str) -> str:
    """'us' -> 'unstructured covariance'."""
    return f"{COVARIANCE[structure]} covariance"


def degrees_of_freedom(method: str) -> str:
    """'satterthwaite' -> 'Satterthwaite degrees of freedom'."""
    return f"{DF[method]} degrees of freedom"
