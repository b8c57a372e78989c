"""Building blocks of the report context: table cells, rows, group labels, and lookup of ARD values.

A cell is ``{"kind": ..., "value": ...}`` with kind ``text``, ``int``, ``num`` (with ``decimals``),
``p``, ``pair`` (``a (b)``, e.g. mean (SD)), ``ci`` (``(lo, hi)``), ``range`` (``lo, hi``), ``pct`` or
``count_pct`` (``n (x%)``); the template's ``fmt_cell`` filter formats it.
"""

from __future__ import annotations

import pandas as pd

P = "p"


def cell(kind: str, value, decimals: int = 0) -> dict:
    return {"kind": kind, "value": value, "decimals": decimals}


def text(value: str) -> dict:
    return cell("text", value)


class Lookup:
    """Fast access to one analysis's values: (measure, group_var, group, visit) -> {stat: value}."""

    def __init__(self, ard: pd.DataFrame, analysis: str) -> None:
        part = ard[ard["analysis"] == analysis]
        self.table: dict[tuple, dict[str, float]] = {}
        self.notes: dict[tuple, str] = {}
        for row in part.itertuples(index=False):
            key = (row.measure, row.group_var, row.group, row.visit)
            self.table.setdefault(key, {})[row.stat] = row.value
            self.notes.setdefault((row.measure, row.group_var), getattr(row, "note", ""))
        self.groups = list(dict.fromkeys((r.group_var, r.group) for r in part.itertuples(index=False)))

    def get(self, measure: str, group_var: str, group: str, visit: str = "") -> dict[str, float] | None:
        return self.table.get((measure, group_var, group, visit))


def col_classes(columns: list[str]) -> list[str]:
    """Width class of each column for the fixed table layout: the label column and CI columns are wider."""
    return ["first"] + ["wide" if "CI" in c or "Q1" in c or "Min" in c or "Mean (SD)" in c else "" for c in columns[1:]]


def row(cells: list[dict], *, emphasis: bool = False) -> dict:
    return {"cells": cells, "emphasis": emphasis}


def group_label(group_var: str, group: str, population: dict) -> str:
    name = "Overall" if group_var == "overall" else f"{group_var} {group}"
    n = population.get((group_var, group))
    return f"{name} (N={n:.0f})" if n is not None else name
