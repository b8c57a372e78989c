"""Descriptive statistics of a numeric sample."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

#: numpy's name for Hyndman & Fan type 2 quantiles: SAS's default (QNTLDEF=5), R ``quantile(type = 2)``
QUANTILE_METHOD = "averaged_inverted_cdf"


@dataclass(frozen=True)
class Summary:
    """n, mean, sd (n - 1 divisor), se = sd / sqrt(n), median, quartiles, min, max, and the t-based
    confidence interval of the mean (as R ``t.test(x)$conf.int``).

    Quartiles follow SAS's default definition (QNTLDEF=5, R ``quantile(type = 2)``):
    the average of the two order statistics where n * p is a whole number.
    Statistics that need more observations than there are (sd with n < 2) are NaN.
    """

    n: int
    mean: float
    sd: float
    se: float
    median: float
    q1: float
    q3: float
    min: float
    max: float
    ci_lower: float = float("nan")
    ci_upper: float = float("nan")

    def stats(self) -> list[tuple[str, float]]:
        """``(stat, value)`` pairs in field order."""
        return [(name, float(value)) for name, value in asdict(self).items()]

    def to_frame(self) -> pd.DataFrame:
        """Long form: columns ``stat, value``, one row per statistic in field order."""
        return pd.DataFrame(self.stats(), columns=["stat", "value"])


def summarize(x, *, alpha: float = 0.05) -> Summary:
    """Describe one sample; missing values (NaN) are ignored.

    Examples
    --------
    >>> s = summarize([1, 2, 3, 4])
    >>> s.n, s.mean, s.median, s.q1, s.q3
    (4, 2.5, 2.5, 1.5, 3.5)
    """
    a = np.asarray(x, dtype=float)
    a = a[~np.isnan(a)]
    n = int(a.size)
    if n == 0:
        nan = float("nan")
        return Summary(0, nan, nan, nan, nan, nan, nan, nan, nan, nan, nan)
    sd = float(np.std(a, ddof=1)) if n > 1 else float("nan")
    q1, median, q3 = np.quantile(a, [0.25, 0.5, 0.75], method=QUANTILE_METHOD)
    mean = float(np.mean(a))
    half = float(stats.t.ppf(1 - alpha / 2, n - 1) * sd / np.sqrt(n)) if n > 1 else float("nan")
    return Summary(
        n=n,
        mean=mean,
        sd=sd,
        se=sd / np.sqrt(n),
        median=float(median),
        q1=float(q1),
        q3=float(q3),
        min=float(a.min()),
        max=float(a.max()),
        ci_lower=mean - half,
        ci_upper=mean + half,
    )


def descriptive(data: pd.DataFrame, *, value: str, by: list[str] | str | None = None) -> pd.DataFrame:
    """Descriptive statistics of ``value`` in each group of ``by``.

    Parameters
    ----------
    data : DataFrame
    value : str
        Numeric column to describe.
    by : str or list of str, optional
        Grouping columns; groups keep their order of first appearance.

    Returns
    -------
    DataFrame
        The ``by`` columns, then ``n, mean, sd, se, median, q1, q3, min, max, ci_lower, ci_upper``.

    Examples
    --------
    >>> df = pd.DataFrame({"visit": ["A", "A", "B", "B"], "y": [1.0, 3.0, 2.0, 6.0]})
    >>> descriptive(df, value="y", by="visit")[["visit", "n", "mean"]]
      visit  n  mean
    0     A  2   2.0
    1     B  2   4.0
    """
    by = [by] if isinstance(by, str) else list(by or [])
    if not by:
        return pd.DataFrame([asdict(summarize(data[value]))])
    rows = [
        {**dict(zip(by, key if isinstance(key, tuple) else (key,))), **asdict(summarize(grp[value]))}
        for key, grp in data.groupby(by, sort=False)
    ]
    return pd.DataFrame(rows)
