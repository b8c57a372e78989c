"""The ARD as ``ard.csv``: written with fixed row order and float formatting, its text cells neutralised
against spreadsheet formulas (:mod:`trialkit.safe_csv`), read back with its types and text exactly."""

from __future__ import annotations

import pandas as pd

from trialkit.results.rows import ARD_COLUMNS
from trialkit.safe_csv import csv_text, neutralise_frame, restore_frame


def format_full(value: float) -> str:
    """A number as written to CSV: shortest text that reads back to the same float; NaN -> ''."""
    if value != value:
        return ""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def ard_to_csv(ard: pd.DataFrame) -> str:
    """The ARD as CSV text with fixed row order and float formatting; a text cell that a spreadsheet would run
    as a formula (``=...``) starts with a single quote (:mod:`trialkit.safe_csv`), ``value`` is never changed."""
    out = neutralise_frame(ard, numeric=["value"])
    out["value"] = out["value"].map(format_full)
    return csv_text(out)


def read_ard(path) -> pd.DataFrame:
    """Read an ``ard.csv`` back with the types and text :func:`trialkit.results.build_ard` produced (the quote
    :func:`ard_to_csv` put before a formula-like text is removed)."""
    ard = pd.read_csv(path, dtype={c: str for c in ARD_COLUMNS if c != "value"}, keep_default_na=False)
    ard["value"] = pd.to_numeric(ard["value"].replace("", float("nan")), errors="raise").astype(float)
    return restore_frame(ard, numeric=["value"])
