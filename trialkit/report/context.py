"""Results dataset (ARD) -> plain dicts for the templates.

The report reads only the ARD, the data-issues table and the study's labels
from the configuration: never raw records or result objects. Numbers stay
unformatted here; each table cell says what kind of number it holds and the
template's ``fmt_cell`` filter formats it.

A cell is ``{"kind": ..., "value": ...}`` with kind ``text``, ``int``,
``num`` (with ``decimals``), ``p``, ``pair`` (``a (b)``, e.g. mean (SD)),
``ci`` (``(lo, hi)``), ``range`` (``lo, hi``) or ``pct``.
"""

from __future__ import annotations

import json

import pandas as pd

from trialkit.config import StudyConfig

P = "p"


def _cell(kind: str, value, decimals: int = 0) -> dict:
    return {"kind": kind, "value": value, "decimals": decimals}


def text(value: str) -> dict:
    return _cell("text", value)


class _Lookup:
    """Fast access to one analysis's values: (measure, group_var, group, visit) -> {stat: value}."""

    def __init__(self, ard: pd.DataFrame, analysis: str) -> None:
        part = ard[ard["analysis"] == analysis]
        self.table: dict[tuple, dict[str, float]] = {}
        self.notes: dict[tuple, str] = {}
        for row in part.itertuples(index=False):
            key = (row.measure, row.group_var, row.group, row.visit)
            self.table.setdefault(key, {})[row.stat] = row.value
            self.notes.setdefault((row.measure, row.group_var), getattr(row, "note", ""))
        self.groups = list(dict.fromkeys((r.group_var, r.group) for r in part.itertuples(index=False)))

    def get(self, measure: str, group_var: str, group: str, visit: str = "") -> dict[str, float] | None:
        return self.table.get((measure, group_var, group, visit))


def _col_classes(columns: list[str]) -> list[str]:
    """Width class of each column for the fixed table layout: the label column and CI columns are wider."""
    return ["first"] + ["wide" if "CI" in c or "Q1" in c or "Min" in c or "Mean (SD)" in c else "" for c in columns[1:]]


def row(cells: list[dict], *, emphasis: bool = False) -> dict:
    return {"cells": cells, "emphasis": emphasis}


def _group_label(group_var: str, group: str, population: dict) -> str:
    name = "Overall" if group_var == "overall" else f"{group_var} {group}"
    n = population.get((group_var, group))
    return f"{name} (N={n:.0f})" if n is not None else name


def _summary_rows(stats: _Lookup, measure: str, visits: list[str], d: int, population: dict) -> list[dict]:
    blocks = []
    for group_var, group in stats.groups:
        rows = []
        for visit in visits:
            s = stats.get(measure, group_var, group, visit)
            if s is None:
                continue
            rows.append(row([
                text(visit),
                _cell("int", s["n"]),
                _cell("pair", (s["mean"], s["sd"]), d + 1),
                _cell("num", s["se"], d + 2),
                _cell("num", s["median"], d + 1),
                _cell("range", (s["q1"], s["q3"]), d + 1),
                _cell("range", (s["min"], s["max"]), d),
            ]))
        blocks.append({"label": _group_label(group_var, group, population), "rows": rows})
    return blocks


SUMMARY_COLUMNS = ["Visit", "n", "Mean (SD)", "SE", "Median", "Q1, Q3", "Min, Max"]


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
    conf = f"{100 * (1 - config.alpha):g}%"
    population = {
        (r.group_var, r.group): r.value
        for r in ard[(ard["analysis"] == "population") & (ard["stat"] == "n")].itertuples(index=False)
    }
    descriptive = _Lookup(ard, "descriptive")
    change = _Lookup(ard, "change")
    ttest = _Lookup(ard, "paired_t")
    wilcox = _Lookup(ard, "wilcoxon")
    responder = _Lookup(ard, "responder")
    lmm_results = _Lookup(ard, "lmm")
    mmrm_results = _Lookup(ard, "mmrm")
    contrast = f"{visits.endpoint} - {visits.baseline}"

    measures = []
    for name, spec in config.measures.items():
        d = spec.decimals
        label = spec.label or name
        direction = "lower = better" if spec.direction == "lower_better" else "higher = better"
        tables = []
        if descriptive.groups:
            tables.append({
                "title": f"{name}: observed values by visit",
                "population": "Subjects with an observed value at the visit (observed cases, no imputation).",
                "columns": SUMMARY_COLUMNS,
                "blocks": _summary_rows(descriptive, name, visits.order, d, population),
                "footnote": f"{label}, range {spec.min:g}-{spec.max:g} ({direction}). SD: standard deviation; "
                "SE: standard error of the mean. Quartiles by SAS's default definition (QNTLDEF=5).",
            })
        if change.groups:
            tables.append({
                "title": f"{name}: change from {visits.baseline} by visit",
                "population": f"Subjects with observed {visits.baseline} and visit values.",
                "columns": SUMMARY_COLUMNS,
                "blocks": _summary_rows(change, name, visits.post_baseline, d, population),
                "footnote": f"Change = visit value - {visits.baseline} value; negative change = lower score.",
            })
        if ttest.groups:
            tables.append({
                "title": f"{name}: {visits.endpoint} vs {visits.baseline}, paired t-test",
                "population": f"Subjects with observed {visits.baseline} and {visits.endpoint} values (complete pairs).",
                "columns": ["Group", "n", f"Mean change ({contrast})", f"{conf} CI", "t", "df", "p-value", "Cohen's dz"],
                "blocks": [{"label": "", "rows": [
                    row([text(_group_label(gv, g, population)), _cell("int", t["n"]), _cell("num", t["estimate"], d + 2),
                         _cell("ci", (t["ci_lower"], t["ci_upper"]), d + 2), _cell("num", t["statistic"], 2),
                         _cell("num", t["df"], 0), _cell(P, t["p_value"]), _cell("num", t["effect_size"], 2)])
                    for gv, g in ttest.groups if (t := ttest.get(name, gv, g)) is not None]}],
                "footnote": "Mean of the paired differences with its t-based CI; two-sided p-value. "
                "Cohen's dz = mean / SD of the paired differences.",
            })
        if wilcox.groups:
            tables.append({
                "title": f"{name}: {visits.endpoint} vs {visits.baseline}, Wilcoxon signed-rank test",
                "population": f"Subjects with observed {visits.baseline} and {visits.endpoint} values (complete pairs).",
                "columns": ["Group", "n", "V", "p-value", f"HL estimate ({contrast})", f"{conf} CI", "Rank-biserial r"],
                "blocks": [{"label": "", "rows": [
                    row([text(_group_label(gv, g, population)), _cell("int", w["n"]), _cell("num", w["statistic"], 1),
                         _cell(P, w["p_value"]), _cell("num", w["estimate"], d + 2),
                         _cell("ci", (w["ci_lower"], w["ci_upper"]), d + 2), _cell("num", w["effect_size"], 2)])
                    for gv, g in wilcox.groups if (w := wilcox.get(name, gv, g)) is not None]}],
                "footnote": "V: sum of the ranks of the positive differences. Normal approximation with tie-corrected "
                "variance and continuity correction, zero differences dropped, as R wilcox.test(exact = FALSE, "
                "correct = TRUE). HL: Hodges-Lehmann estimate, the median of the Walsh averages of all paired "
                "differences (zeros included), with the distribution-free CI from their order statistics "
                "(exact signed-rank critical value). Rank-biserial r = (R+ - R-) / (R+ + R-) over non-zero differences.",
            })
        if responder.groups and spec.responder_max is not None:
            rows = []
            for group_var, group in responder.groups:
                r = responder.get(name, group_var, group, visits.endpoint)
                if r is None:
                    continue
                rows.append(row([text(_group_label(group_var, group, population)), _cell("int", r["n"]),
                                 _cell("int", r["n_responders"]), _cell("pct", r["proportion"]),
                                 _cell("ci", (100 * r["ci_lower"], 100 * r["ci_upper"]), 1)]))
            tables.append({
                "title": f"{name}: responders at {visits.endpoint}",
                "population": f"Subjects with an observed {visits.endpoint} value.",
                "columns": ["Group", "N", "Responders", "%", f"{conf} CI (%)"],
                "blocks": [{"label": "", "rows": rows}],
                "footnote": f"Responder: {name} <= {spec.responder_max:g} at {visits.endpoint}. "
                "Exact (Clopper-Pearson) confidence interval.",
            })
        tables += _model_tables(name, lmm_results, mmrm_results, config, population, conf, d)
        measures.append({"name": name, "label": label,
                         "tables": [{"interactions": [], "col_classes": _col_classes(table["columns"]), **table}
                                    for table in tables],
                         "figures": _figures(ard, name, spec, config, conf)})

    issue_rows = [
        row([text(r.severity), text(r.check), text(r.file), text("" if pd.isna(r.row) else f"{int(r.row)}"),
             text(r.column), text(r.value), text(r.subject), text(r.visit), text(r.measure), text(r.message)])
        for r in issues.itertuples(index=False)
    ]
    population_table = {"number": "Table 14.1.1", "anchor": "t-14-1-1", "title": "Analysis population"}
    subject_tables = _subject_tables(ard, config, population)
    for k, table in enumerate(subject_tables, start=2):
        table.update(number=f"Table 14.1.{k}", anchor=f"t-14-1-{k}")
    contents = [population_table, *subject_tables]
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
        "subject_tables": subject_tables,
        "study": {"id": config.study.id, "title": config.study.title, "data_cutoff": config.study.data_cutoff,
                  "sponsor": config.study.sponsor, "confidentiality": config.study.confidentiality,
                  "logo": (config.root / config.study.logo).resolve().as_uri() if config.study.logo else "",
                  "page_size": config.study.page_size},
        "run_id": (manifest or {}).get("run_id", ""),
        "report_date": (manifest or {}).get("report_date", ""),
        "methods": _methods(config, manifest or {}),
        "summary": _summary(ard, issues, config),
        "provenance": _provenance(manifest or {}),
        "populations": [
            {"label": _group_label(gv, g, population), "n": n} for (gv, g), n in population.items()
        ],
        "measures": measures,
        "issues": {
            "columns": ["Severity", "Check", "File", "Row", "Column", "Value", "Subject", "Visit", "Measure", "Finding"],
            "rows": issue_rows,
            "n_errors": int((issues["severity"] == "error").sum()) if len(issues) else 0,
            "n_warnings": int((issues["severity"] == "warning").sum()) if len(issues) else 0,
        },
    }


MODEL_COLUMNS = ["n", "Estimate", "CI", "SE", "df", "t", "p-value", "Holm p"]


def _inference_cells(values: dict, d: int, *, adjusted: bool) -> list[dict]:
    return [
        _cell("int", values["n"]), _cell("num", values["estimate"], d + 2),
        _cell("ci", (values["ci_lower"], values["ci_upper"]), d + 2), _cell("num", values["se"], d + 3),
        _cell("num", values["df"], 1), _cell("num", values["statistic"], 2), _cell(P, values["p_value"]),
        _cell(P, values["p_adjusted"]) if adjusted else text(""),
    ]


def _interactions(results: _Lookup, measure: str, config: StudyConfig) -> list[dict]:
    out = []
    for subgroup in config.subjects.subgroups:
        test = results.get(measure, subgroup, "")
        if test is not None and "statistic" in test:
            out.append({"label": f"Visit x {subgroup} interaction", "statistic": test["statistic"],
                        "num_df": test["num_df"], "den_df": test["df"], "p_value": test["p_value"]})
    return out


def _notes(results: _Lookup, measure: str, config: StudyConfig) -> str:
    keys = ["overall", *config.subjects.subgroups]
    notes = [results.notes[(measure, k)] for k in keys if (measure, k) in results.notes]
    return " Models: " + " | ".join(dict.fromkeys(notes)) + "." if notes else ""


def _model_tables(name: str, lmm_results: _Lookup, mmrm_results: _Lookup, config: StudyConfig,
                  population: dict, conf: str, d: int) -> list[dict]:
    visits = config.visits
    contrast = f"{visits.endpoint} - {visits.baseline}"
    tables = []
    if lmm_results.groups:
        rows = [row([text(_group_label(gv, g, population)), *_inference_cells(v, d, adjusted=gv != "overall")])
                for gv, g in lmm_results.groups if g and (v := lmm_results.get(name, gv, g)) is not None]
        tables.append({
            "title": f"{name}: linear mixed model, {contrast}",
            "population": "All subjects with at least one observed value (all visits, observed cases).",
            "columns": ["Group", *MODEL_COLUMNS[:1], "Difference", f"{conf} CI", *MODEL_COLUMNS[3:]],
            "blocks": [{"label": "", "rows": rows}],
            "interactions": _interactions(lmm_results, name, config),
            "footnote": f"Linear mixed model of the {name} value with visit as a fixed effect and a random intercept "
            "per subject, REML; the estimate is the LS-mean difference between the visits. Subgroup rows come from "
            "the model with the visit x subgroup interaction; Holm p adjusts across the levels of the subgroup."
            + _notes(lmm_results, name, config),
        })
    if mmrm_results.groups:
        overall = [row([text(v), *_inference_cells(x, d, adjusted=False)], emphasis=v == visits.endpoint)
                   for v in visits.post_baseline if (x := mmrm_results.get(name, "overall", "all", v)) is not None]
        blocks = [{"label": _group_label("overall", "all", population), "rows": overall}]
        for subgroup in config.subjects.subgroups:
            sub_rows = [row([text(_group_label(gv, g, population)), *_inference_cells(x, d, adjusted=True)],
                            emphasis=True)
                        for gv, g in mmrm_results.groups if gv == subgroup and g
                        and (x := mmrm_results.get(name, gv, g, visits.endpoint)) is not None]
            if sub_rows:
                blocks.append({"label": f"By {subgroup}, {visits.endpoint}", "rows": sub_rows})
        tables.append({
            "title": f"{name}: MMRM, LS mean change from {visits.baseline}",
            "population": f"Subjects with an observed {visits.baseline} value and at least one post-baseline value.",
            "columns": ["Visit", *MODEL_COLUMNS[:1], "LS mean change", f"{conf} CI", *MODEL_COLUMNS[3:]],
            "blocks": blocks,
            "interactions": _interactions(mmrm_results, name, config),
            "footnote": f"Mixed model for repeated measures of the change from {visits.baseline}, with baseline "
            f"{name} and visit as fixed effects and a within-subject covariance across post-baseline visits, REML; "
            f"LS means at the mean baseline. The endpoint ({visits.endpoint}) is in bold. Holm p adjusts across "
            "subgroup levels." + _notes(mmrm_results, name, config),
        })
    return tables


def _figures(ard: pd.DataFrame, name: str, spec, config: StudyConfig, conf: str) -> list[dict]:
    """Figures of one measure, drawn from the ARD (SVG text marked safe: made here from numbers and
    configuration labels, which matplotlib escapes)."""
    from markupsafe import Markup

    from trialkit.report import figures

    visits = config.visits
    direction = "lower = better" if spec.direction == "lower_better" else "higher = better"
    out = []
    if (ard["analysis"] == "descriptive").any():
        out.append({
            "title": f"{name}: mean and {conf} CI by visit, overall and by subgroup",
            "svg": Markup(figures.mean_ci_over_visits(ard, name, visits.order, direction=direction, conf=conf)),
            "footnote": "Observed cases; t-based confidence interval of each mean. Points of the groups are offset "
            "horizontally so that they do not overlap.",
        })
    contrast = f"{visits.endpoint} - {visits.baseline}"
    subgroup = config.subjects.subgroups[0] if config.subjects.subgroups else ""
    individual = ard[(ard["analysis"] == "individual") & (ard["measure"] == name)]
    if len(individual):
        coloured = f", coloured by {subgroup}" if subgroup else ""
        out.append({
            "title": f"{name}: individual subjects over visits{coloured}",
            "svg": Markup(figures.trajectories(ard, name, visits.order, direction=direction, subgroup=subgroup)),
            "footnote": "One line per subject, observed values only (a missed visit is bridged by the line).",
        })
        out.append({
            "title": f"{name}: change from {visits.baseline} to {visits.endpoint} per subject{coloured}",
            "svg": Markup(figures.waterfall(ard, name, contrast=contrast, direction=direction, subgroup=subgroup)),
            "footnote": f"Subjects with observed {visits.baseline} and {visits.endpoint} values, sorted by change.",
        })
    for analysis, visit, what in (("mmrm", visits.endpoint, "MMRM LS mean change"),
                                  ("paired_t", "", "mean change (paired t)")):
        rows = ard[(ard["analysis"] == analysis) & (ard["measure"] == name) & (ard["visit"] == visit)
                   & (ard["contrast"] == contrast)]
        if len(rows):
            out.append({
                "title": f"{name}: {what} at {visits.endpoint} by subgroup, with the overall effect",
                "svg": Markup(figures.forest(ard, name, analysis=analysis, visit=visit, contrast=contrast,
                                             direction=direction, conf=conf)),
                "footnote": f"{what} from {visits.baseline} to {visits.endpoint} with its {conf} CI; the dashed line "
                "marks no change.",
            })
            break
    return out


def _subject_tables(ard: pd.DataFrame, config: StudyConfig, population: dict) -> list[dict]:
    """Disposition and baseline characteristics, one column per group with its N in the header."""
    group_keys = list(population)
    columns = ["", *(_group_label(gv, g, population) for gv, g in group_keys)]
    tables = []
    disp = ard[ard["analysis"] == "disposition"].set_index(["group_var", "group", "visit"])["value"]
    if len(disp):
        rows = [row([text(visit), *(_cell("int", disp.get((gv, g, visit), float("nan"))) for gv, g in group_keys)])
                for visit in config.visits.order]
        tables.append({
            "title": "Subject disposition: subjects with data at each visit",
            "population": "All subjects in the subjects file with at least one analysable record.",
            "columns": ["Visit", *columns[1:]], "blocks": [{"label": "", "rows": rows}],
            "footnote": "A subject counts at a visit when at least one measure has an analysable value there.",
        })
    base = ard[ard["analysis"] == "baseline"]
    if len(base):
        lookup = {(r.measure, r.group_var, r.group, r.category, r.stat): r.value for r in base.itertuples(index=False)}
        blocks = []
        for name in dict.fromkeys(base["measure"]):
            part = base[base["measure"] == name]
            cells = []
            if part["category"].eq("").all():  # numeric covariate
                def stat(s, gv, g):
                    return lookup.get((name, gv, g, "", s), float("nan"))
                cells.append(row([text("n"), *(_cell("int", stat("n", gv, g)) for gv, g in group_keys)]))
                cells.append(row([text("Mean (SD)"), *(_cell("pair", (stat("mean", gv, g), stat("sd", gv, g)), 1)
                                                       for gv, g in group_keys)]))
                cells.append(row([text("Median"), *(_cell("num", stat("median", gv, g), 1) for gv, g in group_keys)]))
                cells.append(row([text("Min, Max"), *(_cell("range", (stat("min", gv, g), stat("max", gv, g)), 0)
                                                      for gv, g in group_keys)]))
            else:
                for level in dict.fromkeys(part["category"]):
                    cells.append(row([text(level), *(
                        _cell("count_pct", (lookup.get((name, gv, g, level, "n"), 0.0),
                                            lookup.get((name, gv, g, level, "proportion"), float("nan"))))
                        for gv, g in group_keys)]))
            kind = "genotype flag" if name in config.subjects.genotype_flags else "characteristic"
            blocks.append({"label": f"{name} ({kind})", "rows": cells})
        tables.append({
            "title": "Baseline characteristics, genotype tier and mGluR gene flags",
            "population": "All subjects in the subjects file with at least one analysable record.",
            "columns": ["Characteristic", *columns[1:]], "blocks": blocks,
            "footnote": "n (%): subjects with the level (for a genotype flag, with the variant); percentages of the "
            "column's N. Numeric characteristics: mean (SD), median, min and max.",
        })
    return [{"interactions": [], "col_classes": ["first"] + [""] * (len(columns) - 1), **t} for t in tables]


def _methods(config: StudyConfig, manifest: dict) -> list[str]:
    """The statistical methods section, written from the configuration so it always matches what ran."""
    visits = config.visits
    conf = f"{100 * (1 - config.alpha):g}%"
    wanted = set(config.analyses)
    subgroups = ", ".join(config.subjects.subgroups)
    text = [
        f"Visits: {', '.join(visits.order)}; baseline {visits.baseline}, endpoint {visits.endpoint}. Analyses use "
        "observed cases; no value is imputed. Every record not used by an analysis is listed in Listing 16.2.1.",
        f"Each analysis is shown for all subjects and within each level of {subgroups}." if subgroups else
        "Each analysis is shown for all subjects.",
    ]
    if "descriptive" in wanted:
        text.append(f"Descriptive statistics of the values and of the change from {visits.baseline} at each visit: "
                    f"n, mean, SD, SE, median, quartiles (SAS QNTLDEF=5), min, max and the t-based {conf} CI of the mean.")
    if "paired_t" in wanted or "wilcoxon" in wanted:
        text.append(f"{visits.endpoint} vs {visits.baseline}: paired t-test (mean difference, {conf} CI, Cohen's dz) and "
                    "Wilcoxon signed-rank test with normal approximation, tie correction and continuity correction "
                    "(as R wilcox.test(exact = FALSE, correct = TRUE)), with the Hodges-Lehmann estimate and its "
                    "distribution-free CI.")
    if "responder" in wanted:
        thresholds = ", ".join(f"{m} <= {s.responder_max:g}" for m, s in config.measures.items() if s.responder_max is not None)
        text.append(f"Responders at {visits.endpoint} ({thresholds}) with exact Clopper-Pearson {conf} CIs.")
    if "lmm" in wanted:
        text.append(f"Linear mixed model of each measure over all visits with visit as a fixed effect and a random "
                    f"intercept per subject, REML, {config.models.lmm.df} degrees of freedom; "
                    f"{visits.endpoint} - {visits.baseline} LS-mean difference.")
    if "mmrm" in wanted:
        m = config.models.mmrm
        text.append(f"MMRM of the change from {visits.baseline} at post-baseline visits with baseline and visit as fixed "
                    f"effects and {m.covariance} within-subject covariance (fallback: {', '.join(m.fallback) or 'none'}), "
                    f"REML, {m.df} degrees of freedom; LS means at the mean baseline.")
    if subgroups and ("lmm" in wanted or "mmrm" in wanted):
        text.append("Subgroup effects come from models with the visit x subgroup interaction; p-values are "
                    "Holm-adjusted across the levels of each subgroup.")
    software = manifest.get("software", {})
    if software:
        text.append("Software: " + ", ".join(f"{k} {v}" for k, v in software.items()) + ".")
    return text


def _provenance(manifest: dict) -> dict:
    return {
        "run_id": manifest.get("run_id", ""),
        "inputs": [[text(i["path"]), text(str(i["size"])), text(i["sha256"])] for i in manifest.get("inputs", [])],
        "config_sha256": manifest.get("config_sha256", ""),
        "config": json.dumps(manifest.get("config", {}), indent=2, sort_keys=True),
        "software": [[text(k), text(v)] for k, v in manifest.get("software", {}).items()],
        "platform": " ".join(manifest.get("platform", {}).values()),
    }


def _summary(ard: pd.DataFrame, issues: pd.DataFrame, config: StudyConfig) -> list[str]:
    """A few sentences on what was analysed, with counts read from the ARD."""
    visits = config.visits
    n = ard[(ard["analysis"] == "population") & (ard["group_var"] == "overall") & (ard["stat"] == "n")]["value"]
    n_subjects = f"{n.iat[0]:.0f}" if len(n) else "no"
    measures = ", ".join(f"{m} ({s.label})" if s.label else m for m, s in config.measures.items())
    names = {"descriptive": "descriptive statistics", "paired_t": "paired t-tests", "wilcoxon": "Wilcoxon signed-rank tests",
             "responder": "responder rates", "lmm": "linear mixed models", "mmrm": "MMRM"}
    analyses = ", ".join(names[a] for a in config.analyses)
    groups = f" overall and by {', '.join(config.subjects.subgroups)}" if config.subjects.subgroups else ""
    return [
        f"{n_subjects} subjects with analysable records; measures {measures}; visits {', '.join(visits.order)} "
        f"(baseline {visits.baseline}, endpoint {visits.endpoint}).",
        f"Analyses{groups}: {analyses}.",
        f"Data findings: {int((issues['severity'] == 'warning').sum()) if len(issues) else 0} "
        "(each listed, with what it excludes, in Listing 16.2.1).",
    ]
