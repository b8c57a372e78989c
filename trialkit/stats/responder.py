"""Responder rates with exact (Clopper-Pearson) confidence intervals."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class ProportionResult:
    """``n_responders`` of ``n``, their proportion and its exact CI (as R ``binom.test``)."""

    n: int
    n_responders: int
    proportion: float
    ci_lower: float
    ci_upper: float
    alpha: float = 0.05
    method: str = "clopper-pearson"

    def stats(self) -> list[tuple[str, float]]:
        """``(stat, value)`` pairs: n, n_responders, proportion, ci_lower, ci_upper."""
        return [(s, float(getattr(self, s))) for s in ("n", "n_responders", "proportion", "ci_lower", "ci_upper")]

    def to_frame(self) -> pd.DataFrame:
        """Long form: columns ``stat, value``, rows as :meth:`stats`."""
        return pd.DataFrame(self.stats(), columns=["stat", "value"])


def clopper_pearson(k: int, n: int, *, alpha: float = 0.05) -> tuple[float, float]:
    """Exact two-sided CI for a binomial proportion k / n.

    Examples
    --------
    >>> clopper_pearson(0, 10)[0], clopper_pearson(10, 10)[1]
    (0.0, 1.0)
    """
    if n == 0:
        return float("nan"), float("nan")
    lower = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    upper = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lower, upper


def responder_rate(flags, *, alpha: float = 0.05) -> ProportionResult:
    """Proportion of True among the non-missing ``flags``, with a Clopper-Pearson CI."""
    a = pd.Series(flags, dtype="boolean").dropna().to_numpy(dtype=bool)
    n = int(a.size)
    k = int(a.sum())
    lo, hi = clopper_pearson(k, n, alpha=alpha)
    return ProportionResult(n, k, k / n if n else float("nan"), lo, hi, alpha)
