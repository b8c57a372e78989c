"""Linear mixed model with subject-level random effects: y_i = X_i b + Z_i u_i + e_i,
u_i ~ N(0, G), e_i ~ N(0, s2 I), so V_i = Z_i G Z_i' + s2 I; fitted by the same engine as the MMRM."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialkit.errors import AnalysisError
from trialkit.stats.mixed import covariance as cov
from trialkit.stats.mixed.design import build
from trialkit.stats.mixed.engine import Group, Problem, maximise
from trialkit.stats.mixed.result import MixedModelResult, finish

DF_METHODS = ("satterthwaite", "residual", "between-within")


def _random_columns(random: str, data: pd.DataFrame) -> list[str]:
    """'1' -> intercept only; '1 + Days' -> intercept and slope on Days."""
    parts = [p.strip() for p in random.split("+")]
    if not parts or parts[0] != "1" or any(not p for p in parts):
        raise AnalysisError(f"random {random!r}: write '1' (random intercept) or '1 + x' (intercept and slope on x)")
    for name in parts[1:]:
        if name not in data.columns or not pd.api.types.is_numeric_dtype(data[name]):
            raise AnalysisError(f"random {random!r}: {name!r} must be a numeric column of the data")
    return parts[1:]


def lmm(data: pd.DataFrame, formula: str, *, subject: str, random: str = "1", reml: bool = True,
        df: str = "satterthwaite", alpha: float = 0.05) -> MixedModelResult:
    """Linear mixed model with a random intercept, or random intercept and slopes, per subject.

    Parameters
    ----------
    data : DataFrame
    formula : str
        Fixed effects, ``response ~ terms`` (patsy syntax, treatment coding).
    subject : str
        Grouping column of the random effects.
    random : str
        ``"1"`` for a random intercept, ``"1 + Days"`` for a random intercept and slope on Days with
        an unstructured 2 x 2 covariance (lme4's ``(1 + Days | subject)``).
    reml : bool
    df : {"satterthwaite", "residual", "between-within"}
        Satterthwaite df are computed as lmerTest does (observed information of the covariance parameters).

    Returns
    -------
    MixedModelResult
        ``covariance`` is G, labelled by random term; ``sigma2`` the residual variance.
    """
    if df not in DF_METHODS:
        raise AnalysisError(f"df {df!r}: choose one of {', '.join(DF_METHODS)}")
    if subject not in data.columns:
        raise AnalysisError(f"column {subject!r} is not in the data")
    slopes = _random_columns(random, data)
    y, X, design, used = build(data, formula)
    keep = (used & data[subject].notna() & data[slopes].notna().all(axis=1)).loc[data.loc[used].index].to_numpy()
    rows = data.loc[used].index[keep]
    y, X = y[keep], X[keep]
    # subjects as integer codes in the order of their names: sorting and comparing 100,000s of names is slow
    subjects = pd.factorize(data.loc[rows, subject].astype(str).to_numpy(), sort=True)[0]
    Z = np.column_stack([np.ones(len(rows)), *(data.loc[rows, s].to_numpy(dtype=float) for s in slopes)])
    q = Z.shape[1]
    order = np.argsort(subjects, kind="stable")
    subjects, y, X, Z = subjects[order], y[order], X[order], Z[order]
    starts = np.flatnonzero(np.r_[True, subjects[1:] != subjects[:-1]])
    sizes = np.diff(np.r_[starts, len(y)])
    # subjects whose random-effects design Z_i is the same share V_i: one group each
    patterns: dict[tuple, list[int]] = {}
    for i, (a, b) in enumerate(zip(starts, starts + sizes)):
        patterns.setdefault((b - a, Z[a:b].tobytes()), []).append(i)

    def projector(Zs: np.ndarray):  # Zs: G x t x q
        def project(pieces):
            G, dG, s2, ds2 = pieces
            eye = np.eye(Zs.shape[1])
            V = Zs @ G @ Zs.transpose(0, 2, 1) + s2 * eye
            dV = np.einsum("gsa,kab,gtb->gkst", Zs, dG, Zs) + ds2[None, :, None, None] * eye
            return V, dV
        return project

    def rows_of(members: list[int], size: int) -> np.ndarray:
        return starts[members][:, None] + np.arange(size)[None, :]

    by_size: dict[int, list[tuple]] = {}
    for key in patterns:
        by_size.setdefault(key[0], []).append(key)
    groups = []
    for size, keys in by_size.items():
        index = [rows_of(patterns[k], size) for k in keys]
        Zs = np.stack([Z[idx[0]] for idx in index])  # the shared Z of each pattern
        groups.append(Group([X[idx] for idx in index], [y[idx] for idx in index], projector(Zs), keys))
    n_g = q * (q + 1) // 2

    def full(theta):
        G, dG_part = cov.sigma_and_derivatives("us", theta[:n_g], q)
        s2 = np.exp(2 * theta[-1])
        dG = np.concatenate([dG_part, np.zeros((1, q, q))])
        ds2 = np.r_[np.zeros(n_g), 2 * s2]
        return G, dG, s2, ds2

    problem = Problem(groups, full, reml=reml)
    resid = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    if len(np.unique(subjects)) < 2:
        raise AnalysisError(f"{len(np.unique(subjects))} subject(s): a mixed model needs at least 2")
    if not np.any(np.abs(resid) > 1e-9 * max(1.0, float(np.max(np.abs(y))))):
        raise AnalysisError("the fixed effects fit every value exactly (for example, every value is the same): "
                            "no residual variance to estimate")
    means = pd.Series(resid).groupby(subjects).mean()
    start = cov.start("us", np.r_[max(means.var(), 1e-4 * resid.var()), np.full(q - 1, 1e-2 * resid.var())])
    fit = maximise(problem, np.r_[start, 0.5 * np.log(resid.var())])
    G_hat, _, s2_hat, _ = full(fit.theta)
    names = ["(Intercept)", *slopes]
    return finish(
        fit, problem, design, X, y, subjects,
        model="lmm", covariance=f"random: {random} | {subject}", df_method=df, reml=reml, vcov="model",
        alpha=alpha, visits=names, n_excluded=int(len(data) - len(y)), covariance_matrix=None,
        covariance_frame=pd.DataFrame(G_hat, index=names, columns=names), sigma2=float(s2_hat),
    )
