"""Read one input file, whatever its format, into a table of cells as the file holds them.

Cells are kept as the user sees them (text for CSV, the stored value for the
other formats) so that validation can quote an offending value exactly. Each
data row keeps the row number a person sees: a CSV file's line (blank lines
and line breaks inside quoted cells counted), an Excel sheet's row, a SAS or
Parquet dataset's observation number.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

from trialkit.errors import ConfigError, DataError, shown

#: extension -> (reader name, number of the first data row as a person sees it)
FORMATS = {
    ".csv": ("csv", 2),
    ".xlsx": ("excel", 2),
    ".xpt": ("xpt", 1),
    ".sas7bdat": ("sas7bdat", 1),
    ".parquet": ("parquet", 1),
}


@dataclass(frozen=True)
class RawTable:
    """One input file's cells with the row numbering a person sees.

    ``first_row`` is the row number of the first data row: 2 where the file has
    a header line (CSV, Excel: header = row 1), 1 for datasets whose rows are
    observations (SAS, Parquet). ``rows``, when given, holds each data row's
    number (a CSV file with blank lines, an Excel sheet whose table starts
    lower down). ``header_row`` is the row holding the column names, ``None``
    for a dataset whose names are not a row of it (SAS, Parquet). ``unusable``
    names the columns that cannot be read as one value per record, with why
    (a Parquet list column): an error only when the study maps one.
    """

    path: Path
    frame: pd.DataFrame
    first_row: int
    rows: np.ndarray | None = None
    header_row: int | None = 1
    unusable: dict[str, str] = field(default_factory=dict)
    #: where the rows come from when that is more than the file: "sheet 'Visits'"
    part: str = ""

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def where(self) -> str:
        """The file (and sheet) as a message names it."""
        return f"{shown(self.name)} ({self.part})" if self.part else shown(self.name)

    def row_number(self, index: int) -> int:
        return int(self.rows[index]) if self.rows is not None else self.first_row + index

    def row_numbers(self) -> np.ndarray:
        """Each data row's number as a person sees it."""
        if self.rows is not None:
            return self.rows
        return np.arange(self.first_row, self.first_row + len(self.frame), dtype=np.int64)


# ---- cells as text ---------------------------------------------------------------------------------------------

def cell_text(value: object) -> str:
    """A cell as a person would type it: missing -> "", 3.0 -> "3", text stripped."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value).strip()


def cell_texts(column: pd.Series) -> pd.Series:
    """:func:`cell_text` of every cell of a column (object dtype), vectorised for the common column types: a
    text column of a million records takes milliseconds, not seconds."""
    values = column
    if pd.api.types.is_string_dtype(values.dtype) and not values.dtype == object:
        return values.fillna("").str.strip().astype(object)
    if pd.api.types.is_float_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float)
        out = np.full(len(numbers), "", dtype=object)
        finite = np.isfinite(numbers)
        whole = finite & (numbers == np.round(numbers)) & (np.abs(numbers) < 2**53)
        out[whole] = numbers[whole].astype(np.int64).astype(str)
        rest = ~np.isnan(numbers) & ~whole
        out[rest] = [cell_text(float(x)) for x in numbers[rest]]
        return pd.Series(out, index=values.index, dtype=object)
    if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:
        return values.astype(str).astype(object)
    return values.map(cell_text).astype(object)


# ---- CSV ------------------------------------------------------------------------------------------------------

def _decode(path: Path, encoding: str) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        header = raw.split(b"\n", 1)[0].decode("ascii", errors="replace").strip().split(",")
        field_no = raw[line_start : exc.start].count(b",")
        column = f"column {shown(header[field_no])}: " if line > 1 and field_no < len(header) else ""
        raise DataError(
            f"{shown(path.name)}: row {line}: {column}cannot be read as {encoding} "
            f"(byte 0x{raw[exc.start]:02x} at position {exc.start}). "
            "Save the file as UTF-8, or set data.encoding in study.yaml (e.g. latin-1)."
        ) from None
    except LookupError:
        raise DataError(f"{shown(path.name)}: data.encoding {shown(encoding, quote=True)} is not a known text "
                        "encoding") from None


def _is_blank(record: list[str]) -> bool:
    return len(record) <= 1 and not "".join(record).strip()


def _record_lines(text: str, name: str) -> list[tuple[int, list[str]]]:
    """Each non-blank record with the line it starts on, as Python's csv module reads the text (slow: used
    only when the fast count of lines does not match). A quote opened and never closed is an error naming
    the row where it opens (otherwise the rest of the file would be one cell)."""
    reader = csv.reader(StringIO(text, newline=""), skipinitialspace=True)
    out = []
    line = 1
    for record in reader:
        if not _is_blank(record):
            out.append((line, record))
        line = reader.line_num + 1
    if out and text.count('"') % 2:
        start, record = out[-1]
        broken = [cell for cell in record if "\n" in cell or "\r" in cell]
        if broken:
            cell = broken[0]
            raise DataError(f"{name}: row {start}: a quote opens in this row and is never closed, so the rest of "
                            f"the file ({reader.line_num - start + 1} lines) would be one cell beginning "
                            f"{shown(cell.splitlines()[0], quote=True)}; close or remove the quote")
    return out


def _line_numbers(text: str, n_records: int) -> np.ndarray | None:
    """The line each of pandas' ``n_records`` records (header included) starts on, when that can be known
    without parsing again: no blank lines, or no quoted cells that could hold a line break."""
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if n_lines == n_records:
        return np.arange(1, n_records + 1, dtype=np.int64)
    if '"' not in text and "\r" not in text.replace("\r\n", "\n"):
        lines = np.flatnonzero([bool(line.strip()) for line in text.split("\n")]) + 1
        if len(lines) == n_records:
            return lines.astype(np.int64)
    return None


def _read_csv(path: Path, encoding: str) -> RawTable:
    text = _decode(path, encoding)
    if not text.strip():
        raise DataError(f"{shown(path.name)}: the file is empty; expected a header row and data rows")
    try:
        cells = pd.read_csv(StringIO(text), header=None, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.ParserError:
        cells = None
    lines = _line_numbers(text, len(cells)) if cells is not None else None
    if lines is None:  # blank lines with quoted cells, or a row pandas could not split: read it record by record
        records = _record_lines(text, shown(path.name))
        width = len(records[0][1])
        for line, record in records[1:]:
            if len(record) > width:
                raise DataError(f"{shown(path.name)}: row {line}: {len(record)} cells where the header row "
                                f"(row {records[0][0]}) names {width} columns; check the separators and quotes")
        if cells is None or len(cells) != len(records):
            cells = pd.DataFrame([r + [""] * (width - len(r)) for _, r in records], dtype=object)
        lines = np.array([line for line, _ in records], dtype=np.int64)
    names = ["" if pd.isna(c) else str(c) for c in cells.iloc[0]]
    frame = cells.iloc[1:].reset_index(drop=True)
    frame.columns = range(frame.shape[1])
    return _named(path, frame, names, first_row=2, rows=lines[1:], header_row=int(lines[0]))


# ---- Excel ----------------------------------------------------------------------------------------------------

def _pick_sheet(workbook, path: Path, sheet: str | int | None, key: str):
    names = workbook.sheetnames
    listed = ", ".join(shown(n, quote=True) for n in names)
    if sheet is None:
        if len(names) == 1:
            return workbook[names[0]]
        raise DataError(f"{shown(path.name)}: the workbook has {len(names)} sheets ({listed}); set {key} in "
                        "study.yaml to the one to read (its name, or its position counting from 1)")
    if isinstance(sheet, int):
        if sheet > len(names):
            raise ConfigError(f"{key}: sheet {sheet} asked for, but {shown(path.name)} has {len(names)} "
                              f"sheet(s): {listed}")
        return workbook[names[sheet - 1]]
    if sheet not in names:
        from difflib import get_close_matches

        close = get_close_matches(sheet, names, n=1, cutoff=0.6)
        hint = f" (did you mean {shown(close[0], quote=True)}?)" if close else ""
        raise ConfigError(f"{key}: {shown(path.name)} has no sheet {shown(sheet, quote=True)}{hint}; its sheets: "
                          f"{listed}")
    return workbook[sheet]


def _cell_name(row: int, column: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(column)}{row}"


def _sheet_rows(path: Path, sheet: str | int | None, key: str, data_only: bool) -> tuple[str, list[tuple[int, tuple]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=data_only)
    try:
        ws = _pick_sheet(workbook, path, sheet, key)
        ws.reset_dimensions()  # a wrong dimension record in the file must not cut rows off
        rows = [(number, tuple(values)) for number, values in enumerate(ws.iter_rows(values_only=True), start=1)
                if any(v is not None and (not isinstance(v, str) or v.strip()) for v in values)]
        return ws.title, rows
    finally:
        workbook.close()


def _is_formula(value: object) -> bool:
    return (isinstance(value, str) and value.startswith("=")) or type(value).__name__ == "ArrayFormula"


def _read_excel(path: Path, sheet: str | int | None, key: str) -> RawTable:
    """The sheet's cells as stored. Error cells (``#DIV/0!``, ``#N/A``) and text such as ``NA`` stay the text
    they show, as the same text in a CSV file does; a formula whose value the file does not store (a workbook
    written by a program, never opened and saved in a spreadsheet) is an error naming its cells."""
    title, rows = _sheet_rows(path, sheet, key, data_only=False)
    formulas = [(number, j) for number, values in rows for j, v in enumerate(values) if _is_formula(v)]
    if formulas:
        _, cached = _sheet_rows(path, title, key, data_only=True)
        rows = cached
        by_row = dict(cached)
        missing = [_cell_name(r, j + 1) for r, j in formulas
                   if r not in by_row or j >= len(by_row[r]) or by_row[r][j] is None]
        if missing:
            more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
            raise DataError(
                f"{shown(path.name)}: sheet {shown(title, quote=True)}: cell {', '.join(missing[:10])}{more} "
                "hold a formula whose value the file does not store; open the workbook in Excel or LibreOffice and "
                "save it (that stores the values), or replace the formulas by their values")
    if not rows:
        raise DataError(f"{shown(path.name)}: sheet {shown(title, quote=True)} is empty; expected a header row and data rows")
    width = max(len(values) for _, values in rows)
    header_row, header = rows[0]
    names = [cell_text(v) for v in header] + [""] * (width - len(header))
    frame = pd.DataFrame([values + (None,) * (width - len(values)) for _, values in rows[1:]],
                         columns=range(width), dtype=object)
    part = f"sheet {shown(title, quote=True)}" if sheet is not None else ""
    return _named(path, frame, names, first_row=header_row + 1,
                  rows=np.array([number for number, _ in rows[1:]], dtype=np.int64), header_row=header_row, part=part)


# ---- SAS and Parquet ------------------------------------------------------------------------------------------

def _read_sas(path: Path, fmt: str) -> RawTable:
    import pyreadstat

    reader = pyreadstat.read_xport if fmt == "xpt" else pyreadstat.read_sas7bdat
    frame, _meta = reader(str(path))
    names = [str(c) for c in frame.columns]
    frame.columns = range(frame.shape[1])
    return _named(path, frame, names, first_row=1, header_row=None)


def _read_parquet(path: Path) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as parquet:  # the file's own columns, duplicates included
        table = parquet.read()
    index = [name for name in table.schema.names if re.fullmatch(r"__index_level_\d+__", name)]  # pandas' own index
    table = table.drop_columns(index).replace_schema_metadata(None)
    names = list(table.schema.names)
    unusable = {}
    for i, arrow_field in enumerate(table.schema):
        kind = arrow_field.type
        if kind.num_fields > 0:  # list, struct, map: many values in one cell
            category = next((name for name, test in (("list", pa.types.is_list), ("list", pa.types.is_large_list),
                                                     ("list", pa.types.is_fixed_size_list), ("map", pa.types.is_map),
                                                     ("struct", pa.types.is_struct)) if test(kind)), "nested")
            unusable[names[i]] = f"is a {category} column (several values in each cell)"
    table = table.rename_columns([str(i) for i in range(len(names))])
    frame = table.to_pandas()
    frame.columns = range(frame.shape[1])
    return _named(path, frame, names, first_row=1, header_row=None, unusable=unusable)


# ---- common ---------------------------------------------------------------------------------------------------

def _named(path: Path, frame: pd.DataFrame, names: list[str], *, first_row: int, header_row: int | None,
           rows: np.ndarray | None = None, part: str = "", unusable: dict[str, str] | None = None) -> RawTable:
    """Give the columns their names (stripped), refusing two columns of the same name: the second would
    otherwise be ignored or renamed behind the user's back."""
    where = f"{shown(path.name)}: " + (f"{part}: " if part else "") + (f"row {header_row}: " if header_row else "")
    stripped = [n.strip() for n in names]
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(stripped):
        if name:
            positions.setdefault(name, []).append(i)
    twice = {name: at for name, at in positions.items() if len(at) > 1}
    if twice:
        lines = []
        for name, at in twice.items():
            spelled = " and ".join(shown(names[i], quote=True, limit=40) for i in at)
            lines.append(f"columns {' and '.join(str(i + 1) for i in at)} are both named {shown(name, quote=True, limit=40)}"
                         + (f" ({spelled})" if len({names[i] for i in at}) > 1 else ""))
        raise DataError(f"{where}{'; '.join(lines)}; give each column its own name")
    frame.columns = stripped
    return RawTable(path=path, frame=frame.reset_index(drop=True), first_row=first_row, rows=rows,
                    header_row=header_row, unusable={k.strip(): v for k, v in (unusable or {}).items()}, part=part)


def read_table(path: Path, *, encoding: str = "utf-8", sheet: str | int | None = None,
               sheet_key: str = "data.sheet") -> RawTable:
    """Read a records or subjects file, chosen by its extension.

    ``sheet`` picks an Excel workbook's sheet (its name, or its position counting from 1); ``sheet_key`` is
    the study.yaml key it came from, for messages. A workbook of several sheets needs one.

    Raises
    ------
    DataError
        Unknown extension, unreadable or empty file, undecodable text, two columns of one name, a workbook of
        several sheets and no sheet named, a formula whose value the workbook does not store.
    ConfigError
        ``sheet`` given for a file that is not a workbook, or naming no sheet of it.
    """
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(FORMATS)
        raise DataError(f"{shown(path.name)}: unknown file type {shown(suffix, quote=True)}; trialkit reads {known}")
    fmt, _first_row = FORMATS[suffix]
    if sheet is not None and fmt != "excel":
        raise ConfigError(f"{sheet_key}: set to {shown(sheet, quote=True)}, but {shown(path.name)} is not an Excel "
                          "workbook (.xlsx); remove the key")
    try:
        empty = path.stat().st_size == 0
    except OSError as exc:
        raise DataError(f"{shown(path.name)}: cannot be read: {exc.strerror or exc}") from None
    if empty:
        raise DataError(f"{shown(path.name)}: the file is empty; expected a header row and data rows")
    try:
        if fmt == "csv":
            table = _read_csv(path, encoding)
        elif fmt == "excel":
            table = _read_excel(path, sheet, sheet_key)
        elif fmt in ("xpt", "sas7bdat"):
            table = _read_sas(path, fmt)
        else:
            table = _read_parquet(path)
    except (DataError, ConfigError):
        raise
    except Exception as exc:  # each reader library raises its own types for a corrupt file
        raise DataError(
            f"{shown(path.name)}: cannot be read as a {suffix} file ({type(exc).__name__}: {shown(exc, limit=300)}). "
            "Check that the file is not damaged and that its extension matches its content."
        ) from None
    if table.frame.empty:
        raise DataError(f"{table.where}: the file has no data rows")
    return table

