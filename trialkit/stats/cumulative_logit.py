"""Cumulative-logit likelihood with threshold-specific (nominal) effects, fitted by Newton's method.

statsmodels' ``OrderedModel`` fits the proportional-odds model; it has no threshold-specific effects, which
the likelihood-ratio test of the proportional-odds assumption needs (as ``ordinal::nominal_test``). This
is that alternative model, with analytic score and information:

    logit P(Y <= j | x, z) = theta_j + z' gamma_j - x' beta,   j = 1 .. J-1

x holds the effects kept proportional (beta, the sign of MASS::polr), z those made nominal (gamma_j,
one vector per threshold). With no z it is the proportional-odds model itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit


@dataclass(frozen=True)
class CumulativeFit:
    params: np.ndarray   # theta (J-1), gamma (J-1 x q, row-major), beta (p)
    loglik: float
    converged: bool
    message: str


def _distinct_rows(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of M and their counts (as ``np.unique(M, axis=0)``, without sorting rows as bytes:
    each column is coded, and the codes combined into one integer while they fit)."""
    key = np.zeros(len(M), dtype=np.int64)
    span = 1
    for column in M.T:
        values, code = np.unique(column, return_inverse=True)
        if span * values.size >= 2**62:
            rows, count = np.unique(M, axis=0, return_counts=True)
            return rows, count
        key = key * values.size + code
        span *= values.size
    _, first, count = np.unique(key, return_index=True, return_counts=True)
    return M[first], count


@dataclass(frozen=True)
class Patterns:
    """The distinct (category, x, z) rows of the data and how many observations share each: with
    categorical covariates a trial of 100,000 subjects has a few dozen."""

    upper: np.ndarray
    lower: np.ndarray
    has_upper: np.ndarray
    has_lower: np.ndarray
    count: np.ndarray

    @classmethod
    def of(cls, codes: np.ndarray, X: np.ndarray, Z: np.ndarray, J: int) -> Patterns:
        rows, count = _distinct_rows(np.column_stack([codes, Z, X]).astype(float))
        q = Z.shape[1]
        codes, Z, X = rows[:, 0].astype(int), rows[:, 1:1 + q], rows[:, 1 + q:]
        upper, lower = _rows(codes, X, Z, J)
        return cls(upper, lower, codes < J - 1, codes > 0, count.astype(float))

    def loglik(self, params) -> float:
        prob = _pieces(params, self.upper, self.lower, self.has_upper, self.has_lower)[4]
        return float(self.count @ np.log(prob)) if np.all(prob > 0) else -np.inf

    def derivatives(self, params) -> tuple[np.ndarray, np.ndarray]:
        """Score and Hessian of the log-likelihood."""
        _, _, F_u, F_l, prob = _pieces(params, self.upper, self.lower, self.has_upper, self.has_lower)
        f_u = np.where(self.has_upper, F_u * (1 - F_u), 0.0)
        f_l = np.where(self.has_lower, F_l * (1 - F_l), 0.0)
        d_u = np.where(self.has_upper, f_u * (1 - 2 * F_u), 0.0)
        d_l = np.where(self.has_lower, f_l * (1 - 2 * F_l), 0.0)
        a, b, w = f_u / prob, f_l / prob, self.count
        upper, lower = self.upper, self.lower
        score = upper.T @ (w * a) - lower.T @ (w * b)
        cross = upper.T @ ((w * a * b)[:, None] * lower)
        hessian = (upper.T @ ((w * (d_u / prob - a * a))[:, None] * upper)
                   + lower.T @ ((w * (-d_l / prob - b * b))[:, None] * lower) + cross + cross.T)
        return score, hessian


def _rows(codes: np.ndarray, X: np.ndarray, Z: np.ndarray, J: int) -> tuple[np.ndarray, np.ndarray]:
    """Each observation's parameter weights for the linear predictor at the threshold above its
    category (upper) and below it (lower); rows of zeros where that threshold is at +-infinity."""
    n, p = X.shape
    q = Z.shape[1]
    size = (J - 1) * (1 + q) + p
    upper = np.zeros((n, size))
    lower = np.zeros((n, size))
    for A, cut, valid in ((upper, codes, codes < J - 1), (lower, codes - 1, codes > 0)):
        i = np.flatnonzero(valid)
        A[i, cut[i]] = 1.0
        for m in range(q):
            A[i, (J - 1) + cut[i] * q + m] = Z[i, m]
        A[i, (J - 1) * (1 + q):] = -X[i]
        A[~valid] = 0.0
    return upper, lower


def _pieces(params, upper, lower, has_upper, has_lower):
    eta_u, eta_l = upper @ params, lower @ params
    F_u = np.where(has_upper, expit(eta_u), 1.0)
    F_l = np.where(has_lower, expit(eta_l), 0.0)
    return eta_u, eta_l, F_u, F_l, F_u - F_l


def information(params: np.ndarray, codes: np.ndarray, X: np.ndarray, Z: np.ndarray, J: int) -> np.ndarray:
    """Observed information (minus the Hessian of the log-likelihood) at ``params``."""
    return -Patterns.of(codes, X, Z, J).derivatives(np.asarray(params, dtype=float))[1]


def fit(codes: np.ndarray, X: np.ndarray, Z: np.ndarray, J: int, start: np.ndarray, *,
        tol: float = 1e-10, max_iter: int = 200) -> CumulativeFit:
    """Maximise the log-likelihood from ``start`` (which must give every observation a positive
    probability, e.g. the proportional-odds estimates) by Newton steps with step halving."""
    data = Patterns.of(codes, X, Z, J)
    params = np.asarray(start, dtype=float).copy()
    current = data.loglik(params)
    if not np.isfinite(current):
        return CumulativeFit(params, current, False, "the starting values give an impossible observation")
    for _ in range(max_iter):
        score, hessian = data.derivatives(params)
        try:
            step = np.linalg.solve(-hessian, score)
        except np.linalg.LinAlgError:
            return CumulativeFit(params, current, False, "the information matrix is singular")
        if float(score @ step) < tol:  # Newton decrement: nothing left to gain
            return CumulativeFit(params, current, True, "")
        scale = 1.0
        while scale > 1e-10:
            trial = params + scale * step
            value = data.loglik(trial)
            if value >= current:
                params, current = trial, value
                break
            scale /= 2
        else:
            return CumulativeFit(params, current, False, "no step increases the likelihood")
    return CumulativeFit(params, current, False, f"no convergence in {max_iter} Newton steps")


def thresholds_increase(params: np.ndarray, Z: np.ndarray, J: int) -> bool:
    """Whether theta_j + z' gamma_j increases strictly in j for every row z of Z: otherwise a category gets a
    negative probability and the fit is invalid. ``clm`` checks a factor's levels alike, but a numeric term
    only at 0 (``ordinal:::getThetamat`` drops numeric terms), so ``nominal_test`` reports a statistic for a
    fit whose thresholds cross within the data, e.g. a baseline score of 3 to 7 (tests/reference/example_ordinal.R)."""
    q = Z.shape[1]
    theta = params[:J - 1]
    gamma = params[J - 1:(J - 1) * (1 + q)].reshape(J - 1, q)
    cuts = theta + _distinct_rows(Z)[0] @ gamma.T
    return bool(np.all(np.diff(cuts, axis=1) > 1e-8 * (1 + np.abs(cuts[:, 1:]))))
