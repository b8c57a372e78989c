"""The fitted mixed model: coefficients, covariance, inference with small-sample degrees of freedom,
LS means, pairwise differences and Type III tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from trialkit.errors import AnalysisError
from trialkit.stats.mixed.contrasts import LinearContrasts
from trialkit.stats.mixed.design import Design

COEF_COLUMNS = ["term", "estimate", "se", "df", "statistic", "p_value", "ci_lower", "ci_upper"]


@dataclass(frozen=True, eq=False)
class MixedModelResult(LinearContrasts):
    """A fitted LMM or MMRM (LS means, pairwise differences and Type III tests from
    :class:`~trialkit.stats.mixed.contrasts.LinearContrasts`).

    Attributes
    ----------
    model : {"mmrm", "lmm"}
    structure : str
        Covariance structure (MMRM) or random-effects specification (LMM).
    df_method : str
        Degrees-of-freedom method of every test and interval.
    covariance : DataFrame
        Fitted residual covariance (MMRM, rows and columns labelled by visit) or random-effects
        covariance (LMM, labelled by random term; the residual variance is ``sigma2``).
    loglik, deviance, aic, bic : float
        (Restricted) log-likelihood, -2 log-likelihood, and information criteria as SAS PROC MIXED
        computes them (REML: parameters = covariance parameters; BIC with the log of the number of
        subjects in the data, including subjects none of whose rows could be used, as SAS counts them).
    n_obs, n_subjects, n_excluded : int
        Observations used, subjects, rows left out (missing response or covariate).
    converged : bool
    messages : tuple of str
        What the optimiser reported, and why convergence failed where it did.
    """

    model: str
    structure: str
    df_method: str
    reml: bool
    vcov: str
    alpha: float
    design: Design
    beta: np.ndarray
    cov_beta: np.ndarray
    dcov_beta: np.ndarray         # d cov(beta) / d theta_k, K x p x p
    theta_cov: np.ndarray         # asymptotic covariance of theta: 2 H^-1
    theta: np.ndarray
    covariance: pd.DataFrame
    sigma2: float
    loglik: float
    deviance: float
    aic: float
    bic: float
    n_obs: int
    n_subjects: int
    n_excluded: int
    converged: bool
    messages: tuple[str, ...]
    within_columns: np.ndarray    # which fixed-effect columns vary within subject (between-within df)
    df_between: float
    df_within: float
    kenward_roger: tuple | None = None  # (model-based cov(beta), P_i, W) when df_method is kenward-roger

    # ---- inference for linear combinations -------------------------------------------------------------

    def _satterthwaite(self, L: np.ndarray) -> float:
        var = float(L @ self.cov_beta @ L)
        g = np.einsum("a,kab,b->k", L, self.dcov_beta, L)
        denom = float(g @ self.theta_cov @ g)
        return 2 * var**2 / denom if denom > 0 else np.inf

    def df_for(self, L: np.ndarray) -> float:
        """Denominator degrees of freedom for the estimate L'beta."""
        if self.df_method == "satterthwaite":
            return self._satterthwaite(L)
        if self.df_method == "residual":
            return float(self.n_obs - self.beta.size)
        if self.df_method == "between-within":
            return self.df_within if np.any(np.abs(L[self.within_columns]) > 1e-12) else self.df_between
        if self.df_method == "kenward-roger":
            from trialkit.stats.mixed.kenward_roger import df_and_scale

            C, P, W = self.kenward_roger
            return df_and_scale(L[None, :], C, self.cov_beta, P, W)[0]
        raise AnalysisError(f"degrees of freedom {self.df_method!r} are not available")

    def estimate(self, L) -> dict[str, float]:
        """Estimate, SE, df, t, two-sided p and CI of L'beta."""
        L = np.asarray(L, dtype=float)
        est = float(L @ self.beta)
        se = float(np.sqrt(L @ self.cov_beta @ L))
        df = self.df_for(L)
        t = est / se if se > 0 else np.nan
        p = float(2 * stats.t.sf(abs(t), df)) if np.isfinite(t) else np.nan
        q = stats.t.ppf(1 - self.alpha / 2, df)
        return {"estimate": est, "se": se, "df": df, "statistic": t, "p_value": p,
                "ci_lower": est - q * se, "ci_upper": est + q * se}

    def f_test(self, L: np.ndarray) -> dict[str, float]:
        """F test of L beta = 0 (L: q x p), with Fai-Cornelius denominator df under Satterthwaite."""
        L = np.atleast_2d(np.asarray(L, dtype=float))
        q = np.linalg.matrix_rank(L) if L.size else 0
        if q == 0:  # nothing to test (a factor with one level): no test, not an error
            return {"num_df": 0.0, "den_df": float("nan"), "statistic": float("nan"), "p_value": float("nan")}
        V = L @ self.cov_beta @ L.T
        b = L @ self.beta
        F = float(b @ np.linalg.pinv(V) @ b) / q
        if self.df_method == "kenward-roger":
            from trialkit.stats.mixed.kenward_roger import df_and_scale

            C, P, W = self.kenward_roger
            ddf, scale = df_and_scale(L, C, self.cov_beta, P, W)
            F *= scale
        elif self.df_method == "satterthwaite":
            vals, vecs = np.linalg.eigh(V)
            keep = vals > vals.max() * 1e-10
            nus = np.array([self._satterthwaite(vecs[:, m] @ L) for m in np.flatnonzero(keep)])
            big = nus[nus > 2]
            with np.errstate(invalid="ignore"):  # an infinite df (a term known exactly) contributes 1
                E = np.sum(np.where(np.isinf(big), 1.0, big / (big - 2)))
            ddf = 2 * E / (E - q) if E > q else np.inf
            if q == 1:
                ddf = float(nus[0])
        else:
            ddf = min(self.df_for(row) for row in L)
        p = float(stats.f.sf(F, q, ddf))
        return {"num_df": float(q), "den_df": float(ddf), "statistic": F, "p_value": p}

    # ---- tables -------------------------------------------------------------------------------------------

    @property
    def coef(self) -> pd.DataFrame:
        """Fixed effects: ``term, estimate, se, df, statistic, p_value, ci_lower, ci_upper``."""
        rows = [{"term": name, **self.estimate(np.eye(self.beta.size)[j])} for j, name in enumerate(self.design.columns)]
        return pd.DataFrame(rows, columns=COEF_COLUMNS)

    def to_frame(self) -> pd.DataFrame:
        """Fixed effects in long form: ``term, stat, value`` (stats as in :attr:`coef`)."""
        return self.coef.melt(id_vars="term", var_name="stat", value_name="value")


def _within_columns(X: np.ndarray, subjects: np.ndarray) -> np.ndarray:
    """Which columns of X vary within at least one subject."""
    order = np.argsort(subjects, kind="stable")
    sorted_subjects, Xs = subjects[order], X[order]
    starts = np.flatnonzero(np.r_[True, sorted_subjects[1:] != sorted_subjects[:-1]])
    spread = np.maximum.reduceat(Xs, starts, axis=0) - np.minimum.reduceat(Xs, starts, axis=0)
    return np.any(spread > 0, axis=0)


def finish(fit, problem, design: Design, X: np.ndarray, y: np.ndarray, subjects: np.ndarray,
           *, model: str, covariance: str, df_method: str, reml: bool, vcov: str, alpha: float, visits: list[str],
           n_excluded: int, covariance_matrix,
           covariance_frame: pd.DataFrame | None = None, sigma2: float = float("nan"),
           n_subjects_in_data: int | None = None, kr_structure: tuple[str, int] | None = None) -> MixedModelResult:
    """Turn an engine fit into a :class:`MixedModelResult` (shared by mmrm and lmm).

    Raises
    ------
    AnalysisError
        The fixed effects cannot be estimated at the fit (X'V^-1 X singular or not finite).
    """
    p = X.shape[1]
    try:
        if not np.all(np.isfinite(fit.M)):
            raise np.linalg.LinAlgError("not finite")
        C = np.linalg.inv(fit.M)
    except np.linalg.LinAlgError:
        raise AnalysisError("the fixed effects cannot be estimated: " + "; ".join(fit.messages)) from None
    dM = problem.derivative_of_M(fit.theta)
    dC = -np.einsum("ab,kbc,cd->kad", C, dM, C)
    try:
        theta_cov = 2 * np.linalg.inv(fit.hessian)
    except np.linalg.LinAlgError:
        theta_cov = np.full_like(fit.hessian, np.nan)
    if vcov == "empirical":
        pieces = problem.full(fit.theta)
        meat = np.zeros((p, p))
        for g in problem.groups:
            V, _ = g.project(pieces)
            for Xg, yg, W in zip(g.Xs, g.ys, np.linalg.inv(V)):
                scores = np.einsum("isa,st,it->ia", Xg, W, yg - Xg @ fit.beta)
                meat += scores.T @ scores
        cov_beta = C @ meat @ C
    elif vcov == "model":
        cov_beta = C
    else:
        raise AnalysisError("vcov must be 'model' or 'empirical'")
    kr = None
    if df_method == "kenward-roger":
        from trialkit.stats.mixed.kenward_roger import adjusted

        if kr_structure is None:
            raise AnalysisError("Kenward-Roger degrees of freedom are available for mmrm() only")
        pieces = adjusted({"structure": kr_structure[0], "t": kr_structure[1], "theta": fit.theta,
                           "theta_cov": theta_cov, "groups": problem.groups, "C": C})
        kr = (C, pieces["P"], pieces["W"])
        if vcov == "model":
            cov_beta = pieces["phi_a"]  # SAS DDFM=KR: standard errors from the adjusted covariance
    n_subjects = int(len(np.unique(subjects)))
    k = fit.theta.size
    n_par = k if reml else k + p
    deviance = fit.objective
    if covariance_frame is None:
        covariance_frame = pd.DataFrame(np.real(covariance_matrix(fit.theta)), index=visits, columns=visits)
    within = _within_columns(X, subjects)
    rank_between = np.linalg.matrix_rank(X[:, ~within]) if np.any(~within) else 0
    df_between = float(n_subjects - rank_between)
    df_within = float(len(y) - n_subjects - (p - rank_between))
    messages = fit.messages
    if not fit.converged:
        messages = messages + ("estimates are reported from the last iteration: do not rely on them",)
    return MixedModelResult(
        model=model, structure=covariance, df_method=df_method, reml=reml, vcov=vcov, alpha=alpha, design=design,
        beta=fit.beta, cov_beta=cov_beta, dcov_beta=dC, theta_cov=theta_cov, theta=fit.theta,
        covariance=covariance_frame, sigma2=sigma2, loglik=-deviance / 2, deviance=deviance, aic=deviance + 2 * n_par,
        bic=deviance + n_par * np.log(n_subjects_in_data or n_subjects), n_obs=int(len(y)), n_subjects=n_subjects, n_excluded=n_excluded,
        converged=fit.converged, messages=messages, within_columns=within, df_between=df_between,
        df_within=df_within, kenward_roger=kr,
    )
