"""Paired comparisons of two measurements on the same subjects: t-test and Wilcoxon signed-rank; the
Friedman test across several visits.

t, p, CI and the Hodges-Lehmann estimate are trialkit's own, validated against R. pingouin adds what it
computes well (imported only when these functions run): the Bayes factor and power of the paired t-test,
the rank-biserial correlation of the signed-rank test, and the Friedman test.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from trialkit.errors import AnalysisError
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
    bf10 : float or None
        paired_t: JZS Bayes factor of H1 over H0 (Cauchy prior on the standardised effect, scale r = 0.707,
        pingouin's ``bayesfactor_ttest`` default and JASP's; R ``BayesFactor::ttestBF``'s "medium" is
        sqrt(2)/2 = 0.70711, which gives a BF10 larger by about 1e-4 relative); ``inf`` where it exceeds the
        largest float.
    power : float or None
        paired_t: power of this two-sided test at level ``alpha`` for a true effect equal to the
        observed dz (pingouin's ``power_ttest(contrast="paired")``; R ``power.t.test(type = "paired",
        strict = TRUE)``).
    rank_biserial : float or None
        wilcoxon: matched-pairs rank-biserial correlation from ``pingouin.wilcoxon`` (the same value as
        ``effect_size``, named for what it is).
    cles : float or None
        wilcoxon: common-language effect size as pingouin defines it, P(X > Y) + 0.5 P(X = Y) over all
        n x n pairs of an x with a y (Vargha and Delaney's A).
    ci_level : float or None
        wilcoxon: the confidence level the Hodges-Lehmann interval has (:func:`hodges_lehmann_level`): at
        least 1 - alpha, except with so few pairs that even the widest interval falls short (n <= 5 at
        alpha 0.05: 1 - 2^(1 - n), 0.9375 for 5 pairs, 0.5 for 2), where R's ``wilcox.test`` gives the same
        interval (and warns when the shortfall exceeds alpha / 2).
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
    bf10: float | None = None
    power: float | None = None
    rank_biserial: float | None = None
    cles: float | None = None
    ci_level: float | None = None

    def stats(self) -> list[tuple[str, float]]:
        """``(stat, value)`` pairs: n, estimate, ci_lower, ci_upper, statistic, df (paired_t only),
        p_value, effect_size, then bf10 and power (paired_t) or rank_biserial, cles and ci_level (wilcoxon)."""
        names = ["n", "estimate", "ci_lower", "ci_upper", "statistic", "df", "p_value", "effect_size",
                 "bf10", "power", "rank_biserial", "cles", "ci_level"]
        return [(s, float(getattr(self, s))) for s in names if getattr(self, s) is not None]

    def to_frame(self) -> pd.DataFrame:
        """Long form: columns ``stat, value``, rows as :meth:`stats`."""
        return pd.DataFrame(self.stats(), columns=["stat", "value"])


def _pairs(x, y) -> tuple[np.ndarray, np.ndarray]:
    """The complete pairs of x and y."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError("x and y must be one-dimensional and of the same length")
    keep = ~np.isnan(x - y)
    return x[keep], y[keep]


def _differences(x, y) -> np.ndarray:
    x, y = _pairs(x, y)
    return x - y


def _bayes_factor(t: float, n: int) -> float:
    """pingouin's JZS Bayes factor of a paired t; inf where it overflows (|t| above about 38, where
    pingouin's integral and the null density both underflow: the true value is beyond 1e308)."""
    if not np.isfinite(t) or n < 2:
        return float("nan")
    from pingouin import bayesfactor_ttest

    try:
        with np.errstate(over="ignore"):
            bf = float(bayesfactor_ttest(float(t), n, paired=True))
    except ZeroDivisionError:
        bf = float("inf")
    return bf


def paired_t(x, y, *, alpha: float = 0.05) -> PairedTestResult:
    """Paired t-test of ``x - y``; as R ``t.test(x, y, paired = TRUE)``.

    Pairs with a missing member are ignored.

    Beside R's t, p and CI: Cohen's dz, and from pingouin the Bayes factor
    ``bf10`` and the ``power`` of the test (see :class:`PairedTestResult`).

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
        return PairedTestResult("paired_t", n, float(d.mean()) if n else nan, nan, nan, nan, float(max(n - 1, 0)), nan, nan,
                                alpha, bf10=nan, power=nan)
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
    power = nan
    if np.isfinite(dz):
        from pingouin import power_ttest

        power = float(power_ttest(d=dz, n=n, alpha=alpha, contrast="paired"))
    return PairedTestResult("paired_t", n, mean, mean - tcrit * se, mean + tcrit * se, t, float(df), p, dz, alpha,
                            bf10=_bayes_factor(t, n), power=power)


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


def _hl_rank(n: int, alpha: float) -> int:
    """k: the interval runs from the k-th smallest to the k-th largest Walsh average (R: ``qsignrank``,
    at least 1)."""
    return max(_signrank_lower_quantile(n, alpha / 2), 1)


def hodges_lehmann_level(n: int, *, alpha: float = 0.05) -> float:
    """The confidence level of :func:`hodges_lehmann`'s interval for n pairs: 1 - 2 P(V <= k - 1) under the
    signed-rank null distribution without ties (exact up to 400 pairs, normal approximation above), NaN
    for n = 0. It is at least 1 - alpha unless n is so small that k is forced up to 1 (the widest interval):
    then 1 - 2^(1 - n). R's ``wilcox.test(conf.int = TRUE, exact = TRUE)`` computes the same level (its
    ``achieved.alpha``) and warns when it falls short by more than alpha / 2.

    Examples
    --------
    >>> hodges_lehmann_level(2), hodges_lehmann_level(5)
    (0.5, 0.9375)
    """
    if n < 1:
        return float("nan")
    k = _hl_rank(n, alpha)
    if n <= EXACT_HL_MAX_N:
        below = float(_signrank_cdf(n)[k - 1]) if k > 1 else 0.5**n
    else:
        mean = n * (n + 1) / 4
        sigma = np.sqrt(n * (n + 1) * (2 * n + 1) / 24)
        below = float(stats.norm.cdf((k - 1 + 0.5 - mean) / sigma))
    return 1 - 2 * below


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
    k = _hl_rank(n, alpha)
    return estimate, walsh(k), walsh(m - k + 1)


def wilcoxon(x, y, *, alpha: float = 0.05) -> PairedTestResult:
    """Wilcoxon signed-rank test of ``x - y`` with the Hodges-Lehmann estimate.

    V and p match R ``wilcox.test(x, y, paired = TRUE, exact = FALSE, correct = TRUE)``:
    zero differences are dropped, tied absolute differences get average ranks,
    the variance is corrected for ties and a continuity correction of 0.5 is
    applied. The effect size is the matched-pairs rank-biserial correlation
    (R+ - R-) / (R+ + R-) over the non-zero differences.
    The estimate and CI come from :func:`hodges_lehmann` on all differences.
    pingouin adds ``rank_biserial`` and ``cles`` (see :class:`PairedTestResult`).
    """
    x, y = _pairs(x, y)
    d = x - y
    n = d.size
    nz = d[d != 0]
    m = nz.size
    nan = float("nan")
    estimate, lo, hi = hodges_lehmann(d, alpha=alpha)
    cles = common_language(x, y)
    level = hodges_lehmann_level(n, alpha=alpha) if np.isfinite(lo) else nan
    if m == 0:
        return PairedTestResult("wilcoxon", n, estimate, lo, hi, 0.0 if n else nan, None, nan, nan, alpha,
                                rank_biserial=nan, cles=cles, ci_level=level)
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
    return PairedTestResult("wilcoxon", n, estimate, lo, hi, v, None, p, rank_biserial, alpha,
                            rank_biserial=_pingouin_rank_biserial(nz), cles=cles, ci_level=level)


def _pingouin_rank_biserial(nonzero: np.ndarray) -> float:
    """pingouin.wilcoxon's RBC, given the differences (pingouin's CLES needs an n x n matrix: not asked for)."""
    from pingouin import wilcoxon as pg_wilcoxon

    with warnings.catch_warnings():  # its p-value (not used) may warn of the normal approximation
        warnings.simplefilter("ignore", UserWarning)
        return float(pg_wilcoxon(nonzero)["RBC"].iloc[0])


def common_language(x, y) -> float:
    """P(X > Y) + 0.5 P(X = Y) over all pairs of an x with a y: pingouin.wilcoxon's ``CLES``.

    pingouin forms the n x n matrix of differences (80 GB for 100,000 subjects); the Mann-Whitney U
    statistic is the same count in O(n log n): U = #(x > y) + 0.5 #(x = y), so CLES = U / (n_x n_y).

    Examples
    --------
    >>> common_language([1, 2, 3], [2, 2, 2])   # 1 < 2 (0), 2 = 2 (0.5 each), 3 > 2 (1 each): 4.5 / 9
    0.5
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if x.size == 0 or y.size == 0:
        return float("nan")
    return float(stats.mannwhitneyu(x, y, use_continuity=False, method="asymptotic").statistic / (x.size * y.size))


@dataclass(frozen=True)
class FriedmanResult:
    """Friedman's rank test that a measure's distribution is the same at every visit.

    Attributes
    ----------
    n : int
        Subjects with a value at every visit (the blocks).
    k : int
        Visits compared.
    statistic : float
        Friedman's chi-square Q, corrected for ties (R ``friedman.test``).
    df : float
        k - 1.
    p_value : float
        From the chi-square distribution with df degrees of freedom.
    kendall_w : float
        Kendall's coefficient of concordance W = Q / (n (k - 1)), corrected for ties.
    n_excluded : int
        Subjects left out because a visit's value is missing (complete blocks only, as R and pingouin).
    reason : str
        Why the test is not estimable (its numbers are then NaN); empty otherwise.
    """

    n: int
    k: int
    statistic: float
    df: float
    p_value: float
    kendall_w: float
    n_excluded: int = 0
    visits: tuple[str, ...] = field(default=())
    reason: str = ""

    def stats(self) -> list[tuple[str, float]]:
        """``(stat, value)`` pairs: n, k, statistic, df, p_value, kendall_w, n_excluded."""
        return [(s, float(getattr(self, s))) for s in ("n", "k", "statistic", "df", "p_value", "kendall_w", "n_excluded")]

    def to_frame(self) -> pd.DataFrame:
        """Long form: columns ``stat, value``, rows as :meth:`stats`."""
        return pd.DataFrame(self.stats(), columns=["stat", "value"])


def friedman(data: pd.DataFrame, *, value: str, visit: str, subject: str, visits: list[str] | None = None) -> FriedmanResult:
    """Friedman test across visits (an omnibus test of change over time), by ``pingouin.friedman``.

    Parameters
    ----------
    data : DataFrame
        Long form: one row per subject and visit.
    value, visit, subject : str
        Columns of the measurement, the visit and the subject.
    visits : list of str, optional
        The visits to compare, in order; all visits present otherwise. Rows of other visits are not used.

    Returns
    -------
    FriedmanResult
        Not estimable (NaN, with ``reason``) when a subject has two rows at one visit, when fewer than
        two subjects or visits remain, or when no subject's value differs between visits.

    Examples
    --------
    >>> df = pd.DataFrame({"s": [1, 1, 2, 2, 3, 3], "v": ["a", "b"] * 3, "y": [1.0, 2.0, 2.0, 3.0, 1.0, 1.5]})
    >>> r = friedman(df, value="y", visit="v", subject="s")
    >>> r.n, r.statistic, r.df
    (3, 3.0, 1.0)
    """
    for column in (value, visit, subject):
        if column not in data.columns:
            raise AnalysisError(f"friedman: column {column!r} is not in the data")
    rows = data[[subject, visit, value]]
    if visits is not None:
        rows = rows[rows[visit].isin(visits)]
    order = list(visits) if visits is not None else list(dict.fromkeys(rows[visit]))
    nan = float("nan")

    def not_estimable(reason: str, n: int = 0, excluded: int = 0) -> FriedmanResult:
        return FriedmanResult(n, len(order), nan, nan, nan, nan, excluded, tuple(map(str, order)), reason)

    twice = rows.duplicated([subject, visit])
    if twice.any():
        first = rows[twice].iloc[0]
        return not_estimable(f"{int(twice.sum())} rows repeat a subject's visit (first: subject {str(first[subject])!r}, "
                             f"visit {str(first[visit])!r}); one value per subject and visit is needed")
    wide = rows.pivot(index=subject, columns=visit, values=value).reindex(columns=order)
    complete = wide.dropna()
    n, k = len(complete), len(order)
    excluded = len(wide) - n
    if n < 2 or k < 2:
        return not_estimable(f"{n} subjects with a value at each of {k} visits: at least 2 of each are needed", n, excluded)
    if (complete.max(axis=1) == complete.min(axis=1)).all():  # nunique(axis=1) is a Python call per subject
        return not_estimable("no subject's value differs between visits: the ranks carry no information", n, excluded)
    from pingouin import friedman as pg_friedman

    long = complete.reset_index(names="subject").melt(id_vars="subject", var_name="visit", value_name="value")
    out = pg_friedman(data=long, dv="value", within="visit", subject="subject").iloc[0]
    q = float(out["Q"])
    return FriedmanResult(n, k, q, float(out["ddof1"]), float(out["p_unc"]), float(out["W"]), excluded,
                          tuple(map(str, order)))
