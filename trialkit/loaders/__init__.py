"""Input files -> the two canonical tables, *records* and *subjects*.

records
    One row per subject x visit x measure as found in the file: ``subject``,
    ``visit``, ``measure``, ``raw_value`` (the cell as text), ``dose`` (text,
    empty when not mapped), and where it came from: ``file``, ``row`` (as a
    person sees it), ``column``.
subjects
    One row per line of the subjects file: ``subject``, each genotype flag,
    subgroup, arm and covariate column under its own name (as text), ``file``,
    ``row``.

Nothing is parsed or dropped here; :mod:`trialkit.validation` does that and
reports each problem.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.errors import DataError
from trialkit.loaders.readers import FORMATS, RawTable, read_table

__all__ = ["FORMATS", "RawTable", "StudyData", "cell_text", "load_study", "read_table"]


@dataclass(frozen=True)
class StudyData:
    """The canonical tables of one study, before validation."""

    records: pd.DataFrame
    subjects: pd.DataFrame


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


def _require_columns(table: RawTable, wanted: dict[str, str]) -> None:
    """``wanted`` maps a study.yaml key to the column it names."""
    present = set(table.frame.columns)
    for key, column in wanted.items():
        if column not in present:
            shown = ", ".join(table.frame.columns[:12])
            raise DataError(
                f"{table.name}: row 1: column {column!r} (from {key} in study.yaml) not found; "
                f"the file has columns: {shown}. Rename the column or change {key}."
            )


def _text_column(table: RawTable, column: str) -> pd.Series:
    return table.frame[column].map(cell_text).astype(object)


RECORD_COLUMNS = ["subject", "visit", "measure", "raw_value", "dose", "file", "row", "column"]


def _record_rows(table: RawTable, config: StudyConfig, value_columns: dict[str, str]) -> pd.DataFrame:
    """Columns every record has, whatever the layout: one row per line of the file."""
    cols = config.data.columns
    wanted = {"data.columns.subject": cols.subject, "data.columns.visit": cols.visit, **value_columns}
    if cols.dose:
        wanted["data.columns.dose"] = cols.dose
    wanted |= {f"data.filter ({c})": c for c in config.data.filter}
    _require_columns(table, wanted)
    n = len(table.frame)
    return pd.DataFrame({
        "subject": _text_column(table, cols.subject),
        "visit": _text_column(table, cols.visit),
        "dose": _text_column(table, cols.dose) if cols.dose else pd.Series([""] * n, dtype=object),
        "file": table.name,
        "row": [table.row_number(i) for i in range(n)],
        **{f"where:{c}": _text_column(table, c) for c in config.data.filter},
    })


def _records_long(table: RawTable, config: StudyConfig) -> pd.DataFrame:
    cols = config.data.columns
    base = _record_rows(table, config, {"data.columns.measure": cols.measure, "data.columns.value": cols.value})
    long = base.assign(measure=_text_column(table, cols.measure), raw_value=_text_column(table, cols.value),
                       column=cols.value)
    return long[RECORD_COLUMNS + [c for c in base.columns if c.startswith("where:")]]


def _records_wide(table: RawTable, config: StudyConfig) -> pd.DataFrame:
    base = _record_rows(table, config, {f"measures.{m}": m for m in config.measures})
    parts = [
        base.assign(measure=measure, raw_value=_text_column(table, measure), column=measure)
        for measure in config.measures
    ]
    long = pd.concat(parts, ignore_index=True)
    return long[RECORD_COLUMNS + [c for c in base.columns if c.startswith("where:")]]


def _subjects(table: RawTable, config: StudyConfig) -> pd.DataFrame:
    spec = config.subjects
    wanted = {"data.columns.subject": config.data.columns.subject}
    wanted |= {f"subjects.genotype_flags ({c})": c for c in spec.genotype_flags}
    wanted |= {f"subjects.subgroups ({c})": c for c in spec.subgroups}
    wanted |= {f"subjects.covariates ({c})": c for c in spec.covariates}
    if spec.arm:
        wanted["subjects.arm"] = spec.arm
    _require_columns(table, wanted)
    out = pd.DataFrame({"subject": _text_column(table, config.data.columns.subject)})
    for column in dict.fromkeys([*spec.genotype_flags, *spec.subgroups, *([spec.arm] if spec.arm else []), *spec.covariates]):
        out[column] = _text_column(table, column)
    out["file"] = table.name
    out["row"] = [table.row_number(i) for i in range(len(table.frame))]
    return out


def load_study(config: StudyConfig) -> StudyData:
    """Read the study's records and subjects files into canonical tables.

    Raises
    ------
    DataError
        A file cannot be read, is empty, or lacks a column that study.yaml maps.
    """
    enc = config.data.encoding
    record_table = read_table(config.records_path, encoding=enc)
    subject_table = read_table(config.subjects_path, encoding=enc)
    if config.data.layout == "long":
        records = _records_long(record_table, config)
    else:
        records = _records_wide(record_table, config)
    return StudyData(records=records, subjects=_subjects(subject_table, config))
