"""LMM and MMRM analyses of the study -> rows of the results dataset.

lmm
    Per measure, ``value ~ visit + (1 | subject)`` over all visits (REML); the endpoint-minus-baseline
    contrast. With a subgroup S: ``value ~ visit * S + (1 | subject)``, the contrast within each level of S
    (Holm-adjusted across levels) and the visit x S interaction F test.
mmrm
    Per measure, ``change ~ base + visit`` at post-baseline visits, unstructured covariance (configurable,
    with a fallback chain), REML; the LS mean change at each visit. With a subgroup S:
    ``change ~ base + visit * S``, the LS mean change at the endpoint within each level of S (Holm-adjusted)
    and the visit x S interaction F test.

Every row carries a ``note`` naming, in words, the model, covariance structure and df method actually used,
and why a structure was abandoned. A model that cannot be fitted gives one row, stat ``converged`` = 0,
with the reason in ``note``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.errors import AnalysisError
from trialkit.results import words
from trialkit.results.contrasts import Contrast
from trialkit.results.groups import groups_of
from trialkit.results.rows import ArdRow
from trialkit.stats.mixed import lmm
from trialkit.stats.mixed.mmrm import mmrm_with_fallback
from trialkit.stats.multiplicity import holm

INFERENCE = ["estimate", "se", "df", "statistic", "p_value", "ci_lower", "ci_upper"]


def _categorical(frame: pd.DataFrame, column: str, levels: list[str]) -> pd.DataFrame:
    return frame.assign(**{column: pd.Categorical(frame[column], categories=levels)})


#: the inference of an estimate the model cannot give (a visit or level without data)
NOT_ESTIMABLE = pd.Series(float("nan"), index=INFERENCE)


def _inference(key: ArdRow, values, n: float, extra: tuple = ()) -> list[ArdRow]:
    return key.with_stats([("n", n), *((s, values[s]) for s in INFERENCE), *extra])


def _not_estimable(key: ArdRow, why: str) -> ArdRow:
    return key._replace(note=f"{key.note}; not estimable: {why}" if key.note else f"not estimable: {why}")


def _convergence_note(result, note: str) -> str:
    return note if result.converged else note + "; NOT CONVERGED: " + "; ".join(result.messages)


@dataclass(frozen=True)
class _Model:
    """What differs between the LMM and the MMRM."""

    analysis: str
    #: the visits modelled, in order
    visits: list[str]
    #: ``(data, subgroup or None) -> (fit, note)``; raises AnalysisError when the model cannot be fitted
    fit: Callable
    #: ``(fit, data, key row with the note) -> rows`` of the model of all subjects
    overall: Callable
    #: ``(fit, subgroup) -> one row per level``: the subgroup column and :data:`INFERENCE`
    by_level: Callable
    #: ``(data, subgroup) -> subjects per level``
    count: Callable
    #: the visit and contrast of the by-level rows
    visit: str
    contrast: Contrast


def _failed(key: ArdRow, exc: Exception) -> list[ArdRow]:
    return [key._replace(group="", stat="converged", value=0.0, note=f"not fitted: {exc}")]


def _by_subgroup(model: _Model, measure: str, data: pd.DataFrame, subgroup: str) -> list[ArdRow]:
    """The estimate within each level of ``subgroup`` (Holm-adjusted across levels) and the visit x subgroup
    interaction test, from the model with that interaction."""
    part = data[data[subgroup] != ""]
    part = _categorical(part, subgroup, [level for _, level, _ in groups_of(part, subgroup)])
    key = ArdRow(model.analysis, measure, subgroup, "")
    try:
        fit, note = model.fit(part, subgroup)
    except AnalysisError as exc:
        return _failed(key, exc)
    levels = list(part[subgroup].cat.categories)
    estimates = model.by_level(fit, subgroup).set_index(subgroup).reindex(levels)
    adjusted = dict(zip(levels, holm(estimates["p_value"])))
    counts = model.count(part, subgroup)
    rows = []
    for level, values in estimates.iterrows():
        at = key._replace(group=level, visit=model.visit, contrast=model.contrast, note=note)
        if values[INFERENCE].isna().all():
            at = _not_estimable(at, f"no estimate of {model.contrast.label} in {subgroup} {level}")
        rows += _inference(at, values, counts.get(level, 0), extra=(("p_adjusted", adjusted[level]),))
    test = fit.type3().set_index("term").loc[f"visit:{subgroup}"]
    interaction = key._replace(contrast=Contrast.interaction(subgroup), note=note)
    rows += interaction.with_stats([("statistic", test.statistic), ("num_df", test.num_df), ("df", test.den_df),
                                    ("p_value", test.p_value)])
    return rows


def _rows(model: _Model, frame: pd.DataFrame, config: StudyConfig) -> list[ArdRow]:
    """Per measure: the model of all subjects, then the model of each subgroup."""
    rows: list[ArdRow] = []
    for measure in config.measures:
        data = _categorical(frame[frame["measure"] == measure], "visit", model.visits)
        key = ArdRow(model.analysis, measure)
        try:
            result, note = model.fit(data, None)
        except AnalysisError as exc:
            rows += _failed(key, exc)
            continue
        rows += model.overall(result, data, key._replace(note=note))
        for subgroup in config.subjects.subgroups:
            rows += _by_subgroup(model, measure, data, subgroup)
    return rows


def _subjects(part: pd.DataFrame, subgroup: str) -> pd.Series:
    return part.groupby(subgroup, observed=True)["subject"].nunique()


def lmm_rows(values: pd.DataFrame, config: StudyConfig) -> list[ArdRow]:
    visits = config.visits
    df = config.models.lmm.df
    contrast = Contrast.change(visits.endpoint, visits.baseline)

    def fit(data: pd.DataFrame, subgroup: str | None):
        formula = "value ~ visit" + (f" * {subgroup}" if subgroup else "")
        result = lmm(data, formula, subject="subject", df=df, alpha=config.alpha)
        note = f"linear mixed model {formula} + (1 | subject), REML, {words.degrees_of_freedom(df)}"
        return result, _convergence_note(result, note)

    def by_level(result, subgroup: str) -> pd.DataFrame:
        diffs = result.pairwise("visit", by=subgroup)
        return diffs[diffs["contrast"] == _pairwise_label(contrast)]

    def overall(result, data: pd.DataFrame, key: ArdRow) -> list[ArdRow]:
        diffs = result.pairwise("visit").set_index("contrast")
        key = key._replace(contrast=contrast)
        label = _pairwise_label(contrast)
        if label in diffs.index:
            return _inference(key, diffs.loc[label], result.n_subjects)
        return _inference(_not_estimable(key, f"no values at {visits.endpoint} or {visits.baseline}"), NOT_ESTIMABLE,
                          result.n_subjects)

    return _rows(_Model("lmm", visits.order, fit, overall, by_level, _subjects, "", contrast), values, config)


def _pairwise_label(contrast: Contrast) -> str:
    """How :meth:`MixedModelResult.pairwise` names the difference of two visits ("later - earlier")."""
    visit, baseline = contrast.terms
    return f"{visit} - {baseline}"


def mmrm_rows(change: pd.DataFrame, config: StudyConfig) -> list[ArdRow]:
    visits = config.visits
    options = config.models.mmrm
    chain = tuple(dict.fromkeys([options.covariance, *options.fallback]))

    def fit(data: pd.DataFrame, subgroup: str | None):
        formula = "change ~ base + visit" + (f" * {subgroup}" if subgroup else "")
        result, attempts = mmrm_with_fallback(data, formula, subject="subject", visit="visit", chain=chain,
                                              df=options.df, alpha=config.alpha)
        note = (f"MMRM {formula}, {words.covariance(result.structure)}, REML, "
                f"{words.degrees_of_freedom(options.df)}")
        abandoned = [f"{words.covariance(a.covariance)} not used: {a.reason}" for a in attempts if not a.converged]
        if abandoned:
            note += " (" + "; ".join(abandoned) + ")"
        return result, _convergence_note(result, note)

    def by_level(result, subgroup: str) -> pd.DataFrame:
        ls = result.lsmeans("visit", by=subgroup)
        return ls[ls["visit"] == visits.endpoint]

    def at_endpoint(part: pd.DataFrame, subgroup: str) -> pd.Series:
        return _subjects(part[part["visit"] == visits.endpoint], subgroup)

    def overall(result, data: pd.DataFrame, key: ArdRow) -> list[ArdRow]:
        """The LS mean change at each visit, and whether the model converged."""
        counts = data.groupby("visit", observed=True)["subject"].nunique()
        lsmeans = result.lsmeans("visit").set_index("visit")
        rows = []
        for visit in visits.post_baseline:
            at = key._replace(visit=visit, contrast=Contrast.change(visit, visits.baseline))
            if visit in lsmeans.index:
                rows += _inference(at, lsmeans.loc[visit], counts.get(visit, 0))
            else:
                rows += _inference(_not_estimable(at, f"no change from {visits.baseline} at {visit}"), NOT_ESTIMABLE, 0)
        return rows + [key._replace(stat="converged", value=float(result.converged))]

    return _rows(_Model("mmrm", visits.post_baseline, fit, overall, by_level, at_endpoint, visits.endpoint,
                        Contrast.change(visits.endpoint, visits.baseline)), change, config)
