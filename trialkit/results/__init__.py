"""Analyses -> the long results dataset (ARD) that the report is rendered from.

Columns (a contract: extend, never rename): ``analysis, measure, group_var, group, visit, contrast, stat,
value``, then ``category`` (the level of a categorical baseline characteristic) and ``note`` (model,
covariance and df method of model rows, in words; empty elsewhere), then ``analysis_id`` (the declared
analysis's id; else the value of ``analysis``) and ``analysis_set`` (its analysis set; else
``subjects.analysis_set``; empty when none). Each row is an :class:`ArdRow`.
``value`` is kept at full precision; NaN means "not estimable" (e.g. an SD from one observation) and is
written as an empty cell.

analysis values: ``population`` (subjects per group, stat ``n``), ``disposition`` (subjects with data at
each visit), ``baseline`` (subject characteristics: genotype flags, subgroups and covariates),
``individual`` (each subject's values and endpoint change, for the trajectory and waterfall figures:
group_var ``subject``, group the subject id, category the level of the first subgroup), ``descriptive``,
``change``, ``paired_t``, ``wilcoxon``, ``responder``, ``lmm``, ``mmrm`` (see
:mod:`trialkit.results.models`), ``categories``, ``ordinal``, ``shift``, ``friedman`` (see
:mod:`trialkit.results.ordinal`); the declared analyses add ``ancova``, ``anova``, ``cmh`` and rows of the
analyses above (:mod:`trialkit.results.declared`).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.derivations import AnalysisData
from trialkit.results import summaries
from trialkit.results.contrasts import Contrast
from trialkit.results.dataset import ard_to_csv, format_full, read_ard
from trialkit.results.groups import OVERALL, groups, groups_of, natural_key, subject_population
from trialkit.results.ordinal import ORDINAL_ANALYSES, ordinal_rows
from trialkit.results.rows import ARD_COLUMNS, ArdRow, frame_of
from trialkit.validation_plan import ARM

__all__ = ["ARD_COLUMNS", "OVERALL", "ArdRow", "Contrast", "ard_to_csv", "build_ard", "format_full", "groups",
           "groups_of", "natural_key", "read_ard"]


def build_ard(data: AnalysisData, subjects: pd.DataFrame, config: StudyConfig, *,
              findings: list | None = None) -> pd.DataFrame:
    """Run every configured analysis, overall and by subgroup, and every declared analysis, into one long table.

    Parameters
    ----------
    data : AnalysisData
        Derived tables from :func:`trialkit.derivations.derive`.
    subjects : DataFrame
        Validated subjects (``subject`` and subgroup columns; the plan's ``arm`` and ``set:NAME``); the population
        counts are the subjects with at least one analysable record (with a treatment: in the plan's arms; with
        ``subjects.analysis_set``: in that set).
    config : StudyConfig
    findings : list, optional
        Receives the findings of the declared analyses' models (what they left out or could not estimate), as
        tables of :func:`trialkit.findings.issues`.

    Returns
    -------
    DataFrame
        :data:`ARD_COLUMNS` in a fixed order: population, disposition, individual, baseline, then per
        measure (study.yaml order) descriptive, change, paired_t, wilcoxon, responder; within each, groups
        (overall first, then subgroups, then the plan's arms) and visits in visit order; then the lmm and mmrm
        rows; then per measure the categories, ordinal, shift and friedman rows (:mod:`trialkit.results.ordinal`);
        then the declared analyses in plan order (:mod:`trialkit.results.declared`).
    """
    from trialkit.results.declared import declared_rows

    wanted = set(config.short_analyses)
    chosen = subject_population(subjects, config)
    if chosen is not None:
        data = _of_subjects(data, chosen, config)
    analysed = (subjects if chosen is None else chosen)
    analysed = analysed[analysed["subject"].isin(set(data.values["subject"]))]
    head = frame_of([*summaries.population(analysed, config), *summaries.disposition(data.values, config)])
    individual = summaries.individual(data, config)
    rows: list[ArdRow] = summaries.baseline(analysed, config)
    for measure, spec in config.measures.items():
        if "descriptive" in wanted:
            rows += summaries.descriptive(_of(data.values, measure), _of(data.change, measure), measure, config)
        for name in summaries.PAIRED_TESTS:
            if name in wanted:
                rows += summaries.paired(name, _of(data.endpoint, measure), measure, config)
        if "responder" in wanted and spec.responder_max is not None:
            rows += summaries.responders(_of(data.responders, measure), measure, config)
    if "lmm" in wanted or "mmrm" in wanted:
        from trialkit.results import models  # imported only when models are asked for

        if "lmm" in wanted:
            rows += models.lmm_rows(data.values, config)
        if "mmrm" in wanted:
            rows += models.mmrm_rows(data.change, config)
    if wanted & set(ORDINAL_ANALYSES):
        rows += ordinal_rows(data, config, wanted)
    short = pd.concat([head, individual, frame_of(rows)], ignore_index=True)
    if config.subjects.analysis_set is not None:
        short["analysis_set"] = config.subjects.analysis_set
    declared = declared_rows(data, config, findings)
    # a study without a plan: no second copy of a table that holds each subject's values (at 100,000 subjects,
    # 1.4 million rows and about 0.6 GiB more at the peak)
    return pd.concat([short, frame_of(declared)], ignore_index=True) if declared else short


def _of(frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    return frame[frame["measure"] == measure]


def _of_subjects(data: AnalysisData, chosen: pd.DataFrame, config: StudyConfig) -> AnalysisData:
    """The derived tables of the chosen subjects only (:func:`subject_population`), the values with each subject's
    arm (column ``arm``) when there is a treatment."""
    keep = set(chosen["subject"])
    tables = {name: getattr(data, name)[getattr(data, name)["subject"].isin(keep)].reset_index(drop=True)
              for name in ("values", "change", "endpoint", "responders")}
    if config.treatment is not None:
        tables["values"] = tables["values"].merge(chosen[["subject", ARM]], on="subject", how="left",
                                                  validate="many_to_one")
    return replace(data, **tables)
