"""Safe rendering: data values and configuration text are shown literally and never make the report
fetch anything; a study's own templates/ folder overrides the packaged templates file by file."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from tests.conftest import RECORDS, SUBJECTS
from trialkit.report.fetcher import ConfinedFetcher
from trialkit.report.pdf import render_pdf
from trialkit.report.templates import packaged_templates

HOSTILE_ID = '<img src="file:///etc/passwd">'
HOSTILE_TITLE = 'Study <link rel="stylesheet" href="http://127.0.0.1:9/evil.css"> end'
HOSTILE_TIER = "<i>x</i>&amp;"


@pytest.fixture
def hostile_study(make_study):
    # a subject id that is an HTML image tag pointing at a local file (its missing Week 2 CGI-S puts it in the
    # data-issues listing), a subgroup level holding markup (a column header of the tables), and a title
    # holding a stylesheet link
    records = RECORDS.replace("S1,Week 2,CGI-S,3\n", "").replace("S1,", f'"{HOSTILE_ID}",')
    subjects = SUBJECTS.replace("S1,1,", f'"{HOSTILE_ID}",{HOSTILE_TIER},')
    study = make_study(config={"study": {"id": "T-1", "title": HOSTILE_TITLE}}, records=records, subjects=subjects)
    return study


def test_hostile_values_are_escaped_in_html(hostile_study, tmp_path):
    from trialkit.pipeline import run_study

    run_study(hostile_study, tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<img src=" not in html and '<link rel="stylesheet" href="http' not in html
    assert "&lt;link rel=&#34;stylesheet&#34; href=&#34;http://127.0.0.1:9/evil.css&#34;&gt;" in html


@pytest.mark.parametrize("render_process", [True, False])
def test_hostile_values_fetch_nothing_and_show_literally(hostile_study, tmp_path, monkeypatch, render_process):
    from trialkit.pipeline import run_study
    from trialkit.report.processes import TwoProcessExecutor, start_executor

    executor = start_executor() if render_process else None  # in the render process, and in this one
    assert isinstance(executor, TwoProcessExecutor) or not render_process
    result = run_study(hostile_study, tmp_path / "out", executor=executor)
    # nothing was even attempted but the report's own figures: the values are text
    assert result.refused == ()
    assert result.fetched and all(url.startswith("trialkit-figure:") for url in result.fetched)
    text = "\n".join(page.extract_text() for page in PdfReader(tmp_path / "out" / "report.pdf").pages)
    assert "Study <link rel=" in text.replace("\n", " ")
    # the subject id, shown literally (wrapped over two lines of its column) in the data-issues listing
    assert HOSTILE_ID.replace('"', "") in text.replace("\n", "").replace('"', "")
    assert f"{HOSTILE_TIER}\n" in text  # the level, shown literally in the tables' column headers


def test_fetcher_refuses_everything_outside_the_template_folders(tmp_path):
    fetch = ConfinedFetcher(packaged_templates(), tmp_path / "templates")
    for url in ("file:///etc/passwd", "http://127.0.0.1:9/x.css", "https://example.org/a.png",
                f"file://{packaged_templates()}/../../../etc/passwd", "data:text/plain,hello"):
        with pytest.raises(ValueError, match="refused"):
            fetch(url)
    assert len(fetch.refused) == 5
    css = fetch(f"file://{packaged_templates() / 'report.css'}")
    assert css.headers["Content-Type"] == "text/css" and b"@page" in css.read()


def test_pdf_with_a_remote_stylesheet_fetches_nothing(tmp_path):
    fetch = ConfinedFetcher(packaged_templates())
    pdf = render_pdf('<link rel="stylesheet" href="http://127.0.0.1:9/evil.css"><img src="file:///etc/passwd"><p>x</p>',
                     fetcher=fetch)
    assert pdf.startswith(b"%PDF")
    assert set(fetch.refused) == {"http://127.0.0.1:9/evil.css", "file:///etc/passwd"}


def test_study_templates_override_packaged_ones_file_by_file(make_study, tmp_path):
    from trialkit.pipeline import run_study

    study = make_study()
    (study / "templates").mkdir()
    # override only the stylesheet; report.html.j2 still comes from the package
    css = (packaged_templates() / "report.css").read_text() + "\nh1 { color: rgb(1, 2, 3); }\n"
    (study / "templates" / "report.css").write_text(css)
    run_study(study, tmp_path / "out")
    html = (tmp_path / "out" / "report.html").read_text()
    assert "h1 { color: rgb(1, 2, 3); }" in html
    assert "observed values by visit" in html


def test_logo_inside_the_study_is_shown_and_page_size_applies(make_study, tmp_path):
    import struct
    import zlib

    from trialkit.pipeline import run_study

    study = make_study(config={"study": {"id": "T-1", "logo": "logo.png", "page_size": "Letter"}})
    # a 1 x 1 PNG, written byte by byte
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
    (study / "logo.png").write_bytes(png)
    run_study(study, tmp_path / "out")
    reader = PdfReader(tmp_path / "out" / "report.pdf")
    first = reader.pages[0]
    assert round(float(first.mediabox.width)) == 612  # Letter: 8.5 in
    assert "/Image" in str(first["/Resources"].get("/XObject", {}).values().__iter__().__next__().get_object().get("/Subtype"))
    widths = {round(float(p.mediabox.width)) for p in reader.pages}
    assert widths == {612, 792}  # the data-issues listing is on landscape pages


def test_a_table_with_many_subgroup_levels_is_set_on_landscape_pages(make_study, tmp_path):
    """10 tier levels make the value tables ~170 characters wide: landscape pages, with the measure's heading
    on the same page as its first table; the narrow tables stay on portrait pages."""
    from trialkit.pipeline import run_study

    lines = ["SUBJID,VISIT,PARAM,AVAL"]
    for k in range(20):
        for visit, value in (("Baseline", 5), ("Week 1", 4), ("Week 2", 3 + k % 2)):
            lines += [f"S{k},{visit},CGI-S,{value}", f"S{k},{visit},CGI-I,{value - 1}"]
    subjects = "SUBJID,TIER,GRM1\n" + "".join(f"S{k},{k % 10 + 1},{k % 2}\n" for k in range(20))
    study = make_study(records="\n".join(lines) + "\n", subjects=subjects)
    run_study(study, tmp_path / "out")
    reader = PdfReader(tmp_path / "out" / "report.pdf")
    pages = [(round(float(p.mediabox.width)), p.extract_text()) for p in reader.pages]
    assert pages[0][0] == 595  # the title page stays portrait (A4)
    width, values = next((w, t) for w, t in pages if "Table 14.2.1 CGI-S: observed values by visit\nPopulation" in t)
    assert width == 842  # A4 landscape
    assert "CGI-S: CGI-S\nTable 14.2.1" in values  # the measure's heading on the page of its first table
    assert "10 (N=2)" in values
    assert any("Table 14.1.1 Analysis population" in text for width, text in pages if width == 595)


def test_control_characters_and_bidi_overrides_are_shown_as_escapes_in_every_output(make_study, tmp_path):
    """A right-to-left override (U+202E) reversed the rest of its line in the HTML, the PDF and the RTF ("Cost
    $5 to $10" of a label showed as "01$ ot 5$ tsoC", a sponsor "\\u202eevil" as "live"); an ANSI escape went
    into the HTML and the RTF as it was. Each is now written as its escape, as messages write it."""
    from trialkit.pipeline import run_study

    tier = "\u202egnp.exe"  # shows as "exe.png" when the override acts
    visit = "Week\x1b[31m 1"
    records = RECORDS.replace("Week 1", visit)
    subjects = SUBJECTS.replace("S1,1,", f"S1,{tier},")
    study = make_study(config={"study": {"id": "T-1", "sponsor": "\u202eevil"},
                               "visits": {"order": ["Baseline", visit, "Week 2"], "baseline": "Baseline",
                                          "endpoint": "Week 2"}},
                       records=records, subjects=subjects)
    run_study(study, tmp_path / "out")
    out = tmp_path / "out"
    html = (out / "report.html").read_text(encoding="utf-8")
    pdf = "\n".join(page.extract_text() for page in PdfReader(out / "report.pdf").pages)
    rtf = "".join(p.read_text(encoding="ascii") for p in sorted((out / "tables").glob("*.rtf")))
    for text in (html, pdf):
        assert "\u202e" not in text and "\x1b" not in text
        assert "\\u202eevil" in text and "\\u202egnp.exe" in text and "Week\\x1b[31m 1" in text
    assert "\\u8238" not in rtf and "\\u-" not in rtf  # no override written as an RTF character
    assert "\\\\u202egnp.exe" in rtf and "Week\\\\x1b[31m 1" in rtf  # the escape's backslash, escaped for RTF
