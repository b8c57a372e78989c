"""Formula -> response and fixed-effects design, and the reference grid for LS means and Type III tests.

Formulas are ``response ~ a + b + a:b`` with ``a * b`` for ``a + b + a:b``; an intercept is always
included. Categorical variables use treatment coding with the first level as reference: make a
column a pandas Categorical to choose the order (and so the reference level); otherwise levels are
sorted. Coefficients are named as patsy and statsmodels name them: ``ARMCD[T.TRT]``,
``ARMCD[T.TRT]:AVISIT[T.VIS2]``, ``base``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from trialkit.errors import AnalysisError


@dataclass(frozen=True)
class Design:
    response: str
    columns: list[str]                 # coefficient names
    terms: list[tuple[str, ...]]        # model terms (tuples of variable names), in column order
    term_columns: dict[str, list[int]]  # term name -> its columns in X
    term_factors: dict[str, list[str]]  # term name -> the variables it involves
    factors: dict[str, list[str]]       # categorical variable -> levels in order
    covariates: dict[str, float]        # numeric variable -> its mean (held there in LS means)
    counts: dict[str, dict[str, int]]   # categorical variable -> rows at each level (proportional weights)

    def rows(self, frame: pd.DataFrame) -> np.ndarray:
        """Design rows for new data (e.g. a reference grid) with the same coding."""
        return _matrix(frame, self.terms, self.factors)[0]


def _parse(rhs: str) -> list[tuple[str, ...]]:
    terms: list[tuple[str, ...]] = []
    for chunk in rhs.split("+"):
        chunk = chunk.strip()
        if not chunk:
            raise AnalysisError(f"formula: empty term in {rhs!r}")
        if chunk in ("1", "0", "-1") or chunk.startswith("-"):
            raise AnalysisError("formula: the intercept is always included; write only the model terms")
        if "*" in chunk:
            parts = [p.strip() for p in chunk.split("*")]
            for k in range(1, len(parts) + 1):
                terms += list(itertools.combinations(parts, k))
        else:
            terms.append(tuple(p.strip() for p in chunk.split(":")))
    unique = list(dict.fromkeys(terms))
    return sorted(unique, key=len)  # main effects first, then interactions, each in order of appearance


def _term_name(term: tuple[str, ...]) -> str:
    return ":".join(term)


def _codes(column: pd.Series, levels: list[str]) -> np.ndarray:
    """Position of each value in ``levels`` (-1 if absent), compared as text."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        names = np.array([str(c) for c in column.cat.categories], dtype=object)
        lookup = {level: k for k, level in enumerate(levels)}
        remap = np.array([lookup.get(n, -1) for n in names] + [-1])
        return remap[column.cat.codes.to_numpy()]  # code -1 (missing) maps to the trailing -1
    return pd.Categorical(column.astype(str), categories=levels).codes


def _matrix(frame: pd.DataFrame, terms: list[tuple[str, ...]], factors: dict[str, list[str]],
            level_codes: dict[str, np.ndarray] | None = None):
    n = len(frame)
    columns = [np.ones(n)]
    names = ["Intercept"]
    term_columns: dict[str, list[int]] = {}
    codes = {}
    for name, levels in factors.items():
        index = level_codes[name] if level_codes is not None else _codes(frame[name], levels)
        codes[name] = [(level, (index == k).astype(float)) for k, level in enumerate(levels) if k > 0]
    for term in terms:
        pieces: list[list[tuple[str, np.ndarray]]] = []
        for var in term:
            if var in factors:
                pieces.append([(f"{var}[T.{level}]", column) for level, column in codes[var]])
            else:
                pieces.append([(var, frame[var].to_numpy(dtype=float))])
        start = len(columns)
        for combo in itertools.product(*pieces):
            names.append(":".join(label for label, _ in combo))
            columns.append(np.prod([column for _, column in combo], axis=0))
        term_columns[_term_name(term)] = list(range(start, len(columns)))
    return np.column_stack(columns), names, term_columns


def build(data: pd.DataFrame, formula: str, *, check_rank: bool = True) -> tuple[np.ndarray, np.ndarray, Design, pd.Series]:
    """Parse ``response ~ terms``; return y, X, the design and the mask of rows used (complete cases).

    A design of deficient rank raises :class:`AnalysisError` unless ``check_rank`` is False (ordinary
    least squares then reports what is estimable, as SAS does, and marks the rest not estimable).
    """
    if "~" not in formula:
        raise AnalysisError(f"formula {formula!r} needs a response: 'response ~ terms'")
    response, rhs = (part.strip() for part in formula.split("~", 1))
    if response not in data.columns:
        raise AnalysisError(f"formula: response {response!r} is not a column of the data")
    terms = _parse(rhs)
    variables = list(dict.fromkeys(v for term in terms for v in term))
    for name in variables:
        if name not in data.columns:
            raise AnalysisError(f"formula: variable {name!r} is not a column of the data")
    for term in terms:
        for k in range(1, len(term)):
            for sub in itertools.combinations(term, k):
                if sub not in terms:
                    raise AnalysisError(f"formula: {_term_name(term)} needs its main effects too; write "
                                        f"{' * '.join(term)}")
    used = data[[response, *variables]].notna().all(axis=1)
    frame = data.loc[used, [response, *variables]]
    factors: dict[str, list[str]] = {}
    covariates: dict[str, float] = {}
    for name in variables:
        column = frame[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            counts = np.bincount(column.cat.codes.to_numpy(), minlength=len(column.cat.categories))
            factors[name] = [str(c) for c, n in zip(column.cat.categories, counts) if n > 0]
        elif pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            covariates[name] = float(column.mean())
        else:
            factors[name] = sorted(str(v) for v in column.astype(str).unique())
    level_codes = {name: _codes(frame[name], levels) for name, levels in factors.items()}
    X, names, term_columns = _matrix(frame, terms, factors, level_codes)
    counts = {name: dict(zip(levels, np.bincount(level_codes[name], minlength=len(levels)).tolist()))
              for name, levels in factors.items()}
    rank = np.linalg.matrix_rank(X) if check_rank else X.shape[1]
    if rank < X.shape[1]:
        raise AnalysisError(
            f"the fixed effects of {formula!r} are not estimable from these data (design rank {rank} < "
            f"{X.shape[1]} columns); an empty factor combination is the usual cause"
        )
    design = Design(response, names, terms, term_columns, {_term_name(t): list(t) for t in terms}, factors,
                    covariates, counts)
    return frame[response].to_numpy(dtype=float), X, design, used


def reference_grid(design: Design) -> pd.DataFrame:
    """Every combination of factor levels, numeric covariates at their means."""
    names = list(design.factors)
    combos = list(itertools.product(*(design.factors[n] for n in names))) if names else [()]
    grid = pd.DataFrame(combos, columns=names)
    for name, mean in design.covariates.items():
        grid[name] = mean
    return grid
