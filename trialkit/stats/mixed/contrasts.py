"""LS means, their differences and Type III tests of a fitted linear model, built on the reference grid.

Shared by the mixed models (:class:`~trialkit.stats.mixed.result.MixedModelResult`) and ordinary least
squares (:class:`~trialkit.stats.ols.OLSFit`): a subclass provides ``design`` (the
:class:`~trialkit.stats.mixed.design.Design`), ``beta``, ``estimate(L)`` and ``f_test(L)``.
"""

from __future__ import annotations

import itertools
from functools import cached_property

import numpy as np
import pandas as pd

from trialkit.errors import AnalysisError
from trialkit.stats.mixed.design import reference_grid


class LinearContrasts:
    """LS means, pairwise differences and Type III tests on the reference grid of ``self.design``."""

    @cached_property
    def _grid(self) -> tuple[np.ndarray, np.ndarray]:
        """The reference grid's design rows and, per factor, each row's level index (cached)."""
        grid = reference_grid(self.design)
        sizes = [len(levels) for levels in self.design.factors.values()]
        codes = np.array(list(itertools.product(*(range(n) for n in sizes))), dtype=int).reshape(len(grid), len(sizes))
        return self.design.rows(grid), codes

    def _cell_rows(self, factors: list[str], weights: str) -> tuple[list[tuple], np.ndarray]:
        """Design rows of the LS mean of each combination of ``factors``, averaging the reference grid
        over the other factors with equal weights or weights proportional to their observed margins."""
        design = self.design
        names = list(design.factors)
        for f in factors:
            if f not in design.factors:
                raise AnalysisError(f"{f!r} is not a categorical variable of the model")
        X, codes = self._grid
        w = self._grid_weights(codes, factors, weights)
        columns = [names.index(f) for f in factors]
        shape = [len(design.factors[f]) for f in factors]
        cell = np.ravel_multi_index(codes[:, columns].T, shape) if factors else np.zeros(len(X), dtype=int)
        indicator = np.zeros((int(np.prod(shape)), len(X)))
        indicator[cell, np.arange(len(X))] = w
        rows = indicator @ X / indicator.sum(axis=1, keepdims=True)
        cells = list(itertools.product(*(design.factors[f] for f in factors)))
        return cells, rows

    def _grid_weights(self, codes: np.ndarray, factors: list[str], weights: str) -> np.ndarray:
        """Weight of each reference-grid row when averaging over the factors not in ``factors``: equal, or
        proportional to each factor's observed margin."""
        design = self.design
        w = np.ones(len(codes))
        if weights == "proportional":
            for j, f in enumerate(design.factors):
                if f not in factors:
                    counts = np.array([design.counts[f][level] for level in design.factors[f]], dtype=float)
                    w *= counts[codes[:, j]]
        elif weights != "equal":
            raise AnalysisError("weights must be 'equal' or 'proportional'")
        return w

    def trend_row(self, variable: str, *, weights: str = "equal") -> np.ndarray:
        """The design row of the slope of numeric ``variable``, averaged over the reference grid (every factor's
        levels with equal or proportional weights, the other covariates at their mean), as emmeans ``emtrends(fit,
        ~ 1, var = variable, weights = weights)``. Without an interaction of ``variable`` it is its coefficient."""
        if variable not in self.design.covariates:
            raise AnalysisError(f"{variable!r} is not a numeric variable of the model")
        X, codes = self._grid
        grid = reference_grid(self.design)
        step = self.design.rows(grid.assign(**{variable: grid[variable] + 1.0})) - X  # exact: the model is linear in it
        w = self._grid_weights(codes, [], weights)
        return w @ step / w.sum()

    def lsmeans(self, specs: str | list[str], *, by: str | list[str] | None = None, weights: str = "equal") -> pd.DataFrame:
        """Least-squares means of each level (combination) of ``specs``, within each level of ``by``.

        Returns
        -------
        DataFrame
            The specs and by columns, then ``estimate, se, df, statistic, p_value, ci_lower, ci_upper``.
        """
        factors = _names(by) + _names(specs)
        cells, rows = self._cell_rows(factors, weights)
        out = [{**dict(zip(factors, cell)), **self.estimate(row)} for cell, row in zip(cells, rows)]
        return pd.DataFrame(out)

    def pairwise(self, factor: str, *, by: str | list[str] | None = None, weights: str = "equal") -> pd.DataFrame:
        """Differences of LS means between levels of ``factor``: each later level minus each earlier one
        (so with the reference level first, treatment - reference), within each level of ``by``.

        Returns
        -------
        DataFrame
            The by columns, ``contrast`` (e.g. "TRT - PBO"), then estimate, se, df, statistic, p_value, CI.
        """
        by_names = _names(by)
        cells, rows = self._cell_rows(by_names + [factor], weights)
        levels = self.design.factors[factor]
        index = {cell: row for cell, row in zip(cells, rows)}
        out = []
        for by_cell in itertools.product(*(self.design.factors[f] for f in by_names)):
            for i, j in itertools.combinations(range(len(levels)), 2):
                L = index[(*by_cell, levels[j])] - index[(*by_cell, levels[i])]
                out.append({**dict(zip(by_names, by_cell)), "contrast": f"{levels[j]} - {levels[i]}", **self.estimate(L)})
        return pd.DataFrame(out)

    def type3(self) -> pd.DataFrame:
        """Type III F tests, one row per model term: ``term, num_df, den_df, statistic, p_value``.

        Each hypothesis is built on the reference grid (equal weights), as SAS's Type 3 tests and
        emmeans' ``joint_tests``: for a factor, equality of its LS means; for an interaction of
        factors, the interaction contrasts of the cell means; for a numeric covariate, its coefficients.
        """
        rows = []
        design = self.design
        for term, columns in design.term_columns.items():
            variables = design.term_factors[term]
            cat = [v for v in variables if v in design.factors]
            if len(cat) != len(variables) or not cat:
                L = np.eye(self.beta.size)[columns]
            else:
                _, cells = self._cell_rows(cat, "equal")
                K = np.ones((1, 1))
                for f in cat:
                    k = len(design.factors[f])
                    K = np.kron(K, np.eye(k)[1:] - np.eye(k)[0])
                L = K @ cells
            rows.append({"term": term, **self.f_test(L)})
        return pd.DataFrame(rows, columns=["term", "num_df", "den_df", "statistic", "p_value"])


def _names(value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
