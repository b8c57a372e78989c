"""Reading the ARD for the report: values by what they are about, group names and labels.

The ARD's columns are read as Python lists (much faster than iterating rows of its Arrow-backed columns).
Rows are asked for by a :class:`~trialkit.results.Contrast` made from the configuration, never by text.
"""

from __future__ import annotations

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.report.spec import Column
from trialkit.results import Contrast


def columns(frame: pd.DataFrame, *names: str) -> list[list]:
    """Columns of ``frame`` as Python lists, to zip."""
    return [frame[name].tolist() for name in names]


class Lookup:
    """One analysis's values: (measure, group_var, group, visit, contrast) -> {stat: value}."""

    def __init__(self, ard: pd.DataFrame, analysis: str) -> None:
        part = ard[ard["analysis"] == analysis]
        self.table: dict[tuple, dict[str, float]] = {}
        self.notes: dict[tuple, str] = {}
        for measure, group_var, group, visit, contrast, stat, value, note in zip(
                *columns(part, "measure", "group_var", "group", "visit", "contrast", "stat", "value", "note")):
            self.table.setdefault((measure, group_var, group, visit, contrast), {})[stat] = value
            if note:
                self.notes.setdefault((measure, group_var), note)
        #: (group_var, group) in ARD order; group "" holds a subgroup's interaction test
        self.groups = list(dict.fromkeys(zip(*columns(part, "group_var", "group"))))

    def get(self, measure: str, group_var: str, group: str, visit: str = "",
            contrast: Contrast | None = None) -> dict[str, float] | None:
        return self.table.get((measure, group_var, group, visit, contrast.label if contrast else ""))

    @property
    def levels(self) -> list[tuple[str, str]]:
        """The groups with estimates: overall and each subgroup level (not the interaction tests)."""
        return [(gv, g) for gv, g in self.groups if g]


class Groups:
    """How the report names the ARD's groups, from the configuration's labels."""

    def __init__(self, config: StudyConfig, population: dict[tuple[str, str], float]) -> None:
        self.labels = config.subjects.labels
        self.population = population

    def label(self, var: str) -> str:
        """A subject column's label ('Pooled site'), else its name."""
        return self.labels.get(var, var)

    def name(self, group_var: str, group: str) -> str:
        """'Overall', or the subgroup's label and level ('Pooled site 1')."""
        return "Overall" if group_var == "overall" else f"{self.label(group_var)} {group}"

    def column(self, group_var: str, group: str) -> Column:
        """The group as a table column: 'Overall', or the level under its subgroup's label, with its N."""
        n = self.population.get((group_var, group))
        if group_var == "overall":
            return Column("Overall", n)
        return Column(group, n, span=self.label(group_var))


def population(ard: pd.DataFrame) -> dict[tuple[str, str], float]:
    """(group_var, group) -> subjects with analysable records (not those of an analysis set, ``category``)."""
    counts = ard[(ard["analysis"] == "population") & (ard["stat"] == "n") & (ard["category"] == "")]
    return {(gv, g): n for gv, g, n in zip(*columns(counts, "group_var", "group", "value"))}


def confidence_label(alpha: float) -> str:
    """'95%' for alpha 0.05."""
    return f"{100 * (1 - alpha):g}%"


def direction_label(direction: str) -> str:
    """How a measure's scale reads, for axis labels and footnotes."""
    return "lower = better" if direction == "lower_better" else "higher = better"
