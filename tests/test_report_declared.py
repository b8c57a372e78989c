"""The report of the randomized example: subject tables by arm, the declared analyses' tables in the CSR shape
(a column per arm in plan order with its N, the analysis set and its N, numbered footnotes written from the plan),
the LS-mean figure, the methods written from the plan; the same tables in HTML and RTF."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT
from trialkit.derivations import derive
from trialkit.pipeline import check_study
from trialkit.report.build import build_report
from trialkit.report.formatting import fmt_cell, fmt_header
from trialkit.report.spec import CountPercent, EstimateSE, MeanPlot, PValue, Text
from trialkit.results import build_ard

ARMS = ["Placebo", "Drug 200 mg", "Drug 400 mg"]


@pytest.fixture(scope="module")
def built():
    config, checked = check_study(ROOT / "example_rct")
    ard = build_ard(derive(checked, config), checked.subjects, config)
    return build_report(ard, checked.issues_frame(), config, {}), ard


@pytest.fixture(scope="module")
def report(built):
    return built[0]


def _table(report, title):
    (table,) = [t for t in report.tables if t.title == title]
    return table


def _row(table, label, block=None):
    rows = [r for b in table.blocks if block is None or b.label == block for r in b.rows if r.cells[0].text == label]
    assert len(rows) == 1, (label, block, len(rows))
    return rows[0]


def test_subject_tables_have_a_column_per_arm_in_plan_order_and_total_last(report):
    for table in report.subject_tables:
        assert [fmt_header(c) for c in table.columns] == ["Placebo (N=49)", "Drug 200 mg (N=50)", "Drug 400 mg (N=51)",
                                                          "Total (N=150)"], table.title
        assert all(c.span == "" for c in table.columns)  # never the arm column's name above them
    population = report.subject_tables[0]
    assert [fmt_cell(c) for c in _row(population, "Efficacy analysis set (EFFFL in Y)").cells[1:]] == [
        "49 (100.0%)", "50 (100.0%)", "50 (98.0%)", "149 (99.3%)"]


def test_a_declared_categorical_site_is_counted_per_level(report):
    baseline = _table(report, "Baseline characteristics")
    (site,) = [b for b in baseline.blocks if b.label == "Site"]
    assert [r.cells[0].text for r in site.rows] == ["101", "102", "103", "104", "105", "106"]
    assert all(isinstance(c, CountPercent) for r in site.rows for c in r.cells[1:])


def test_the_ancova_table_has_the_csr_shape(report, built):
    table = _table(report, "CGI-S change from Baseline: ANCOVA")
    assert table.number.startswith("Table 14.2.")
    assert [fmt_header(c) for c in table.columns] == ["Placebo (N=49)", "Drug 200 mg (N=50)", "Drug 400 mg (N=50)"]
    assert table.population == "Efficacy analysis set (N=149; EFFFL = Y)."
    assert [b.label for b in table.blocks] == ["Baseline", "Week 6", "Change from Baseline to Week 6", "ANCOVA at Week 6"]
    assert [r.cells[0].text for r in table.blocks[0].rows] == ["n", "Mean (SD)", "Median", "Min, Max"]
    assert [note[:4] for note in table.footnotes] == ["[1] ", "[2] ", "[3] "]
    assert table.footnotes[0].startswith("[1] Analysis of covariance of the change from Baseline in Clinical Global "
                                         "Impression - Severity with "
                                         "treatment, genotype tier and site as factors and baseline value as a covariate")
    assert table.footnotes[1].startswith("[2] Test for a non-zero coefficient for dose (DOSE) as a continuous variable")
    assert table.footnotes[2].startswith("[3] P-values and simultaneous confidence intervals adjusted by Dunnett's")
    dose = _row(table, "p-value (dose response) [1][2]")
    assert [type(c) for c in dose.cells[1:]] == [Text, Text, PValue]  # in the last arm's column
    vs = _row(table, "p-value (vs Placebo) [1][3]")
    assert vs.cells[1] == Text("") and all(isinstance(c, PValue) for c in vs.cells[2:])
    ard = built[1]
    diff = ard[(ard.analysis_id == "cgis_ancova") & (ard.contrast == "Drug 400 mg - Placebo")]
    value = dict(zip(diff.stat, diff.value))
    # the estimate, its SE and its CI to the same decimals (issue 13): two more than the ratings' 0
    assert _row(table, "Diff of LS means (SE)").cells[3] == EstimateSE(value["estimate"], value["se"], 2)
    assert fmt_cell(_row(table, "Diff of LS means (SE)").cells[3]) == "-1.21 (0.19)"  # ARD -1.2083, 0.1852
    for block in table.blocks:
        for row in block.rows:
            if row.cells[0].text == "95% CI":
                assert all(re.fullmatch(r"\(-?\d+\.\d\d, -?\d+\.\d\d\)", fmt_cell(c)) for c in row.cells[1:]
                           if fmt_cell(c)), row
    assert fmt_cell(_row(table, "Adjusted p-value (Dunnett)").cells[3]) == "<0.001"
    assert fmt_cell(_row(table, "n", "Change from Baseline to Week 6").cells[1]) == "45"


def test_the_mmrm_table_by_visit_and_averaged(report):
    table = _table(report, "CGI-S change from Baseline: MMRM")
    assert [b.label for b in table.blocks] == ["Baseline", "Week 2", "Week 4", "Week 6", "Average of the visits"]
    assert [r.cells[0].text for r in table.blocks[1].rows] == [
        "n", "LS mean (SE) [1]", "95% CI", "p-value (vs Placebo) [1][2]", "Diff of LS means (SE)", "95% CI"]
    assert table.footnotes[1] == "[2] P-values without adjustment for multiple comparisons."
    assert "Kenward-Roger degrees of freedom" in table.footnotes[0]


def test_cmh_and_responder_tables(report):
    counts = _table(report, "CGI-I by visit: CMH test stratified by genotype tier: counts by arm")
    assert [fmt_header(c) for c in counts.columns][-1] == "Total (N=149)"
    assert [r.cells[0].text for r in counts.blocks[0].rows] == ["n", "1", "2", "3", "4", "5"]
    tests = _table(report, "CGI-I by visit: CMH test stratified by genotype tier: CMH statistics")
    assert [r.cells[0].text for r in tests.blocks[0].rows] == ["Nonzero correlation", "Row mean scores differ",
                                                             "General association"]
    responders = _table(report, "CGI-I responders (much or very much improved) at Week 6")
    assert responders.population.startswith("ITT analysis set (N=150; ITTFL = Y)")
    assert fmt_cell(_row(responders, "Responders, n (%)").cells[1]) == "11 (24.4%)"
    assert _row(responders, "p-value, CMH stratified [1]").cells[1] == Text("")


def test_the_ls_mean_figure_has_a_series_per_arm(report, built):
    (figure,) = [f for f in report.figures if isinstance(f.plot, MeanPlot) and "LS mean" in f.title]
    plot = figure.plot
    assert plot.visits == ("Week 2", "Week 4", "Week 6") and [s.label for s in plot.series] == ARMS
    ard = built[1]
    week6 = ard[(ard.analysis_id == "cgis_mmrm") & (ard.visit == "Week 6") & (ard.contrast == "Drug 400 mg")
                & (ard.stat == "estimate")]
    assert plot.series[2].mean[2] == week6.value.iat[0]


def test_methods_and_summary_are_written_from_the_plan(report):
    methods = " ".join(report.methods)
    assert "Treatment: column ARM of the subjects file; control Placebo" in methods
    assert "Analysis sets (subject-level conditions, all of which must hold): ITT: ITTFL in [Y]; Efficacy: EFFFL in [Y]." \
           in methods
    for analysis_id in ("cgis_summary", "cgis_ancova", "cgis_mmrm", "cgii_cmh", "cgii_responders"):
        assert f"({analysis_id}; " in methods
    assert "When it does not converge, Toeplitz, first-order autoregressive, compound symmetry are tried" in methods
    assert any(p.startswith("Analyses of the plan: CGI-S by visit") for p in report.summary)


def test_html_and_rtf_print_the_same_table(report):
    from trialkit.report.rtf import table_to_rtf
    from trialkit.report.templates import render_html

    table = _table(report, "CGI-S change from Baseline: ANCOVA")
    html = render_html(report, svgs=["<svg></svg>"] * len(report.figures))
    rtf = table_to_rtf(table)
    for text in ("p-value (vs Placebo) [1][3]", "Drug 400 mg (N=50)", "Efficacy analysis set (N=149; EFFFL = Y)."):
        assert text in html and text in rtf


def test_every_number_in_the_report_is_an_ard_value(built):
    """As for example_study (tests/test_end_to_end.py): the analysis sets' percentages of each arm too."""
    from tests.helpers import numbers_not_in_ard

    report, ard = built
    checked, missing = numbers_not_in_ard(report, ard)
    assert not missing
    assert checked > 900


def test_every_rtf_table_is_set_in_9_pt(report):
    """The CSR tables by arm: Courier New 9 pt, on a landscape page when a portrait one is too narrow (the analysis
    population table with its four arm columns was 7 pt on a portrait page)."""
    from trialkit.report.rtf import table_to_rtf

    every = {table.title: table_to_rtf(table) for table in report.tables}
    assert {title for title, rtf in every.items() if "\\fs18\\" not in rtf or "\\fs17" in rtf} == set()
    assert "\\lndscpsxn" in every["Analysis population and analysis sets"]
