"""Baseline, change from baseline, endpoint pairs and responder flags.

Observed cases only: no value is imputed. Subjects excluded from a derived
table (no baseline, no endpoint) were reported by :mod:`trialkit.validation`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.plan import BASELINE, DeclaredAnalysis
from trialkit.validation import ValidatedStudy
from trialkit.validation_plan import ARM, DOSE, arms_of


@dataclass(frozen=True)
class AnalysisData:
    """Derived analysis tables; each carries the subjects' subgroup columns.

    values
        ``subject, visit, measure, value`` at every configured visit.
    change
        ``subject, visit, measure, base, value, change`` at post-baseline
        visits of subjects with a baseline value.
    endpoint
        ``subject, measure, base, value, change`` for subjects with both the
        baseline and the endpoint value: the pairs of the baseline-vs-endpoint tests.
    responders
        ``subject, measure, value, responder`` at the endpoint, for measures
        with ``responder_max``; ``responder`` is ``value <= responder_max``.
    """

    values: pd.DataFrame
    change: pd.DataFrame
    endpoint: pd.DataFrame
    responders: pd.DataFrame
    #: each declared analysis's records, by its id (:func:`declared_data`)
    declared: dict[str, DeclaredData] = field(default_factory=dict)


@dataclass(frozen=True)
class DeclaredData:
    """The data of one declared analysis: its measure's records that its selection keeps, of the subjects of
    its analysis set in the plan's arms.

    records
        ``subject, visit, value, base, change, response`` (``response`` is the value or the change, as the
        analysis declares; ``base`` and ``change`` are NaN without a baseline value) ``, arm, arm_dose`` and
        each factor, covariate and stratum of the analysis under its own name (factors and strata as text,
        covariates as numbers); every visit, the baseline included, in visit order.
    population
        Subjects in the analysis set per arm (the N of the table headers), in the plan's arm order.
    """

    analysis: DeclaredAnalysis
    records: pd.DataFrame
    population: dict[str, int]


def derive(study: ValidatedStudy, config: StudyConfig) -> AnalysisData:
    """Build the analysis tables from validated records.

    Parameters
    ----------
    study : ValidatedStudy
    config : StudyConfig

    Returns
    -------
    AnalysisData
    """
    visits = config.visits
    keys = ["subject", *config.subjects.subgroups]
    if config.subjects.arm and config.subjects.arm not in keys:
        keys.append(config.subjects.arm)
    subject_cols = study.subjects[keys]
    order = {v: i for i, v in enumerate(visits.order)}
    values = (
        study.records[["subject", "visit", "measure", "value"]]
        .merge(subject_cols, on="subject", how="inner", validate="many_to_one")
        .assign(_order=lambda d: d["visit"].map(order))
        .sort_values(["measure", "_order", "subject"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    rated = [m for m in config.measures if config.has_baseline(m)]
    base = values.loc[(values["visit"] == visits.baseline) & values["measure"].isin(rated),
                      ["subject", "measure", "value"]].rename(columns={"value": "base"})
    change = values[values["visit"].isin(visits.post_baseline)].merge(base, on=["subject", "measure"], how="inner")
    change["change"] = change["value"] - change["base"]
    change = change[[*change.columns.drop(["base", "value", "change"]), "base", "value", "change"]]
    endpoint = change[change["visit"] == visits.endpoint].drop(columns="visit").reset_index(drop=True)

    thresholds = {m: spec.responder_max for m, spec in config.measures.items() if spec.responder_max is not None}
    at_end = values[(values["visit"] == visits.endpoint) & values["measure"].isin(list(thresholds))].drop(columns="visit")
    responders = at_end.assign(responder=at_end["value"] <= at_end["measure"].map(thresholds)).reset_index(drop=True)
    declared = {a.id: declared_data(a, study, config) for a in config.declared}
    return AnalysisData(values=values, change=change.reset_index(drop=True), endpoint=endpoint, responders=responders,
                        declared=declared)


def declared_data(analysis: DeclaredAnalysis, study: ValidatedStudy, config: StudyConfig) -> DeclaredData:
    """The records of one declared analysis (see :class:`DeclaredData`)."""
    subjects = study.subjects
    if config.treatment is not None:
        subjects = subjects[subjects[ARM] != ""]
    if analysis.analysis_set is not None:
        subjects = subjects[subjects[f"set:{analysis.analysis_set}"]]
    covariates = [c for c in analysis.covariates if c != BASELINE]
    categorical = [*analysis.factors, *([analysis.strata] if analysis.strata else [])]
    columns = list(dict.fromkeys([*categorical, *covariates]))
    chosen = subjects[["subject", *([ARM, DOSE] if config.treatment is not None else []), *columns]]
    for column in columns:  # a subject without a value of a model column is left out (counted by validation)
        chosen = chosen[chosen[column] != ""]
    chosen = chosen.assign(**{c: pd.to_numeric(chosen[c]) for c in covariates})

    records = study.records[study.records["measure"] == analysis.measure]
    for column, allowed in analysis.select.items():
        records = records[records[f"where:{column}"].isin(allowed)]
    order = {v: i for i, v in enumerate(config.visits.order)}
    frame = (records[["subject", "visit", "value"]]
             .merge(chosen, on="subject", how="inner", validate="many_to_one")
             .assign(_order=lambda d: d["visit"].map(order))
             .sort_values(["_order", "subject"], kind="stable")
             .drop(columns="_order")
             .reset_index(drop=True))
    if config.has_baseline(analysis.measure):
        base = frame.loc[frame["visit"] == config.visits.baseline].set_index("subject")["value"]
        frame.insert(3, "base", frame["subject"].map(base).astype(float))
    else:
        frame.insert(3, "base", float("nan"))
    frame.insert(4, "change", frame["value"] - frame["base"])
    frame.insert(5, "response", frame["change"] if analysis.outcome == "change" else frame["value"])
    if config.treatment is not None:
        counts = subjects[ARM].value_counts()
        population = {arm: int(counts.get(arm, 0)) for arm in arms_of(config, list(counts.index))}
    else:
        population = {"": len(subjects)}
    return DeclaredData(analysis=analysis, records=frame, population=population)
