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
from scipy import optimize

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
    A_flat: np.ndarray = field(init=False)
    B_flat: np.ndarray = field(init=False)
    C_flat: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        # as matrix products of the flattened subject rows (BLAS), never a per-subject tensor
        A, B, C = [], [], []
        for X, y in zip(self.Xs, self.ys):
            n, t, p = X.shape
            flat = X.reshape(n, t * p)
            A.append((flat.T @ flat).reshape(t, p, t, p).transpose(0, 2, 1, 3))
            B.append((flat.T @ y).reshape(t, p, t).transpose(0, 2, 1))
            C.append(y.T @ y)
        self.A, self.B, self.C = np.stack(A), np.stack(B), np.stack(C)
        self.n = np.array([y.shape[0] for y in self.ys], dtype=float)
        g, t, _, p, _ = self.A.shape
        self.A_flat = self.A.reshape(g * t * t, p * p)   # contraction-ready views
        self.B_flat = self.B.reshape(g * t * t, p)
        self.C_flat = self.C.reshape(g * t * t)


@dataclass(frozen=True)
class Evaluation:
    objective: float
    gradient: np.ndarray | None
    beta: np.ndarray
    M: np.ndarray


class Problem:
    """-2 log (restricted) likelihood as a function of the covariance parameters theta."""

    def __init__(self, groups: list[Group], full: Callable, *, reml: bool, log_weights: float = 0.0,
                 n_obs: int | None = None) -> None:
        self.groups = groups
        self.full = full  # theta -> covariance pieces passed to each group's project()
        self.reml = reml
        self.p = groups[0].Xs[0].shape[2]
        # padded groups (MMRM) hold placeholder zeros, so the caller gives the true count
        self.n_obs = int(sum(y.size for g in groups for y in g.ys)) if n_obs is None else n_obs
        self.log_weights = log_weights  # sum of log weights: |V| of weighted data = |Sigma| / prod(w)

    def evaluate(self, theta: np.ndarray, *, gradient: bool = True) -> Evaluation:
        """-2 log L(R), its gradient, beta-hat and M = X'V^-1 X at theta."""
        outside = Evaluation(np.inf, None, np.full(self.p, np.nan), np.zeros((self.p, self.p)))
        try:
            # an optimiser probing far out overflows exp() etc.: that is "outside", not worth a warning
            with np.errstate(all="ignore"):
                objective, grad, beta, M = self.evaluate_many(np.asarray(theta, dtype=float)[None], gradient=gradient)
        except np.linalg.LinAlgError:  # V or M not positive definite: outside the parameter space
            return outside
        if not np.isfinite(objective[0]) or (grad is not None and not np.all(np.isfinite(grad))):
            return outside
        return Evaluation(float(objective[0]), None if grad is None else grad[0], beta[0], M[0])

    def evaluate_many(self, thetas: np.ndarray, *, gradient: bool = True):
        """The same for a stack of parameter vectors (B x K) at once, as arrays with a leading B axis.

        Every contraction over patterns and visits is a matrix product of flattened arrays (BLAS).
        Raises numpy's LinAlgError if V or M is not positive definite at any of them.
        """
        p = self.p
        nb = thetas.shape[0]
        pieces = [self.full(theta) for theta in thetas]
        M = np.zeros((nb, p * p))
        u = np.zeros((nb, p))
        quad = np.zeros(nb)
        logdet = np.zeros(nb)
        cache = []
        for g in self.groups:
            projected = [g.project(piece) for piece in pieces]
            V = np.stack([v for v, _ in projected])                      # B x G x t x t
            chol = np.linalg.cholesky(V)
            W = np.linalg.inv(V)
            W_flat = W.reshape(nb, -1)                                    # B x (G t t)
            logdet += 2 * np.log(np.diagonal(chol, axis1=2, axis2=3)).sum(axis=2) @ g.n
            M += W_flat @ g.A_flat
            u += W_flat @ g.B_flat
            quad += W_flat @ g.C_flat
            cache.append((W, projected))
        M = M.reshape(nb, p, p)
        m_chol = np.linalg.cholesky(M)
        beta = np.linalg.solve(M, u[..., None])[..., 0]
        objective = logdet + quad - np.einsum("za,za->z", u, beta) - self.log_weights
        if self.reml:
            objective += 2 * np.sum(np.log(np.diagonal(m_chol, axis1=1, axis2=2)), axis=1) + (self.n_obs - p) * LOG_2PI
        else:
            objective += self.n_obs * LOG_2PI
        if not gradient:
            return objective, None, beta, M
        M_inv = np.linalg.inv(M)
        # sum_i r_i r_i' = C - B beta - (B beta)' + A : beta beta', and for REML + A : M^-1, per pattern
        outer = (beta[:, :, None] * beta[:, None, :]).reshape(nb, p * p)
        grad = 0.0
        for g, (W, projected) in zip(self.groups, cache):
            shape = W.shape
            Bb = (g.B_flat @ beta.T).T.reshape(shape)
            correction = outer + M_inv.reshape(nb, p * p) if self.reml else outer
            inner = g.C[None] - Bb - Bb.swapaxes(2, 3) + (g.A_flat @ correction.T).T.reshape(shape)
            G = g.n[None, :, None, None] * W - W @ inner @ W
            dV = np.stack([d for _, d in projected])                     # B x G x K x t x t
            k = dV.shape[2]
            grad = grad + np.einsum("zgkq,zgq->zk", dV.reshape(nb, shape[1], k, -1), G.reshape(nb, shape[1], -1))
        return objective, np.asarray(grad), beta, M

    def expected_information(self, theta: np.ndarray, M: np.ndarray) -> np.ndarray:
        """Expected information of theta for -2 log L(R), i.e. 2 I:

            ML:   sum_g n_g tr(W V_i W V_j)
            REML: the same - 2 tr(C Q_ij) + tr(C P_i C P_j),  C = M^-1,
                  Q_ij = X'W V_i W V_j W X,  P_i = X'W V_i W X.
        """
        pieces = self.full(theta)
        C = np.linalg.inv(M)
        info = 0.0
        P = 0.0
        trCQ = 0.0
        for g in self.groups:
            V, dV = g.project(pieces)
            W = np.linalg.inv(V)
            WdV = np.einsum("gsu,gkut->gkst", W, dV)
            info = info + np.einsum("g,gist,gjts->ij", g.n, WdV, WdV)
            if self.reml:
                WdVW = np.einsum("gkst,gtu->gksu", WdV, W)
                P = P + np.einsum("gkst,gstab->kab", WdVW, g.A)
                S = np.einsum("gstab,ab->gts", g.A, C)  # sum_i X_i C X_i' (transposed), per pattern
                trCQ = trCQ + np.einsum("gist,gjtu,gus->ij", WdV, WdVW, S)
        if self.reml:
            CP = np.einsum("ab,kbc->kac", C, P)
            info = info - 2 * trCQ + np.einsum("iab,jba->ij", CP, CP)
        return (info + info.T) / 2

    def objective_and_gradient(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        ev = self.evaluate(theta)
        return ev.objective, (ev.gradient if ev.gradient is not None else np.zeros(theta.size))

    def objective(self, theta: np.ndarray) -> float:
        return self.evaluate(theta, gradient=False).objective

    def gradient(self, theta: np.ndarray) -> np.ndarray:
        ev = self.evaluate(theta)
        return ev.gradient if ev.gradient is not None else np.full(theta.size, np.nan)

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        """Forward differences of the analytic gradient, every perturbed point in one batch (error about
        1e-8 relative: ample for degrees of freedom)."""
        steps = np.diag(1e-7 * np.maximum(1.0, np.abs(theta)))
        points = np.vstack([theta, theta + steps])
        try:
            with np.errstate(all="ignore"):
                _, grads, _, _ = self.evaluate_many(points)
        except np.linalg.LinAlgError:
            grads = np.stack([self.gradient(point) for point in points])
        H = (grads[1:] - grads[0]).T / np.diag(steps)
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


def _scoring(problem: Problem, theta: np.ndarray, ev: Evaluation, *, gtol: float, max_iter: int = 50,
             hessian: np.ndarray | None = None):
    """Newton-type steps with the expected information (Fisher scoring), or with a fixed ``hessian`` when
    given; a step that does not improve the likelihood is halved."""
    messages = []
    for iteration in range(max_iter):
        if ev.gradient is None or np.max(np.abs(ev.gradient)) <= gtol:
            return theta, ev, iteration, messages
        info = problem.expected_information(theta, ev.M) if hessian is None else hessian
        try:
            step = -np.linalg.solve(info, ev.gradient)
        except np.linalg.LinAlgError:
            messages.append("expected information singular: a covariance parameter is not identified")
            return theta, ev, iteration, messages
        scale = 1.0
        noise = 1e-12 * max(1.0, abs(ev.objective))
        while scale > 1e-8:
            candidate = problem.evaluate(theta + scale * step)
            if candidate.objective < ev.objective - 1e-4 * scale * abs(ev.gradient @ step) or (
                candidate.objective <= ev.objective + noise and candidate.gradient is not None
                and np.max(np.abs(candidate.gradient)) < np.max(np.abs(ev.gradient))
            ):
                break
            scale /= 2
        else:
            messages.append("Fisher scoring could not improve the likelihood further")
            return theta, ev, iteration, messages
        theta, ev = theta + scale * step, candidate
    messages.append(f"Fisher scoring stopped after {max_iter} iterations")
    return theta, ev, max_iter, messages


def maximise(problem: Problem, theta0: np.ndarray, *, gtol: float = 1e-6) -> Fit:
    """Fisher scoring from theta0 until near the maximum, then Newton steps with the observed Hessian
    (differences of the analytic gradient) to a zero gradient; BFGS where that stalls. The Hessian
    returned for inference is recomputed at the final point.

    Converged means: max |gradient of -2 log L| <= gtol and a positive-definite observed Hessian
    (a maximum with every parameter identified).
    """
    theta = np.asarray(theta0, dtype=float)
    ev = problem.evaluate(theta)
    if not np.isfinite(ev.objective):
        nan = np.full(theta.size, np.nan)
        return Fit(theta, np.inf, nan, ev.M, np.full((theta.size,) * 2, np.nan), nan, False,
                   ("the likelihood is not finite at the starting values",), 0)
    theta, ev, iterations, messages = _scoring(problem, theta, ev, gtol=1e-2, max_iter=30)
    for attempt in range(2):
        H = problem.hessian(theta)
        if np.all(np.isfinite(H)) and np.all(np.linalg.eigvalsh(H) > 0):
            theta, ev, more, _ = _scoring(problem, theta, ev, gtol=gtol * 1e-2, max_iter=20, hessian=H)
            iterations += more
        if ev.gradient is not None and np.max(np.abs(ev.gradient)) <= gtol or attempt == 1:
            break
        result = optimize.minimize(problem.objective_and_gradient, theta, jac=True, method="BFGS",
                                   options={"gtol": gtol, "maxiter": 500})
        messages.append(f"BFGS: {result.message} ({result.nit} iterations)")
        iterations += int(result.nit)
        theta = result.x
        ev = problem.evaluate(theta)
    # the observed Hessian at the maximum itself: inference (Satterthwaite, Kenward-Roger) depends on it
    H = problem.hessian(theta) if np.isfinite(ev.objective) else np.full((theta.size,) * 2, np.nan)
    grad = ev.gradient if ev.gradient is not None else np.full(theta.size, np.nan)
    eig = np.linalg.eigvalsh(H) if np.all(np.isfinite(H)) else np.array([np.nan])
    max_grad = float(np.max(np.abs(grad)))
    converged = bool(np.isfinite(ev.objective) and max_grad <= gtol and np.all(eig > 0))
    if converged:
        messages = [f"converged in {iterations} iterations (Fisher scoring, then Newton)"]
    elif not np.isfinite(ev.objective):
        messages.append("the likelihood is not finite at the last parameters")
    elif max_grad > gtol:
        messages.append(f"gradient not zero at the end: max |gradient| = {max_grad:.3g} > {gtol:g}")
    else:
        messages.append("Hessian not positive definite at the end: a covariance parameter is not identified "
                        f"(smallest eigenvalue {eig.min():.3g})")
    return Fit(theta, ev.objective, ev.beta, ev.M, H, grad, converged, tuple(messages), iterations)
