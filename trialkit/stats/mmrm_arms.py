"""MMRM by arm: response ~ arm * visit + baseline * visit + factors + covariates, fitted by
:func:`trialkit.stats.mmrm`; LS means per arm per visit, each arm - control per visit, and the
visit-averaged LS means and differences."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialkit.errors import AnalysisError
from trialkit.stats.ancova import _NaNFit, _words
from trialkit.stats.arms import INFERENCE, ArmComparison, arm_rows, as_text, comparison_tables, empty, model_frame, names_of

COVARIANCE_WORDS = {"us": "unstructured", "toep": "Toeplitz", "csh": "heterogeneous compound symmetry",
                    "cs": "compound symmetry", "ar1h": "heterogeneous AR(1)", "ar1": "AR(1)"}


def mmrm_by_arm(data: pd.DataFrame, response: str, arm: str, *, visit: str, subject: str, control: str, arms=None,
                visits=None, baseline: str | None = None, factors=(), covariates=(), covariance="us",
                df: str = "kenward-roger", weights: str = "proportional", multiplicity: str = "none",
                alpha: float = 0.05) -> ArmComparison:
    """Mixed model for repeated measures comparing arms at every post-baseline visit.

    The model is ``response ~ arm * visit + baseline * visit + factors + covariates`` with an unstructured
    (or other) residual covariance within subject, REML (as SAS PROC MIXED with REPEATED / TYPE=UN, and
    R ``nlme::gls`` with ``corSymm`` + ``varIdent``).

    Parameters
    ----------
    data : DataFrame
        One row per subject and post-baseline visit.
    response, arm, visit, subject : str
        Columns. The arm and visit are factors; ``baseline`` and ``covariates`` continuous; ``factors``
        categorical (their values as text).
    control : str
        The control arm.
    arms : sequence of str, optional
        Display order of the arms, control included (default: control, then natural order).
    visits : sequence of str, optional
        Visit order (default natural order); a visit outside it is an error.
    baseline : str, optional
        Baseline value column, in the model with its interaction with visit.
    factors, covariates : sequence of str
        Further categorical and continuous terms (main effects).
    covariance : str or tuple of str
        ``"us"`` (default), ``"toep"``, ``"csh"``, ``"cs"``, ``"ar1h"``, ``"ar1"``; a tuple is a
        fallback chain (the first structure that converges is used, see ``mmrm_with_fallback``).
    df : {"kenward-roger", "satterthwaite", "residual", "between-within"}
    weights : {"proportional", "equal"}
        Averaging of LS means over the other factors (covariates at their mean). Visit-averaged LS means
        weight every visit equally.
    multiplicity : {"none", "holm", "hochberg", "bh", "fixed-sequence", "dunnett"}
        Adjustment of the arm-vs-control family at each visit (Dunnett with the smallest df of the family).
    alpha : float

    Returns
    -------
    ArmComparison
        ``lsmeans`` and ``differences`` per visit, ``averages`` and ``average_differences`` over visits,
        ``type3``, ``n`` (subjects per arm at each visit, and overall with visit ""). A model that cannot
        be fitted or does not converge gives NaN everywhere, the reason in ``notes``.
    """
    factors, covariates = names_of(factors), names_of(covariates)
    if visit not in data.columns:
        raise AnalysisError(f"visit {visit!r} is not a column of the data")
    data = data.copy()
    if visits is not None:
        order = [str(v) for v in visits]
        text = as_text(data[visit])
        unknown = sorted(set(text.dropna()) - set(order))
        if unknown:
            raise AnalysisError(f"visit column {visit!r} holds {unknown}, which are not among the visits {order}")
        data[visit] = pd.Categorical(text, categories=order)
    numeric = [baseline] if baseline else []
    mf = model_frame(data, response=response, arm=arm, control=control, arms=arms, factors=factors,
                     covariates=covariates, extra_factors=[visit], extra_numeric=numeric, keep=[subject])
    frame, order = mf.frame.copy(), mf.arms
    frame[visit] = frame[visit].cat.remove_unused_categories()  # a visit without data has no covariance row
    notes = list(mf.notes)
    rhs = [f"{arm} * {visit}", *([f"{baseline} * {visit}"] if baseline else []), *factors, *covariates]
    formula = f"{response} ~ {' + '.join(rhs)}"
    chain = tuple(covariance) if isinstance(covariance, (tuple, list)) else (covariance,)
    visit_levels = [str(v) for v in frame[visit].cat.categories if (frame[visit] == v).any()]
    n = _counts(frame, arm, visit, subject, order, visit_levels)
    fit = None
    try:
        from trialkit.stats.mixed.mmrm import mmrm, mmrm_with_fallback

        options = {"subject": subject, "visit": visit, "df": df, "alpha": alpha}
        if len(chain) == 1:
            fit = mmrm(frame, formula, covariance=chain[0], **options)
        else:
            fit, attempts = mmrm_with_fallback(frame, formula, chain=chain, **options)
            notes += [f"{a.covariance} covariance not used: {a.reason}" for a in attempts if not a.converged]
    except AnalysisError as exc:
        notes.append(f"the model could not be fitted: {exc}")
    if fit is not None and not fit.converged:
        notes.append("the model did not converge: " + "; ".join(fit.messages))
        fit = None
    structure = fit.structure if fit is not None else chain[0]
    factor_terms = [arm, visit, f"{arm} x {visit}", *factors]
    description = (f"mixed model for repeated measures of {response} with {_words(factor_terms)} as factors"
                   + (f" and {_words([baseline, f'{baseline} x {visit}', *covariates])} as covariates" if baseline
                      else (f" and {_words(covariates)} as covariates" if covariates else ""))
                   + f"; {COVARIANCE_WORDS.get(structure, structure)} covariance within subject, REML, {df} df")
    if fit is None:
        stand_in = _NaNFit(alpha)
        rows = {(v, a): None for v in visit_levels for a in order}
        averages = {("", a): None for a in order}
    else:
        stand_in = fit
        rows = arm_rows(fit, arm=arm, arms=order, weights=weights, by=visit)
        averages = {}
        for a in order:
            per_visit = [rows[(v, a)] for v in fit.design.factors[visit]]
            averages[("", a)] = None if any(r is None for r in per_visit) else np.mean(per_visit, axis=0)
    lsmeans, differences = comparison_tables(stand_in, rows, arms=order, control=control, multiplicity=multiplicity)
    avg, avg_diff = comparison_tables(stand_in, averages, arms=order, control=control, multiplicity=multiplicity)
    type3 = fit.type3() if fit is not None else empty(["term", "num_df", "den_df", "statistic", "p_value"])
    return ArmComparison(
        model="mmrm", description=description, formula=formula, response=response, arm=arm, control=control,
        arms=order, weights=weights, multiplicity=multiplicity, alpha=alpha, n=n, lsmeans=lsmeans,
        differences=differences, averages=avg, average_differences=avg_diff,
        dose_response=empty(["visit", "term", *INFERENCE]), type3=type3,
        n_obs=int(fit.n_obs) if fit is not None else int(len(frame)), n_excluded=mf.n_excluded, notes=tuple(notes),
        fit=fit)


def _counts(frame, arm, visit, subject, order, visit_levels) -> pd.DataFrame:
    by_visit = frame.groupby([visit, arm], observed=True)[subject].nunique()
    overall = frame.groupby(arm, observed=True)[subject].nunique()
    rows = [{"visit": v, "arm": a, "n": int(by_visit.get((v, a), 0))} for v in visit_levels for a in order]
    rows += [{"visit": "", "arm": a, "n": int(overall.get(a, 0))} for a in order]
    return pd.DataFrame(rows, columns=["visit", "arm", "n"])
