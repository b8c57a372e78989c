"""The report's tables and figure of the ordinal analyses, and the paired tables' statistics from pingouin:
what they show is what the ARD holds, formatted at the edge; the RTF tables hold the same text."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from tests.conftest import EXAMPLE
from trialkit.report.formatting import fmt_cell, fmt_test
from trialkit.report.spec import BayesFactor, ChiSquareTest, StackedBarPlot, Table


@pytest.fixture(scope="module")
def built():
    from trialkit.derivations import derive
    from trialkit.pipeline import check_study, findings_of
    from trialkit.report.build import build_report
    from trialkit.results import build_ard

    config, checked = check_study(EXAMPLE)
    ard = build_ard(derive(checked, config), checked.subjects, config)
    return ard, build_report(ard, findings_of(checked, ard), config), config


def _table(report, words: str) -> Table:
    return next(t for t in report.tables if words in t.title)


def _rows(table: Table) -> dict[str, list[str]]:
    return {row.cells[0].text: [fmt_cell(c) for c in row.cells[1:]] for block in table.blocks for row in block.rows}


def _value(ard, **where) -> float:
    rows = ard
    for column, value in where.items():
        rows = rows[rows[column] == value]
    (value,) = rows["value"]
    return value


def test_ordinal_table_shows_odds_ratios_with_ci_and_p_and_the_po_tests(built):
    ard, report, _ = built
    table = _table(report, "CGI-S: proportional-odds model of the Week 5 category")
    rows = _rows(replace(table, blocks=table.blocks[:1]))
    key = dict(analysis="ordinal", measure="CGI-S", group_var="overall", contrast="baseline (per category)")
    odds = _value(ard, stat="odds_ratio", **key)
    lower, upper = _value(ard, stat="odds_ratio_ci_lower", **key), _value(ard, stat="odds_ratio_ci_upper", **key)
    assert rows["Baseline CGI-S (per category)"] == ["29", "2.09", "0.55", f"{odds:.2f}", f"({lower:.2f}, {upper:.2f})",
                                                      "<0.001"]
    rows = _rows(replace(table, blocks=table.blocks[1:]))
    assert rows["Baseline CGI-S (per category)"][:3] == ["29", "2.37", "0.62"]
    assert rows["Genotype tier 1 (reference)"] == ["10", "", "", "1.00", "", ""]  # the reference: odds ratio 1 by definition, as its column
    tier3 = _value(ard, analysis="ordinal", measure="CGI-S", group="3", contrast="TIER 3 vs 1", stat="odds_ratio")
    assert rows["Genotype tier 3 vs 1"][3] == f"{tier3:.2f}" == "0.11"
    assert [b.label for b in table.blocks] == ["All subjects: Week 5 category ~ baseline",
                                               "By Genotype tier: Week 5 category ~ Genotype tier + baseline"]
    assert [fmt_test(t) for t in table.tests] == [
        "Proportional-odds test, all subjects: chi-square(3) = NE, p = NE",
        "Proportional-odds test, by Genotype tier: chi-square(9) = NE, p = NE",
        "Proportional-odds test, by Genotype tier, of Genotype tier: chi-square(6) = NE, p = NE",
        "Proportional-odds test, by Genotype tier, of Baseline CGI-S: chi-square(3) = NE, p = NE"]
    assert any("Listing 16.2.1" in note for note in table.footnotes)


def test_the_po_test_is_printed_where_it_is_estimable(built):
    ard, report, _ = built
    table = _table(report, "CGI-I: proportional-odds model")
    statistic = _value(ard, analysis="ordinal", measure="CGI-I", group_var="TIER", group="",
                       contrast="TIER (all levels)", stat="po_statistic")
    assert statistic == pytest.approx(9.6912, abs=1e-4)  # the one valid nominal fit (tests/test_example_ordinal.py)
    assert all(isinstance(t, ChiSquareTest) for t in table.tests)
    # the tier's own test is printed beside the model's test of all its terms (which is NE)
    assert [fmt_test(t) for t in table.tests][1:3] == [
        "Proportional-odds test, by Genotype tier: chi-square(6) = NE, p = NE",
        f"Proportional-odds test, by Genotype tier, of Genotype tier: chi-square(4) = {statistic:.2f}, p = 0.046"]


def test_shift_table_is_the_full_square_with_totals_and_both_tests(built):
    ard, report, _ = built
    table = _table(report, "CGI-S: shift from the Baseline to the Week 5 category")
    assert [c.label for c in table.columns] == ["1", "2", "3", "4", "5", "6", "7", "Total"]
    assert {c.span for c in table.columns[:7]} == {"Week 5 category"}
    overall = table.blocks[0]
    assert overall.label == "Overall (n=29)" and len(overall.rows) == 8
    cells = {row.cells[0].text: [fmt_cell(c) for c in row.cells[1:]] for row in overall.rows}
    assert cells["5"] == ["0", "0", "5", "5", "3", "0", "0", "13"]
    assert cells["Total"] == ["0", "2", "10", "9", "6", "2", "0", "29"]
    assert [b.label for b in table.blocks[1:]] == ["Genotype tier 1 (n=10)", "Genotype tier 2 (n=9)",
                                                   "Genotype tier 3 (n=10)"]
    sm = _value(ard, analysis="shift", measure="CGI-S", group="all", category="", stat="stuart_maxwell_statistic")
    assert fmt_test(table.tests[0]) == f"Overall, Stuart-Maxwell: chi-square(5) = {sm:.2f}, p = 0.002"
    assert fmt_test(table.tests[1]) == "Overall, Bowker: chi-square(15) = 21.00, p = 0.137"
    assert len(table.tests) == 8
    assert "Subjects left out, without both values: Overall: 1; Genotype tier 1: 1." in table.footnotes[0]


def test_friedman_table_has_a_column_per_group(built):
    ard, report, _ = built
    table = _table(report, "CGI-S: change across visits, Friedman test")
    rows = _rows(table)
    assert rows["n (all visits observed)"] == ["28", "10", "9", "9"]
    assert rows["Left out (a visit missing)"] == ["2", "1", "0", "1"]
    w = _value(ard, analysis="friedman", measure="CGI-S", group="all", stat="kendall_w")
    assert rows["Kendall's W"][0] == f"{w:.3f}" and rows["p-value"][0] == "<0.001"
    assert "pingouin" in table.footnotes[0]


def test_paired_tables_show_pingouin_statistics_with_footnotes(built):
    ard, report, _ = built
    ttest = _rows(_table(report, "CGI-S: Week 5 vs Baseline, paired t-test"))
    bf10 = _value(ard, analysis="paired_t", measure="CGI-S", group="all", stat="bf10")
    assert ttest["BF10"][0] == f"{bf10:.2e}" == "1.59e+05"
    assert ttest["Power"][1] == f"{_value(ard, analysis='paired_t', measure='CGI-S', group='1', stat='power'):.3f}"
    wilcox = _rows(_table(report, "CGI-S: Week 5 vs Baseline, Wilcoxon"))
    assert wilcox["CLES"][0] == "0.243" and wilcox["Rank-biserial r"][0] == "-1.00"
    for words in ("paired t-test", "Wilcoxon"):
        notes = " ".join(_table(report, f"CGI-S: Week 5 vs Baseline, {words}").footnotes)
        assert "Computed by pingouin" in notes


def test_a_bayes_factor_beyond_floating_point_is_shown_as_above_1e300():
    assert fmt_cell(BayesFactor(math.inf)) == ">1e300"
    assert fmt_cell(BayesFactor(2.5e300)) == ">1e300"
    assert fmt_cell(BayesFactor(0.0004)) == "4.00e-04" and fmt_cell(BayesFactor(math.nan)) == "NE"


def test_stacked_bars_show_the_ard_s_category_shares(built):
    ard, report, config = built
    figure = next(f for f in report.figures if f.title == "CGI-I: categories by visit, overall and by subgroup")
    plot = figure.plot
    assert isinstance(plot, StackedBarPlot)
    assert plot.categories == tuple("1234567") and plot.shown == (True,) * 4 + (False,) * 3
    assert [p.title for p in plot.panels] == ["Overall", "Genotype tier 1", "Genotype tier 2", "Genotype tier 3"]
    overall = plot.panels[0]
    assert overall.n == (29, 30, 30, 29, 30, 30)
    share = _value(ard, analysis="categories", measure="CGI-I", group="all", visit="Week 5", category="2",
                   stat="proportion")
    assert overall.shares[5][1] == share and sum(overall.shares[5]) == pytest.approx(1)
    from trialkit.report.figures import draw

    svg = draw(plot)
    assert svg.count("<text") > 50 and "Genotype tier 3" in svg


def test_a_rating_not_in_whole_categories_has_no_bars_and_says_why(built):
    from trialkit.report import figure_data
    from trialkit.report.lookup import Groups

    ard, _, config = built
    without = ard[~((ard["analysis"] == "categories") & (ard["measure"] == "CGI-S"))]
    figures = figure_data.figures_of(without, Groups(config, {}), "CGI-S", config, conf="95%",
                                     direction="lower = better")
    bars = figures[-1]
    assert bars.plot is None and bars.footnote.startswith("Not drawn: CGI-S is not rated in whole categories")


def test_rtf_tables_hold_the_new_tables_text(built):
    from trialkit.report.rtf import table_to_rtf

    _, report, _ = built
    for words, text in (("CGI-S: shift from", "Overall, Stuart-Maxwell: chi-square(5) = 19.14, p = 0.002"),
                        ("CGI-S: proportional-odds", "Baseline CGI-S (per category)"),
                        ("CGI-S: change across visits", "Kendall's W"),
                        ("CGI-S: Week 5 vs Baseline, paired t-test", "1.59e+05")):
        assert text in table_to_rtf(_table(report, words))


def test_tables_without_their_analyses_are_not_made(built):
    import pandas as pd

    from trialkit.findings import ISSUE_COLUMNS
    from trialkit.report.build import build_report

    ard, _, config = built
    plain = ard[~ard["analysis"].isin(["categories", "ordinal", "shift", "friedman"])]
    report = build_report(plain, pd.DataFrame(columns=ISSUE_COLUMNS),
                          config.model_copy(update={"analyses": ["descriptive", "paired_t"]}))
    titles = [t.title for t in report.tables]
    assert not any(w in title for title in titles for w in ("proportional-odds", "shift from", "Friedman"))
    assert not any("categories by visit" in f.title for f in report.figures)
