"""Shift tables: each subject's category at baseline against the category at the endpoint, with the
Stuart-Maxwell test of marginal homogeneity and Bowker's test of symmetry (statsmodels ``SquareTable``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from trialkit.errors import AnalysisError


@dataclass(frozen=True)
class ChiSquareTest:
    """A chi-square test: statistic, degrees of freedom, p-value (NaN when not estimable)."""

    statistic: float
    df: float
    p_value: float


NOT_ESTIMABLE = ChiSquareTest(float("nan"), float("nan"), float("nan"))


@dataclass(frozen=True, eq=False)
class ShiftResult:
    """A shift table and its tests.

    Attributes
    ----------
    levels : tuple
        The measure's categories, in order: rows and columns of ``table``.
    table : DataFrame
        Subjects by baseline category (rows, index name ``baseline``) and endpoint category (columns,
        name ``endpoint``): the full square, categories nobody had included as zeros.
    n : int
        Subjects with both categories.
    n_excluded : int
        Subjects left out: a category missing at baseline or endpoint.
    stuart_maxwell : ChiSquareTest
        Marginal homogeneity (the distribution of categories is the same at both times). Computed on the
        categories in which at least one subject changed (the others carry no information and make the
        covariance singular), as the sum of statsmodels' ``SquareTable.homogeneity()`` over the groups of
        categories linked by changes (df = categories - groups): coin's ``mh_test``, with its generalised
        inverse, gives the same.
    bowker : ChiSquareTest
        Symmetry (a shift from i to j as likely as from j to i), statsmodels' ``SquareTable.symmetry()``
        on the categories seen at baseline or endpoint, as SAS PROC FREQ (AGREE) tabulates them: pairs
        of categories nobody moved between add 0 to the statistic and 1 to df (R's ``mcnemar.test``
        gives NaN for such tables).
    reason : str
        Why the tests (or the whole table) are not estimable; empty otherwise.
    """

    levels: tuple
    table: pd.DataFrame
    n: int
    n_excluded: int
    stuart_maxwell: ChiSquareTest
    bowker: ChiSquareTest
    reason: str = ""

    def stats(self) -> list[tuple[str, float]]:
        """``(stat, value)`` pairs: n, n_excluded, then statistic, df and p_value of each test, named
        ``stuart_maxwell_statistic`` ... ``bowker_p_value``."""
        out = [("n", float(self.n)), ("n_excluded", float(self.n_excluded))]
        for name in ("stuart_maxwell", "bowker"):
            test = getattr(self, name)
            out += [(f"{name}_{s}", float(getattr(test, s))) for s in ("statistic", "df", "p_value")]
        return out

    def to_frame(self) -> pd.DataFrame:
        """Long form: columns ``baseline, endpoint, stat, value``. One row per cell of the full square with
        stat ``n`` (subjects) and one with ``proportion`` (of all n), baseline-major; then the rows of
        :meth:`stats` with empty ``baseline`` and ``endpoint``."""
        counts = self.table.to_numpy(dtype=float)
        rows = []
        for i, b in enumerate(self.levels):
            for j, e in enumerate(self.levels):
                share = counts[i, j] / self.n if self.n else float("nan")
                rows += [(str(b), str(e), "n", counts[i, j]), (str(b), str(e), "proportion", share)]
        rows += [("", "", stat, value) for stat, value in self.stats()]
        return pd.DataFrame(rows, columns=["baseline", "endpoint", "stat", "value"])


def _components(links: np.ndarray) -> list[np.ndarray]:
    """Groups of categories connected by at least one subject moving between them."""
    from scipy.sparse.csgraph import connected_components

    _, label = connected_components(links > 0, directed=False)
    return [np.flatnonzero(label == g) for g in np.unique(label)]


def _stuart_maxwell(table: np.ndarray) -> ChiSquareTest:
    from scipy import stats
    from statsmodels.stats.contingency_tables import SquareTable

    off = table - np.diag(np.diag(table))
    moved = np.flatnonzero(off.sum(axis=0) + off.sum(axis=1) > 0)
    statistic, df = 0.0, 0
    for group in _components((off + off.T)[np.ix_(moved, moved)]):
        keep = moved[group]
        test = SquareTable(table[np.ix_(keep, keep)], shift_zeros=False).homogeneity(method="stuart_maxwell")
        statistic += float(test.statistic)
        df += int(test.df)
    return ChiSquareTest(statistic, float(df), float(stats.chi2.sf(statistic, df)))


def _bowker(table: np.ndarray) -> ChiSquareTest:
    from statsmodels.stats.contingency_tables import SquareTable

    seen = np.flatnonzero(table.sum(axis=0) + table.sum(axis=1) > 0)
    test = SquareTable(table[np.ix_(seen, seen)], shift_zeros=False).symmetry(method="bowker")
    return ChiSquareTest(float(test.statistic), float(test.df), float(test.pvalue))


def shift_table(data: pd.DataFrame, *, baseline: str, endpoint: str, levels) -> ShiftResult:
    """Cross-tabulate each subject's baseline and endpoint category, and test for a shift.

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    baseline, endpoint : str
        Columns holding the category at baseline and at the endpoint (e.g. CGI-S 1-7).
    levels : sequence
        The measure's categories in order (e.g. ``range(1, 8)``); the table is always this full square.

    Returns
    -------
    ShiftResult
        Values outside ``levels`` (including non-integer values of an integer scale) make the whole
        result not estimable, with a ``reason`` naming them; when no subject changed category the tests
        are not estimable. Rows missing either category are counted in ``n_excluded``.

    Examples
    --------
    >>> df = pd.DataFrame({"base": [4, 4, 5, 3, 4], "end": [3, 4, 3, 3, 2]})
    >>> r = shift_table(df, baseline="base", endpoint="end", levels=range(1, 8))
    >>> int(r.table.loc[4, 3]), r.n, r.stuart_maxwell.df
    (1, 5, 3.0)
    """
    for column in (baseline, endpoint):
        if column not in data.columns:
            raise AnalysisError(f"shift_table: column {column!r} is not in the data")
    levels = tuple(levels)
    if len(set(levels)) != len(levels) or not levels:
        raise AnalysisError(f"shift_table: levels must be distinct categories, got {list(levels)!r}")
    both = data[[baseline, endpoint]]
    complete = both.notna().all(axis=1)
    used = both[complete]
    n, excluded = int(complete.sum()), int((~complete).sum())
    index = pd.Index(levels, name="baseline")
    columns = pd.Index(levels, name="endpoint")
    codes = []
    outside = []
    for column in (baseline, endpoint):
        values = used[column]
        code = pd.Index(levels).get_indexer(values)
        if (code < 0).any():
            bad = values[code < 0]
            examples = ", ".join(f"{v!r} ({c} subject{'s' * (c > 1)})" for v, c in bad.value_counts(sort=False).items())
            outside.append(f"{column}: {examples}")
        codes.append(code)
    if outside:
        empty = pd.DataFrame(np.nan, index=index, columns=columns)
        reason = f"values outside the categories {list(levels)!r}: " + "; ".join(outside)
        return ShiftResult(levels, empty, n, excluded, NOT_ESTIMABLE, NOT_ESTIMABLE, reason)
    k = len(levels)
    counts = np.bincount(codes[0] * k + codes[1], minlength=k * k).reshape(k, k)
    table = pd.DataFrame(counts, index=index, columns=columns)
    if n == 0 or np.trace(counts) == n:
        reason = "no subject changed category: the tests of shift are not defined" if n else "no subject has both categories"
        return ShiftResult(levels, table, n, excluded, NOT_ESTIMABLE, NOT_ESTIMABLE, reason)
    return ShiftResult(levels, table, n, excluded, _stuart_maxwell(counts), _bowker(counts))
