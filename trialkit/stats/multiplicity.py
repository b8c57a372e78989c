"""Multiplicity: adjusted p-values (Holm, Hochberg, Benjamini-Hochberg by statsmodels' ``multipletests``;
fixed-sequence testing in plan order) and Dunnett's many-to-one comparisons with simultaneous CIs.

Dunnett's adjustment needs the distribution of max_j |T_j| for the k contrasts' t statistics, a
k-variate t with the contrasts' correlation R and the model's df. It is computed here by
deterministic quadrature (no Monte Carlo, so that a rerun gives the same bytes):

    P(max_j |T_j| <= c) = E_S[ P(|Z_j| <= c S for all j) ],   Z ~ N(0, R),  S = sqrt(chi2_df / df),

the outer expectation by Gauss-Legendre panels over the quantiles of S, the inner rectangle
probability by conditioning along the Cholesky factor of R (Gauss-Legendre nodes on each conditional
interval, the last dimension in closed form). Accurate to about 1e-9 in probability for up to 4
contrasts, correlations up to 0.9 and quantiles up to 6 (the tests compare it with the exact
one-dimensional formula for product correlations and with R's multcomp/mvtnorm); more than 4
contrasts are refused (the cost grows as nodes^(k-1)): use Holm or Hochberg there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from trialkit.errors import AnalysisError

#: p-value adjustments of :func:`adjust`, with the statsmodels ``multipletests`` method used
METHODS = {"none": None, "holm": "holm", "hochberg": "simes-hochberg", "bh": "fdr_bh", "fixed-sequence": None}

#: Gauss-Legendre nodes per conditioning dimension, by number of contrasts (cost grows as nodes^(k-1))
_NODES = {2: 64, 3: 40, 4: 32}
MAX_DUNNETT = max(_NODES)
# panels of the outer integral over S, at these quantiles of S (12 Gauss-Legendre nodes each)
_S_QUANTILES = (1e-15, 1e-9, 1e-5, 1e-3, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98, 0.999, 1 - 1e-5, 1 - 1e-9, 1 - 1e-15)
_CLIP = 8.0  # |y| beyond 8 carries about 1e-15 of a standard normal's mass


def adjust(p_values, *, method: str = "holm") -> np.ndarray:
    """Adjusted p-values; NaN (not estimable) stays NaN and does not count among the hypotheses.

    Parameters
    ----------
    p_values : array-like of float
    method : {"none", "holm", "hochberg", "bh", "fixed-sequence"}
        Holm's step-down, Hochberg's step-up (R ``p.adjust`` "hochberg"), Benjamini-Hochberg false
        discovery rate (R "BH"), all by statsmodels ``multipletests``; or fixed-sequence testing in the
        order given (:func:`fixed_sequence`).

    Examples
    --------
    >>> adjust([0.01, 0.04, 0.03], method="hochberg").tolist()
    [0.03, 0.04, 0.04]
    """
    if method not in METHODS:
        raise AnalysisError(f"multiplicity {method!r}: choose one of {', '.join(METHODS)}")
    p = np.asarray(p_values, dtype=float)
    if method == "none":
        return p.copy()
    if method == "fixed-sequence":
        return fixed_sequence(p)
    from statsmodels.stats.multitest import multipletests

    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method=METHODS[method])[1]
    return out


def holm(p_values) -> np.ndarray:
    """Holm's step-down adjusted p-values, as R ``p.adjust(p, method = "holm")``; NaN stays NaN.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).tolist()
    [0.03, 0.06, 0.06]
    """
    return adjust(p_values, method="holm")


def fixed_sequence(p_values) -> np.ndarray:
    """Fixed-sequence (hierarchical) testing in the order given: hypothesis i is rejected at level alpha
    when it and every earlier one have p <= alpha, so its adjusted p-value is max(p_1, ..., p_i).

    A NaN (not estimable) ends the sequence: it and every later hypothesis get NaN (not tested).

    Examples
    --------
    >>> fixed_sequence([0.01, 0.04, 0.03, 0.2]).tolist()
    [0.01, 0.04, 0.04, 0.2]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.maximum.accumulate(p) if p.size else p.copy()
    broken = np.cumsum(np.isnan(p)) > 0
    out[broken] = np.nan
    return out


@dataclass(frozen=True)
class DunnettResult:
    """k contrasts (each arm vs control) with Dunnett-adjusted p-values and simultaneous CIs.

    Attributes
    ----------
    contrasts : tuple of str
    estimate, se, statistic, p_value : ndarray
        Per contrast; ``p_value`` unadjusted (two-sided t).
    p_adjusted : ndarray
        P(max_j |T_j| >= |t_i|) under the k-variate t with the contrasts' correlation.
    ci_lower, ci_upper : ndarray
        Simultaneous (1 - alpha) intervals: estimate -/+ critical x se.
    critical : float
        The (1 - alpha) quantile of max_j |T_j|.
    df : float
        Degrees of freedom of the multivariate t (inf: normal).
    correlation : ndarray
        k x k correlation of the contrasts' estimates.
    """

    contrasts: tuple[str, ...]
    estimate: np.ndarray
    se: np.ndarray
    statistic: np.ndarray
    p_value: np.ndarray
    p_adjusted: np.ndarray
    ci_lower: np.ndarray
    ci_upper: np.ndarray
    critical: float
    df: float
    correlation: np.ndarray
    alpha: float = 0.05

    def to_frame(self) -> pd.DataFrame:
        """Long form: ``contrast, stat, value`` with stats estimate, se, df, statistic, p_value,
        p_adjusted, ci_lower, ci_upper (simultaneous), critical."""
        rows = []
        for i, name in enumerate(self.contrasts):
            for stat in ("estimate", "se", "df", "statistic", "p_value", "p_adjusted", "ci_lower", "ci_upper", "critical"):
                value = getattr(self, stat)
                rows.append((name, stat, float(value if np.ndim(value) == 0 else value[i])))
        return pd.DataFrame(rows, columns=["contrast", "stat", "value"])


def _gauss_legendre(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(n)


def _phi(x):
    return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def _big_phi(x):
    return special.ndtr(x)


def _rectangle(chol: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """P(|Z_j| <= b for all j), Z = chol @ (independent standard normals), for each b in ``bounds``."""
    k = chol.shape[0]
    b = bounds[:, None]
    if k == 1:
        return (_big_phi(b / chol[0, 0]) - _big_phi(-b / chol[0, 0]))[:, 0]
    x, gw = _gauss_legendre(_NODES[k])
    weight = np.ones((bounds.size, 1))
    ys: list[np.ndarray] = []
    for j in range(k):
        shift = sum((chol[j, m] * ys[m] for m in range(j)), np.zeros_like(weight))
        lo = np.clip((-b - shift) / chol[j, j], -_CLIP, _CLIP)
        hi = np.clip((b - shift) / chol[j, j], -_CLIP, _CLIP)
        if j == k - 1:
            return np.sum(weight * (_big_phi(hi) - _big_phi(lo)), axis=1)
        half, mid = (hi - lo) / 2, (hi + lo) / 2
        y = mid[..., None] + half[..., None] * x                      # bounds x points x nodes
        weight = (weight[..., None] * half[..., None] * gw * _phi(y)).reshape(bounds.size, -1)
        ys = [np.repeat(prev, x.size, axis=1) for prev in ys] + [y.reshape(bounds.size, -1)]
    raise AssertionError("unreachable")


def _s_quadrature(df: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of E[g(S)], S = sqrt(chi2_df / df)."""
    if not np.isfinite(df):
        return np.ones(1), np.ones(1)
    x, gw = _gauss_legendre(12)
    edges = stats.chi.ppf(np.array(_S_QUANTILES), df) / np.sqrt(df)
    nodes, weights = [], []
    for a, c in zip(edges[:-1], edges[1:]):
        s = (a + c) / 2 + (c - a) / 2 * x
        nodes.append(s)
        weights.append((c - a) / 2 * gw * np.sqrt(df) * stats.chi.pdf(s * np.sqrt(df), df))
    return np.concatenate(nodes), np.concatenate(weights)


def max_abs_t_cdf(c, correlation, df: float) -> np.ndarray:
    """P(max_j |T_j| <= c) for a k-variate t with correlation ``correlation`` and ``df`` degrees of
    freedom (inf: normal), at each c.

    Examples
    --------
    >>> exact = 1 - 2 * stats.t.sf(2.0, 10)  # one contrast: the t distribution
    >>> bool(abs(max_abs_t_cdf(2.0, [[1.0]], 10)[0] - exact) < 1e-12)
    True
    """
    R = np.asarray(correlation, dtype=float)
    k = R.shape[0]
    if k > MAX_DUNNETT:
        raise AnalysisError(f"Dunnett's adjustment is computed for up to {MAX_DUNNETT} comparisons, not {k}; "
                            "use Holm's or Hochberg's")
    chol = np.linalg.cholesky(R)
    c = np.atleast_1d(np.asarray(c, dtype=float))
    s, w = _s_quadrature(df)
    out = np.array([float(w @ _rectangle(chol, ci * s)) for ci in c])
    return np.clip(out, 0.0, 1.0)


def dunnett(estimate, cov, *, df: float = np.inf, alpha: float = 0.05, contrasts=None) -> DunnettResult:
    """Dunnett's many-to-one adjustment of k contrasts of a linear model (each arm vs control).

    Parameters
    ----------
    estimate : array-like, k
        The contrasts' estimates.
    cov : array-like, k x k
        Their covariance (K cov(beta) K' for contrast rows K).
    df : float
        Degrees of freedom of the t statistics (the residual df of an OLS model; inf for normal).
    alpha : float
        1 - simultaneous confidence level.
    contrasts : sequence of str, optional
        Names of the contrasts.

    Returns
    -------
    DunnettResult
        As R ``summary(glht(fit, linfct = mcp(arm = "Dunnett")))`` and its ``confint`` (which use
        randomised quasi-Monte Carlo; here the same quantities by deterministic quadrature).

    Examples
    --------
    >>> r = dunnett([1.0, 2.0], [[1.0, 0.5], [0.5, 1.0]])
    >>> bool(r.p_adjusted[1] > r.p_value[1]), round(r.critical, 3)
    (True, 2.212)
    """
    est = np.asarray(estimate, dtype=float)
    V = np.atleast_2d(np.asarray(cov, dtype=float))
    names = tuple(contrasts) if contrasts is not None else tuple(f"c{i + 1}" for i in range(est.size))
    ok = np.isfinite(est) & np.isfinite(np.diag(V))
    if not ok.all():  # a contrast that is not estimable is left out of the family; its values stay NaN
        part = dunnett(est[ok], V[np.ix_(ok, ok)], df=df, alpha=alpha) if ok.any() else None
        nan = np.full(est.size, np.nan)
        fields = {}
        for name in ("estimate", "se", "statistic", "p_value", "p_adjusted", "ci_lower", "ci_upper"):
            values = nan.copy()
            if part is not None:
                values[ok] = getattr(part, name)
            fields[name] = values
        corr = np.full(V.shape, np.nan)
        if part is not None:
            corr[np.ix_(ok, ok)] = part.correlation
        return DunnettResult(contrasts=names, **fields, critical=part.critical if part else np.nan, df=float(df),
                             correlation=corr, alpha=alpha)
    k = est.size
    se = np.sqrt(np.diag(V))
    t = est / se
    df = float(df)
    p_raw = 2 * stats.t.sf(np.abs(t), df) if np.isfinite(df) else 2 * stats.norm.sf(np.abs(t))
    R = V / np.outer(se, se)
    target = 1 - alpha
    lo = stats.t.ppf(1 - alpha / 2, df) if np.isfinite(df) else stats.norm.ppf(1 - alpha / 2)
    hi = stats.t.ppf(1 - alpha / (2 * k), df) if np.isfinite(df) else stats.norm.ppf(1 - alpha / (2 * k))
    if k == 1:
        crit = float(lo)
    else:
        crit = float(optimize.brentq(lambda c: max_abs_t_cdf(c, R, df)[0] - target, lo * (1 - 1e-9), hi * (1 + 1e-9),
                                     xtol=1e-12, rtol=1e-14))
    p_adj = np.maximum(1 - max_abs_t_cdf(np.abs(t), R, df), p_raw)
    return DunnettResult(contrasts=names, estimate=est, se=se, statistic=t, p_value=p_raw, p_adjusted=np.minimum(p_adj, 1.0),
                         ci_lower=est - crit * se, ci_upper=est + crit * se, critical=crit, df=df, correlation=R,
                         alpha=alpha)
