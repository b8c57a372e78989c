"""Cochran-Mantel-Haenszel statistics for a row variable (e.g. the arm) against a categorical or ordinal
column variable (e.g. a CGI rating), stratified, as SAS PROC FREQ ``TABLES strata * row * column / CMH``.

For stratum h with table n_h (R x C, read row by row), row and column proportions p_r, p_c and total
N_h, under the null of no association given the margins

    E(n_h) = N_h p_r (x) p_c,    Var(n_h) = N_h^2 / (N_h - 1) (D(p_r) - p_r p_r') (x) (D(p_c) - p_c p_c'),

and each statistic is Q = G' (sum_h A V_h A')^-1 G with G = sum_h A (n_h - E n_h) (Landis, Heyman and
Koch 1978), for

    nonzero correlation       A = a_r' (x) a_c'          df 1
    row mean scores differ    A = [I_{R-1}, 0] (x) a_c'  df R - 1
    general association       A = [I_{R-1}, 0] (x) [I_{C-1}, 0]   df (R - 1)(C - 1)

where a_r, a_c are the row and column scores. Table scores are the levels' numeric values (else 1, 2,
...); rank, ridit and modified ridit scores are computed within each stratum from its margins, as SAS
does (modified ridit scores make the row mean scores statistic van Elteren's test).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from trialkit.errors import AnalysisError
from trialkit.stats.arms import as_text, natural_key, names_of

SCORES = ("table", "rank", "ridit", "modridit")
TESTS = (("correlation", "Nonzero correlation"), ("row_mean_scores", "Row mean scores differ"),
         ("general_association", "General association"))


@dataclass(frozen=True)
class CMHResult:
    """The three CMH statistics and the pooled counts.

    Attributes
    ----------
    row, column : str
    strata : tuple of str
        Stratification columns (empty: one stratum).
    scores : {"table", "rank", "ridit", "modridit"}
    rows, columns : tuple of str
        Levels of the row and column variables, in the order used for the scores.
    tests : DataFrame
        ``test`` (correlation, row_mean_scores, general_association), ``label`` (as SAS prints it),
        ``statistic``, ``df``, ``p_value`` (chi-square); NaN where not computable (reason in ``notes``).
    counts : DataFrame
        ``row, column, n, percent``: counts over all strata, percent of the row total; a row with
        column "" holds the row total.
    n : int
        Observations in the tables.
    n_strata, n_strata_used : int
        Strata, and strata with at least 2 observations (the others carry no information).
    n_excluded : int
        Rows left out for a missing row, column or stratum value.
    notes : tuple of str
    """

    row: str
    column: str
    strata: tuple[str, ...]
    scores: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    tests: pd.DataFrame
    counts: pd.DataFrame
    n: int
    n_strata: int
    n_strata_used: int
    n_excluded: int
    notes: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """Long form: ``part, row, column, stat, value``; part ``test`` (column names the test; stats
        statistic, df, p_value) or ``count`` (stats n and percent; column "" is the row total)."""
        out = []
        for t in self.tests.itertuples(index=False):
            out += [("test", "", t.test, stat, float(getattr(t, stat))) for stat in ("statistic", "df", "p_value")]
        for c in self.counts.itertuples(index=False):
            out += [("count", c.row, c.column, "n", float(c.n)), ("count", c.row, c.column, "percent", float(c.percent))]
        return pd.DataFrame(out, columns=["part", "row", "column", "stat", "value"])


def _levels(column: pd.Series, text: pd.Series, order) -> list[str]:
    if order is not None:
        levels = [str(v) for v in order]
        unknown = sorted(set(text.dropna()) - set(levels))
        if unknown:
            raise AnalysisError(f"column {column.name!r} holds {unknown}, which are not among the levels {levels}")
        return levels
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(v) for v in as_text(pd.Series(column.cat.categories))]
    present = sorted(set(text.dropna()), key=natural_key)
    numbers = pd.to_numeric(pd.Series(present, dtype=object), errors="coerce")
    if len(present) and numbers.notna().all():
        present = [p for _, p in sorted(zip(numbers, present))]
    return present


def _table_scores(levels: list[str]) -> np.ndarray:
    numbers = pd.to_numeric(pd.Series(levels, dtype=object), errors="coerce")
    return numbers.to_numpy(dtype=float) if numbers.notna().all() else np.arange(1, len(levels) + 1, dtype=float)


def _stratum_scores(kind: str, margin: np.ndarray, table: np.ndarray) -> np.ndarray:
    if kind == "table":
        return table
    midrank = np.cumsum(margin) - margin + (margin + 1) / 2
    total = margin.sum()
    return {"rank": midrank, "ridit": midrank / total, "modridit": midrank / (total + 1)}[kind]


def _quadratic(G: np.ndarray, S: np.ndarray, nominal_df: int) -> tuple[float, float, str]:
    """G' S^-1 G with df = rank of S (a generalised inverse if S is singular)."""
    if S.size == 0:
        return np.nan, np.nan, "no degrees of freedom"
    scale = np.abs(np.diag(S)).max() if S.size else 0.0
    if not scale > 0:
        return np.nan, np.nan, "no variation in the tables"
    rank = np.linalg.matrix_rank(S, tol=scale * 1e-10)
    Q = float(G @ np.linalg.pinv(S, rcond=1e-10) @ G)
    note = "" if rank == nominal_df else f"covariance of rank {rank} < {nominal_df}: df reduced to {rank}"
    return Q, float(rank), note


def cmh(data: pd.DataFrame, row: str, column: str, strata=None, *, scores: str = "table", row_order=None,
        column_order=None) -> CMHResult:
    """Cochran-Mantel-Haenszel tests of ``row`` vs ``column`` stratified by ``strata``, as SAS PROC FREQ CMH.

    Parameters
    ----------
    data : DataFrame
        One row per observation (e.g. per subject at a visit).
    row : str
        Row variable, e.g. the arm.
    column : str
        Column variable: a categorical or ordinal response, e.g. the CGI-I rating.
    strata : str or sequence of str, optional
        Stratification column(s); several are crossed. None: one stratum.
    scores : {"table", "rank", "ridit", "modridit"}
        Scores of the row and column levels for the correlation and row mean scores statistics. Table
        scores are the levels' numeric values (else 1, 2, ... in level order); the others are computed
        within each stratum from its margins.
    row_order, column_order : sequence, optional
        Level order (default: a Categorical's order, else numeric or natural order of the values).

    Returns
    -------
    CMHResult
        ``tests``: the nonzero correlation (df 1), row mean scores (df R - 1) and general association
        (df (R - 1)(C - 1)) statistics with chi-square p-values; ``counts``.

    Examples
    --------
    >>> frame = pd.DataFrame({"arm": list("AAAABBBB"), "y": [1, 2, 2, 3, 2, 3, 3, 3]})
    >>> cmh(frame, "arm", "y").tests[["test", "df"]].values.tolist()
    [['correlation', 1.0], ['row_mean_scores', 1.0], ['general_association', 2.0]]
    """
    if scores not in SCORES:
        raise AnalysisError(f"scores {scores!r}: choose one of {', '.join(SCORES)}")
    strata_cols = names_of(strata)
    for name in (row, column, *strata_cols):
        if name not in data.columns:
            raise AnalysisError(f"column {name!r} is not in the data")
    row_text, col_text = as_text(data[row]), as_text(data[column])
    strata_text = [as_text(data[s]) for s in strata_cols]
    complete = row_text.notna() & col_text.notna()
    for s in strata_text:
        complete &= s.notna()
    rows = _levels(data[row], row_text[complete], row_order)
    cols = _levels(data[column], col_text[complete], column_order)
    R, C = len(rows), len(cols)
    r_idx = pd.Categorical(row_text[complete], categories=rows).codes
    c_idx = pd.Categorical(col_text[complete], categories=cols).codes
    key = pd.Series(list(zip(*(s[complete] for s in strata_text))) if strata_cols else [()] * int(complete.sum()))
    s_idx, _ = pd.factorize(key, sort=True)
    K = int(s_idx.max()) + 1 if len(s_idx) else 0
    tables = np.zeros((K, R, C))
    np.add.at(tables, (s_idx, r_idx, c_idx), 1.0)
    notes = []
    n_excluded = int((~complete).sum())
    if n_excluded:
        notes.append(f"{n_excluded} rows left out: a missing {', '.join([row, column, *strata_cols])} value")
    row_table, col_table = _table_scores(rows), _table_scores(cols)
    pieces = {name: [np.zeros(0), np.zeros((0, 0))] for name, _ in TESTS}
    used = 0
    for table in tables:
        total = table.sum()
        if total < 2:
            continue
        used += 1
        pr, pc = table.sum(axis=1) / total, table.sum(axis=0) / total
        diff = (table - total * np.outer(pr, pc)).ravel()
        V = total**2 / (total - 1) * np.kron(np.diag(pr) - np.outer(pr, pr), np.diag(pc) - np.outer(pc, pc))
        a_r = _stratum_scores(scores, table.sum(axis=1), row_table)
        a_c = _stratum_scores(scores, table.sum(axis=0), col_table)
        first_r, first_c = np.eye(R)[:-1], np.eye(C)[:-1]
        for name, A in (("correlation", np.kron(a_r[None, :], a_c[None, :])),
                        ("row_mean_scores", np.kron(first_r, a_c[None, :])),
                        ("general_association", np.kron(first_r, first_c))):
            G, S = pieces[name]
            pieces[name] = [(G if G.size else 0) + A @ diff, (S if S.size else 0) + A @ V @ A.T]
    if K > used:
        notes.append(f"{K - used} of {K} strata have fewer than 2 observations and carry no information")
    nominal = {"correlation": 1, "row_mean_scores": R - 1, "general_association": (R - 1) * (C - 1)}
    tests = []
    for name, label in TESTS:
        if R < 2 or C < 2 or used == 0:
            Q, df, why = np.nan, np.nan, f"needs at least 2 {row} and 2 {column} levels with data"
        else:
            Q, df, why = _quadratic(*pieces[name], nominal[name])
        if why:
            notes.append(f"{label}: {why}")
        p = float(stats.chi2.sf(Q, df)) if np.isfinite(Q) and df > 0 else np.nan
        tests.append({"test": name, "label": label, "statistic": Q, "df": df, "p_value": p})
    pooled = tables.sum(axis=0) if K else np.zeros((R, C))
    counts = []
    for i, r in enumerate(rows):
        total = pooled[i].sum()
        for j, c in enumerate(cols):
            counts.append({"row": r, "column": c, "n": int(pooled[i, j]),
                           "percent": 100 * pooled[i, j] / total if total else np.nan})
        counts.append({"row": r, "column": "", "n": int(total), "percent": 100.0 if total else np.nan})
    return CMHResult(row=row, column=column, strata=tuple(strata_cols), scores=scores, rows=tuple(rows),
                     columns=tuple(cols), tests=pd.DataFrame(tests, columns=["test", "label", "statistic", "df", "p_value"]),
                     counts=pd.DataFrame(counts, columns=["row", "column", "n", "percent"]), n=int(pooled.sum()),
                     n_strata=K, n_strata_used=used, n_excluded=n_excluded, notes=tuple(notes))
