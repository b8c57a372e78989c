"""MMRM: fixed effects with an unstructured (or other) residual covariance within subject."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialkit.errors import AnalysisError
from trialkit.stats.mixed import covariance as cov
from trialkit.stats.mixed.design import build
from trialkit.stats.mixed.engine import Group, Problem, maximise
from trialkit.stats.mixed.result import MixedModelResult, finish

DF_METHODS = ("satterthwaite", "kenward-roger", "residual", "between-within")


def _visit_levels(column: pd.Series) -> list[str]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(c) for c in column.cat.categories]
    return sorted({str(v) for v in column.dropna()})


def mmrm(data: pd.DataFrame, formula: str, *, subject: str, visit: str, covariance: str = "us",
         df: str = "satterthwaite", reml: bool = True, weights: str | None = None,
         vcov: str = "model", alpha: float = 0.05) -> MixedModelResult:
    """Mixed model for repeated measures (residual covariance within subject).

    Parameters
    ----------
    data : DataFrame
        One row per subject x visit.
    formula : str
        ``response ~ fixed effects`` (patsy syntax), e.g. ``"FEV1 ~ RACE + SEX + ARMCD * AVISIT"``.
        Treatment coding; the first level of a pandas Categorical (else the sorted first) is the reference.
    subject, visit : str
        Columns identifying the subject and the visit. The visit's levels (Categorical order, else
        sorted) index the rows and columns of the covariance matrix.
    covariance : {"us", "toep", "csh", "cs", "ar1h", "ar1"}
    df : {"satterthwaite", "kenward-roger", "residual", "between-within"}
    reml : bool
        Restricted (True) or full maximum likelihood.
    weights : str, optional
        Column of positive weights w: Var(y_ij) = Sigma_jj / w_ij, as SAS's WEIGHT statement.
    vcov : {"model", "empirical"}
        Model-based or empirical (sandwich, SAS EMPIRICAL) covariance of the fixed effects.
    alpha : float
        1 - confidence level of the intervals.

    Returns
    -------
    MixedModelResult
        Rows with a missing response or covariate are left out and counted in ``n_excluded``.
    """
    if covariance not in cov.STRUCTURES:
        raise AnalysisError(f"covariance {covariance!r}: choose one of {', '.join(cov.STRUCTURES)}")
    if df not in DF_METHODS:
        raise AnalysisError(f"df {df!r}: choose one of {', '.join(DF_METHODS)}")
    for column in (subject, visit, *([weights] if weights else [])):
        if column not in data.columns:
            raise AnalysisError(f"column {column!r} is not in the data")
    visits = _visit_levels(data[visit])
    y, X, design, used = build(data, formula)
    keep = used & data[subject].notna() & data[visit].notna()
    if weights:
        keep &= data[weights].notna()
    rows = data.loc[used].index
    frame = pd.DataFrame({"subject": data.loc[rows, subject].astype(str).to_numpy(),
                          "visit": data.loc[rows, visit].astype(str).to_numpy()})
    sel = keep.loc[rows].to_numpy()
    frame, y, X = frame[sel].reset_index(drop=True), y[sel], X[sel]
    w = data.loc[rows, weights].to_numpy(dtype=float)[sel] if weights else np.ones(len(y))
    if np.any(w <= 0):
        raise AnalysisError(f"weights column {weights!r} must be positive")
    if frame.duplicated().any():
        dup = frame[frame.duplicated()].iloc[0]
        raise AnalysisError(f"subject {dup.subject!r} has two rows at visit {dup.visit!r}; an MMRM needs one per visit")
    unknown = set(frame.visit) - set(visits)
    if unknown:
        raise AnalysisError(f"visit levels {sorted(unknown)} are not among {visits}")
    t = len(visits)
    position = {v: i for i, v in enumerate(visits)}
    frame["pos"] = frame.visit.map(position)
    sw = np.sqrt(w)
    y_w, X_w = y * sw, X * sw[:, None]
    order = frame.sort_values(["subject", "pos"], kind="stable").index.to_numpy()
    frame = frame.loc[order].reset_index(drop=True)
    y_w, X_w = y_w[order], X_w[order]
    starts = np.flatnonzero(np.r_[True, frame.subject.to_numpy()[1:] != frame.subject.to_numpy()[:-1]])
    bounds = list(zip(starts, np.r_[starts[1:], len(frame)]))
    patterns: dict[tuple, list[tuple[int, int]]] = {}
    for a, b in bounds:
        patterns.setdefault(tuple(frame.pos.to_numpy()[a:b]), []).append((a, b))

    def projector(idx: np.ndarray):
        rows, cols = idx[:, :, None], idx[:, None, :]
        return lambda pieces: (pieces[0][rows, cols], np.moveaxis(pieces[1][:, rows, cols], 0, 1))

    groups = []
    by_size: dict[int, list[tuple]] = {}
    for key in sorted(patterns, key=lambda k: (-len(k), k)):
        by_size.setdefault(len(key), []).append(key)
    for size, keys in by_size.items():
        Xs = [np.stack([X_w[a:b] for a, b in patterns[key]]) for key in keys]
        ys = [np.stack([y_w[a:b] for a, b in patterns[key]]) for key in keys]
        groups.append(Group(Xs, ys, projector(np.array(keys)), keys))
    problem = Problem(groups, lambda theta: cov.sigma_and_derivatives(covariance, theta, t), reml=reml,
                      log_weights=float(np.sum(np.log(w))))
    # start from independent visits with the OLS residual variance at each visit
    beta_ols = np.linalg.lstsq(X_w, y_w, rcond=None)[0]
    resid = (y_w - X_w @ beta_ols)
    wide = pd.DataFrame({"s": frame.subject, "v": frame.pos, "r": resid}).pivot(index="s", columns="v", values="r")
    wide = wide.reindex(columns=range(t))
    moment = wide.cov(min_periods=2).to_numpy()  # pairwise-complete residual covariance
    variances = np.nan_to_num(np.diag(moment), nan=float(np.var(resid)))
    moment = None if np.isnan(moment).any() else moment
    fit = maximise(problem, cov.start(covariance, variances, moment))
    return finish(
        fit, problem, design, X_w, y_w, frame.subject.to_numpy(), frame.pos.to_numpy(),
        model="mmrm", covariance=covariance, df_method=df, reml=reml, vcov=vcov, alpha=alpha,
        visits=visits, n_excluded=int(len(data) - len(frame)),
        covariance_matrix=lambda theta: cov.sigma(covariance, theta, t),
        n_theta_labels=cov.labels(covariance, visits), data_for_margins=data.loc[rows[sel]],
    )
