"""Results dataset (ARD) -> plain dicts for the templates.

The report reads only the ARD, the data-issues table and the study's labels
from the configuration: never raw records or result objects. Numbers stay
unformatted here; each table cell says what kind of number it holds and the
template's ``fmt_cell`` filter formats it (cells: :mod:`trialkit.report.cells`).
"""

from __future__ import annotations

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.report.cells import (P, Lookup, by_group, cell, confidence_label, direction_label, group_label, row,
                                   text)
from trialkit.report.cells import columns as cols  # "columns" names the tables' column headers below
from trialkit.report.model_tables import model_tables
from trialkit.report.sections import figures_of, methods, provenance, subject_tables, summary

#: the statistics rows of a summary table: label, cell kind, ARD stats, decimals beyond the data's
SUMMARY_STATS = [("n", "int", ("n",), 0), ("Mean (SD)", "pair", ("mean", "sd"), 1), ("SE", "num", ("se",), 2),
                 ("Median", "num", ("median",), 1), ("Q1, Q3", "range", ("q1", "q3"), 1),
                 ("Min, Max", "range", ("min", "max"), 0)]


def _summary_blocks(stats: Lookup, measure: str, visits: list[str], d: int) -> list[dict]:
    """CSR layout: one block per visit, a row per statistic, a column per group (overall, subgroups)."""
    blocks = []
    for visit in visits:
        rows = []
        for label, kind, names, extra in SUMMARY_STATS:
            cells = [text(label)]
            for group_var, group in stats.groups:
                s = stats.get(measure, group_var, group, visit) or {}
                values = tuple(s.get(n, float("nan")) for n in names)
                cells.append(cell(kind, values if len(values) > 1 else values[0], d + extra))
            rows.append(row(cells))
        blocks.append({"label": visit, "rows": rows})
    return blocks


def _group_columns(stats: Lookup, population: dict) -> list[str]:
    return ["Statistic", *(group_label(gv, g, population) for gv, g in stats.groups)]


def build_context(ard: pd.DataFrame, issues: pd.DataFrame, config: StudyConfig, manifest: dict | None = None) -> dict:
    """Everything the report template prints, as plain dicts and lists.

    Parameters
    ----------
    ard : DataFrame
        The results dataset (columns of :data:`trialkit.results.ARD_COLUMNS`).
    issues : DataFrame
        The data-issues listing (columns of :data:`trialkit.validation.ISSUE_COLUMNS`).
    config : StudyConfig
        Supplies the study id and title, visit and measure labels.
    manifest : dict, optional
        The run's manifest (:func:`trialkit.manifest.build`): run id, input files, software versions.
    """
    visits = config.visits
    conf = confidence_label(config.alpha)
    counts = ard[(ard["analysis"] == "population") & (ard["stat"] == "n")]
    population = {(gv, g): n for gv, g, n in zip(*cols(counts, "group_var", "group", "value"))}
    descriptive = Lookup(ard, "descriptive")
    change = Lookup(ard, "change")
    ttest = Lookup(ard, "paired_t")
    wilcox = Lookup(ard, "wilcoxon")
    responder = Lookup(ard, "responder")
    lmm_results = Lookup(ard, "lmm")
    mmrm_results = Lookup(ard, "mmrm")
    contrast = f"{visits.endpoint} - {visits.baseline}"

    measures = []
    for name, spec in config.measures.items():
        d = spec.decimals
        label = spec.label or name
        direction = direction_label(spec.direction)
        tables = []
        if descriptive.groups:
            tables.append({
                "title": f"{name}: observed values by visit",
                "population": "Subjects with an observed value at the visit (observed cases, no imputation).",
                "columns": _group_columns(descriptive, population),
                "blocks": _summary_blocks(descriptive, name, visits.order, d),
                "footnote": f"{label}, range {spec.min:g}-{spec.max:g} ({direction}). SD: standard deviation; "
                "SE: standard error of the mean. Quartiles by SAS's default definition (QNTLDEF=5).",
            })
        if change.groups:
            tables.append({
                "title": f"{name}: change from {visits.baseline} by visit",
                "population": f"Subjects with observed {visits.baseline} and visit values.",
                "columns": _group_columns(change, population),
                "blocks": _summary_blocks(change, name, visits.post_baseline, d),
                "footnote": f"Change = visit value - {visits.baseline} value; negative change = lower score.",
            })
        if ttest.groups:
            columns, rows = by_group(ttest, population, name, "", [
                ("n", lambda t: cell("int", t["n"])),
                (f"Mean change ({contrast})", lambda t: cell("num", t["estimate"], d + 2)),
                (f"{conf} CI", lambda t: cell("ci", (t["ci_lower"], t["ci_upper"]), d + 2)),
                ("t", lambda t: cell("num", t["statistic"], 2)),
                ("df", lambda t: cell("num", t["df"], 0)),
                ("p-value", lambda t: cell(P, t["p_value"])),
                ("Cohen's dz", lambda t: cell("num", t["effect_size"], 2)),
            ])
            tables.append({
                "title": f"{name}: {visits.endpoint} vs {visits.baseline}, paired t-test",
                "population": f"Subjects with observed {visits.baseline} and {visits.endpoint} values (complete pairs).",
                "columns": columns, "blocks": [{"label": "", "rows": rows}],
                "footnote": "Mean of the paired differences with its t-based CI; two-sided p-value. "
                "Cohen's dz = mean / SD of the paired differences. n: complete pairs; N: subjects in the group.",
            })
        if wilcox.groups:
            columns, rows = by_group(wilcox, population, name, "", [
                ("n", lambda w: cell("int", w["n"])),
                ("V", lambda w: cell("num", w["statistic"], 1)),
                ("p-value", lambda w: cell(P, w["p_value"])),
                (f"HL estimate ({contrast})", lambda w: cell("num", w["estimate"], d + 2)),
                (f"{conf} CI", lambda w: cell("ci", (w["ci_lower"], w["ci_upper"]), d + 2)),
                ("Rank-biserial r", lambda w: cell("num", w["effect_size"], 2)),
            ])
            tables.append({
                "title": f"{name}: {visits.endpoint} vs {visits.baseline}, Wilcoxon signed-rank test",
                "population": f"Subjects with observed {visits.baseline} and {visits.endpoint} values (complete pairs).",
                "columns": columns, "blocks": [{"label": "", "rows": rows}],
                "footnote": "V: sum of the ranks of the positive differences. Normal approximation with tie-corrected "
                "variance and continuity correction, zero differences dropped, as R wilcox.test(exact = FALSE, "
                "correct = TRUE). HL: Hodges-Lehmann estimate, the median of the Walsh averages of all paired "
                "differences (zeros included), with the distribution-free CI from their order statistics "
                "(exact signed-rank critical value). Rank-biserial r = (R+ - R-) / (R+ + R-) over non-zero differences.",
            })
        if responder.groups and spec.responder_max is not None:
            columns, rows = by_group(responder, population, name, visits.endpoint, [
                (f"n (observed at {visits.endpoint})", lambda r: cell("int", r["n"])),
                ("Responders, n (%)", lambda r: cell("count_pct", (r["n_responders"], r["proportion"]))),
                (f"{conf} CI (%)", lambda r: cell("ci", (100 * r["ci_lower"], 100 * r["ci_upper"]), 1)),
            ])
            tables.append({
                "title": f"{name}: responders at {visits.endpoint}",
                "population": f"Subjects with an observed {visits.endpoint} value.",
                "columns": columns, "blocks": [{"label": "", "rows": rows}],
                "footnote": f"Responder: {name} <= {spec.responder_max:g} at {visits.endpoint}; percentages of n. "
                "Exact (Clopper-Pearson) confidence interval.",
            })
        tables += model_tables(name, lmm_results, mmrm_results, config, population, conf, d)
        measures.append({"name": name, "label": label,
                         "tables": [{"interactions": [], **table} for table in tables],
                         "figures": figures_of(ard, name, config, conf=conf, direction=direction)})

    issue_rows = [
        row([text(r.severity), text(r.check), text(r.file), text("" if pd.isna(r.row) else f"{int(r.row)}"),
             text(r.column), text(r.value), text(r.subject), text(r.visit), text(r.measure), text(r.message)])
        for r in issues.itertuples(index=False)
    ]
    population_table = {"number": "Table 14.1.1", "anchor": "t-14-1-1", "title": "Analysis population"}
    subject_table_list = subject_tables(ard, config, population)
    for k, table in enumerate(subject_table_list, start=2):
        table.update(number=f"Table 14.1.{k}", anchor=f"t-14-1-{k}")
    contents = [population_table, *subject_table_list]
    table_no = figure_no = 0
    for measure in measures:
        for table in measure["tables"]:
            table_no += 1
            table.update(number=f"Table 14.2.{table_no}", anchor=f"t-14-2-{table_no}")
            contents.append(table)
        for figure in measure["figures"]:
            figure_no += 1
            figure.update(number=f"Figure 14.2.{figure_no}", anchor=f"f-14-2-{figure_no}")
            contents.append(figure)
    contents.append({"number": "Listing 16.2.1", "anchor": "l-16-2-1", "title": "Data issues"})
    contents.append({"number": "", "anchor": "methods", "title": "Statistical methods"})
    contents.append({"number": "", "anchor": "provenance", "title": "Appendix: provenance"})
    return {
        "contents": [{"number": c["number"], "anchor": c["anchor"], "title": c["title"]} for c in contents],
        "population_table": population_table,
        "subject_tables": subject_table_list,
        "study": {"id": config.study.id, "title": config.study.title, "data_cutoff": config.study.data_cutoff,
                  "sponsor": config.study.sponsor, "confidentiality": config.study.confidentiality,
                  "logo": (config.root / config.study.logo).resolve().as_uri() if config.study.logo else "",
                  "page_size": config.study.page_size},
        "run_id": (manifest or {}).get("run_id", ""),
        "report_date": (manifest or {}).get("report_date", ""),
        "methods": methods(config, manifest or {}),
        "summary": summary(ard, issues, config),
        "provenance": provenance(manifest or {}),
        "populations": [
            {"label": group_label(gv, g, population), "n": n} for (gv, g), n in population.items()
        ],
        "measures": measures,
        "issues": {
            "columns": ["Severity", "Check", "File", "Row", "Column", "Value", "Subject", "Visit", "Measure", "Finding"],
            "rows": issue_rows,
            "n_errors": int((issues["severity"] == "error").sum()) if len(issues) else 0,
            "n_warnings": int((issues["severity"] == "warning").sum()) if len(issues) else 0,
        },
    }
