"""Read one input file, whatever its format, into a table of cells as the file holds them.

Cells are kept as the user sees them (text for CSV, the stored value for the
other formats) so that validation can quote an offending value exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trialkit.errors import DataError

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
    observations (SAS, Parquet).
    """

    path: Path
    frame: pd.DataFrame
    first_row: int

    @property
    def name(self) -> str:
        return self.path.name

    def row_number(self, index: int) -> int:
        return self.first_row + index


def _read_csv(path: Path, encoding: str) -> pd.DataFrame:
    try:
        text = path.read_bytes().decode(encoding)
    except UnicodeDecodeError as exc:
        raw = path.read_bytes()
        line = raw[: exc.start].count(b"\n") + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        header = raw.split(b"\n", 1)[0].decode("ascii", errors="replace").strip().split(",")
        field = raw[line_start : exc.start].count(b",")
        column = f"column {header[field]}: " if line > 1 and field < len(header) else ""
        raise DataError(
            f"{path.name}: row {line}: {column}cannot be read as {encoding} "
            f"(byte 0x{raw[exc.start]:02x} at position {exc.start}). "
            "Save the file as UTF-8, or set data.encoding in study.yaml (e.g. latin-1)."
        ) from None
    except LookupError:
        raise DataError(f"{path.name}: data.encoding {encoding!r} is not a known text encoding") from None
    if not text.strip():
        raise DataError(f"{path.name}: the file is empty; expected a header row and data rows")
    from io import StringIO

    try:
        return pd.read_csv(
            StringIO(text.removeprefix("\ufeff")),
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
        )
    except pd.errors.ParserError as exc:
        raise DataError(f"{path.name}: not a readable CSV file: {exc}") from None


def _read_excel(path: Path, encoding: str) -> pd.DataFrame:
    return pd.read_excel(path, dtype=object, engine="openpyxl")


def _read_sas(path: Path, encoding: str, fmt: str) -> pd.DataFrame:
    import pyreadstat

    reader = pyreadstat.read_xport if fmt == "xpt" else pyreadstat.read_sas7bdat
    frame, _meta = reader(str(path))
    return frame


def _read_parquet(path: Path, encoding: str) -> pd.DataFrame:
    return pd.read_parquet(path)


def read_table(path: Path, *, encoding: str = "utf-8") -> RawTable:
    """Read a records or subjects file, chosen by its extension.

    Raises
    ------
    DataError
        Unknown extension, unreadable or empty file, or undecodable text.
    """
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        known = ", ".join(FORMATS)
        raise DataError(f"{path.name}: unknown file type {suffix!r}; trialkit reads {known}")
    fmt, first_row = FORMATS[suffix]
    if path.stat().st_size == 0:
        raise DataError(f"{path.name}: the file is empty; expected a header row and data rows")
    try:
        if fmt == "csv":
            frame = _read_csv(path, encoding)
        elif fmt == "excel":
            frame = _read_excel(path, encoding)
        elif fmt in ("xpt", "sas7bdat"):
            frame = _read_sas(path, encoding, fmt)
        else:
            frame = _read_parquet(path, encoding)
    except DataError:
        raise
    except Exception as exc:  # each reader library raises its own types for a corrupt file
        raise DataError(
            f"{path.name}: cannot be read as a {suffix} file ({type(exc).__name__}: {exc}). "
            "Check that the file is not damaged and that its extension matches its content."
        ) from None
    if frame.empty:
        raise DataError(f"{path.name}: the file has no data rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    return RawTable(path=path, frame=frame.reset_index(drop=True), first_row=first_row)
