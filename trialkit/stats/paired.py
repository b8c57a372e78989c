"""Paired comparisons of two measurements on the same subjects: t-test and Wilcoxon signed-rank."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from trialkit.stats.walsh import SEED, walsh_sum

#: largest number of pairs for which the Hodges-Lehmann CI uses the exact signed-rank distribution
EXACT_HL_MAX_N = 400


@dataclass(frozen=True)
class PairedTestResult:
    """A paired comparison of ``x - y``.

    Attributes
    ----------
    method : {"paired_t", "wilcoxon"}
    n : int
        Number of complete pairs (zero differences included).
    estimate, ci_lower, ci_upper : float
        Mean difference and its t-based CI (paired_t); Hodges-Lehmann estimate
        and its distribution-free CI (wilcoxon).
    statistic : float
        t (paired_t); V, the sum of the ranks of the positive differences (wilcoxon).
    df : float or None
        n - 1 for paired_t; None for wilcoxon.
    p_value : float
        Two-sided.
    effect_size : float
        Cohen's dz = mean / sd of the differences (paired_t); matched-pairs
        rank-biserial correlation (wilcoxon).
    alpha : float
        1 - confidence level of the CI.
    """

    method: str
    n: int
    estimate: float
    ci_lower: float
    ci_upper: float
    statistic: float
    df: float | None
    p_value: float
    effect_size: float
    alpha: float = 0.05

    def stats(self) -> list[tuple[str, float]]:
        """``(stat, value)`` pairs: n, estimate, ci_lower, ci_upper, statistic, df (paired_t only),
        p_value, effect_size."""
        names = ["n", "estimate", "ci_lower", "ci_upper", "statistic", "df", "p_value", "effect_size"]
        return [(s, float(getattr(self, s))) for s in names if not (s == "df" and self.df is None)]

    def to_frame(self) -> pd.DataFrame:
        """Long form: columns ``stat, value``, rows as :meth:`stats`."""
        return pd.DataFrame(self.stats(), columns=["stat", "value"])


def _differences(x, y) -> np.ndarray:
    d = np.asarray(x, dtype=float) - np.asarray(y, dtype=float)
    if d.ndim != 1:
        raise ValueError("x and y must be one-dimensional and of the same length")
    return d[~np.isnan(d)]


def paired_t(x, y, *, alpha: float = 0.05) -> PairedTestResult:
    """Paired t-test of ``x - y``; as R ``t.test(x, y, paired = TRUE)``.

    Pairs with a missing member are ignored.

    Examples
    --------
    >>> r = paired_t([5, 6, 8], [4, 4, 5])
    >>> r.estimate, r.df
    (2.0, 2.0)
    """
    d = _differences(x, y)
    n = d.size
    nan = float("nan")
    if n < 2:
        return PairedTestResult("paired_t", n, float(d.mean()) if n else nan, nan, nan, nan, float(max(n - 1, 0)), nan, nan, alpha)
    mean = float(d.mean())
    sd = float(d.std(ddof=1))
    se = sd / np.sqrt(n)
    df = n - 1
    tcrit = stats.t.ppf(1 - alpha / 2, df)
    if se == 0:
        t = p = dz = nan
    else:
        t = mean / se
        p = float(2 * stats.t.sf(abs(t), df))
        dz = mean / sd
    return PairedTestResult("paired_t", n, mean, mean - tcrit * se, mean + tcrit * se, t, float(df), p, dz, alpha)


@lru_cache(maxsize=64)
def _signrank_cdf(n: int) -> np.ndarray:
    """P(V <= v) for v = 0 .. n(n+1)/2 under H0, no ties (exact, by convolution)."""
    m = n * (n + 1) // 2
    pmf = np.zeros(m + 1)
    pmf[0] = 1.0
    for k in range(1, n + 1):
        shifted = np.zeros_like(pmf)
        shifted[k:] = pmf[:-k]
        pmf = (pmf + shifted) / 2
    return np.cumsum(pmf)


def _signrank_lower_quantile(n: int, p: float) -> int:
    """Smallest v with P(V <= v) >= p (R ``qsignrank(p, n)``); normal approximation above EXACT_HL_MAX_N."""
    if n <= EXACT_HL_MAX_N:
        return int(np.searchsorted(_signrank_cdf(n), p - 1e-12))
    mean = n * (n + 1) / 4
    sigma = np.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    return int(np.ceil(mean + stats.norm.ppf(p) * sigma - 0.5))


def hodges_lehmann(d, *, alpha: float = 0.05) -> tuple[float, float, float]:
    """One-sample Hodges-Lehmann estimate and distribution-free CI.

    The estimate is the median of the n(n+1)/2 Walsh averages (d_i + d_j)/2,
    i <= j, of all differences (zeros included). The CI runs from the k-th
    smallest to the k-th largest Walsh average, k = ``qsignrank(alpha/2, n)``
    (at least 1), from the exact null distribution of the signed-rank
    statistic for n <= 400 and its normal approximation above.
    This is R's ``wilcox.test(d, conf.int = TRUE, exact = TRUE)`` construction,
    applied whether or not there are ties.

    The Walsh averages are never formed: each order statistic is selected
    (:func:`trialkit.stats.walsh.walsh_sum`) in O(n log n) time and O(n) memory,
    with the same floating-point value as sorting all of them. Differences that
    are not finite make all three values NaN.

    Examples
    --------
    >>> hodges_lehmann([1.0, 2.0, 4.0])[0]
    2.25
    """
    d = np.sort(np.asarray(d, dtype=float))
    n = d.size
    nan = float("nan")
    if n == 0 or not np.all(np.isfinite(d)):
        return nan, nan, nan
    m = n * (n + 1) // 2
    rng = np.random.default_rng(SEED)

    def walsh(rank: int) -> float:  # the rank-th smallest Walsh average, 1-based
        return walsh_sum(d, rank, rng=rng) / 2

    estimate = walsh((m + 1) // 2) if m % 2 else (walsh(m // 2) + walsh(m // 2 + 1)) / 2
    k = max(_signrank_lower_quantile(n, alpha / 2), 1)
    return estimate, walsh(k), walsh(m - k + 1)


def wilcoxon(x, y, *, alpha: float = 0.05) -> PairedTestResult:
    """Wilcoxon signed-rank test of ``x - y`` with the Hodges-Lehmann estimate.

    V and p match R ``wilcox.test(x, y, paired = TRUE, exact = FALSE, correct = TRUE)``:
    zero differences are dropped, tied absolute differences get average ranks,
    the variance is corrected for ties and a continuity correction of 0.5 is
    applied. The effect size is the matched-pairs rank-biserial correlation
    (R+ - R-) / (R+ + R-) over the non-zero differences.
    The estimate and CI come from :func:`hodges_lehmann` on all differences.
    """
    d = _differences(x, y)
    n = d.size
    nz = d[d != 0]
    m = nz.size
    nan = float("nan")
    estimate, lo, hi = hodges_lehmann(d, alpha=alpha)
    if m == 0:
        return PairedTestResult("wilcoxon", n, estimate, lo, hi, 0.0 if n else nan, None, nan, nan, alpha)
    ranks = stats.rankdata(np.abs(nz))
    v = float(ranks[nz > 0].sum())
    _, ties = np.unique(ranks, return_counts=True)
    sigma = np.sqrt(m * (m + 1) * (2 * m + 1) / 24 - np.sum(ties**3 - ties) / 48)
    z = v - m * (m + 1) / 4
    if sigma > 0:
        z = (z - np.sign(z) * 0.5) / sigma
        p = float(2 * min(stats.norm.cdf(z), stats.norm.sf(z)))
    else:
        p = nan
    total = m * (m + 1) / 2
    rank_biserial = (2 * v - total) / total
    return PairedTestResult("wilcoxon", n, estimate, lo, hi, v, None, p, rank_biserial, alpha)
