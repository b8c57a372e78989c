"""LMM and MMRM analyses of the study -> rows of the results dataset.

lmm
    Per measure, ``value ~ visit + (1 | subject)`` over all visits (REML); the endpoint-minus-
    baseline contrast. With a subgroup S: ``value ~ visit * S + (1 | subject)``, the contrast within
    each level of S (Holm-adjusted across levels) and the visit x S interaction F test.
mmrm
    Per measure, ``change ~ baseline + visit`` at post-baseline visits, unstructured covariance
    (configurable, with a fallback chain), REML; the LS mean change at each visit. With a subgroup S:
    ``change ~ baseline + visit * S``, the LS mean change at the endpoint within each level of S
    (Holm-adjusted) and the visit x S interaction F test.

Every row carries a ``note`` naming the model, covariance structure and df method actually used,
and why a structure was abandoned. A model that cannot be fitted gives one row, stat ``converged``
= 0, with the reason in ``note``.
"""

from __future__ import annotations

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.errors import AnalysisError
from trialkit.results import groups_of
from trialkit.stats.mixed import lmm
from trialkit.stats.mixed.mmrm import mmrm_with_fallback
from trialkit.stats.multiplicity import holm

INFERENCE = ["estimate", "se", "df", "statistic", "p_value", "ci_lower", "ci_upper"]


def _categorical(frame: pd.DataFrame, column: str, levels: list[str]) -> pd.DataFrame:
    return frame.assign(**{column: pd.Categorical(frame[column], categories=levels)})


def _row(analysis, measure, group_var, group, visit, contrast, stat, value, note):
    return (analysis, measure, group_var, group, visit, contrast, stat, float(value), "", note)


def _inference_rows(analysis, measure, group_var, group, visit, contrast, values: dict, note: str, extra=()):
    rows = [_row(analysis, measure, group_var, group, visit, contrast, s, values[s], note) for s in INFERENCE]
    return rows + [_row(analysis, measure, group_var, group, visit, contrast, s, v, note) for s, v in extra]


def _failed(analysis, measure, group_var, exc: Exception) -> list[tuple]:
    return [_row(analysis, measure, group_var, "", "", "", "converged", 0.0, f"not fitted: {exc}")]


def _interaction_rows(analysis, measure, subgroup, result, term: str, note: str) -> list[tuple]:
    test = result.type3().set_index("term").loc[term]
    contrast = f"visit x {subgroup}"
    return [
        _row(analysis, measure, subgroup, "", "", contrast, "statistic", test.statistic, note),
        _row(analysis, measure, subgroup, "", "", contrast, "num_df", test.num_df, note),
        _row(analysis, measure, subgroup, "", "", contrast, "df", test.den_df, note),
        _row(analysis, measure, subgroup, "", "", contrast, "p_value", test.p_value, note),
    ]


def _convergence_note(result, base: str) -> str:
    if result.converged:
        return base
    return base + "; NOT CONVERGED: " + "; ".join(result.messages)


def lmm_rows(values: pd.DataFrame, config: StudyConfig) -> list[tuple]:
    visits = config.visits
    df = config.models.lmm.df
    contrast = f"{visits.endpoint} - {visits.baseline}"
    rows: list[tuple] = []
    for measure in config.measures:
        data = _categorical(values[values["measure"] == measure], "visit", visits.order)
        base_note = f"value ~ visit + (1 | subject), REML, {df} df"
        try:
            fit = lmm(data, "value ~ visit", subject="subject", df=df, alpha=config.alpha)
        except AnalysisError as exc:
            rows += _failed("lmm", measure, "overall", exc)
            continue
        note = _convergence_note(fit, base_note)
        diff = fit.pairwise("visit").set_index("contrast").loc[contrast]
        rows += [_row("lmm", measure, "overall", "all", "", contrast, "n", fit.n_subjects, note)]
        rows += _inference_rows("lmm", measure, "overall", "all", "", contrast, diff, note)
        for subgroup in config.subjects.subgroups:
            part = data[data[subgroup] != ""]
            levels = [level for _, level, _ in groups_of(part, subgroup)]
            part = _categorical(part, subgroup, levels)
            sub_note_base = f"value ~ visit * {subgroup} + (1 | subject), REML, {df} df"
            try:
                sub = lmm(part, f"value ~ visit * {subgroup}", subject="subject", df=df, alpha=config.alpha)
            except AnalysisError as exc:
                rows += _failed("lmm", measure, subgroup, exc)
                continue
            sub_note = _convergence_note(sub, sub_note_base)
            diffs = sub.pairwise("visit", by=subgroup)
            diffs = diffs[diffs["contrast"] == contrast].reset_index(drop=True)
            adjusted = holm(diffs["p_value"])
            counts = part.groupby(subgroup, observed=True)["subject"].nunique()
            for i, d in diffs.iterrows():
                rows += [_row("lmm", measure, subgroup, d[subgroup], "", contrast, "n", counts[d[subgroup]], sub_note)]
                rows += _inference_rows("lmm", measure, subgroup, d[subgroup], "", contrast, d, sub_note,
                                        extra=[("p_adjusted", adjusted[i])])
            rows += _interaction_rows("lmm", measure, subgroup, sub, f"visit:{subgroup}", sub_note)
    return rows


def _fit_mmrm(data: pd.DataFrame, formula: str, config: StudyConfig):
    options = config.models.mmrm
    chain = tuple(dict.fromkeys([options.covariance, *options.fallback]))
    result, attempts = mmrm_with_fallback(data, formula, subject="subject", visit="visit", chain=chain,
                                          df=options.df, alpha=config.alpha)
    note = f"{formula}, {result.structure} covariance, REML, {options.df} df"
    abandoned = [f"{a.covariance} not used: {a.reason}" for a in attempts if not a.converged]
    if abandoned:
        note += " (" + "; ".join(abandoned) + ")"
    return result, _convergence_note(result, note)


def mmrm_rows(change: pd.DataFrame, config: StudyConfig) -> list[tuple]:
    visits = config.visits
    rows: list[tuple] = []
    for measure in config.measures:
        data = _categorical(change[change["measure"] == measure], "visit", visits.post_baseline)
        try:
            fit, note = _fit_mmrm(data, "change ~ base + visit", config)
        except AnalysisError as exc:
            rows += _failed("mmrm", measure, "overall", exc)
            continue
        counts = data.groupby("visit", observed=True)["subject"].nunique()
        for _, ls in fit.lsmeans("visit").iterrows():
            v = ls["visit"]
            c = f"{v} - {visits.baseline}"
            rows += [_row("mmrm", measure, "overall", "all", v, c, "n", counts.get(v, 0), note)]
            rows += _inference_rows("mmrm", measure, "overall", "all", v, c, ls, note)
        rows += [_row("mmrm", measure, "overall", "all", "", "", "converged", float(fit.converged), note)]
        for subgroup in config.subjects.subgroups:
            part = data[data[subgroup] != ""]
            levels = [level for _, level, _ in groups_of(part, subgroup)]
            part = _categorical(part, subgroup, levels)
            try:
                sub, sub_note = _fit_mmrm(part, f"change ~ base + visit * {subgroup}", config)
            except AnalysisError as exc:
                rows += _failed("mmrm", measure, subgroup, exc)
                continue
            ls = sub.lsmeans("visit", by=subgroup)
            ls = ls[ls["visit"] == visits.endpoint].reset_index(drop=True)
            adjusted = holm(ls["p_value"])
            at_end = part[part["visit"] == visits.endpoint].groupby(subgroup, observed=True)["subject"].nunique()
            c = f"{visits.endpoint} - {visits.baseline}"
            for i, d in ls.iterrows():
                rows += [_row("mmrm", measure, subgroup, d[subgroup], visits.endpoint, c, "n", at_end.get(d[subgroup], 0), sub_note)]
                rows += _inference_rows("mmrm", measure, subgroup, d[subgroup], visits.endpoint, c, d, sub_note,
                                        extra=[("p_adjusted", adjusted[i])])
            rows += _interaction_rows("mmrm", measure, subgroup, sub, f"visit:{subgroup}", sub_note)
    return rows
