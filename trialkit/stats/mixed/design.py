"""Formula -> response and fixed-effects design, and the reference grid for LS means and Type III tests.

Categorical variables use treatment coding with the first level as reference: make a column a pandas
Categorical to choose the order (and so the reference level); otherwise levels are sorted.
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
    columns: list[str]                 # coefficient names, e.g. "ARMCD[T.TRT]"
    term_columns: dict[str, list[int]]  # term name -> its columns in X
    term_factors: dict[str, list[str]]  # term name -> the variables it involves
    factors: dict[str, list[str]]       # categorical variable -> levels in order
    covariates: dict[str, float]        # numeric variable -> its mean (held there in LS means)
    design_info: object

    def rows(self, grid: pd.DataFrame) -> np.ndarray:
        """Design rows for new data (e.g. a reference grid)."""
        import patsy

        return np.asarray(patsy.build_design_matrices([self.design_info], grid)[0])


def _variables(formula_rhs: str, data: pd.DataFrame) -> list[str]:
    import patsy

    desc = patsy.ModelDesc.from_formula(formula_rhs)
    names = []
    for term in desc.rhs_termlist:
        for factor in term.factors:
            name = factor.name()
            if name not in data.columns:
                raise AnalysisError(f"formula: variable {name!r} is not a column of the data")
            if name not in names:
                names.append(name)
    return names


def build(data: pd.DataFrame, formula: str) -> tuple[np.ndarray, np.ndarray, Design, pd.Series]:
    """Parse ``response ~ terms``; return y, X, the design and the mask of rows used (complete cases)."""
    import patsy

    if "~" not in formula:
        raise AnalysisError(f"formula {formula!r} needs a response: 'response ~ terms'")
    response, rhs = (part.strip() for part in formula.split("~", 1))
    if response not in data.columns:
        raise AnalysisError(f"formula: response {response!r} is not a column of the data")
    variables = _variables(rhs, data)
    frame = data[[response, *variables]].copy()
    factors: dict[str, list[str]] = {}
    covariates: dict[str, float] = {}
    used = frame.notna().all(axis=1)
    for name in variables:
        col = frame[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            levels = [str(c) for c in col.cat.categories]
            frame[name] = pd.Categorical(col.astype(object).map(lambda v: v if pd.isna(v) else str(v)), categories=levels)
        elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            continue
        else:
            levels = sorted({str(v) for v in col.dropna()})
            frame[name] = pd.Categorical(col.astype(object).map(lambda v: v if pd.isna(v) else str(v)), categories=levels)
        factors[name] = levels
    frame = frame[used]
    for name in variables:
        if name not in factors:
            covariates[name] = float(frame[name].mean())
    X = patsy.dmatrix(rhs, frame, return_type="dataframe", NA_action="raise")
    info = X.design_info
    term_columns = {}
    term_factors = {}
    for term, sl in info.term_name_slices.items():
        if term == "Intercept":
            continue
        term_columns[term] = list(range(sl.start, sl.stop))
        term_factors[term] = [f.name() for f in info.terms[list(info.term_names).index(term)].factors]
    X_arr = X.to_numpy(dtype=float)
    rank = np.linalg.matrix_rank(X_arr)
    if rank < X_arr.shape[1]:
        raise AnalysisError(
            f"the fixed effects of {formula!r} are not estimable from these data (design rank {rank} < "
            f"{X_arr.shape[1]} columns); an empty factor combination is the usual cause"
        )
    design = Design(response, list(X.columns), term_columns, term_factors, factors, covariates, info)
    return frame[response].to_numpy(dtype=float), X_arr, design, used


def reference_grid(design: Design) -> pd.DataFrame:
    """Every combination of factor levels, numeric covariates at their means."""
    names = list(design.factors)
    combos = list(itertools.product(*(design.factors[n] for n in names))) if names else [()]
    grid = pd.DataFrame(combos, columns=names)
    for name, levels in design.factors.items():
        grid[name] = pd.Categorical(grid[name], categories=levels)
    for name, mean in design.covariates.items():
        grid[name] = mean
    return grid
