"""Report tables of the linear mixed model and the MMRM, from their ARD rows.

An estimate, its SE and its CI have the same decimals. Holm-adjusted p-values appear only when the study
has subgroups. The footnote says, in words, which model was fitted (the ARD's notes).
"""

from __future__ import annotations

from trialkit.config import StudyConfig
from trialkit.report.efficacy import by_group
from trialkit.report.lookup import Groups, Lookup
from trialkit.report.spec import (Block, Column, Count, InteractionTest, Interval, Number, PValue, Row, Table,
                                  Text)
from trialkit.results import Contrast


def _inference(values: dict, d: int, *, holm: bool) -> tuple:
    cells = (Count(values["n"]), Number(values["estimate"], d + 2), Interval(values["ci_lower"], values["ci_upper"], d + 2),
             Number(values["se"], d + 2), Number(values["df"], 1), Number(values["statistic"], 2),
             PValue(values["p_value"]))
    return (*cells, PValue(values["p_adjusted"]) if "p_adjusted" in values else Text("")) if holm else cells


def _tests(results: Lookup, groups: Groups, measure: str, config: StudyConfig) -> tuple[InteractionTest, ...]:
    out = []
    for subgroup in config.subjects.subgroups:
        test = results.get(measure, subgroup, "", contrast=Contrast.interaction(subgroup))
        if test is not None:
            out.append(InteractionTest(f"Visit x {groups.label(subgroup)} interaction", test["statistic"],
                                       test["num_df"], test["df"], test["p_value"]))
    return tuple(out)


def _models(results: Lookup, groups: Groups, measure: str, config: StudyConfig) -> str:
    """Which model each column or block comes from, in the ARD's words."""
    parts = []
    for key in ("overall", *config.subjects.subgroups):
        note = results.notes.get((measure, key))
        if note:
            parts.append(f"{'all subjects' if key == 'overall' else 'by ' + groups.label(key)}: {note}")
    return "Models fitted, " + "; ".join(parts) + "." if parts else ""


def model_tables(name: str, lmm: Lookup, mmrm: Lookup, groups: Groups, config: StudyConfig, conf: str,
                 d: int) -> list[Table]:
    visits = config.visits
    endpoint = Contrast.change(visits.endpoint, visits.baseline)
    holm = bool(config.subjects.subgroups)
    holm_note = ("Holm-adjusted p: across the levels of the subgroup.",) if holm else ()
    tables = []
    if lmm.groups:
        statistics = [
            ("n", lambda v: Count(v["n"])),
            (f"Difference ({endpoint.label})", lambda v: Number(v["estimate"], d + 2)),
            (f"{conf} CI", lambda v: Interval(v["ci_lower"], v["ci_upper"], d + 2)),
            ("SE", lambda v: Number(v["se"], d + 2)),
            ("df", lambda v: Number(v["df"], 1)),
            ("t", lambda v: Number(v["statistic"], 2)),
            ("p-value", lambda v: PValue(v["p_value"])),
        ]
        if holm:
            statistics.append(("Holm-adjusted p", lambda v: PValue(v["p_adjusted"]) if "p_adjusted" in v else Text("")))
        columns, blocks = by_group(lmm, groups, name, statistics, contrast=endpoint)
        tables.append(Table(
            "", f"{name}: linear mixed model, {endpoint.label}",
            "All subjects with at least one observed value (all visits, observed cases).", "Statistic", columns,
            blocks,
            (f"Linear mixed model of the {name} value with visit as a fixed effect and a random intercept per subject, "
             "REML; the estimate is the LS-mean difference between the visits. A subgroup's columns come from the "
             "model with the visit x subgroup interaction.", *holm_note, _models(lmm, groups, name, config)),
            _tests(lmm, groups, name, config)))
    if mmrm.groups:
        overall = tuple(Row((Text(v), *_inference(x, d, holm=holm)), emphasis=v == visits.endpoint)
                        for v in visits.post_baseline
                        if (x := mmrm.get(name, "overall", "all", v, Contrast.change(v, visits.baseline))) is not None)
        blocks = [Block(groups.name("overall", "all"), overall)]
        for subgroup in config.subjects.subgroups:
            rows = tuple(Row((Text(f"{g} (N={groups.population.get((gv, g), 0):.0f})"), *_inference(x, d, holm=holm)))
                         for gv, g in mmrm.levels if gv == subgroup
                         and (x := mmrm.get(name, gv, g, visits.endpoint, endpoint)) is not None)
            if rows:
                blocks.append(Block(f"By {groups.label(subgroup)}, {visits.endpoint}", rows))
        columns = [Column("n"), Column("LS mean change"), Column(f"{conf} CI"), Column("SE"), Column("df"),
                   Column("t"), Column("p-value")] + ([Column("Holm p")] if holm else [])
        tables.append(Table(
            "", f"{name}: MMRM, LS mean change from {visits.baseline}",
            f"Subjects with an observed {visits.baseline} value and at least one post-baseline value.", "Visit",
            tuple(columns), tuple(blocks),
            (f"Mixed model for repeated measures of the change from {visits.baseline}, with baseline {name} and visit "
             "as fixed effects and a within-subject covariance across post-baseline visits, REML; LS means at the "
             f"mean baseline. The endpoint ({visits.endpoint}) is in bold.", *holm_note,
             _models(mmrm, groups, name, config)),
            _tests(mmrm, groups, name, config)))
    return tables
