"""CSV outputs that a spreadsheet opens as data: text cells neutralised the OWASP way, numbers left as numbers.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula (``=HYPERLINK(...)``,
``=cmd|' /c calc'!A1``), and some also one that begins with a tab, a carriage return, a line feed or a NUL
("CSV injection", OWASP). ``ard.csv`` and ``data_issues.csv`` carry text from the study's files (visit
labels, subgroup levels, subject ids, the value of a bad cell), so each of their text cells that begins with
one of :data:`TRIGGERS` is written with a single quote in front (``'=HYPERLINK(...)``), which spreadsheets
show as text. A cell that begins with a quote gets one more, so that :func:`restored` gives back every value
exactly (``read_ard`` and ``read_issues`` apply it).

Numbers stay numbers: the numeric columns (``value`` of the ARD, ``row`` of the findings) are never
changed, and neither is a text cell that is wholly a decimal number (``-0.5``, ``+3``, ``-1e-05``; :data:`NUMBER`),
which a spreadsheet reads as that number and never as a formula.

A cell holding a carriage return is quoted (:func:`csv_text`), as one holding a line break already was:
otherwise a spreadsheet starts a new row there, and ``x\r=HYPERLINK(...)`` would begin a row with a formula.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

#: the first characters that make a text cell a formula in some spreadsheet (the OWASP list, the fullwidth
#: forms that some locales accept too), and the quote itself, so that the prefix can be removed without doubt
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00", "\uff1d", "\uff0b", "\uff0d", "\uff20", "'")
#: a whole cell that is a decimal number: left as it is
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

def neutralised(text: str) -> str:
    """``text`` as a CSV cell: a single quote in front when it begins with one of :data:`TRIGGERS` and is not a
    number.

    >>> neutralised("=1+1"), neutralised("-0.5"), neutralised("Week 1"), neutralised("'quoted")
    ("'=1+1", '-0.5', 'Week 1', "''quoted")
    """
    if text[:1] in TRIGGERS and not NUMBER.fullmatch(text):
        return "'" + text
    return text


def restored(text: str) -> str:
    """The value :func:`neutralised` wrote ``text`` for.

    >>> restored("'=1+1"), restored("-0.5"), restored("''quoted")
    ('=1+1', '-0.5', "'quoted")
    """
    return text[1:] if text.startswith("'") else text


def _each_text(frame: pd.DataFrame, numeric: Iterable[str], change) -> pd.DataFrame:
    """``frame`` with ``change`` applied to each text cell of its columns but ``numeric``, in place.

    ``change`` is called once per distinct value of a column, not per cell: the ARD of a large study holds
    millions of cells but few distinct labels (a Python call per cell took seconds there)."""
    numeric = set(numeric)
    for column in frame.columns:
        cells = frame[column]
        if column in numeric or not (cells.dtype == object or pd.api.types.is_string_dtype(cells.dtype)):
            continue
        codes, distinct = pd.factorize(cells, use_na_sentinel=True)
        changed = np.array([change(v) if isinstance(v, str) else v for v in distinct], dtype=object)
        if all(c is v or c == v for c, v in zip(changed, distinct)):
            continue
        values = changed.take(codes)
        missing = codes == -1
        values[missing] = cells.to_numpy(dtype=object)[missing]
        frame[column] = pd.Series(values, index=cells.index, dtype=cells.dtype)
    return frame


def neutralise_frame(frame: pd.DataFrame, *, numeric: Iterable[str]) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell of its columns but ``numeric`` :func:`neutralised`."""
    return _each_text(frame.copy(), numeric, neutralised)


def restore_frame(frame: pd.DataFrame, *, numeric: Iterable[str]) -> pd.DataFrame:
    """``frame`` read back from a CSV file with the text cells of its columns but ``numeric`` :func:`restored`,
    in place."""
    return _each_text(frame, numeric, restored)


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text, records ending in a line feed, as ``DataFrame.to_csv`` writes it; a cell that holds
    a carriage return is quoted too (Python's CSV writer quotes only the characters of the line ending it
    writes), so that no spreadsheet starts a row inside it."""
    text = frame.to_csv(index=False, lineterminator="\n")
    if "\r" not in text:
        return text
    # written again with CR LF record endings (which quote every cell holding CR or LF), read back record by
    # record, and each record written with the same quoting and a line feed at its end
    records = csv.reader(io.StringIO(frame.to_csv(index=False, lineterminator="\r\n"), newline=""))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    out = []
    for record in records:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(record)
        out.append(buffer.getvalue()[:-2] + "\n")
    return "".join(out)
