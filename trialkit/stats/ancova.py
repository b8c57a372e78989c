"""ANCOVA / ANOVA at one visit: response ~ arm + factors + covariates (+ interactions), by ordinary
least squares; LS means per arm, differences vs control and between arms, dose response, Type III."""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialkit.errors import AnalysisError
from trialkit.stats.arms import (INFERENCE, ArmComparison, arm_rows, comparison_tables, empty, model_frame,
                                 names_of)
from trialkit.stats.ols import ols


def _interaction_terms(interactions, declared: set[str]) -> list[tuple[str, ...]]:
    terms = []
    for item in interactions or ():
        parts = tuple(p.strip() for p in item.split(":")) if isinstance(item, str) else tuple(item)
        if len(parts) < 2:
            raise AnalysisError(f"interaction {item!r}: name two or more model columns, e.g. 'arm:site'")
        for name in parts:
            if name not in declared:
                raise AnalysisError(f"interaction {item!r}: {name!r} is not the arm, a factor or a covariate of the model")
        terms.append(parts)
    return terms


def _words(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe(kind: str, response: str, arm: str, factors: list[str], covariates: list[str],
             interactions: list[tuple[str, ...]]) -> str:
    """The model in words, e.g. 'analysis of covariance of CHG with TRTP and SITEGR1 as factors and BASE
    as a covariate'."""
    text = f"{kind} of {response} with {_words([arm, *factors])} as factors"
    if covariates:
        text += f" and {_words(covariates)} as {'a covariate' if len(covariates) == 1 else 'covariates'}"
    if interactions:
        text += ", with the interactions " + _words([" x ".join(t) for t in interactions])
    return text


def ancova(data: pd.DataFrame, response: str, arm: str, *, control: str, arms=None, factors=(), covariates=(),
           interactions=(), dose: str | None = None, subject: str | None = None, weights: str = "proportional",
           multiplicity: str = "none", alpha: float = 0.05) -> ArmComparison:
    """Analysis of covariance (or of variance, without covariates) of ``response`` at one visit.

    The model is ``response ~ arm + factors + covariates + interactions``, fitted by ordinary least
    squares (as R ``lm``, SAS PROC GLM). Every model column is declared: ``factors`` are categorical
    (their values taken as text, so a site code 701 is a level, never a slope), ``covariates``
    continuous (an error names a non-numeric value).

    Parameters
    ----------
    data : DataFrame
        One row per subject (the records of one visit).
    response : str
        Numeric column analysed (e.g. the change from baseline).
    arm : str
        Treatment column.
    control : str
        The control arm's value: every other arm is compared with it.
    arms : sequence of str, optional
        Display (plan) order of the arms, control included; default control first, then the others in
        natural order. A value of ``arm`` outside it is an error.
    factors, covariates : sequence of str
        Categorical and continuous model columns besides the arm.
    interactions : sequence of str or tuple
        Interaction terms, e.g. ``["TRTP:SITEGR1"]`` or ``[("TRTP", "SITEGR1")]``, among the arm, factors
        and covariates.
    dose : str, optional
        Numeric dose column (one value per arm): the dose-response test fits the same model with the dose
        as a continuous term in place of the arm (in the interactions too) and tests its slope.
    subject : str, optional
        Subject column: checked to appear once, and the n per arm counts subjects.
    weights : {"proportional", "equal"}
        LS means average over the other factors with weights proportional to their observed margins
        (SAS ``LSMEANS / OM``, emmeans ``weights = "proportional"``) or equally (SAS's default);
        covariates are held at their mean over the rows used.
    multiplicity : {"none", "holm", "hochberg", "bh", "fixed-sequence", "dunnett"}
        Adjustment of the arm-vs-control p-values (fixed sequence in ``arms`` order; Dunnett also gives
        simultaneous CIs).
    alpha : float
        1 - confidence level.

    Returns
    -------
    ArmComparison
        ``lsmeans`` (visit, arm, estimate, se, df, statistic, p_value, ci_lower, ci_upper),
        ``differences`` (visit, contrast, arm, reference, family, the same inference columns, and
        p_adjusted when adjusted), ``dose_response``, ``type3``, ``n``; visit is "" throughout. What
        cannot be estimated (an arm without data, a design of deficient rank) is NaN, the reason in
        ``notes``.

    Examples
    --------
    >>> frame = pd.DataFrame({"chg": [1.0, 2.0, 3.0, 2.0, 4.0, 6.0], "arm": ["P", "P", "P", "A", "A", "A"]})
    >>> r = ancova(frame, "chg", "arm", control="P")
    >>> d = r.differences.iloc[0]
    >>> d.contrast, round(float(d.estimate), 10), float(d.df)
    ('A - P', 2.0, 4.0)
    """
    factors, covariates = names_of(factors), names_of(covariates)
    mf = model_frame(data, response=response, arm=arm, control=control, arms=arms, factors=factors,
                     covariates=covariates, extra_numeric=[dose] if dose else [], keep=[subject] if subject else [])
    frame, order = mf.frame, mf.arms
    notes = list(mf.notes)
    if subject:
        dup = frame[subject].duplicated(keep=False)
        if dup.any():
            raise AnalysisError(f"subject {frame.loc[dup, subject].iloc[0]!r} has more than one row; an ANCOVA at "
                                "one visit needs one row per subject (check the record selection)")
    terms = _interaction_terms(interactions, {arm, *factors, *covariates})
    rhs = [arm, *factors, *covariates, *(":".join(t) for t in terms)]
    formula = f"{response} ~ {' + '.join(rhs)}"
    kind = "analysis of covariance" if covariates else "analysis of variance"
    description = describe(kind, response, arm, factors, covariates, terms)
    counts = frame.groupby(arm, observed=False)[subject].nunique() if subject else frame.groupby(arm, observed=False).size()
    n = pd.DataFrame({"visit": "", "arm": list(order), "n": [int(counts.get(a, 0)) for a in order]})
    if len(frame) == 0 or frame[arm].nunique() == 0:
        notes.append("no rows with complete data: nothing is estimable")
        fit = None
        rows = {("", a): None for a in order}
    else:
        fit = ols(frame, formula, alpha=alpha)
        if fit.rank < fit.beta.size:
            notes.append(f"the design has rank {fit.rank} < {fit.beta.size} columns (an empty cell or confounded "
                         "factors): what is not estimable is NaN")
        if not fit.df_resid > 0:
            notes.append("no residual degrees of freedom: nothing can be tested")
        rows = arm_rows(fit, arm=arm, arms=order, weights=weights)
    lsmeans, differences = comparison_tables(_NaNFit(alpha) if fit is None else fit, rows, arms=order,
                                             control=control, multiplicity=multiplicity)
    for a in lsmeans.loc[lsmeans["estimate"].isna(), "arm"]:
        if counts.get(a, 0) > 0:
            notes.append(f"the LS mean of arm {a!r} is not estimable in this model")
    dose_frame = empty(["visit", "term", *INFERENCE])
    if dose:
        dose_frame = _dose_response(frame, response, arm, dose, factors, covariates, terms, fit, alpha, weights, notes)
    type3 = fit.type3() if fit is not None else empty(["term", "num_df", "den_df", "statistic", "p_value"])
    average_columns = empty(["visit", "arm", *INFERENCE])
    return ArmComparison(
        model="ancova", description=description, formula=formula, response=response, arm=arm, control=control,
        arms=order, weights=weights, multiplicity=multiplicity, alpha=alpha, n=n, lsmeans=lsmeans,
        differences=differences, averages=average_columns, average_differences=empty(list(differences.columns)),
        dose_response=dose_frame, type3=type3, n_obs=int(len(frame)), n_excluded=mf.n_excluded,
        notes=tuple(notes), fit=fit)


class _NaNFit:
    """Stands in for a model that could not be fitted: every estimate is NaN."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self.beta = np.zeros(0)
        self.cov_beta = np.zeros((0, 0))

    def estimate(self, L) -> dict[str, float]:
        return dict.fromkeys(INFERENCE, np.nan)


def _dose_response(frame, response, arm, dose, factors, covariates, terms, fit, alpha, weights, notes) -> pd.DataFrame:
    spread = frame.groupby(arm, observed=True)[dose].nunique()
    several = spread[spread > 1]
    if len(several):
        raise AnalysisError(f"dose column {dose!r} takes several values in arm {several.index[0]!r}; the dose must be "
                            "one number per arm")
    swapped = [tuple(dose if v == arm else v for v in t) for t in terms]
    rhs = [dose, *factors, *covariates, *(":".join(t) for t in swapped)]
    row = {"visit": "", "term": dose, **dict.fromkeys(INFERENCE, np.nan)}
    if fit is not None and frame[dose].nunique() > 1:
        dose_fit = ols(frame, f"{response} ~ {' + '.join(rhs)}", alpha=alpha)
        # the slope of the dose; with an interaction of the dose (arm x site became dose x site) its coefficient is
        # the slope at the reference level or at 0 of the other term, so the slope is averaged as the LS means are
        row.update(dose_fit.estimate(dose_fit.trend_row(dose, weights=weights)))
    else:
        notes.append("the dose response is not estimable: fewer than two doses in the rows used")
    return pd.DataFrame([row], columns=["visit", "term", *INFERENCE])
