"""Residual covariance structures over T visits, each a map from unconstrained parameters theta to a
positive-definite T x T matrix.

Every map is written with operations that are holomorphic in theta (no abs, conj or Cholesky), so
its derivatives -- and, through them, the likelihood's gradient and Hessian -- are exact to machine
precision by the complex-step method: d Sigma / d theta_k = Im Sigma(theta + i h e_k) / h.

========  ==================================================  ==============================
name      structure                                           parameters (unconstrained)
========  ==================================================  ==============================
us        unstructured: Sigma = L L'                          log diag(L), lower off-diagonal
cs        compound symmetry: s2 ((1 - rho) I + rho J)         log s, rho via a logistic map
csh       heterogeneous CS: D R D, R = (1 - rho) I + rho J     log sd_t, rho
ar1       s2 rho^|i-j|                                        log s, rho = x / sqrt(1 + x^2)
ar1h      D R D, R_ij = rho^|i-j|                             log sd_t, rho
toep      s2 Toeplitz(1, r_1, ..., r_{T-1})                   log s, partial autocorrelations
========  ==================================================  ==============================
"""

from __future__ import annotations

import numpy as np

STRUCTURES = ("us", "toep", "csh", "cs", "ar1h", "ar1")
STEP = 1e-30  # complex step: no subtraction, so no cancellation; any tiny h gives full precision


def _corr_unit(x):
    """(-1, 1) from the real line, holomorphic."""
    return x / np.sqrt(1 + x * x)


def _cs_rho(x, t: int):
    """rho in (-1 / (T - 1), 1): the range where compound symmetry is positive definite."""
    lo = -1.0 / (t - 1) if t > 1 else -1.0
    return lo + (1 - lo) / (1 + np.exp(-x))


def _lags(t: int) -> np.ndarray:
    i = np.arange(t)
    return np.abs(i[:, None] - i[None, :])


def _ar_corr(rho, t: int):
    lags = _lags(t)
    powers = np.stack([rho**k for k in range(t)]) if t > 1 else np.stack([rho**0])
    return powers[lags]


def _toeplitz_corr(partials, t: int):
    """Autocorrelations r_1..r_{T-1} from partial autocorrelations (Durbin-Levinson); PD by construction."""
    r = []
    phi: list = []
    for k, p in enumerate(partials, start=1):
        if k == 1:
            phi = [p]
        else:
            phi = [phi[j] - p * phi[k - 2 - j] for j in range(k - 1)] + [p]
        # r_k = sum_j phi_kj r_{k-j}, with r_0 = 1
        rs = [1.0 + 0 * p] + r
        r.append(sum(phi[j] * rs[k - 1 - j] for j in range(k)))
    full = [1.0 + 0 * partials[0]] + r if len(partials) else [np.float64(1.0)]
    return np.stack(full)[_lags(t)]


def n_params(structure: str, t: int) -> int:
    return {"us": t * (t + 1) // 2, "cs": 2, "csh": t + 1, "ar1": 2, "ar1h": t + 1, "toep": t}[structure]


def sigma(structure: str, theta, t: int):
    """The T x T covariance matrix at theta (real or complex)."""
    theta = np.asarray(theta)
    if structure == "us":
        rows, cols = np.tril_indices(t)
        lower = np.zeros((t, t), dtype=theta.dtype)
        values = np.where(rows == cols, np.exp(theta), theta)
        lower[rows, cols] = values
        return lower @ lower.T
    if structure in ("cs", "ar1", "toep"):
        s2 = np.exp(2 * theta[0])
        if structure == "cs":
            rho = _cs_rho(theta[1], t)
            return s2 * ((1 - rho) * np.eye(t) + rho * np.ones((t, t)))
        if structure == "ar1":
            return s2 * _ar_corr(_corr_unit(theta[1]), t)
        return s2 * _toeplitz_corr([_corr_unit(x) for x in theta[1:]], t)
    sd = np.exp(theta[:t])
    if structure == "csh":
        rho = _cs_rho(theta[t], t)
        corr = (1 - rho) * np.eye(t) + rho * np.ones((t, t))
    elif structure == "ar1h":
        corr = _ar_corr(_corr_unit(theta[t]), t)
    else:
        raise ValueError(f"unknown covariance structure {structure!r}; choose one of {', '.join(STRUCTURES)}")
    return sd[:, None] * corr * sd[None, :]


def sigma_and_derivatives(structure: str, theta: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Sigma(theta) and d Sigma / d theta_k for every k (shape K x T x T), exact by complex step."""
    theta = np.asarray(theta, dtype=float)
    k = theta.size
    if structure == "us":  # Sigma = L L': d Sigma / d L_rc = e_r L[:, c]' + L[:, c] e_r', times d L_rc / d theta
        rows, cols = np.tril_indices(t)
        lower = np.zeros((t, t))
        lower[rows, cols] = np.where(rows == cols, np.exp(theta), theta)
        scale = np.where(rows == cols, lower[rows, cols], 1.0)
        d = np.zeros((k, t, t))
        part = scale[:, None] * lower[:, cols].T  # k x t: the column L[:, c] for each parameter
        d[np.arange(k), rows, :] += part
        d[np.arange(k), :, rows] += part
        return lower @ lower.T, d
    base = np.real(sigma(structure, theta, t))
    d = np.empty((k, t, t))
    for j in range(k):
        shifted = theta.astype(complex)
        shifted[j] += 1j * STEP
        d[j] = np.imag(sigma(structure, shifted, t)) / STEP
    return base, d


def start(structure: str, variances: np.ndarray, moment: np.ndarray | None = None) -> np.ndarray:
    """Starting theta: for ``us`` the Cholesky factor of ``moment`` (a residual covariance) when it is
    positive definite, else independent visits with the given per-visit variances."""
    t = variances.size
    log_sd = 0.5 * np.log(np.maximum(variances, 1e-8))
    if structure == "us" and moment is not None:
        try:
            lower = np.linalg.cholesky(moment)
        except np.linalg.LinAlgError:
            lower = None
        if lower is not None:
            rows, cols = np.tril_indices(t)
            return np.where(rows == cols, np.log(np.abs(lower[rows, cols]) + 1e-300), lower[rows, cols])
    if structure == "us":
        rows, cols = np.tril_indices(t)
        theta = np.zeros(rows.size)
        theta[rows == cols] = log_sd
        return theta
    if structure == "cs":
        return np.array([log_sd.mean(), 0.0 if t < 2 else np.log((1 / (t - 1)) / 1.0)])
    if structure in ("ar1", "toep"):
        return np.concatenate([[log_sd.mean()], np.full(n_params(structure, t) - 1, 0.3)])
    if structure == "csh":
        return np.concatenate([log_sd, [np.log((1 / (t - 1)) / 1.0) if t > 1 else 0.0]])
    return np.concatenate([log_sd, [0.3]])
