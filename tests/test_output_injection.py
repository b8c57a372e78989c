"""Hostile text from a study's files is written into the outputs as text, never as something that runs
(issue 11.3): RTF control words, spreadsheet formulas, matplotlib math, terminal control sequences.

Each class is tested on its writer directly and through a whole command-line run (tests/helpers.run_hostile:
exit status, no traceback, no control character on the terminal, no network connection)."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import BASE_CONFIG
from tests.helpers import Canary, run_cli, run_hostile
from trialkit.report import spec
from trialkit.report.rtf import rtf_text, table_to_rtf

FIELD = r'{\field{\*\fldinst INCLUDEPICTURE "http://127.0.0.1:9/x.png" \\d}{\fldrslt }}'


# ---- RTF ---------------------------------------------------------------------------------------------------

#: every control word trialkit's RTF writer uses; anything else in a file came from a value
RTF_WORDS = {
    "rtf", "ansi", "ansicpg", "deff", "uc", "fonttbl", "f", "fmodern", "fcharset", "paperw", "paperh", "margl",
    "margr", "margt", "margb", "landscape", "sectd", "lndscpsxn", "pgwsxn", "pghsxn", "pard", "plain", "fs", "sl",
    "slmult", "ql", "qr", "qc", "par", "intbl", "cell", "row", "trowd", "trgaph", "trleft", "trpaddl", "trpaddr",
    "trpaddfl", "trpaddfr", "trhdr", "trkeep", "clbrdrt", "clbrdrb", "brdrs", "brdrw", "clvertalb", "cellx", "clmgf",
    "clmrg", "b", "i", "page", "u",
}


def read_rtf(text: str) -> tuple[set[str], str]:
    """The control words and control symbols of an RTF text, and its text as a word processor shows it
    (``\\par`` and ``\\cell`` as line breaks, ``\\uN?`` as the character)."""
    words: set[str] = set()
    units: list[int] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1]
            if nxt in "\\{}":
                units.append(ord(nxt))
                i += 2
                continue
            m = re.match(r"([a-z]+)(-?\d+)? ?", text[i + 1:])
            if not m:
                words.add(nxt)  # a control symbol: \* (a destination), \~, \' ...
                i += 2
                continue
            word, number = m.group(1), m.group(2)
            words.add(word)
            i += 1 + m.end()
            if word == "u":
                units.append(int(number) % 65536)
                i += 1  # the fallback character (\uc1)
            elif word in ("par", "cell", "row"):
                units.append(10)
        elif ch in "{}\r\n":
            i += 1
        else:
            units.append(ord(ch))
            i += 1
    shown = "".join(map(chr, units)).encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    return words, shown


def _flat(text: str) -> str:
    return " ".join(text.split())


HOSTILE_TEXTS = {
    "title": FIELD, "population": "All {\\b bold} subjects", "stub": "Stat\\par istic", "column": "Dose {x}",
    "span": "\\page Tier", "block": "Week \\u9999? 1 \\'e9", "cell": "{\\object\\objdata 0102}", "test": "Visit x {\\v hidden}",
    "footnote": "Schweregrad \u2013 \u00e9 \u2713 \U0001d6fc \\rtlch",
}


def _hostile_table() -> spec.Table:
    t = HOSTILE_TEXTS
    return spec.Table(
        number="Table 14.2.1", title=t["title"], population=t["population"], stub=t["stub"],
        columns=(spec.Column(t["column"], 3, t["span"]), spec.Column("B", 2, t["span"])),
        blocks=(spec.Block(t["block"], (spec.Row((spec.Text(t["cell"]), spec.Count(3), spec.Count(2))),)),),
        footnotes=(t["footnote"],), tests=(spec.InteractionTest(t["test"], 1.5, 2, 20.0, 0.25),))


def test_every_text_of_an_rtf_table_is_written_as_text():
    """Title, population, stub, column header, spanning header, block label, cell, test line, footnote."""
    rtf = table_to_rtf(_hostile_table())
    rtf.encode("ascii")  # every character beyond ASCII as \uN?
    words, shown = read_rtf(rtf)
    assert words <= RTF_WORDS, words - RTF_WORDS
    for where, text in HOSTILE_TEXTS.items():
        assert _flat(text) in _flat(shown), where


def test_the_includepicture_field_of_the_issue_is_written_inert():
    written = rtf_text(FIELD)
    assert written == FIELD.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}")
    words, shown = read_rtf("{\\rtf1 " + written + "}")
    assert words == {"rtf"} and shown == FIELD


@given(st.text())
@settings(max_examples=300, derandomize=True, database=None, deadline=None)
def test_rtf_text_shows_any_text_and_adds_no_control_word(text):
    words, shown = read_rtf(rtf_text(text))
    assert words <= {"u"}
    # control characters (tab, line breaks, ESC ...) are shown as spaces: a value is one line of a cell
    assert shown == "".join(" " if ord(c) < 32 else c for c in text)


# ---- CSV: ard.csv and data_issues.csv ----------------------------------------------------------------------

from trialkit.results import ARD_COLUMNS, ard_to_csv, read_ard  # noqa: E402
from trialkit.safe_csv import NUMBER, TRIGGERS, neutralised, restored  # noqa: E402

FORMULA_STARTS = tuple(t for t in TRIGGERS if t != "'")


@pytest.mark.parametrize("text, written", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+A1", "'+A1"), ("-1+1", "'-1+1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("\n=1", "'\n=1"), ("\x00", "'\x00"),
    ("\uff1d1+1", "'\uff1d1+1"), ("-inf", "'-inf"), ("'quoted", "''quoted"), ("=cmd|' /c calc'!A1", "'=cmd|' /c calc'!A1"),
    ("-0.5", "-0.5"), ("+3", "+3"), ("-1e-05", "-1e-05"), ("-.5", "-.5"), ("7", "7"), ("Week 1 - Baseline", "Week 1 - Baseline"),
    ("", ""), (" =1", " =1"),
])
def test_a_formula_like_text_gets_a_quote_and_a_number_stays_a_number(text, written):
    assert neutralised(text) == written
    assert restored(written) == text


@given(st.text())
@settings(max_examples=500, derandomize=True, database=None, deadline=None)
def test_any_text_is_written_without_a_formula_start_and_read_back_exactly(text):
    cell = neutralised(text)
    assert restored(cell) == text
    assert not cell.startswith(FORMULA_STARTS) or NUMBER.fullmatch(text)


def _cells_are_safe(csv_text: str, numeric: set[str]) -> None:
    rows = list(csv.reader(io.StringIO(csv_text)))
    header = rows[0]
    for row in rows[1:]:
        for name, cell in zip(header, row):
            if name not in numeric:
                assert not cell.startswith(FORMULA_STARTS) or NUMBER.fullmatch(cell), (name, cell)


@given(st.lists(st.tuples(*[st.sampled_from(["=1+1", "+A1", "-2", "-x", "@x", "'y", "\t", "a", "", "-0.5", "\r",
                                              "x\r=1+1", "a\nb", '"q"\r\n'])
                            | st.text(max_size=4) for _ in range(len(ARD_COLUMNS) - 1)],
                          st.floats(allow_nan=True, allow_infinity=False)), max_size=6))
@settings(max_examples=60, derandomize=True, database=None, deadline=None)
def test_the_ard_round_trips_exactly_through_ard_csv(tmp_path_factory, rows):
    text_columns = [c for c in ARD_COLUMNS if c != "value"]
    frame = pd.DataFrame([dict(zip(text_columns, r[:-1]), value=r[-1]) for r in rows], columns=ARD_COLUMNS)
    frame = frame.astype({c: str for c in text_columns}).astype({"value": float})
    written = ard_to_csv(frame)
    _cells_are_safe(written, {"value"})
    assert "\r" not in _unquoted(written)
    path = tmp_path_factory.mktemp("ard") / "ard.csv"
    path.write_text(written, encoding="utf-8")
    back = read_ard(path)
    assert back[text_columns].astype(object).values.tolist() == frame[text_columns].astype(object).values.tolist()
    pd.testing.assert_series_equal(back["value"], frame["value"], check_names=False)


def _unquoted(csv_text: str) -> str:
    """The CSV text without its quoted fields."""
    return re.sub(r'"(?:[^"]|"")*"', "", csv_text)


def test_a_carriage_return_in_a_cell_cannot_start_a_row():
    """Python's CSV writer quoted a cell holding a line feed but not one holding a carriage return, where a
    spreadsheet starts a new row: ``x\r=HYPERLINK(...)`` began a row with a formula."""
    from trialkit.findings import ISSUE_COLUMNS, issues_to_csv

    ard = pd.DataFrame([["descriptive", "CGI-S", "overall", "all", 'x\r=HYPERLINK("http://x")', "", "n", "", "",
                         -0.5]], columns=[c for c in ARD_COLUMNS if c != "value"] + ["value"])[ARD_COLUMNS]
    written = ard_to_csv(ard)
    assert "\r" not in _unquoted(written) and '"x\r=HYPERLINK(""http://x"")"' in written
    issues = pd.DataFrame([["warning", "unknown_visit", "records.csv", 3, "VISIT", "1\r@SUM(1)", "S1", "", "", "m"]],
                          columns=ISSUE_COLUMNS).astype({"row": "Int64"})
    written = issues_to_csv(issues)
    assert "\r" not in _unquoted(written) and ',"1\r@SUM(1)",' in written


@pytest.fixture
def formula_study(make_study):
    """A study whose visit labels, subgroup levels and subject ids look like formulas or numbers."""
    visit = '=HYPERLINK("http://127.0.0.1:9/x","click")'
    records = ["SUBJID,VISIT,PARAM,AVAL"]
    for k, (subject, tier) in enumerate((("@SUM(1+1)", "-1"), ("S2", "+A1"), ("-S3", "-1"), ("S4", "+A1"))):
        for v, (cgi_s, cgi_i) in zip(("Baseline", visit, "Week 2"), ((5, 4), (4, 3), (3 + k % 2, 2))):
            records += [f'"{subject}","{v.replace(chr(34), 2 * chr(34))}",CGI-S,{cgi_s}',
                        f'"{subject}","{v.replace(chr(34), 2 * chr(34))}",CGI-I,{cgi_i}']
    records.append('S2,-0.5,CGI-S,4')  # a visit not in the plan: a finding whose value is a number
    records.append('S2,=1+1,CGI-S,4')  # and one whose value is a formula
    subjects = "SUBJID,TIER,GRM1\n@SUM(1+1),-1,1\nS2,+A1,0\n-S3,-1,1\nS4,+A1,0\n=WEBSERVICE(1),-1,0\n"
    config = {"visits": {"order": ["Baseline", visit, "Week 2"], "baseline": "Baseline", "endpoint": "Week 2"}}
    return make_study(config=config, records="\n".join(records) + "\n", subjects=subjects), visit


def test_a_run_writes_formula_like_text_quoted_and_reads_it_back(formula_study, tmp_path, capsys, monkeypatch):
    from trialkit.findings import read_issues

    study, visit = formula_study
    assert run_hostile(capsys, monkeypatch, study, tmp_path / "out").code == 0
    ard_text = (tmp_path / "out" / "ard.csv").read_text()
    issues_text = (tmp_path / "out" / "data_issues.csv").read_text()
    _cells_are_safe(ard_text, {"value"})
    _cells_are_safe(issues_text, {"row"})
    assert "'=HYPERLINK(" in ard_text and ",'+A1," in ard_text and ",-1," in ard_text  # "-1": a number, left alone
    assert ",'@SUM(1+1)," in ard_text and ",'-S3," in ard_text
    ard = read_ard(tmp_path / "out" / "ard.csv")
    assert visit in set(ard["visit"]) and {"+A1", "-1"} <= set(ard["group"]) and "@SUM(1+1)" in set(ard["group"])
    assert (ard["value"] < 0).any()  # negative numbers stay numbers
    issues = read_issues(tmp_path / "out" / "data_issues.csv")
    assert {"=1+1", "-0.5"} <= set(issues["value"]) and "=WEBSERVICE(1)" in set(issues["subject"])
    assert ",-0.5," in issues_text and ",'=1+1," in issues_text and ",'=WEBSERVICE(1)," in issues_text
    assert issues["row"].dtype == "Int64"


# ---- figures: labels are plain text ------------------------------------------------------------------------

from trialkit.report.figures import draw  # noqa: E402

LABELS = ["Cost $5 to $10", r"bad $\frac{$ math", "A\x1b[31mB", "_hidden", "x\u202ey"]


def _plots(label: str) -> list:
    series = (spec.Series(label, True, (1.0, 2.0), (0.5, 1.5), (1.5, 2.5)),
              spec.Series("_second", False, (1.5, 2.5), (1.0, 2.0), (2.0, 3.0)))
    return [
        spec.MeanPlot(("Baseline", label), series, f"{label}, mean\n(lower = better)", label),
        spec.TrajectoryPlot(("Baseline", label), (spec.Trajectory(0, (0, 1), (1.0, 2.0)),), (label, "B"), label, label),
        spec.WaterfallPlot((1.0, -1.0), (label, "S2"), (0, 1), (label, "B"), label, label),
        spec.ForestPlot((spec.ForestRow(label, True, 3, 0.5, 0.1, 0.9),), 2, "95%", label),
    ]


def _texts(svg: str) -> list[str]:
    import html

    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


@pytest.mark.parametrize("label", LABELS)
def test_every_figure_draws_its_labels_as_plain_text(label):
    expected = label.replace("\x1b", "\\x1b").replace("\u202e", "\\u202e")
    for plot in _plots(label):
        texts = _texts(draw(plot))
        assert expected in texts, (type(plot).__name__, texts)
    assert "_second" in _texts(draw(_plots(label)[0]))  # a label starting with "_" is still in the legend


def test_a_run_with_dollar_signs_in_visit_and_measure_names_draws_them(make_study, tmp_path, capsys, monkeypatch):
    import json

    visit = "Cost $5 to $10"
    config = json.loads(json.dumps(BASE_CONFIG))
    config["visits"] = {"order": ["Baseline", r"$\frac{$", visit], "baseline": "Baseline", "endpoint": visit}
    config["measures"] = {"$x^2$": {"min": 1, "max": 7}, "CGI-I": {"min": 1, "max": 7, "responder_max": 2}}
    from tests.conftest import RECORDS

    import yaml

    records = RECORDS.replace("Week 1", r"$\frac{$").replace("Week 2", visit).replace("CGI-S", "$x^2$")
    study = make_study(records=records)
    (study / "study.yaml").write_text(yaml.safe_dump(config))
    assert run_hostile(capsys, monkeypatch, study, tmp_path / "out").code == 0
    texts = _texts((tmp_path / "out" / "report.html").read_text())
    assert visit in texts and r"$\frac{$" in texts and any(t.startswith("$x^2$") for t in texts)


# ---- messages: control characters escaped on the terminal -------------------------------------------------

def test_a_libraries_warning_is_shown_escaped(make_study, capsys, monkeypatch):
    import warnings

    import trialkit.pipeline

    derive = trialkit.pipeline.derive

    def warning_derive(*args, **kwargs):
        warnings.warn("Glyph 27 (\x1b[2J) missing from font", UserWarning, stacklevel=1)
        return derive(*args, **kwargs)

    monkeypatch.setattr(trialkit.pipeline, "derive", warning_derive)
    monkeypatch.setenv("TRIALKIT_RENDER_PROCESS", "0")
    outcome = run_cli(capsys, "run", str(make_study()), "-q")
    assert outcome.code == 0
    assert "Glyph 27 (\\x1b[2J) missing from font" in outcome.err and "\x1b" not in outcome.err


def test_the_traceback_of_an_internal_error_is_shown_escaped(make_study, capsys, monkeypatch):
    import trialkit.pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("bad value '\x1b]0;owned\x07' \u202e")

    monkeypatch.setattr(trialkit.pipeline, "derive", broken)
    outcome = run_cli(capsys, "run", str(make_study()), "-q")
    assert outcome.code == 1 and "Traceback" in outcome.err
    assert "bad value '\\x1b]0;owned\\x07' \\u202e" in outcome.err
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", outcome.err)


def test_what_the_render_process_wrote_to_stderr_is_passed_on_escaped(capfd):
    import subprocess
    import sys
    import tempfile

    from trialkit.report.processes import TwoProcessExecutor

    log = tempfile.TemporaryFile()
    log.write(b"WeasyPrint: ignored declaration 'color: \x1b[31mred' at 3:1\n")
    process = subprocess.Popen([sys.executable, "-c", "pass"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    executor = TwoProcessExecutor(process, log)
    executor._answered = True
    executor.close()
    err = capfd.readouterr().err
    assert "ignored declaration 'color: \\x1b[31mred' at 3:1" in err and "\x1b" not in err


def test_a_hostile_run_fetches_nothing_in_either_process(make_study, tmp_path, capsys, monkeypatch):
    """Values naming URLs (a measure label, a visit, the title, a subject id) in both executors: no connection
    reaches the canary server."""
    canary = Canary()
    try:
        from tests.conftest import RECORDS, SUBJECTS

        visit = f'<img src="{canary.url}/v.png"> {{\\field{{\\*\\fldinst INCLUDEPICTURE "{canary.url}/f.png"}}}}'
        config = {"study": {"id": "T-1", "title": f'<link rel="stylesheet" href="{canary.url}/t.css">'},
                  "visits": {"order": ["Baseline", visit, "Week 2"], "baseline": "Baseline", "endpoint": "Week 2"},
                  "measures": {"CGI-S": {"min": 1, "max": 7, "label": f"url({canary.url}/m.png) =IMPORTXML(\"{canary.url}\")"},
                               "CGI-I": {"min": 1, "max": 7, "responder_max": 2}}}
        records = RECORDS.replace("Week 1", f'"{visit.replace(chr(34), 2 * chr(34))}"').replace(
            "S1,", f'"<img src=""{canary.url}/s.png"">",')
        subjects = SUBJECTS.replace("S1,", f'"<img src=""{canary.url}/s.png"">",')
        study = make_study(config=config, records=records, subjects=subjects)
        for render_process in (False, True):
            out = tmp_path / f"out_{render_process}"
            assert run_hostile(capsys, monkeypatch, study, out, render_process=render_process, canary=canary).code == 0
            for rtf in (out / "tables").glob("*.rtf"):
                words, _ = read_rtf(rtf.read_text())
                assert words <= RTF_WORDS, (rtf.name, words - RTF_WORDS)
            _cells_are_safe((out / "ard.csv").read_text(), {"value"})
    finally:
        canary.close()
