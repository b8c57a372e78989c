"""Findings about the input data (:class:`DataIssue`) and the helpers that build them as tables.

Validation works on whole columns, so findings are made as tables (:func:`issues`) and turned into
:class:`DataIssue` values at the end. A finding that counts records (:func:`counted`) stands for every
record left out for one reason, with their number, subjects and first rows.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields
from typing import Literal

import numpy as np
import pandas as pd

from trialkit.errors import shown
from trialkit.safe_csv import csv_text, neutralise_frame, restore_frame

#: how many rows a finding that counts records names before saying how many more
ROWS_NAMED = 5
#: how many values of one column a counted finding itemises; records with further values share one finding
VALUES_ITEMISED = 20


@dataclass(frozen=True)
class DataIssue:
    """One finding about the input data.

    ``row`` is the row number as a person sees it in ``file`` (the line of a
    CSV file, header = line 1; the row of an Excel sheet; the observation
    number in SAS and Parquet files); ``None`` when the finding is about
    something absent from the file. A finding that counts records (``filtered``,
    ``unknown_visit``, ``unknown_measure``, ``decimals``) gives the first of
    them here and their number in ``message``.
    """

    severity: Literal["error", "warning"]
    check: str
    file: str
    row: int | None
    column: str
    value: str
    subject: str
    visit: str
    measure: str
    message: str

    def describe(self) -> str:
        """One line: file, row, column, value, subject, then the message; control characters escaped."""
        where = shown(self.file)
        if self.row is not None:
            where += f": row {self.row}"
        if self.column:
            where += f": column {shown(self.column)}"
        if self.value != "" or self.check in ("non_numeric",):
            where += f": value {shown(self.value, quote=True)}"
        if self.subject and self.subject != self.value:
            where += f": subject {shown(self.subject)}"
        return f"{where}: {shown(self.message, limit=None)}"


ISSUE_COLUMNS = [f.name for f in fields(DataIssue)]


def issues_to_csv(issues: pd.DataFrame) -> str:
    """The findings (columns :data:`ISSUE_COLUMNS`) as ``data_issues.csv``; a text cell that a spreadsheet would
    run as a formula (``=...``) starts with a single quote (:mod:`trialkit.safe_csv`), ``row`` is never changed."""
    return csv_text(neutralise_frame(issues, numeric=["row"]))


def read_issues(path) -> pd.DataFrame:
    """Read a ``data_issues.csv`` back: text as the findings held it (the quote :func:`issues_to_csv` put before
    a formula-like text removed), ``row`` as whole numbers."""
    issues = pd.read_csv(path, dtype=str, keep_default_na=False)
    issues["row"] = pd.to_numeric(issues["row"].mask(issues["row"] == "")).astype("Int64")
    return restore_frame(issues, numeric=["row"])

def suggest(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return f" (did you mean {shown(close[0], quote=True)}?)" if close else ""


def issues(severity: str, check: str, n: int, **columns) -> pd.DataFrame:
    """``n`` findings of one check; each column is one value for all or a sequence of ``n``."""
    data = {}
    for name in ISSUE_COLUMNS[2:]:
        value = columns.get(name, "")
        if name == "row":
            data[name] = pd.array([value] * n if value is None or np.isscalar(value) else list(value), dtype="Int64")
        elif isinstance(value, str):
            data[name] = np.full(n, value, dtype=object)
        else:
            data[name] = np.asarray(value, dtype=object)
    return pd.DataFrame({"severity": np.full(n, severity, dtype=object), "check": np.full(n, check, dtype=object),
                         **data})


def on_records(severity: str, check: str, at: pd.DataFrame, message, *, column=None, value=None) -> pd.DataFrame:
    """One finding per record of ``at`` (a slice of the records table)."""
    return issues(severity, check, len(at), file=at["file"].to_numpy(), row=at["row"].to_numpy(),
                   column=at["column"].to_numpy() if column is None else column,
                   value=at["raw_value"].to_numpy() if value is None else value,
                   subject=at["subject"].to_numpy(), visit=at["visit"].to_numpy(), measure=at["measure"].to_numpy(),
                   message=message)


def records_text(n: int) -> str:
    return f"{n:,} record" + ("" if n == 1 else "s")


def spread(n: int, n_subjects: int, rows: list[int]) -> str:
    """Where counted records are: how many subjects, the first rows (nothing to add for one record)."""
    if n == 1:
        return ""
    named = ", ".join(str(r) for r in rows[:ROWS_NAMED])
    more = f" and {n - ROWS_NAMED:,} more" if n > ROWS_NAMED else ""
    return f" ({n_subjects:,} subject{'' if n_subjects == 1 else 's'}; rows {named}{more})"


def counted(check: str, at: pd.DataFrame, key: str, column: str, describe) -> pd.DataFrame:
    """One warning per value of ``at[key]`` (records excluded for one reason), counting its records; values
    beyond the first :data:`VALUES_ITEMISED` (in order of first appearance) share one finding.

    ``describe(value, n_values, records, spread)`` writes the message: ``value`` is None for the shared
    finding, ``n_values`` how many values it shares, ``records`` the count as words ("3 records"), ``spread``
    the subjects and first rows (:func:`_spread`).
    """
    if at.empty:
        return issues("warning", check, 0)
    keys = at[key]
    codes, uniques = pd.factorize(keys, sort=False)
    grouped = np.where(codes < VALUES_ITEMISED, codes, VALUES_ITEMISED)
    frame = at.assign(_group=grouped)
    out = []
    for group, part in frame.groupby("_group", sort=True):
        n = len(part)
        first = part.iloc[0]
        subjects = part["subject"].unique()
        where = spread(n, len(subjects), part["row"].head(ROWS_NAMED).tolist())
        shared = group == VALUES_ITEMISED
        n_values = len(uniques) - VALUES_ITEMISED if shared else 1
        single = {name: part[name].iat[0] if part[name].nunique() == 1 else "" for name in ("subject", "visit", "measure")}
        out.append({"file": first["file"], "row": first["row"], "column": column,
                    "value": "" if shared else first[key], **single,
                    "message": describe(None if shared else first[key], n_values, records_text(n), where)})
    table = pd.DataFrame(out)
    return issues("warning", check, len(table), **{c: table[c].to_numpy() for c in table.columns})


def listed(values: list[str], limit: int = 10) -> str:
    shown_values = ", ".join(shown(v, quote=True, limit=40) for v in values[:limit])
    return f"[{shown_values}{f', ... ({len(values)} values)' if len(values) > limit else ''}]"
