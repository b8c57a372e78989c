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

from dataclasses import dataclass
from difflib import get_close_matches

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.errors import DataError, shown
from trialkit.loaders.readers import FORMATS, RawTable, cell_text, cell_texts, read_table
from trialkit.plan import record_columns, subject_columns

__all__ = ["FORMATS", "RawTable", "StudyData", "cell_text", "load_study", "read_table"]

#: how many of a file's columns a missing-column message lists before saying how many more there are
MAX_COLUMNS_LISTED = 40


@dataclass(frozen=True)
class StudyData:
    """The canonical tables of one study, before validation."""

    records: pd.DataFrame
    subjects: pd.DataFrame


def _close_columns(column: str, present: list[str]) -> list[str]:
    """Columns a user may have meant: the same name in another case first, then similar spellings."""
    by_case = {c.casefold(): c for c in present}
    same = [by_case[column.casefold()]] if column.casefold() in by_case else []
    similar = get_close_matches(column.casefold(), list(by_case), n=3, cutoff=0.6)
    return list(dict.fromkeys(same + [by_case[c] for c in similar]))[:3]


def _require_columns(table: RawTable, wanted: dict[str, str]) -> None:
    """``wanted`` maps a study.yaml key to the column it names. Every column that is missing is named at
    once, each with the columns it may have meant, and the file's columns are listed."""
    present = list(table.frame.columns)
    lines = []
    for key, column in wanted.items():
        if column in table.unusable:
            raise DataError(f"{table.where}: column {shown(column, quote=True)} (from {key} in study.yaml) "
                            f"{table.unusable[column]}; trialkit reads one value per record")
        if column in present:
            continue
        close = _close_columns(column, present)
        hint = f" (did you mean {' or '.join(shown(c, quote=True) for c in close)}?)" if close else ""
        lines.append((key, f"column {shown(column, quote=True)} (from {key} in study.yaml) not found{hint}"))
    if not lines:
        return
    listed = ", ".join(shown(c, limit=40) for c in present[:MAX_COLUMNS_LISTED])
    if len(present) > MAX_COLUMNS_LISTED:
        listed += f" and {len(present) - MAX_COLUMNS_LISTED} more"
    where = f"{table.where}: " + (f"row {table.header_row}: " if table.header_row is not None else "")
    keys = " or ".join(dict.fromkeys(key.split(" (")[0] for key, _ in lines))
    noun = "column" if len(lines) == 1 else "columns"
    raise DataError(f"{where}{'; '.join(text for _, text in lines)}; the file has {len(present)} columns: "
                    f"{listed}. Rename the {noun} or change {keys}.")


def _text_column(table: RawTable, column: str) -> pd.Series:
    return cell_texts(table.frame[column])


RECORD_COLUMNS = ["subject", "visit", "measure", "raw_value", "dose", "file", "row", "column"]


def _record_rows(table: RawTable, config: StudyConfig, value_columns: dict[str, str]) -> pd.DataFrame:
    """Columns every record has, whatever the layout: one row per line of the file."""
    cols = config.data.columns
    wanted = {"data.columns.subject": cols.subject, "data.columns.visit": cols.visit, **value_columns}
    if cols.dose:
        wanted["data.columns.dose"] = cols.dose
    wanted |= {f"data.filter ({c})": c for c in config.data.filter}
    plan = record_columns(config)
    wanted |= {f"{key} ({column})": column for column, key in plan.items()}
    _require_columns(table, wanted)
    n = len(table.frame)
    return pd.DataFrame({
        "subject": _text_column(table, cols.subject),
        "visit": _text_column(table, cols.visit),
        "dose": _text_column(table, cols.dose) if cols.dose else pd.Series([""] * n, dtype=object),
        "file": table.name,
        "row": table.row_numbers(),
        **{f"where:{c}": _text_column(table, c) for c in dict.fromkeys([*config.data.filter, *plan])},
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
    plan = subject_columns(config)
    wanted |= {f"{key} ({column})": column for column, key in plan.items()}
    _require_columns(table, wanted)
    out = pd.DataFrame({"subject": _text_column(table, config.data.columns.subject)})
    for column in dict.fromkeys([*spec.genotype_flags, *spec.subgroups, *([spec.arm] if spec.arm else []), *spec.covariates,
                                 *plan]):
        out[column] = _text_column(table, column)
    out["file"] = table.name
    out["row"] = table.row_numbers()
    return out


def load_study(config: StudyConfig) -> StudyData:
    """Read the study's records and subjects files into canonical tables.

    Raises
    ------
    DataError
        A file cannot be read, is empty, has two columns of one name, or lacks a column that study.yaml maps
        (or holds several values per cell in one).
    """
    data = config.data
    record_table = read_table(config.records_path, encoding=data.encoding, sheet=data.sheet, sheet_key="data.sheet")
    subject_table = read_table(config.subjects_path, encoding=data.encoding, sheet=data.subjects_sheet,
                               sheet_key="data.subjects_sheet")
    if config.data.layout == "long":
        records = _records_long(record_table, config)
    else:
        records = _records_wide(record_table, config)
    return StudyData(records=records, subjects=_subjects(subject_table, config))
