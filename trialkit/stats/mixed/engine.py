"""(Restricted) maximum likelihood for Gaussian models whose observations fall into groups that share
one covariance matrix: subjects with the same missingness pattern in an MMRM, subjects with the same
random-effects design in a linear mixed model.

Within a group the likelihood depends on the data only through three sums (sufficient statistics),

    A[s,t,a,b] = sum_i X_i[s,a] X_i[t,b],   B[s,t,a] = sum_i X_i[s,a] y_i[t],   C[s,t] = sum_i y_i[s] y_i[t],

so an evaluation costs the same whatever the number of subjects. With W = V^-1, M = X'V^-1 X and
beta = M^-1 X'V^-1 y,

    -2 log L   = sum_g n_g log|V_g| + y'V^-1 y - beta'X'V^-1 y + N log(2 pi)
    -2 log L_R = -2 log L + log|M| - p log(2 pi)

and the gradient with respect to V_g is G_g = n_g W - W R_g W (- W Q_g W for REML), where
R_g = sum_i r_i r_i' and Q_g = sum_i X_i M^-1 X_i'; it is chained to theta through dV_g/dtheta.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg, optimize

LOG_2PI = np.log(2 * np.pi)


@dataclass
class Group:
    """Patterns of the same size t, stacked: for pattern g, the design rows Xs[g] (n_g x t x p) and
    responses ys[g] (n_g x t) of the subjects that share its covariance matrix.

    ``project`` maps the model's covariance pieces to V (G x t x t) and dV/dtheta (G x K x t x t).
    """

    Xs: list[np.ndarray]
    ys: list[np.ndarray]
    project: Callable
    keys: list[tuple] = field(default_factory=list)
    A: np.ndarray = field(init=False)
    B: np.ndarray = field(init=False)
    C: np.ndarray = field(init=False)
    n: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.A = np.stack([np.einsum("isa,itb->stab", X, X) for X in self.Xs])
        self.B = np.stack([np.einsum("isa,it->sta", X, y) for X, y in zip(self.Xs, self.ys)])
        self.C = np.stack([np.einsum("is,it->st", y, y) for y in self.ys])
        self.n = np.array([y.shape[0] for y in self.ys], dtype=float)


@dataclass(frozen=True)
class Evaluation:
    objective: float
    gradient: np.ndarray | None
    beta: np.ndarray
    M: np.ndarray


class Problem:
    """-2 log (restricted) likelihood as a function of the covariance parameters theta."""

    def __init__(self, groups: list[Group], full: Callable, *, reml: bool, log_weights: float = 0.0) -> None:
        self.groups = groups
        self.full = full  # theta -> covariance pieces passed to each group's project()
        self.reml = reml
        self.p = groups[0].Xs[0].shape[2]
        self.n_obs = int(sum(y.size for g in groups for y in g.ys))
        self.log_weights = log_weights  # sum of log weights: |V| of weighted data = |Sigma| / prod(w)

    def evaluate(self, theta: np.ndarray, *, gradient: bool = True) -> Evaluation:
        pieces = self.full(theta)
        p = self.p
        M = np.zeros((p, p))
        u = np.zeros(p)
        quad = 0.0
        logdet = 0.0
        cache = []
        for g in self.groups:
            V, dV = g.project(pieces)
            try:
                chol = np.linalg.cholesky(V)
            except np.linalg.LinAlgError:
                return Evaluation(np.inf, None, np.full(p, np.nan), M)
            W = np.linalg.inv(V)
            logdet += float(g.n @ (2 * np.sum(np.log(np.diagonal(chol, axis1=1, axis2=2)), axis=1)))
            M += np.einsum("gst,gstab->ab", W, g.A)
            u += np.einsum("gst,gsta->a", W, g.B)
            quad += float(np.einsum("gst,gst->", W, g.C))
            cache.append((W, dV))
        try:
            m_chol = linalg.cho_factor(M, lower=True, check_finite=False)
        except linalg.LinAlgError:
            return Evaluation(np.inf, None, np.full(p, np.nan), M)
        beta = linalg.cho_solve(m_chol, u, check_finite=False)
        objective = logdet + quad - u @ beta - self.log_weights
        if self.reml:
            objective += 2 * np.sum(np.log(np.diag(m_chol[0]))) + (self.n_obs - p) * LOG_2PI
        else:
            objective += self.n_obs * LOG_2PI
        if not gradient:
            return Evaluation(float(objective), None, beta, M)
        M_inv = linalg.cho_solve(m_chol, np.eye(p), check_finite=False)
        grad = 0.0
        for g, (W, dV) in zip(self.groups, cache):
            Bb = np.einsum("gsta,a->gst", g.B, beta)
            inner = g.C - Bb - Bb.transpose(0, 2, 1) + np.einsum("gstab,a,b->gst", g.A, beta, beta)
            if self.reml:
                inner = inner + np.einsum("gstab,ab->gst", g.A, M_inv)
            G = g.n[:, None, None] * W - W @ inner @ W
            grad = grad + np.einsum("gkst,gst->k", dV, G)
        return Evaluation(float(objective), np.asarray(grad), beta, M)

    def objective_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        ev = self.evaluate(theta)
        return ev.objective, (ev.gradient if ev.gradient is not None else np.zeros(theta.size))

    def objective(self, theta: np.ndarray) -> float:
        return self.evaluate(theta, gradient=False).objective

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        ev = self.evaluate(theta)
        return ev.gradient if ev.gradient is not None else np.full(theta.size, np.nan)

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """Central differences of the analytic gradient (error of order h^2, about 1e-9 here)."""
        k = theta.size
        H = np.empty((k, k))
        for j in range(k):
            h = 1e-5 * max(1.0, abs(theta[j]))
            e = np.zeros(k)
            e[j] = h
            H[:, j] = (self.gradient(theta + e) - self.gradient(theta - e)) / (2 * h)
        return (H + H.T) / 2

    def derivative_of_M(self, theta: np.ndarray) -> np.ndarray:
        """dM/dtheta_k = -sum_g X'W dV_k W X, shape K x p x p (for Satterthwaite and Kenward-Roger)."""
        pieces = self.full(theta)
        out = None
        for g in self.groups:
            V, dV = g.project(pieces)
            W = np.linalg.inv(V)
            WdVW = np.einsum("gsu,gkuv,gvt->gkst", W, dV, W)
            part = -np.einsum("gkst,gstab->kab", WdVW, g.A)
            out = part if out is None else out + part
        return out


@dataclass(frozen=True)
class Fit:
    theta: np.ndarray
    objective: float
    beta: np.ndarray
    M: np.ndarray
    hessian: np.ndarray
    gradient: np.ndarray
    converged: bool
    messages: tuple[str, ...]
    iterations: int


def maximise(problem: Problem, theta0: np.ndarray, *, gtol: float = 1e-6, max_newton: int = 20) -> Fit:
    """Quasi-Newton from theta0, then Newton steps with the Hessian until the gradient vanishes.

    Converged means: max |gradient of -2 log L| <= gtol and a positive-definite Hessian (a maximum
    with every parameter identified).
    """
    messages: list[str] = []
    result = optimize.minimize(problem.objective_and_gradient, theta0, jac=True, method="BFGS",
                               options={"gtol": gtol, "maxiter": 500})
    theta = result.x
    messages.append(f"BFGS: {result.message} ({result.nit} iterations)")
    ev = problem.evaluate(theta)
    iterations = int(result.nit)
    H = problem.hessian(theta) if np.isfinite(ev.objective) else np.full((theta.size,) * 2, np.nan)
    for _ in range(max_newton):  # Newton steps with the Hessian at the BFGS point: near the optimum it barely changes
        if ev.gradient is None or not np.all(np.isfinite(H)):
            break
        if np.max(np.abs(ev.gradient)) <= gtol * 1e-3:
            break
        try:
            step = -np.linalg.solve(H, ev.gradient)
        except np.linalg.LinAlgError:
            break
        if ev.gradient @ step >= 0:  # not a descent direction: the Hessian is not positive definite here
            break
        scale = 1.0
        noise = 1e-12 * max(1.0, abs(ev.objective))  # rounding error of the objective itself
        while scale > 1e-6:
            candidate = problem.evaluate(theta + scale * step)
            if candidate.objective <= ev.objective + 1e-4 * scale * (ev.gradient @ step) or (
                candidate.objective <= ev.objective + noise and candidate.gradient is not None
                and np.max(np.abs(candidate.gradient)) < np.max(np.abs(ev.gradient))
            ):
                break
            scale /= 2
        else:
            break
        theta = theta + scale * step
        ev = candidate
        iterations += 1
    # H stays the one from the BFGS point: polishing moves theta by ~1e-7, far below what inference resolves
    grad = ev.gradient if ev.gradient is not None else np.full(theta.size, np.nan)
    eig = np.linalg.eigvalsh(H) if np.all(np.isfinite(H)) else np.array([np.nan])
    max_grad = float(np.max(np.abs(grad)))
    converged = bool(np.isfinite(ev.objective) and max_grad <= gtol and np.all(eig > 0))
    if not converged:
        if not np.isfinite(ev.objective):
            messages.append("the likelihood is not finite at the last parameters")
        elif max_grad > gtol:
            messages.append(f"gradient not zero at the end: max |gradient| = {max_grad:.3g} > {gtol:g}")
        else:
            messages.append("Hessian not positive definite at the end: a covariance parameter is not identified "
                            f"(smallest eigenvalue {eig.min():.3g})")
    return Fit(theta, ev.objective, ev.beta, ev.M, H, grad, converged, tuple(messages), iterations)
