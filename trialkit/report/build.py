"""Results dataset (ARD) -> the report as typed values (:class:`trialkit.report.spec.Report`).

The report reads only the ARD, the data-issues table, the manifest and the study's labels from the
configuration: never raw records or result objects. Numbers stay unformatted here.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.report import declared_tables, efficacy, figure_data, model_tables, ordinal_tables, sections
from trialkit.report.lookup import Groups, Lookup, confidence_label, direction_label, population
from trialkit.report.spec import ContentsEntry, MeasureSection, Report, StudyHeader


def build_report(ard: pd.DataFrame, issues: pd.DataFrame, config: StudyConfig, manifest: dict | None = None) -> Report:
    """Everything the report prints.

    Parameters
    ----------
    ard : DataFrame
        The results dataset (columns of :data:`trialkit.results.ARD_COLUMNS`).
    issues : DataFrame
        The data findings (columns of :data:`trialkit.validation.ISSUE_COLUMNS`).
    config : StudyConfig
        Supplies the study id and title, visit, measure and column labels.
    manifest : dict, optional
        The run's manifest (:func:`trialkit.manifest.build`): run id, input files, software versions.
    """
    manifest = manifest or {}
    conf = confidence_label(config.alpha)
    full, ard = ard, ard[~ard["analysis_id"].isin({a.id for a in config.declared})]  # the short form's rows
    groups = Groups(config, population(ard))
    lookups: dict[str, Lookup] = {}

    def lookup(analysis: str) -> Lookup:
        if analysis not in lookups:
            lookups[analysis] = Lookup(ard, analysis)
        return lookups[analysis]

    table_no = figure_no = 0
    measures = []
    for name, spec in config.measures.items():
        tables = efficacy.measure_tables(lookup, groups, name, spec, config, conf)
        tables += model_tables.model_tables(name, lookup("lmm"), lookup("mmrm"), groups, config, conf, spec.decimals)
        tables += ordinal_tables.ordinal_tables(ard, lookup, groups, name, spec, config, conf)
        tables += declared_tables.declared_tables(full, name, config, conf)
        figures = figure_data.figures_of(ard, groups, name, config, conf=conf, direction=direction_label(spec.direction))
        figures += declared_tables.declared_figures(full, name, config, conf)
        numbered_tables = []
        for table in tables:
            table_no += 1
            numbered_tables.append(replace(table, number=f"Table 14.2.{table_no}"))
        numbered_figures = []
        for figure in figures:
            figure_no += 1
            numbered_figures.append(replace(figure, number=f"Figure 14.2.{figure_no}"))
        measures.append(MeasureSection(name, spec.label or name, tuple(numbered_tables), tuple(numbered_figures)))
    subject_tables = tuple(replace(table, number=f"Table 14.1.{k}")
                           for k, table in enumerate(sections.subject_tables(ard, config, groups), start=1))
    listing = sections.listing(issues)
    contents = [*subject_tables]
    for measure in measures:
        contents += [*measure.tables, *measure.figures]
    study = config.study
    return Report(
        study=StudyHeader(study.id, study.title, study.data_cutoff, study.sponsor, study.confidentiality,
                          (config.root / study.logo).resolve().as_uri() if study.logo else "", study.page_size),
        run_id=manifest.get("run_id", ""),
        report_date=manifest.get("report_date", ""),
        summary=tuple(sections.summary(ard, issues, config, groups)),
        contents=(*(ContentsEntry(c.number, c.title, c.anchor) for c in (*contents, listing)),
                  ContentsEntry("", "Statistical methods", "methods"),
                  ContentsEntry("", "Appendix: provenance", "provenance")),
        subject_tables=subject_tables,
        measures=tuple(measures),
        listing=listing,
        methods=tuple(sections.methods(config, manifest)),
        provenance=sections.provenance(manifest),
    )
