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
@settings(max_examples=300, derandomize=True, database=None)
def test_rtf_text_shows_any_text_and_adds_no_control_word(text):
    words, shown = read_rtf(rtf_text(text))
    assert words <= {"u"}
    # control characters (tab, line breaks, ESC ...) are shown as spaces: a value is one line of a cell
    assert shown == "".join(" " if ord(c) < 32 else c for c in text)
