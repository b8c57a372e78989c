"""Kenward-Roger (1997) adjusted covariance of the fixed effects and denominator degrees of freedom.

The adjustment depends on how the covariance is parametrised (through the second derivatives of V),
so it is computed in SAS's own parameters phi: the elements of Sigma for UN, the common covariance
and residual variance for CS, the lag covariances for TOEP (all linear in Sigma: second derivatives
vanish), and variances plus a correlation for AR(1), CSH and ARH(1). The covariance of phi-hat is the
delta-method image of the covariance of theta-hat, W = J (2 H^-1) J', J = d phi / d theta.
"""

from __future__ import annotations

import numpy as np

from trialkit.stats.mixed import covariance as cov

STEP = 1e-30


def natural(structure: str, theta, t: int):
    """SAS's covariance parameters phi from theta (holomorphic, for complex-step derivatives)."""
    s = cov.sigma(structure, theta, t)
    if structure == "us":
        rows, cols = np.tril_indices(t)
        return s[rows, cols]
    if structure == "cs":
        return np.stack([s[0, 1], s[0, 0] - s[0, 1]])
    if structure == "toep":
        return s[0, :]
    variances = np.stack([s[i, i] for i in range(t)])
    rho = s[0, 1] / np.sqrt(s[0, 0] * s[1, 1])
    if structure == "ar1":
        return np.stack([s[0, 0], rho])
    return np.concatenate([variances, np.stack([rho])])


def sigma_natural(structure: str, phi, t: int):
    """Sigma from SAS's parameters phi."""
    phi = np.asarray(phi)
    if structure == "us":
        rows, cols = np.tril_indices(t)
        s = np.zeros((t, t), dtype=phi.dtype)
        s[rows, cols] = phi
        s[cols, rows] = phi
        return s
    if structure == "cs":
        return phi[0] * np.ones((t, t)) + phi[1] * np.eye(t)
    lags = np.abs(np.arange(t)[:, None] - np.arange(t)[None, :])
    if structure == "toep":
        return phi[lags]
    if structure == "ar1":
        return phi[0] * np.stack([phi[1] ** k for k in range(t)])[lags]
    sd = np.sqrt(phi[:t])
    rho = phi[t]
    corr = np.stack([rho**k for k in range(t)])[lags] if structure == "ar1h" else \
        (1 - rho) * np.eye(t) + rho * np.ones((t, t))
    return sd[:, None] * corr * sd[None, :]


def _complex_step(fn, x: np.ndarray) -> np.ndarray:
    """d fn / d x_k for each k (stacked on the first axis), exact by complex step."""
    out = []
    for k in range(x.size):
        shifted = x.astype(complex)
        shifted[k] += 1j * STEP
        out.append(np.imag(fn(shifted)) / STEP)
    return np.stack(out)


def adjusted(result_inputs: dict) -> dict:
    """Kenward-Roger pieces for a fitted MMRM.

    ``result_inputs`` holds: structure, t, theta, theta_cov (2 H^-1), groups (the engine's groups,
    whose ``project`` maps (Sigma, dSigma) to their V and dV) and C (model-based covariance of beta).

    Returns
    -------
    dict
        ``phi_a`` (adjusted covariance of beta), ``P`` (K x p x p), ``W`` (K x K).
    """
    structure, t, theta = result_inputs["structure"], result_inputs["t"], result_inputs["theta"]
    C = result_inputs["C"]
    phi = np.real(natural(structure, theta, t))
    J = _complex_step(lambda th: natural(structure, th, t), np.asarray(theta, dtype=float))  # K x K: J[k] = d phi / d theta_k
    J = J.T  # rows: phi, columns: theta
    W = J @ result_inputs["theta_cov"] @ J.T
    d1 = _complex_step(lambda f: sigma_natural(structure, f, t), phi)  # K x t x t
    k = phi.size
    d2 = np.zeros((k, k, t, t))
    if structure not in ("us", "cs", "toep"):  # nonlinear in phi: second derivatives by differences
        for j in range(k):
            h = 1e-5 * max(1.0, abs(phi[j]))
            e = np.zeros(k)
            e[j] = h
            d2[:, j] = (_complex_step(lambda f: sigma_natural(structure, f, t), phi + e)
                        - _complex_step(lambda f: sigma_natural(structure, f, t), phi - e)) / (2 * h)
    sigma = np.real(sigma_natural(structure, phi, t))
    p = C.shape[0]
    P = np.zeros((k, p, p))
    Q = np.zeros((k, k, p, p))
    R = np.zeros((k, k, p, p))
    for g in result_inputs["groups"]:  # engine groups: stacked patterns of one size
        V, dV = g.project((sigma, d1))                                  # G x t x t, G x K x t x t
        Winv = np.linalg.inv(V)
        WdV = np.einsum("gsu,gkut->gkst", Winv, dV)                     # V^-1 V_i
        WdVW = np.einsum("gkst,gtu->gksu", WdV, Winv)                   # V^-1 V_i V^-1
        P -= np.einsum("gkst,gstab->kab", WdVW, g.A)                    # X'V^-1 V_i V^-1 X, negated
        Q += np.einsum("gijsv,gsvab->ijab", np.einsum("gisu,gjuv->gijsv", WdV, WdVW), g.A)
        if np.any(d2):
            both = g.mask[:, :, None] * g.mask[:, None, :]  # observed visits of each (padded) pattern
            d2V = d2[None] * both[:, None, None]              # G x K x K x t x t
            R += np.einsum("gsu,gijuv,gvt,gstab->ijab", Winv, d2V, Winv, g.A)
    middle = np.zeros((p, p))
    for i in range(k):
        for j in range(k):
            middle += W[i, j] * (Q[i, j] - P[i] @ C @ P[j] - 0.25 * R[i, j])
    phi_a = C + 2 * C @ middle @ C
    return {"phi_a": phi_a, "P": P, "W": W}


def df_and_scale(L: np.ndarray, C: np.ndarray, phi_a: np.ndarray, P: np.ndarray, W: np.ndarray) -> tuple[float, float]:
    """Kenward-Roger denominator df m and F scale lambda for the hypothesis L beta = 0 (L: q x p)."""
    L = np.atleast_2d(L)
    q = L.shape[0]
    theta = L.T @ np.linalg.solve(L @ C @ L.T, L)
    M = [theta @ C @ P[i] @ C for i in range(P.shape[0])]
    tr = np.array([np.trace(m) for m in M])
    a1 = float(tr @ W @ tr)
    a2 = float(sum(W[i, j] * np.trace(M[i] @ M[j]) for i in range(len(M)) for j in range(len(M))))
    b = (a1 + 6 * a2) / (2 * q)
    g = ((q + 1) * a1 - (q + 4) * a2) / ((q + 2) * a2)
    denom = 3 * q + 2 * (1 - g)
    c1, c2, c3 = g / denom, (q - g) / denom, (q + 2 - g) / denom
    e_star = 1 / (1 - a2 / q)
    v_star = (2 / q) * (1 + c1 * b) / ((1 - c2 * b) ** 2 * (1 - c3 * b))
    rho = v_star / (2 * e_star**2)
    m = 4 + (q + 2) / (q * rho - 1)
    lam = m / (e_star * (m - 2))
    return float(m), float(lam)
