"""Report tables of the linear mixed model and the MMRM, from their ARD rows."""

from __future__ import annotations

from trialkit.config import StudyConfig
from trialkit.report.cells import P, Lookup, by_group, cell, group_label, row, text

MODEL_COLUMNS = ["n", "Estimate", "CI", "SE", "df", "t", "p-value", "Holm p"]


def _inference_cells(values: dict, d: int, *, adjusted: bool) -> list[dict]:
    return [
        cell("int", values["n"]), cell("num", values["estimate"], d + 2),
        cell("ci", (values["ci_lower"], values["ci_upper"]), d + 2), cell("num", values["se"], d + 3),
        cell("num", values["df"], 1), cell("num", values["statistic"], 2), cell(P, values["p_value"]),
        cell(P, values["p_adjusted"]) if adjusted else text(""),
    ]


def _interactions(results: Lookup, measure: str, config: StudyConfig) -> list[dict]:
    out = []
    for subgroup in config.subjects.subgroups:
        test = results.get(measure, subgroup, "")
        if test is not None and "statistic" in test:
            out.append({"label": f"Visit x {subgroup} interaction", "statistic": test["statistic"],
                        "num_df": test["num_df"], "den_df": test["df"], "p_value": test["p_value"]})
    return out


def _notes(results: Lookup, measure: str, config: StudyConfig) -> str:
    keys = ["overall", *config.subjects.subgroups]
    notes = [results.notes[(measure, k)] for k in keys if (measure, k) in results.notes]
    return " Models: " + " | ".join(dict.fromkeys(notes)) + "." if notes else ""


def model_tables(name: str, lmm_results: Lookup, mmrm_results: Lookup, config: StudyConfig,
                  population: dict, conf: str, d: int) -> list[dict]:
    visits = config.visits
    contrast = f"{visits.endpoint} - {visits.baseline}"
    tables = []
    if lmm_results.groups:
        columns, rows = by_group(lmm_results, population, name, "", [
            ("n", lambda v: cell("int", v["n"])),
            (f"Difference ({contrast})", lambda v: cell("num", v["estimate"], d + 2)),
            (f"{conf} CI", lambda v: cell("ci", (v["ci_lower"], v["ci_upper"]), d + 2)),
            ("SE", lambda v: cell("num", v["se"], d + 3)),
            ("df", lambda v: cell("num", v["df"], 1)),
            ("t", lambda v: cell("num", v["statistic"], 2)),
            ("p-value", lambda v: cell(P, v["p_value"])),
            ("Holm-adjusted p", lambda v: cell(P, v["p_adjusted"]) if "p_adjusted" in v else text("")),
        ])
        tables.append({
            "title": f"{name}: linear mixed model, {contrast}",
            "population": "All subjects with at least one observed value (all visits, observed cases).",
            "columns": columns, "blocks": [{"label": "", "rows": rows}],
            "interactions": _interactions(lmm_results, name, config),
            "footnote": f"Linear mixed model of the {name} value with visit as a fixed effect and a random intercept "
            "per subject, REML; the estimate is the LS-mean difference between the visits. Subgroup columns come "
            "from the model with the visit x subgroup interaction; Holm p adjusts across the levels of the subgroup."
            + _notes(lmm_results, name, config),
        })
    if mmrm_results.groups:
        overall = [row([text(v), *_inference_cells(x, d, adjusted=False)], emphasis=v == visits.endpoint)
                   for v in visits.post_baseline if (x := mmrm_results.get(name, "overall", "all", v)) is not None]
        blocks = [{"label": group_label("overall", "all", population), "rows": overall}]
        for subgroup in config.subjects.subgroups:
            sub_rows = [row([text(group_label(gv, g, population)), *_inference_cells(x, d, adjusted=True)],
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
