"""MMRM: fixed effects with an unstructured (or other) residual covariance within subject."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from trialkit.errors import AnalysisError
from trialkit.stats.mixed import covariance as cov
from trialkit.stats.mixed.design import Design, build
from trialkit.stats.mixed.engine import Group, Problem, maximise
from trialkit.stats.mixed.result import MixedModelResult, finish

DF_METHODS = ("satterthwaite", "kenward-roger", "residual", "between-within")


def _visit_levels(column: pd.Series) -> list[str]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(c) for c in column.cat.categories]
    return sorted({str(v) for v in column.dropna()})


@dataclass(frozen=True)
class _Prepared:
    problem: Problem
    design: Design
    X: np.ndarray
    y: np.ndarray
    subjects: np.ndarray
    visits: list[str]
    start: np.ndarray


def _prepare(data: pd.DataFrame, formula: str, *, subject: str, visit: str, covariance: str = "us",
             reml: bool = True, weights: str | None = None) -> _Prepared:
    """Data -> the likelihood to maximise (subjects grouped by missingness pattern) and a start."""
    if covariance not in cov.STRUCTURES:
        raise AnalysisError(f"covariance {covariance!r}: choose one of {', '.join(cov.STRUCTURES)}")
    for column in (subject, visit, *([weights] if weights else [])):
        if column not in data.columns:
            raise AnalysisError(f"column {column!r} is not in the data")
    visits = _visit_levels(data[visit])
    y, X, design, used = build(data, formula)
    keep = used & data[subject].notna() & data[visit].notna()
    if weights:
        keep &= data[weights].notna()
    rows = data.loc[used].index
    sel = keep.loc[rows].to_numpy()
    subjects = np.asarray(data.loc[rows, subject].to_numpy(dtype=object)[sel].astype(str))
    visit_text = np.asarray(data.loc[rows, visit].to_numpy(dtype=object)[sel].astype(str))
    y, X = y[sel], X[sel]
    w = data.loc[rows, weights].to_numpy(dtype=float)[sel] if weights else np.ones(len(y))
    if np.any(w <= 0):
        raise AnalysisError(f"weights column {weights!r} must be positive")
    unknown = set(visit_text) - set(visits)
    if unknown:
        raise AnalysisError(f"visit levels {sorted(unknown)} are not among {visits}")
    t = len(visits)
    positions = pd.Categorical(visit_text, categories=visits).codes.astype(int)
    # subjects as integer codes in the order of their names: sorting and comparing 100,000s of names is slow
    subject_codes, subject_names = pd.factorize(subjects, sort=True)
    pair = subject_codes * t + positions
    if len(np.unique(pair)) < len(pair):
        values, counts = np.unique(pair, return_counts=True)
        dup = values[counts > 1][0]
        raise AnalysisError(f"subject {subject_names[dup // t]!r} has two rows at visit {visits[dup % t]!r}; "
                            "an MMRM needs one per visit")
    # weights as SAS's WEIGHT statement: Var = Sigma / w, i.e. Sigma for the rescaled y and X
    sw = np.sqrt(w)
    order = np.lexsort((positions, subject_codes))
    subjects, positions = subject_codes[order], positions[order]
    y_w, X_w = (y * sw)[order], (X * sw[:, None])[order]
    starts = np.flatnonzero(np.r_[True, subjects[1:] != subjects[:-1]])
    n_subjects = len(starts)
    subject_index = np.repeat(np.arange(n_subjects), np.diff(np.r_[starts, len(y_w)]))
    # Every pattern is padded to all t visits so that one batch of array operations serves them all: a
    # missing visit gets zero data, a unit variance uncorrelated with the rest and no derivative, so it
    # adds nothing to the likelihood (log 1 = 0), its gradient, the information or the sandwich.
    X_pad = np.zeros((n_subjects, t, X_w.shape[1]))
    y_pad = np.zeros((n_subjects, t))
    observed = np.zeros((n_subjects, t), dtype=bool)
    X_pad[subject_index, positions] = X_w
    y_pad[subject_index, positions] = y_w
    observed[subject_index, positions] = True
    # each missingness pattern as a number whose bits are the visits, the first visit the highest bit: the
    # patterns come out in the order of the rows of observed (np.unique(observed, axis=0)), at integer speed
    if t <= 62:
        bits = np.left_shift(1, np.arange(t - 1, -1, -1, dtype=np.int64))
        codes, pattern_of = np.unique(observed @ bits, return_inverse=True)
        keys = (codes[:, None] & bits) > 0
    else:  # more visits than bits in a number
        keys, pattern_of = np.unique(observed, axis=0, return_inverse=True)
    order_by_pattern = np.argsort(pattern_of, kind="stable")
    cuts = np.flatnonzero(np.r_[True, np.diff(pattern_of[order_by_pattern]) != 0])
    Xs = np.split(X_pad[order_by_pattern], cuts[1:])
    ys = np.split(y_pad[order_by_pattern], cuts[1:])
    mask = keys.astype(float)
    both = mask[:, :, None] * mask[:, None, :]
    pad = np.eye(t)[None] * (1 - mask)[:, :, None]

    def project(pieces):
        sigma, d_sigma = pieces
        return sigma[None] * both + pad, d_sigma[None] * both[:, None]

    group = Group(Xs, ys, project, [tuple(np.flatnonzero(k)) for k in keys])
    group.mask = mask
    problem = Problem([group], lambda theta: cov.sigma_and_derivatives(covariance, theta, t), reml=reml,
                      log_weights=float(np.sum(np.log(w))), n_obs=len(y_w))
    # start: the pairwise-complete covariance of the OLS residuals (unstructured), else their variances
    resid = y_w - X_w @ np.linalg.lstsq(X_w, y_w, rcond=None)[0]
    if len(np.unique(subjects)) < 2:
        raise AnalysisError(f"{len(np.unique(subjects))} subject(s): a mixed model needs at least 2")
    if not np.any(np.abs(resid) > 1e-9 * max(1.0, float(np.max(np.abs(y_w))))):
        raise AnalysisError("the fixed effects fit every value exactly (for example, every value is the same): "
                            "no residual variance to estimate")
    wide = np.full((len(starts), t), np.nan)
    wide[subject_index, positions] = resid
    moment = pd.DataFrame(wide).cov(min_periods=2).to_numpy()  # pairwise-complete
    variances = np.nan_to_num(np.diag(moment), nan=float(np.var(resid)))
    start = cov.start(covariance, variances, None if np.isnan(moment).any() else moment)
    return _Prepared(problem, design, X_w, y_w, subjects, visits, start)


def _problem_for(data: pd.DataFrame, formula: str, **kwargs) -> Problem:
    """The (restricted) likelihood of an MMRM, without fitting it (for checks against other software)."""
    return _prepare(data, formula, **kwargs).problem


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
    if df not in DF_METHODS:
        raise AnalysisError(f"df {df!r}: choose one of {', '.join(DF_METHODS)}")
    prep = _prepare(data, formula, subject=subject, visit=visit, covariance=covariance, reml=reml, weights=weights)
    fit = maximise(prep.problem, prep.start)
    t = len(prep.visits)
    return finish(
        fit, prep.problem, prep.design, prep.X, prep.y, prep.subjects,
        model="mmrm", covariance=covariance, df_method=df, reml=reml, vcov=vcov, alpha=alpha,
        visits=prep.visits, n_excluded=int(len(data) - len(prep.y)),
        covariance_matrix=lambda theta: cov.sigma(covariance, theta, t),

        n_subjects_in_data=int(data[subject].nunique()), kr_structure=(covariance, t),
    )


@dataclass(frozen=True)
class Attempt:
    """One covariance structure tried by :func:`mmrm_with_fallback` and what became of it."""

    covariance: str
    converged: bool
    reason: str


def mmrm_with_fallback(data: pd.DataFrame, formula: str, *, subject: str, visit: str,
                       chain: tuple[str, ...] = ("us", "toep", "ar1", "cs"), **options) -> tuple[MixedModelResult, tuple[Attempt, ...]]:
    """Fit the first covariance structure of ``chain`` that converges.

    Returns
    -------
    result : MixedModelResult
        The first converged fit; if none converges, the last attempt's fit, with ``converged`` False.
    attempts : tuple of Attempt
        Every structure tried, in order, and why it was given up.
    """
    attempts = []
    result = None
    for structure in chain:
        try:
            result = mmrm(data, formula, subject=subject, visit=visit, covariance=structure, **options)
        except AnalysisError as exc:
            attempts.append(Attempt(structure, False, str(exc)))
            continue
        reason = "converged" if result.converged else "; ".join(result.messages[1:] or result.messages)
        attempts.append(Attempt(structure, result.converged, reason))
        if result.converged:
            break
    if result is None:
        raise AnalysisError("no covariance structure could be fitted: " +
                            "; ".join(f"{a.covariance}: {a.reason}" for a in attempts))
    return result, tuple(attempts)
