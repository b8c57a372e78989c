"""Report tables of the analyses of a rating as ordered categories, from their ARD rows: the proportional-odds
model (odds ratios with CI and p, the proportional-odds test), the shift table (baseline x endpoint categories
with the Stuart-Maxwell and Bowker tests) and Friedman's test across visits; and their paragraph of the
statistical methods."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd

from trialkit.config import Measure, StudyConfig
from trialkit.report.efficacy import by_group
from trialkit.report.lookup import Groups, Lookup, columns, direction_label
from trialkit.report.spec import Block, ChiSquareTest, Column, Count, Interval, Number, PValue, Row, Table, Text
from trialkit.results import Contrast
from trialkit.results.ordinal import BASELINE_SCORE, NOT_ESTIMABLE

NAN = float("nan")
#: where a table's NE values are explained
WHY_NE = "The reason for each NE value is in Listing 16.2.1 (check not_estimable) and in ard.csv (column note)."


def _has_ne(ard: pd.DataFrame, analysis: str, measure: str) -> bool:
    part = ard[(ard["analysis"] == analysis) & (ard["measure"] == measure)]
    return bool(part["note"].str.contains(NOT_ESTIMABLE, regex=False).any())


def ordinal_tables(ard: pd.DataFrame, lookup, groups: Groups, name: str, spec: Measure, config: StudyConfig,
                   conf: str) -> list[Table]:
    """The measure's proportional-odds, shift and Friedman tables (those its ARD rows hold), unnumbered."""
    tables = []
    for analysis, make in (("ordinal", _ordinal), ("shift", _shift), ("friedman", _friedman)):
        found = lookup(analysis)
        if any(key[0] == name for key in found.table):
            table = make(ard, found, groups, name, spec, config, conf)
            if _has_ne(ard, analysis, name):
                table = replace(table, footnotes=(*table.footnotes, WHY_NE))
            tables.append(table)
    return tables


# -- the proportional-odds model --------------------------------------------------------------------------


def _coefficient(values: dict | None, n: float) -> tuple:
    v = values or {}
    return (Count(n), Number(v.get("estimate", NAN), 2), Number(v.get("se", NAN), 2), Number(v.get("odds_ratio", NAN), 2),
            Interval(v.get("odds_ratio_ci_lower", NAN), v.get("odds_ratio_ci_upper", NAN), 2),
            PValue(v.get("p_value", NAN)))


def _ordinal(ard, results: Lookup, groups: Groups, name: str, spec: Measure, config: StudyConfig, conf: str) -> Table:
    visits = config.visits
    endpoint = visits.endpoint
    baseline_row = f"{visits.baseline} {name} (per category)"
    blocks, tests = [], []
    for group_var, group in (("overall", "all"), *((s, "") for s in config.subjects.subgroups)):
        model = results.get(name, group_var, group, endpoint)
        if model is None:
            continue
        rows = []
        if group_var != "overall":
            label = groups.label(group_var)
            levels = [g for gv, g in results.levels if gv == group_var]
            for k, level in enumerate(levels):
                n = (results.get(name, group_var, level, endpoint) or {}).get("n", NAN)
                if k == 0:
                    rows.append(Row((Text(f"{label} {level} (reference)"), Count(n), *[Text("")] * 2, Text("1.00"),
                                     *[Text("")] * 2)))
                    continue
                contrast = Contrast.level(group_var, level, levels[0])
                rows.append(Row((Text(f"{label} {level} vs {levels[0]}"),
                                 *_coefficient(results.get(name, group_var, level, endpoint, contrast), n))))
        rows.append(Row((Text(baseline_row), *_coefficient(results.get(name, group_var, group, endpoint, BASELINE_SCORE),
                                                           model.get("n", NAN)))))
        who = "all subjects" if group_var == "overall" else f"by {groups.label(group_var)}"
        terms = "baseline" if group_var == "overall" else f"{groups.label(group_var)} + baseline"
        blocks.append(Block(f"{who[0].upper()}{who[1:]}: {endpoint} category ~ {terms}", tuple(rows)))
        tests.append(ChiSquareTest(f"Proportional-odds test, {who}", model.get("po_statistic", NAN),
                                   model.get("po_df", NAN), model.get("po_p_value", NAN)))
        if group_var != "overall":  # a model of two terms: each term's own test too (the one-term model's is the above)
            for term, contrast in ((groups.label(group_var), Contrast.term(group_var)),
                                   (f"{visits.baseline} {name}", BASELINE_SCORE)):
                test = results.get(name, group_var, group, endpoint, contrast) or {}
                tests.append(ChiSquareTest(f"Proportional-odds test, {who}, of {term}", test.get("po_statistic", NAN),
                                           test.get("po_df", NAN), test.get("po_p_value", NAN)))
    direction = direction_label(spec.direction)
    return Table(
        "", f"{name}: proportional-odds model of the {endpoint} category",
        f"Subjects with observed {visits.baseline} and {endpoint} values.", "Term",
        (Column("n"), Column("Log odds"), Column("SE"), Column("Odds ratio"), Column(f"{conf} CI"), Column("p-value")),
        tuple(blocks),
        (f"Proportional-odds (cumulative logit) model of the {endpoint} {name} category, maximum likelihood "
         "(statsmodels OrderedModel), with the sign of R MASS::polr: an odds ratio above 1 means higher "
         f"{endpoint} categories ({direction}), at every cut point. {visits.baseline} {name}: the odds ratio per "
         f"category higher at {visits.baseline} (the {visits.baseline} category enters as a score, not a factor: "
         "with few subjects in a baseline category a factor is often not estimable). A subgroup level: the odds of "
         "a higher category against the reference level, at the same baseline. Wald z tests and CIs; n: subjects "
         "in the model (or the level).",
         "Proportional-odds test: likelihood ratio of the model against the one with threshold-specific effects of "
         "all its terms, or of one term (as R ordinal::nominal_test); NE where that model cannot be fitted or its thresholds cross "
         "within the observed values, so that a category would get a negative probability (frequent with few "
         "subjects)."),
        tuple(tests))


# -- the shift table --------------------------------------------------------------------------------------


def _shift_rows(ard: pd.DataFrame, name: str) -> dict[tuple, dict[str, float]]:
    """(group_var, group, category) -> {stat: value} of the measure's shift rows."""
    part = ard[(ard["analysis"] == "shift") & (ard["measure"] == name)]
    out: dict[tuple, dict[str, float]] = {}
    for gv, g, category, stat, value in zip(*columns(part, "group_var", "group", "category", "stat", "value")):
        out.setdefault((gv, g, category), {})[stat] = value
    return out


def _shift(ard, results: Lookup, groups: Groups, name: str, spec: Measure, config: StudyConfig, conf: str) -> Table:
    visits = config.visits
    rows_of = _shift_rows(ard, name)
    categories = list(dict.fromkeys(c.split(" -> ")[0] for _, _, c in rows_of if " -> " in c))
    span = f"{visits.endpoint} category"
    blocks, tests, left_out = [], [], []
    for gv, g in results.levels:
        totals = rows_of[(gv, g, "")]
        who = groups.name(gv, g)
        if totals.get("n_excluded", 0) > 0:
            left_out.append(f"{who}: {totals['n_excluded']:.0f}")

        def n(b: str, e: str) -> float:
            return rows_of.get((gv, g, f"{b} -> {e}"), {}).get("n", NAN)

        def margin(category: str, visit: str) -> Count:
            return Count(rows_of.get((gv, g, category), {}).get(f"n_{visit}", NAN))

        rows = [Row((Text(b), *(Count(n(b, e)) for e in categories), margin(b, "baseline"))) for b in categories]
        rows.append(Row((Text("Total"), *(margin(e, "endpoint") for e in categories), Count(totals.get("n", NAN)))))
        blocks.append(Block(f"{who} (n={totals.get('n', NAN):.0f})" if not math.isnan(totals.get("n", NAN)) else who,
                            tuple(rows)))
        for test, label in (("stuart_maxwell", "Stuart-Maxwell"), ("bowker", "Bowker")):
            tests.append(ChiSquareTest(f"{who}, {label}", totals.get(f"{test}_statistic", NAN),
                                       totals.get(f"{test}_df", NAN), totals.get(f"{test}_p_value", NAN)))
    excluded = (f" Subjects left out, without both values: {'; '.join(left_out)}." if left_out else "")
    return Table(
        "", f"{name}: shift from the {visits.baseline} to the {visits.endpoint} category",
        f"Subjects with observed {visits.baseline} and {visits.endpoint} values.", f"{visits.baseline} category",
        tuple(Column(c, span=span) for c in categories) + (Column("Total"),), tuple(blocks),
        (f"Subjects by {visits.baseline} category (rows) and {visits.endpoint} category (columns); the diagonal: no "
         f"change.{excluded}",
         "Stuart-Maxwell test of marginal homogeneity (the distribution of categories is the same at both visits), on "
         "the categories in which some subject changed; Bowker's test of symmetry (a change from one category to "
         "another as likely as the reverse), its df counting every pair of categories seen at either visit as SAS "
         "PROC FREQ (AGREE) does. Both by statsmodels (SquareTable); NE where no subject changed category."),
        tuple(tests))


# -- Friedman's test --------------------------------------------------------------------------------------


def _friedman(ard, results: Lookup, groups: Groups, name: str, spec: Measure, config: StudyConfig, conf: str) -> Table:
    visits = config.visits.order if config.has_baseline(name) else config.visits.post_baseline
    across = Contrast.across(visits)
    columns_, blocks = by_group(results, groups, name, [
        ("n (all visits observed)", lambda f: Count(f["n"])),
        ("Left out (a visit missing)", lambda f: Count(f["n_excluded"])),
        ("Chi-square", lambda f: Number(f["statistic"], 2)),
        ("df", lambda f: Number(f["df"], 0)),
        ("p-value", lambda f: PValue(f["p_value"])),
        ("Kendall's W", lambda f: Number(f["kendall_w"], 3)),
    ], contrast=across)
    return Table(
        "", f"{name}: change across visits, Friedman test", f"Subjects with an observed value at every visit "
        f"({', '.join(visits)}).", "Statistic", columns_, blocks,
        (f"Friedman's rank test that the distribution of {name} is the same at all {len(visits)} visits, with ties "
         "corrected, by pingouin (friedman), as R friedman.test; complete cases: a subject missing any visit is left "
         "out. Kendall's W = chi-square / (n (k - 1)), k visits: from 0 (no agreement among subjects on the order of the "
         "visits) to 1 (every subject ranks the visits in the same order).",))


# -- methods ----------------------------------------------------------------------------------------------


def methods(config: StudyConfig) -> list[str]:
    """The statistical methods of the ordinal analyses the study runs, in words."""
    wanted = set(config.short_analyses)
    visits = config.visits
    paragraphs = []
    if "ordinal" in wanted:
        paragraphs.append(
            f"Proportional-odds (cumulative logit) model of the {visits.endpoint} category of each measure with a "
            f"baseline, adjusted for the {visits.baseline} category as a score (a linear term: one parameter, where a "
            "factor would need one per baseline category and, with few subjects per category, is often not "
            f"estimable); by subgroup, with the subgroup as a factor. Maximum likelihood (statsmodels OrderedModel, "
            "standard errors from the analytic information; agrees with R MASS::polr and ordinal::clm); odds ratios "
            "with Wald CIs. The proportional-odds assumption is tested by likelihood ratio against threshold-specific "
            "effects (as ordinal::nominal_test).")
    if "shift" in wanted:
        paragraphs.append(
            f"Shift tables of the {visits.baseline} against the {visits.endpoint} category, with the Stuart-Maxwell "
            "test of marginal homogeneity and Bowker's test of symmetry (statsmodels SquareTable).")
    if "friedman" in wanted:
        paragraphs.append("Friedman's test of change across all visits, complete cases (pingouin), with Kendall's W.")
    if "paired_t" in wanted or "wilcoxon" in wanted:
        paragraphs.append("The paired tests also report, computed by pingouin, the Bayes factor BF10 (JZS prior, Cauchy "
                          "scale 0.707) and the power of the t-test, and the rank-biserial correlation and the "
                          "common-language effect size of the signed-rank test.")
    if paragraphs:
        paragraphs.append("A value that cannot be computed (a rating that is not in whole categories, a model that "
                          "does not converge or whose estimates run off to infinity, a test without the changes it "
                          "needs) is shown as NE and listed, with the reason, in Listing 16.2.1.")
    return paragraphs
