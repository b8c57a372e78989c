"""Baseline, change from baseline, endpoint pairs and responder flags.

Observed cases only: no value is imputed. Subjects excluded from a derived
table (no baseline, no endpoint) were reported by :mod:`trialkit.validation`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.validation import ValidatedStudy


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
    base = values.loc[values["visit"] == visits.baseline, ["subject", "measure", "value"]].rename(
        columns={"value": "base"}
    )
    change = values[values["visit"].isin(visits.post_baseline)].merge(base, on=["subject", "measure"], how="inner")
    change["change"] = change["value"] - change["base"]
    change = change[[*change.columns.drop(["base", "value", "change"]), "base", "value", "change"]]
    endpoint = change[change["visit"] == visits.endpoint].drop(columns="visit").reset_index(drop=True)

    thresholds = {m: spec.responder_max for m, spec in config.measures.items() if spec.responder_max is not None}
    at_end = values[(values["visit"] == visits.endpoint) & values["measure"].isin(list(thresholds))].drop(columns="visit")
    responders = at_end.assign(responder=at_end["value"] <= at_end["measure"].map(thresholds)).reset_index(drop=True)
    return AnalysisData(values=values, change=change.reset_index(drop=True), endpoint=endpoint, responders=responders)
