"""Pages a medical writer signs off: what the report's tables, footnotes, listing and RTF files say."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pandas as pd
import pytest

from tests.conftest import EXAMPLE, ROOT
from trialkit.report.spec import Interval, Number, Table


@pytest.fixture(scope="module")
def example():
    from trialkit.derivations import derive
    from trialkit.pipeline import check_study, findings_of
    from trialkit.report.build import build_report
    from trialkit.results import build_ard

    config, checked = check_study(EXAMPLE)
    ard = build_ard(derive(checked, config), checked.subjects, config)
    return build_report(ard, findings_of(checked, ard), config)


def _report_of(study):
    from trialkit.derivations import derive
    from trialkit.pipeline import check_study
    from trialkit.report.build import build_report
    from trialkit.results import build_ard

    config, checked = check_study(study)
    return build_report(build_ard(derive(checked, config), checked.subjects, config), checked.issues_frame(), config)


def _table(report, words: str) -> Table:
    return next(t for t in report.tables if words in t.title)


def test_an_estimate_its_se_and_its_ci_have_the_same_decimals(example):
    lmm = _table(example, "CGI-S: linear mixed model")
    rows = {row.cells[0].text: row.cells[1:] for row in lmm.blocks[0].rows}
    for estimate, se, ci in zip(rows["Difference (Week 5 - Baseline)"], rows["SE"], rows["95% CI"]):
        assert isinstance(ci, Interval) and estimate.decimals == se.decimals == ci.decimals == 2
    mmrm = _table(example, "CGI-S: MMRM")
    for block in mmrm.blocks:
        for row in block.rows:
            estimate, ci, se = row.cells[2], row.cells[3], row.cells[4]
            assert isinstance(estimate, Number) and isinstance(ci, Interval) and isinstance(se, Number)
            assert estimate.decimals == ci.decimals == se.decimals


def test_holm_adjusted_p_values_only_with_subgroups(example, make_study):
    assert "Holm-adjusted p" in [r.cells[0].text for r in _table(example, "linear mixed model").blocks[0].rows]
    assert "Holm p" in [c.label for c in _table(example, "MMRM").columns]
    study = make_study(config={"subjects": {"genotype_flags": ["GRM1"], "subgroups": []},
                               "analyses": ["descriptive", "lmm", "mmrm"]})
    report = _report_of(study)
    lmm, mmrm = _table(report, "linear mixed model"), _table(report, "MMRM")
    assert "Holm-adjusted p" not in [r.cells[0].text for r in lmm.blocks[0].rows]
    assert "Holm p" not in [c.label for c in mmrm.columns]
    assert not any("Holm" in note for note in (*lmm.footnotes, *mmrm.footnotes))


def test_model_footnotes_and_methods_are_in_words(example):
    mmrm = " ".join(_table(example, "CGI-S: MMRM").footnotes)
    assert "unstructured covariance" in mmrm and "Satterthwaite degrees of freedom" in mmrm
    methods = " ".join(example.methods)
    assert "unstructured covariance within subjects (when it does not converge: Toeplitz, first-order " \
           "autoregressive, compound symmetry, in this order)" in methods
    for terse in (" us ", "us covariance", "satterthwaite df", "satterthwaite degrees", "toep,", "ar1"):
        assert terse not in mmrm and terse not in methods, terse


def test_methods_call_records_observed_cases_only_without_a_record_selection(example, make_study):
    from trialkit.config import load_config
    from trialkit.report.sections import methods

    assert "Analyses use observed cases; no value is imputed." in example.methods[0]
    # an ADaM file's analysis records may hold values carried forward before trialkit read them
    text = " ".join(methods(load_config(make_study(config={"data": {"filter": {"AVAL": ["1", "2", "3", "4", "5"]}}})), {}))
    assert "observed cases" not in text
    assert ("No value is imputed by trialkit: the analyses use the records of the data file as recorded, those with "
            "AVAL in '1', '2', '3', '4', '5' (data.filter); a record imputed before (for example an ADaM record carried "
            "forward, DTYPE LOCF) is analysed as recorded.") in text


def test_column_headers_come_from_the_configured_labels(example, make_study):
    disposition = _table(example, "Subject disposition")
    assert [(c.span, c.label, c.n) for c in disposition.columns] == [
        ("", "Overall", 30), ("Genotype tier", "1", 11), ("Genotype tier", "2", 9), ("Genotype tier", "3", 10)]
    report = _report_of(make_study())  # no labels: the column's name is the spanning header, never a prefix
    assert {c.span for c in _table(report, "Subject disposition").columns} == {"", "TIER"}
    assert all(not c.label.startswith("TIER") for t in report.tables for c in t.columns)


def test_a_label_for_an_unknown_column_is_a_configuration_error(make_study):
    from trialkit.config import load_config
    from trialkit.errors import ConfigError

    study = make_study(config={"subjects": {"genotype_flags": ["GRM1"], "subgroups": ["TIER"],
                                            "labels": {"TIER": "Tier", "TIRE": "Typo"}}})
    with pytest.raises(ConfigError, match=r"subjects.labels: labels given for \['TIRE'\]"):
        load_config(study)


def test_bold_only_where_the_footnote_says_so(example):
    for table in example.tables:
        bold = [row for block in table.blocks for row in block.rows if row.emphasis]
        if bold:
            assert any("in bold" in note for note in table.footnotes), table.number
            assert all(row.cells[0].text == "Week 5" for row in bold)


def test_listing_shows_the_first_findings_of_each_check_with_the_counts(example):
    from trialkit.report.sections import listing
    from trialkit.report.templates import render_html
    from trialkit.validation import ISSUE_COLUMNS

    rows = [("warning", "filtered", "records.csv", k + 2, "ANL01FL", "N", f"S{k}", "Week 1", "CGI-S", "left out")
            for k in range(50_000)]
    rows += [("warning", "missing_visit", "records.csv", None, "", "", "S1", "Week 2", "CGI-S", "no Week 2")] * 3
    issues = pd.DataFrame(rows, columns=ISSUE_COLUMNS)
    shown = listing(issues)
    assert [(g.check, g.count, len(g.rows)) for g in shown.groups] == [
        ("filtered", 50_000, 20), ("missing_visit", 3, 3)]  # the first 20 of each check (README)
    assert shown.groups[0].rows[0] == ("warning", "filtered", "records.csv", "2", "ANL01FL", "N", "S0", "Week 1",
                                       "CGI-S", "left out")
    html = render_html(replace(example, listing=shown), medium="html", svgs=[""] * len(example.figures))
    assert "filtered: 50000 finding(s), the first 20 listed; all are in data_issues.csv" in html
    assert html.count("<td>left out</td>") == 20


def test_html_contents_have_no_empty_page_links(example):
    from trialkit.report.templates import render_html

    html = render_html(example, medium="html", svgs=[""] * len(example.figures))
    contents = html[html.index('<nav class="contents">'):html.index("</nav>")]
    assert not re.search(r"<a[^>]*>\s*</a>", contents)
    assert contents.count("<a href=") == len(example.contents)
    pdf_source = render_html(example, medium="pdf")
    assert pdf_source.count('<a class="page"') == len(example.contents)  # the PDF fills in the page numbers


def test_a_table_split_over_pages_says_continued(example_run):
    from pypdf import PdfReader

    pages = [page.extract_text() for page in PdfReader(example_run / "report.pdf").pages]
    continued = [(k, m.group(1)) for k, text in enumerate(pages)
                 for m in re.finditer(r"(Table 14\.\d\.\d+) .*\(continued\)", text)]
    assert continued, "the example has tables that go over a page"
    for k, number in continued:
        first = next(i for i, text in enumerate(pages) if re.search(rf"{re.escape(number)} .*\nPopulation:", text))
        assert first < k, (number, first, k)  # the title says "(continued)" only after the table's first page
    for k, text in enumerate(pages):
        for m in re.finditer(r"(Table 14\.\d\.\d+) [^\n]*\nPopulation:", text):
            assert (k, m.group(1)) not in continued  # never on the page where the table begins


def test_what_follows_a_landscape_listing_or_table_is_on_portrait_pages(example_run, example):
    """The statistical methods after the landscape data-issues listing, and a narrow table after a wide one,
    start a portrait page: they do not go on in landscape where the wide content ended."""
    from pypdf import PdfReader

    from trialkit.report.monospace import monospace
    from trialkit.report.pdf import render_pdf
    from trialkit.report.templates import render_html

    def pages(pdf):
        return [(float(p.mediabox.width) > float(p.mediabox.height), p.extract_text()) for p in PdfReader(pdf).pages]

    shown = pages(example_run / "report.pdf")
    assert any(landscape and "Listing 16.2.1 Data issues" in text for landscape, text in shown)
    assert [landscape for landscape, text in shown if re.search(r"(^|\n)Statistical methods\n", text)] == [False]
    assert not any(landscape and "Appendix: provenance" in text for landscape, text in shown)
    # a short wide table (its columns three times over) and a narrow one after it, with room on the page
    narrow = _table(example, "CGI-S: Week 5 vs Baseline, paired t-test")
    wide = replace(narrow, title="wide", columns=narrow.columns * 3,
                   blocks=tuple(replace(b, rows=tuple(replace(r, cells=(r.cells[0], *r.cells[1:] * 3)) for r in b.rows))
                                for b in narrow.blocks))
    assert monospace(wide).landscape and not monospace(narrow).landscape
    measure = replace(example.measures[0], tables=(replace(wide, number="Table 14.2.1"),
                                                   replace(narrow, number="Table 14.2.2")), figures=())
    shown = pages(io.BytesIO(render_pdf(render_html(replace(example, measures=(measure,)), medium="pdf"))))
    assert [landscape for landscape, text in shown if "Table 14.2.1 wide\nPopulation" in text] == [True]
    assert [landscape for landscape, text in shown if "Table 14.2.2 CGI-S: Week 5 vs Baseline, paired t-test\nPop"
            in text] == [False]


def test_listing_columns_stand_under_their_headers_and_short_values_do_not_wrap(example, tmp_path):
    """In the PDF's listing a header starts where its column's values start (left, as the values), a visit
    stays on one line however long the findings beside it are ("Week 6", not "Week" above "6"), and a value of
    any length from the data wraps within the page."""
    import subprocess
    from xml.etree import ElementTree

    from trialkit.report.pdf import render_pdf
    from trialkit.report.sections import listing
    from trialkit.report.templates import render_html
    from trialkit.validation import ISSUE_COLUMNS

    message = "no Week 6 CGI-S: the subject is excluded from baseline-vs-Week 6 tests; Baseline record not used " * 2
    issues = pd.DataFrame([("warning", "missing_endpoint", "records.csv", None, "", "", f"106-10{k:02d}", "Week 6",
                            "CGI-S", message) for k in range(5)]
                          + [("warning", "out_of_range", "records.csv", 7, "AVAL", "9" * 400, "S" * 80, "Week 6",
                              "CGI-S", "out of range")], columns=ISSUE_COLUMNS)
    pdf = tmp_path / "listing.pdf"
    pdf.write_bytes(render_pdf(render_html(replace(example, subject_tables=(), measures=(), listing=listing(issues)),
                                           medium="pdf")))
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(tmp_path / "words.html")], check=True)
    xhtml = "{http://www.w3.org/1999/xhtml}"
    listed = [page for page in ElementTree.parse(tmp_path / "words.html").getroot().iter(xhtml + "page")
              if any(w.text == "Severity" for w in page.iter(xhtml + "word"))]
    for page in listed:  # nothing past the right margin
        assert max(float(w.get("xMax")) for w in page.iter(xhtml + "word")) < float(page.get("width")) - 30
    words = [(w.text, float(w.get("xMin")), float(w.get("yMin"))) for w in listed[0].iter(xhtml + "word")]

    def line_of(word: str) -> list[tuple[str, float]]:
        y = next(y for text, _, y in words if text == word)
        return [(text, x) for text, x, y_ in words if abs(y_ - y) < 1]

    header, first_row = dict(line_of("Severity")), line_of("106-1000")
    for title, value in (("Subject", "106-1000"), ("Visit", "Week"), ("Measure", "CGI-S"), ("Finding", "no")):
        assert any(text == value and abs(x - header[title]) < 0.5 for text, x in first_row), title
    assert any(text == "6" and header["Visit"] < x < header["Measure"] for text, x in first_row)  # "Week 6" on a line


def test_rtf_is_set_as_sponsors_shells(example):
    from trialkit.report.rtf import table_to_rtf

    mmrm = table_to_rtf(_table(example, "CGI-S: MMRM"))
    assert "{\\f0\\fmodern\\fcharset0 Courier New;}" in mmrm and "\\fs18" in mmrm  # Courier New 9 pt
    assert "\\clbrdrl" not in mmrm and "\\clbrdrr" not in mmrm  # no boxed cells: no vertical rules
    rows = mmrm.split("\\trowd")[1:]
    assert all("\\clbrdrt" in cell for cell in rows[0].split("\\cellx")[:-1])  # a rule above the header
    assert all("\\clbrdrb" in cell for cell in rows[0].split("\\cellx")[:-1])  # and below it
    assert all("\\clbrdrb" in cell for cell in rows[-1].split("\\cellx")[:-1])  # and at the end
    assert not any("\\clbrdr" in row for row in rows[1:-1])
    bold = [row for row in rows if "\\b " in row]
    assert len(bold) == 1 and "Week 5\\cell" in bold[0]  # the endpoint row, as the footnote says
    assert "The endpoint (Week 5) is in bold." in mmrm
    # every table at 9 pt: one too wide for a portrait page on a landscape one, not in a smaller type
    every = {table.number: table_to_rtf(table) for table in example.tables}
    assert {number for number, rtf in every.items() if "\\fs18\\" not in rtf or "\\fs17" in rtf} == set()
    assert {number for number, rtf in every.items() if "\\lndscpsxn" in rtf} == {
        _table(example, words).number for words in ("CGI-S: Week 5 vs Baseline, paired", "CGI-S: Week 5 vs Baseline, W",
                                                     "CGI-S: linear mixed model", "CGI-I: Week 5 vs Baseline, paired",
                                                     "CGI-I: Week 5 vs Baseline, W", "CGI-I: linear mixed model",
                                                     "CGI-S: proportional-odds", "CGI-I: proportional-odds")}


def test_a_long_rtf_table_is_paginated_with_continued_titles(example):
    from trialkit.report.rtf import table_to_rtf

    values = _table(example, "CGI-S: observed values by visit")
    long = replace(values, blocks=values.blocks * 8)  # 48 blocks of 7 lines: several pages
    rtf = table_to_rtf(long)
    pages = rtf.split("\\page")
    assert len(pages) > 3
    assert all(f"{values.number} {values.title} (continued)" in page for page in pages[1:])
    assert "(continued)" not in pages[0]
    for page in pages:  # each page repeats the column headers, and blocks are not split
        assert "Overall (N=30)" in page and page.count("Mean (SD)") == page.count("Min, Max")


def test_rtf_text_is_escaped_in_one_place(example):
    from trialkit.report.rtf import table_to_rtf
    from trialkit.report.spec import Block, Row, Text

    hostile = replace(_table(example, "paired t-test"), title="{\\field{\\*\\fldinst INCLUDEPICTURE x}} é",
                      blocks=(Block("a}b", (Row((Text("{c}"), *[Text("")] * 4)),)),))
    rtf = table_to_rtf(hostile)
    assert "\\{\\\\field\\{\\\\*\\\\fldinst INCLUDEPICTURE x\\}\\} \\u233?" in rtf and "{\\field" not in rtf
    assert "a\\}b" in rtf and "\\{c\\}" in rtf


def test_no_study_words_in_library_code():
    """Library code names no study: not the example's genes, drug, condition or subgroup (a rating scale such as
    the CGI, which many studies use, may serve as an example in a docstring)."""
    words = re.compile(r"mGluR|fasoracetam|ADHD|genotype tier|\bTIER\b|GRM\d", re.IGNORECASE)
    found = [f"{path.relative_to(ROOT)}:{n}" for path in sorted((ROOT / "trialkit").rglob("*.py"))
             for n, line in enumerate(path.read_text().splitlines(), start=1) if words.search(line)]
    assert found == []


def test_ne_is_explained_under_a_table_that_shows_it(example):
    """'NE: not estimable.' under a table with an NE number or test line, in the HTML, PDF and RTF; not under others
    (it was printed under every table); an 'NE' that is data text (a site code) does not count."""
    from trialkit.report.formatting import not_estimable_note
    from trialkit.report.rtf import table_to_rtf
    from trialkit.report.spec import Block, Row, Text
    from trialkit.report.templates import render_html

    table = _table(example, "CGI-S: Week 5 vs Baseline, paired t-test")
    assert not_estimable_note(table) == ()
    assert "not estimable" not in table_to_rtf(table)
    site = replace(table, blocks=(Block("", (Row((Text("NE"), Text("NE"))),)), *table.blocks))
    assert not_estimable_note(site) == ()
    first = table.blocks[0]
    ne = replace(table, blocks=(replace(first, rows=(replace(first.rows[0], cells=(
        first.rows[0].cells[0], Number(float("nan"), 1), *first.rows[0].cells[2:])), *first.rows[1:])),
        *table.blocks[1:]))
    assert not_estimable_note(ne) == ("NE: not estimable.",)
    assert "NE: not estimable." in table_to_rtf(ne)
    measure = replace(example.measures[0], tables=(table, ne), figures=())
    html = render_html(replace(example, measures=(measure,)), medium="html")
    assert html.count("NE: not estimable.") == 1
