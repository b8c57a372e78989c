"""Tests that the groups of a sample differ, as baseline-characteristics tables of some clinical study reports
print them: one-way analysis of variance for a numeric characteristic, Pearson's chi-square test for a
categorical one (SAS PROC GLM / PROC FREQ CHISQ; R ``anova(lm(x ~ group))``, ``chisq.test(table, correct = FALSE)``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

NAN = float("nan")


@dataclass(frozen=True)
class GroupTest:
    """``method`` (``anova``: F with ``num_df`` and ``df``; ``chisq``: chi-square with ``df``), the statistic and
    its p-value. NaN where there is nothing to test (fewer than two groups with data, one level, no residual df)."""

    method: str
    statistic: float
    num_df: float
    df: float
    p_value: float

    def stats(self) -> list[tuple[str, float]]:
        """``(stat, value)`` pairs: the statistic, the numerator df (ANOVA only), df and p-value."""
        out = [("statistic", self.statistic)]
        if self.method == "anova":
            out.append(("num_df", self.num_df))
        return [*out, ("df", self.df), ("p_value", self.p_value)]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.stats(), columns=["stat", "value"])


def anova_oneway(samples) -> GroupTest:
    """One-way ANOVA of numeric samples (missing values ignored; an empty sample is left out).

    >>> r = anova_oneway([[1, 2, 3], [2, 3, 4], [5, 6, 7]])
    >>> round(r.statistic, 6), r.num_df, r.df, round(r.p_value, 6)
    (13.0, 2.0, 6.0, 0.006592)
    """
    groups = [a[~np.isnan(a)] for a in (np.asarray(s, dtype=float) for s in samples)]
    groups = [g for g in groups if g.size]
    n, k = sum(g.size for g in groups), len(groups)
    if k < 2 or n - k < 1:
        return GroupTest("anova", NAN, float(k - 1), float(n - k), NAN)
    grand = np.concatenate(groups).mean()
    between = sum(g.size * (g.mean() - grand) ** 2 for g in groups) / (k - 1)
    within = sum(((g - g.mean()) ** 2).sum() for g in groups) / (n - k)
    if within == 0:
        return GroupTest("anova", NAN, float(k - 1), float(n - k), NAN)
    f = between / within
    return GroupTest("anova", float(f), float(k - 1), float(n - k), float(stats.f.sf(f, k - 1, n - k)))


def chisq_independence(counts) -> GroupTest:
    """Pearson's chi-square test of a levels x groups table of counts, without continuity correction (also for
    2 x 2). Levels and groups without any count are left out (their expected counts are 0).

    >>> r = chisq_independence([[10, 20], [20, 10]])
    >>> round(r.statistic, 6), r.df, round(r.p_value, 6)
    (6.666667, 1.0, 0.009823)
    """
    table = np.asarray(counts, dtype=float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.ndim != 2 or min(table.shape) < 2:
        return GroupTest("chisq", NAN, NAN, NAN, NAN)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    df = float((table.shape[0] - 1) * (table.shape[1] - 1))
    return GroupTest("chisq", statistic, NAN, df, float(stats.chi2.sf(statistic, df)))
