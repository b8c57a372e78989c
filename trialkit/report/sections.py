"""Report sections besides the efficacy tables and figures: the analysis population, disposition and
baseline tables, the data-issues listing, the summary, the methods text and the provenance appendix."""

from __future__ import annotations

import json

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.report import ordinal_tables, plan_text
from trialkit.report.arms import subject_columns, subjects_line
from trialkit.report.lookup import Groups, columns, confidence_label
from trialkit.report.spec import (Block, Column, Count, CountPercent, Listing, ListingGroup, MeanSD, Number,
                                  Provenance, PValue, Range, Row, Table, Text)
from trialkit.results import plan_words, words

#: the data-issues listing shows at most this many findings of each check; data_issues.csv holds them all
LISTING_PER_CHECK = 20
NAN = float("nan")


def subject_tables(ard: pd.DataFrame, config: StudyConfig, groups: Groups) -> list[Table]:
    """Analysis population, disposition and baseline characteristics, one column per group (with a treatment: per
    arm), unnumbered."""
    keys, group_columns = subject_columns(ard, config, groups)
    every_subject = subjects_line(config)
    if config.treatment is None:
        tables = [Table("", "Analysis population", every_subject, "Group", (Column("Subjects with analysable records"),),
                        (Block("", tuple(Row((Text(groups.name(gv, g)), Count(n))) for (gv, g), n in groups.population.items())),),
                        ("A subject is analysable with at least one record used by an analysis.",))]
    else:
        tables = [population_by_arm(ard, config, keys, group_columns, every_subject)]
    part = ard[ard["analysis"] == "disposition"]
    disp = {(gv, g, visit): value for gv, g, visit, value in zip(*columns(part, "group_var", "group", "visit", "value"))}
    if disp:
        rows = tuple(Row((Text(visit), *(Count(disp.get((gv, g, visit), NAN)) for gv, g in keys)))
                     for visit in config.visits.order)
        tables.append(Table("", "Subject disposition: subjects with data at each visit", every_subject, "Visit",
                            group_columns, (Block("", rows),),
                            ("A subject counts at a visit when at least one measure has an analysable value there.",)))
    base = ard[(ard["analysis"] == "baseline") & (ard["contrast"] == "")]
    tests = ard[(ard["analysis"] == "baseline") & (ard["contrast"] != "") & (ard["stat"] == "p_value")]
    p_values = dict(zip(*columns(tests, "measure", "value")))
    if len(base):
        records = list(zip(*columns(base, "measure", "group_var", "group", "category", "stat", "value")))
        lookup = {record[:5]: record[5] for record in records}
        blocks = []
        for name in dict.fromkeys(record[0] for record in records):
            levels = list(dict.fromkeys(record[3] for record in records if record[0] == name))

            def stat(s, gv, g, name=name, level=""):
                return lookup.get((name, gv, g, level, s), NAN)

            if levels == [""]:  # numeric covariate
                rows = (Row((Text("n"), *(Count(stat("n", gv, g)) for gv, g in keys))),
                        Row((Text("Mean (SD)"), *(MeanSD(stat("mean", gv, g), stat("sd", gv, g), 1) for gv, g in keys))),
                        Row((Text("Median"), *(Number(stat("median", gv, g), 1) for gv, g in keys))),
                        Row((Text("Min, Max"), *(Range(stat("min", gv, g), stat("max", gv, g),
                                                       _range_decimals([stat(s, gv_, g_) for s in ("min", "max")
                                                                        for gv_, g_ in keys]))
                                                 for gv, g in keys))))
            else:
                rows = tuple(Row((Text(level), *(CountPercent(lookup.get((name, gv, g, level, "n"), 0.0),
                                                              stat("proportion", gv, g, level=level))
                                                 for gv, g in keys))) for level in levels)
            if p_values:  # the test across the arms, on the block's first row
                rows = (Row((*rows[0].cells, PValue(p_values.get(name, NAN)))),
                        *(Row((*r.cells, Text(""))) for r in rows[1:]))
            flag = " (genotype flag)" if name in config.subjects.genotype_flags else ""
            blocks.append(Block(f"{groups.label(name)}{flag}", rows))
        notes = ["n (%): subjects with the level (for a genotype flag, with the variant); percentages of the column's "
                 "N. Numeric characteristics: mean (SD), median, min and max."]
        if p_values:
            notes.append("p-value: the arms compared (the Total column aside) by a one-way analysis of variance for a "
                         "numeric characteristic and Pearson's chi-square test (without continuity correction) for a "
                         "categorical one; subjects without a value left out.")
        tables.append(Table("", "Baseline characteristics", every_subject, "Characteristic",
                            (*group_columns, *((Column("p-value"),) if p_values else ())), tuple(blocks), tuple(notes)))
    return tables


def _range_decimals(values: list[float]) -> int:
    """Min and max of a numeric characteristic, the same in every column: whole numbers as such (``52, 89``), else
    with the mean's one decimal (a disease duration of 7.2 months is never shown as 7)."""
    return 0 if all(v != v or float(v).is_integer() for v in values) else 1


def population_by_arm(ard: pd.DataFrame, config: StudyConfig, keys, group_columns, every_subject: str) -> Table:
    """Subjects per arm, and of them those in each analysis set."""
    part = ard[ard["analysis"] == "population"]
    value = {(gv, g, category, stat): v
             for gv, g, category, stat, v in zip(*columns(part, "group_var", "group", "category", "stat", "value"))}
    rows = [Row((Text("Subjects with analysable records"), *(Count(value.get((*key, "", "n"), NAN)) for key in keys)))]
    for name, conditions in config.analysis_sets.items():
        where = "; ".join(f"{c} in {', '.join(v)}" for c, v in conditions.items())
        rows.append(Row((Text(f"{name} analysis set ({where})"), *(
            CountPercent(value.get((*key, name, "n"), NAN), value.get((*key, name, "proportion"), NAN))
            for key in keys))))
    return Table("", "Analysis population and analysis sets", every_subject, "Subjects", group_columns,
                 (Block("", tuple(rows)),), ("n (%): subjects of the arm in the analysis set; percentages of the "
                                              "arm's N.",))


LISTING_COLUMNS = ("Severity", "Check", "File", "Row", "Column", "Value", "Subject", "Visit", "Measure", "Finding")


def listing(issues: pd.DataFrame) -> Listing:
    """The data-issues listing: per check, its count and its first :data:`LISTING_PER_CHECK` findings."""
    shown: dict[str, list[tuple[str, ...]]] = {}
    counts: dict[str, int] = {}
    for r in issues.itertuples(index=False):
        counts[r.check] = counts.get(r.check, 0) + 1
        if counts[r.check] <= LISTING_PER_CHECK:
            row = "" if pd.isna(r.row) else f"{int(r.row)}"
            shown.setdefault(r.check, []).append((r.severity, r.check, r.file, row, r.column, r.value, r.subject,
                                                  r.visit, r.measure, r.message))
    severity = issues["severity"].tolist() if len(issues) else []
    return Listing("Listing 16.2.1", "Data issues", LISTING_COLUMNS,
                   tuple(ListingGroup(check, counts[check], tuple(rows)) for check, rows in shown.items()),
                   severity.count("error"), severity.count("warning"), LISTING_PER_CHECK)


def methods(config: StudyConfig, manifest: dict) -> list[str]:
    """The statistical methods section, written from the configuration so it always matches what ran."""
    visits = config.visits
    conf = confidence_label(config.alpha)
    wanted = set(config.short_analyses)
    labels = config.subjects.labels
    subgroups = ", ".join(labels.get(s, s) for s in config.subjects.subgroups)
    paragraphs = [
        f"Visits: {', '.join(visits.order)}; {_baseline_words(config)}, endpoint {visits.endpoint}. {plan_words.records_used(config)} "
        "Every record not used by an analysis is listed in Listing 16.2.1.",
    ]
    if config.short_analyses:
        paragraphs.append(f"Each analysis is shown for all subjects and within each level of {subgroups}." if subgroups
                          else "Each analysis is shown for all subjects.")
    if "descriptive" in wanted:
        paragraphs.append(f"Descriptive statistics of the values and of the change from {visits.baseline} at each "
                          f"visit: n, mean, SD, SE, median, quartiles (SAS QNTLDEF=5), min, max and the t-based {conf} "
                          "CI of the mean.")
    if "paired_t" in wanted or "wilcoxon" in wanted:
        paragraphs.append(f"{visits.endpoint} vs {visits.baseline}: paired t-test (mean difference, {conf} CI, Cohen's "
                          "dz) and Wilcoxon signed-rank test with normal approximation, tie correction and continuity "
                          "correction (as R wilcox.test(exact = FALSE, correct = TRUE)), with the Hodges-Lehmann "
                          "estimate and its distribution-free CI.")
    if "responder" in wanted:
        thresholds = ", ".join(f"{m} <= {s.responder_max:g}" for m, s in config.measures.items()
                               if s.responder_max is not None)
        paragraphs.append(f"Responders at {visits.endpoint} ({thresholds}) with exact Clopper-Pearson {conf} CIs.")
    if "lmm" in wanted:
        paragraphs.append("Linear mixed model of each measure over all visits with visit as a fixed effect and a "
                          f"random intercept per subject, REML, {words.degrees_of_freedom(config.models.lmm.df)}; "
                          f"{visits.endpoint} - {visits.baseline} LS-mean difference.")
    if "mmrm" in wanted:
        m = config.models.mmrm
        fallback = (f" (when it does not converge: {', '.join(words.COVARIANCE[s] for s in m.fallback)}, in this "
                    "order)") if m.fallback else ""
        paragraphs.append(f"MMRM of the change from {visits.baseline} at post-baseline visits with baseline and visit "
                          f"as fixed effects and {words.covariance(m.covariance)} within subjects{fallback}, REML, "
                          f"{words.degrees_of_freedom(m.df)}; LS means at the mean baseline.")
    if subgroups and ("lmm" in wanted or "mmrm" in wanted):
        paragraphs.append("Subgroup effects come from models with the visit x subgroup interaction; p-values are "
                          "Holm-adjusted across the levels of each subgroup.")
    paragraphs += ordinal_tables.methods(config)
    paragraphs += plan_text.methods(config)
    software = manifest.get("software", {})
    if software:
        paragraphs.append("Software: " + ", ".join(f"{k} {v}" for k, v in software.items()) + ".")
    return paragraphs


def _baseline_words(config: StudyConfig) -> str:
    return f"baseline {config.visits.baseline}" if config.visits.baseline is not None else "no baseline visit"


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


def provenance(manifest: dict) -> Provenance:
    return Provenance(
        run_id=manifest.get("run_id", ""),
        inputs=tuple((i["path"], str(i["size"]), i["sha256"]) for i in manifest.get("inputs", [])),
        config_sha256=manifest.get("config_sha256", ""),
        config=compact_json(manifest.get("config", {})),
        software=tuple(manifest.get("software", {}).items()),
        platform=" ".join(manifest.get("platform", {}).values()))


def summary(ard: pd.DataFrame, issues: pd.DataFrame, config: StudyConfig, groups: Groups) -> list[str]:
    """A few sentences on what was analysed, with counts read from the ARD."""
    visits = config.visits
    n = groups.population.get(("overall", "all"))
    n_subjects = f"{n:.0f}" if n is not None else "no"
    measures = ", ".join(f"{m} ({s.label})" if s.label else m for m, s in config.measures.items())
    names = {"descriptive": "descriptive statistics", "paired_t": "paired t-tests",
             "wilcoxon": "Wilcoxon signed-rank tests", "responder": "responder rates", "lmm": "linear mixed models",
             "mmrm": "MMRM", "ordinal": "proportional-odds models", "shift": "shift tables",
             "friedman": "Friedman tests"}
    analyses = ", ".join(names[a] for a in config.short_analyses)
    by = f" overall and by {', '.join(groups.label(s) for s in config.subjects.subgroups)}" \
        if config.subjects.subgroups else ""
    arms = ""
    if config.treatment is not None:
        counts = [f"{g} {n:.0f}" for (gv, g), n in groups.population.items() if gv == config.treatment.arm]
        arms = f" Subjects per arm: {', '.join(counts)}."
    return [
        f"{n_subjects} subjects with analysable records; measures {measures}; visits {', '.join(visits.order)} "
        f"({_baseline_words(config)}, endpoint {visits.endpoint}).{arms}",
        *([f"Analyses{by}: {analyses}."] if analyses else []),
        *([plan_text.summary(config)] if config.declared else []),
        f"Data findings: {int((issues['severity'] == 'warning').sum()) if len(issues) else 0} "
        "(listed, with what each excludes, in Listing 16.2.1 and data_issues.csv).",
    ]
