"""Report sections besides the efficacy tables: figures, subject disposition and baseline tables,
the summary, the methods text and the provenance appendix."""

from __future__ import annotations

import json

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.report.cells import cell, confidence_label, group_label, row, text
from trialkit.report.cells import columns as cols  # "columns" names the tables' column headers below


def figures_of(ard: pd.DataFrame, name: str, config: StudyConfig, *, conf: str, direction: str) -> list[dict]:
    """Figures of one measure: title, footnote and the figure spec that the renderer draws
    (:mod:`trialkit.report.figure_data`; ``None`` for a figure that is not drawn, as the footnote says).
    ``conf``, ``direction``: the confidence level and the scale's reading, as labels."""
    from trialkit.report import figure_data

    visits = config.visits
    out = []
    if (ard["analysis"] == "descriptive").any():
        out.append({
            "title": f"{name}: mean and {conf} CI by visit, overall and by subgroup",
            "spec": figure_data.mean_ci(ard, name, visits.order, direction=direction, conf=conf),
            "footnote": "Observed cases; t-based confidence interval of each mean. Points of the groups are offset "
            "horizontally so that they do not overlap.",
        })
    contrast = f"{visits.endpoint} - {visits.baseline}"
    subgroup = config.subjects.subgroups[0] if config.subjects.subgroups else ""
    individual = ard[(ard["analysis"] == "individual") & (ard["measure"] == name)]
    if len(individual):
        coloured = f", coloured by {subgroup}" if subgroup else ""
        n_subjects = individual["group"].nunique()
        if n_subjects <= figure_data.MAX_TRAJECTORIES:
            out.append({
                "title": f"{name}: individual subjects over visits{coloured}",
                "spec": figure_data.trajectories(ard, name, visits.order, direction=direction, subgroup=subgroup),
                "footnote": "One line per subject, observed values only (a missed visit is bridged by the line).",
            })
        else:
            out.append({
                "title": f"{name}: individual subjects over visits",
                "spec": None,
                "footnote": f"Not drawn: {n_subjects} subjects are more lines than a page shows readably (limit "
                f"{figure_data.MAX_TRAJECTORIES}). Each subject's values are in ard.csv (analysis individual).",
            })
        out.append({
            "title": f"{name}: change from {visits.baseline} to {visits.endpoint} per subject{coloured}",
            "spec": figure_data.waterfall(ard, name, contrast=contrast, direction=direction, subgroup=subgroup),
            "footnote": f"Subjects with observed {visits.baseline} and {visits.endpoint} values, sorted by change.",
        })
    for analysis, visit, what in (("mmrm", visits.endpoint, "MMRM LS mean change"),
                                  ("paired_t", "", "mean change (paired t)")):
        rows = ard[(ard["analysis"] == analysis) & (ard["measure"] == name) & (ard["visit"] == visit)
                   & (ard["contrast"] == contrast)]
        if len(rows):
            out.append({
                "title": f"{name}: {what} at {visits.endpoint} by subgroup, with the overall effect",
                "spec": figure_data.forest(ard, name, analysis=analysis, visit=visit, contrast=contrast,
                                           direction=direction, conf=conf),
                "footnote": f"{what} from {visits.baseline} to {visits.endpoint} with its {conf} CI; the dashed line "
                "marks no change.",
            })
            break
    return out


def subject_tables(ard: pd.DataFrame, config: StudyConfig, population: dict) -> list[dict]:
    """Disposition and baseline characteristics, one column per group with its N in the header."""
    group_keys = list(population)
    columns = [group_label(gv, g, population) for gv, g in group_keys]
    tables = []
    part = ard[ard["analysis"] == "disposition"]
    disp = {(gv, g, visit): value for gv, g, visit, value in zip(*cols(part, "group_var", "group", "visit", "value"))}
    if disp:
        rows = [row([text(visit), *(cell("int", disp.get((gv, g, visit), float("nan"))) for gv, g in group_keys)])
                for visit in config.visits.order]
        tables.append({
            "title": "Subject disposition: subjects with data at each visit",
            "population": "All subjects in the subjects file with at least one analysable record.",
            "columns": ["Visit", *columns], "blocks": [{"label": "", "rows": rows}],
            "footnote": "A subject counts at a visit when at least one measure has an analysable value there.",
        })
    base = ard[ard["analysis"] == "baseline"]
    if len(base):
        records = list(zip(*cols(base, "measure", "group_var", "group", "category", "stat", "value")))
        lookup = {record[:5]: record[5] for record in records}
        blocks = []
        for name in dict.fromkeys(record[0] for record in records):
            levels = list(dict.fromkeys(record[3] for record in records if record[0] == name))
            cells = []
            if levels == [""]:  # numeric covariate
                def stat(s, gv, g):
                    return lookup.get((name, gv, g, "", s), float("nan"))
                cells.append(row([text("n"), *(cell("int", stat("n", gv, g)) for gv, g in group_keys)]))
                cells.append(row([text("Mean (SD)"), *(cell("pair", (stat("mean", gv, g), stat("sd", gv, g)), 1)
                                                       for gv, g in group_keys)]))
                cells.append(row([text("Median"), *(cell("num", stat("median", gv, g), 1) for gv, g in group_keys)]))
                cells.append(row([text("Min, Max"), *(cell("range", (stat("min", gv, g), stat("max", gv, g)), 0)
                                                      for gv, g in group_keys)]))
            else:
                for level in levels:
                    cells.append(row([text(level), *(
                        cell("count_pct", (lookup.get((name, gv, g, level, "n"), 0.0),
                                            lookup.get((name, gv, g, level, "proportion"), float("nan"))))
                        for gv, g in group_keys)]))
            kind = "genotype flag" if name in config.subjects.genotype_flags else "characteristic"
            blocks.append({"label": f"{name} ({kind})", "rows": cells})
        tables.append({
            "title": "Baseline characteristics, genotype tier and mGluR gene flags",
            "population": "All subjects in the subjects file with at least one analysable record.",
            "columns": ["Characteristic", *columns], "blocks": blocks,
            "footnote": "n (%): subjects with the level (for a genotype flag, with the variant); percentages of the "
            "column's N. Numeric characteristics: mean (SD), median, min and max.",
        })
    return [{"interactions": [], **t} for t in tables]


def methods(config: StudyConfig, manifest: dict) -> list[str]:
    """The statistical methods section, written from the configuration so it always matches what ran."""
    visits = config.visits
    conf = confidence_label(config.alpha)
    wanted = set(config.analyses)
    subgroups = ", ".join(config.subjects.subgroups)
    paragraphs = [
        f"Visits: {', '.join(visits.order)}; baseline {visits.baseline}, endpoint {visits.endpoint}. Analyses use "
        "observed cases; no value is imputed. Every record not used by an analysis is listed in Listing 16.2.1.",
        f"Each analysis is shown for all subjects and within each level of {subgroups}." if subgroups else
        "Each analysis is shown for all subjects.",
    ]
    if "descriptive" in wanted:
        paragraphs.append(f"Descriptive statistics of the values and of the change from {visits.baseline} at each visit: "
                    f"n, mean, SD, SE, median, quartiles (SAS QNTLDEF=5), min, max and the t-based {conf} CI of the mean.")
    if "paired_t" in wanted or "wilcoxon" in wanted:
        paragraphs.append(f"{visits.endpoint} vs {visits.baseline}: paired t-test (mean difference, {conf} CI, Cohen's dz) and "
                    "Wilcoxon signed-rank test with normal approximation, tie correction and continuity correction "
                    "(as R wilcox.test(exact = FALSE, correct = TRUE)), with the Hodges-Lehmann estimate and its "
                    "distribution-free CI.")
    if "responder" in wanted:
        thresholds = ", ".join(f"{m} <= {s.responder_max:g}" for m, s in config.measures.items() if s.responder_max is not None)
        paragraphs.append(f"Responders at {visits.endpoint} ({thresholds}) with exact Clopper-Pearson {conf} CIs.")
    if "lmm" in wanted:
        paragraphs.append(f"Linear mixed model of each measure over all visits with visit as a fixed effect and a random "
                    f"intercept per subject, REML, {config.models.lmm.df} degrees of freedom; "
                    f"{visits.endpoint} - {visits.baseline} LS-mean difference.")
    if "mmrm" in wanted:
        m = config.models.mmrm
        paragraphs.append(f"MMRM of the change from {visits.baseline} at post-baseline visits with baseline and visit as fixed "
                    f"effects and {m.covariance} within-subject covariance (fallback: {', '.join(m.fallback) or 'none'}), "
                    f"REML, {m.df} degrees of freedom; LS means at the mean baseline.")
    if subgroups and ("lmm" in wanted or "mmrm" in wanted):
        paragraphs.append("Subgroup effects come from models with the visit x subgroup interaction; p-values are "
                    "Holm-adjusted across the levels of each subgroup.")
    software = manifest.get("software", {})
    if software:
        paragraphs.append("Software: " + ", ".join(f"{k} {v}" for k, v in software.items()) + ".")
    return paragraphs


def compact_json(value, indent: str = "") -> str:
    """JSON with sorted keys, an object per line only where it holds other objects or lists: lists of plain
    values and objects of plain values that fit on a line stay on one line (the configuration appendix
    takes half the lines of ``json.dumps(indent=2)``).

    >>> print(compact_json({"visits": {"order": ["Baseline", "Week 1"], "baseline": "Baseline"}, "alpha": 0.05}))
    {
      "alpha": 0.05,
      "visits": {"baseline": "Baseline", "order": ["Baseline", "Week 1"]}
    }
    """
    flat = json.dumps(value, sort_keys=True, ensure_ascii=False)
    plain = not isinstance(value, (dict, list)) or all(
        not isinstance(v, (dict, list)) or (isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v))
        for v in (value.values() if isinstance(value, dict) else value))
    if plain and len(indent) + len(flat) <= 100:
        return flat
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k, ensure_ascii=False)}: {compact_json(v, inner)}" for k, v in sorted(value.items())]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    return "[\n" + ",\n".join(f"{inner}{compact_json(v, inner)}" for v in value) + f"\n{indent}]"


def provenance(manifest: dict) -> dict:
    return {
        "run_id": manifest.get("run_id", ""),
        "inputs": [[text(i["path"]), text(str(i["size"])), text(i["sha256"])] for i in manifest.get("inputs", [])],
        "config_sha256": manifest.get("config_sha256", ""),
        "config": compact_json(manifest.get("config", {})),
        "software": [[text(k), text(v)] for k, v in manifest.get("software", {}).items()],
        "platform": " ".join(manifest.get("platform", {}).values()),
    }


def summary(ard: pd.DataFrame, issues: pd.DataFrame, config: StudyConfig) -> list[str]:
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
