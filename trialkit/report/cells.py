"""Building blocks of the report context: table cells, rows, group labels, and lookup of ARD values.

A cell is ``{"kind": ..., "value": ...}`` with kind ``text``, ``int``, ``num`` (with ``decimals``),
``p``, ``pair`` (``a (b)``, e.g. mean (SD)), ``ci`` (``(lo, hi)``), ``range`` (``lo, hi``), ``pct`` or
``count_pct`` (``n (x%)``); the template's ``fmt_cell`` filter formats it.
"""

from __future__ import annotations

import pandas as pd

P = "p"


def cell(kind: str, value, decimals: int = 0) -> dict:
    return {"kind": kind, "value": _plain(value), "decimals": decimals}


def _plain(value):
    """A numpy scalar as the Python number it holds (also inside a pair): the context goes to the render
    process, which imports neither numpy nor pandas."""
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value.item() if hasattr(value, "item") and not isinstance(value, (str, bytes)) else value


def text(value: str) -> dict:
    return cell("text", value)


def columns(frame: pd.DataFrame, *names: str) -> list[list]:
    """Columns of ``frame`` as Python lists, to zip: much faster than iterating rows of the ARD's Arrow-backed
    columns, and the values come out as Python numbers and strings."""
    return [frame[name].tolist() for name in names]


class Lookup:
    """Fast access to one analysis's values: (measure, group_var, group, visit) -> {stat: value}."""

    def __init__(self, ard: pd.DataFrame, analysis: str) -> None:
        part = ard[ard["analysis"] == analysis]
        self.table: dict[tuple, dict[str, float]] = {}
        self.notes: dict[tuple, str] = {}
        notes = part["note"].tolist() if "note" in part else [""] * len(part)
        for measure, group_var, group, visit, stat, value, note in zip(
                *columns(part, "measure", "group_var", "group", "visit", "stat", "value"), notes):
            self.table.setdefault((measure, group_var, group, visit), {})[stat] = value
            self.notes.setdefault((measure, group_var), note)
        self.groups = list(dict.fromkeys(zip(*columns(part, "group_var", "group"))))

    def get(self, measure: str, group_var: str, group: str, visit: str = "") -> dict[str, float] | None:
        return self.table.get((measure, group_var, group, visit))


def confidence_label(alpha: float) -> str:
    """'95%' for alpha 0.05."""
    return f"{100 * (1 - alpha):g}%"


def direction_label(direction: str) -> str:
    """How a measure's scale reads, for axis labels and footnotes."""
    return "lower = better" if direction == "lower_better" else "higher = better"


def row(cells: list[dict], *, emphasis: bool = False) -> dict:
    return {"cells": cells, "emphasis": emphasis}


def group_name(group_var: str, group: str) -> str:
    """'Overall', or the subgroup column and level ('TIER 1')."""
    return "Overall" if group_var == "overall" else f"{group_var} {group}"


def group_label(group_var: str, group: str, population: dict) -> str:
    """The group's name with its N, as table headers show it ('TIER 1 (N=11)')."""
    name = group_name(group_var, group)
    n = population.get((group_var, group))
    return f"{name} (N={n:.0f})" if n is not None else name


def by_group(lookup: Lookup, population: dict, measure: str, visit: str,
             statistics: list[tuple]) -> tuple[list[str], list[dict]]:
    """A table of one estimate per group in CSR layout: a row per statistic, a column per group with its N
    in the header. ``statistics``: ``(label, function of the group's ARD values -> cell)``; a group without
    values gets blank cells.

    Returns ``(columns, rows)``."""
    groups = [(gv, g) for gv, g in lookup.groups if g]  # not the interaction tests (group "")
    values = [lookup.get(measure, gv, g, visit) for gv, g in groups]
    rows = [row([text(label), *(make(v) if v is not None else text("") for v in values)])
            for label, make in statistics]
    return ["Statistic", *(group_label(gv, g, population) for gv, g in groups)], rows
