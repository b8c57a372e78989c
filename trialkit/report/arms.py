"""Arms as the report shows them: a column per arm of the plan, in the plan's order, named by its label with its N
(and a Total column last when ``treatment.total``), read from the ARD's population rows; the rows of one declared
analysis; numbered footnotes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.report.lookup import columns
from trialkit.report.spec import Cell, Column, Count, MeanSD, Number, Range, Row, Text
from trialkit.results import OVERALL, Contrast

TOTAL = "Total"
NAN = float("nan")

#: the summary rows of the CSR tables: label, and the cell made from a group's statistics and the data's decimals
SUMMARY_ROWS: list[tuple[str, Callable[[dict, int], Cell]]] = [
    ("n", lambda s, d: Count(s.get("n", NAN))),
    ("Mean (SD)", lambda s, d: MeanSD(s.get("mean", NAN), s.get("sd", NAN), d + 1)),
    ("Median", lambda s, d: Number(s.get("median", NAN), d + 1)),
    ("Min, Max", lambda s, d: Range(s.get("min", NAN), s.get("max", NAN), d)),
]


@dataclass(frozen=True)
class Arm:
    """A column of a table by arm: the ARD's group (``group_var``, ``group``) and its N."""

    group_var: str
    group: str
    n: float

    @property
    def key(self) -> tuple[str, str]:
        return self.group_var, self.group

    @property
    def column(self) -> Column:
        return Column(TOTAL if self.key == OVERALL else self.group, self.n)


def arms_of(population: pd.DataFrame, config: StudyConfig, *, total: bool) -> list[Arm]:
    """The arms of the plan in the ARD's (the plan's) order with their N, from population rows (stat n, no
    ``category``), and all of them last when ``total``."""
    counts = population[(population["stat"] == "n") & (population["category"] == "")]
    by_group = dict(zip(zip(*columns(counts, "group_var", "group")), counts["value"].tolist()))
    arm_var = config.treatment.arm if config.treatment is not None else None
    out = [Arm(gv, g, n) for (gv, g), n in by_group.items() if gv == arm_var]
    if total and OVERALL in by_group:
        out.append(Arm(*OVERALL, by_group[OVERALL]))
    return out


class AnalysisRows:
    """The ARD rows of one declared analysis: (analysis, group_var, group, visit, contrast, category) -> {stat:
    value}, its population and the note of its model rows."""

    def __init__(self, ard: pd.DataFrame, analysis_id: str) -> None:
        part = ard[ard["analysis_id"] == analysis_id]
        self.population = part[part["analysis"] == "population"]
        self.table: dict[tuple, dict[str, float]] = {}
        self.note = ""
        for analysis, gv, g, visit, contrast, category, stat, value, note in zip(*columns(
                part, "analysis", "group_var", "group", "visit", "contrast", "category", "stat", "value", "note")):
            self.table.setdefault((analysis, gv, g, visit, contrast, category), {})[stat] = value
            self.note = self.note or note

    def get(self, analysis: str, *, group: tuple[str, str] = OVERALL, visit: str = "",
            contrast: Contrast | None = None, category: str = "") -> dict[str, float]:
        """The statistics of one row key; empty when the ARD has no such row."""
        return self.table.get((analysis, *group, visit, contrast.label if contrast else "", category), {})

    def has(self, analysis: str, **key) -> bool:
        return bool(self.get(analysis, **key))


def summary_rows(rows: AnalysisRows, arms: list[Arm], analysis: str, visit: str, d: int,
                 contrast: Contrast | None = None) -> tuple[Row, ...]:
    """n, Mean (SD), Median, Min, Max of one summary (descriptive or change rows at a visit), a column per arm."""
    stats = [rows.get(analysis, group=arm.key, visit=visit, contrast=contrast) for arm in arms]
    return tuple(Row((Text(label), *(make(s, d) for s in stats))) for label, make in SUMMARY_ROWS)


def in_columns(arms: list[Arm], label: str, cells: dict[tuple[str, str], Cell]) -> Row:
    """A row with a cell in some arms' columns (by their key) and blanks elsewhere."""
    return Row((Text(label), *(cells.get(arm.key, Text("")) for arm in arms)))


@dataclass
class Footnotes:
    """Footnotes numbered in the order a table first refers to them: ``mark(key, text)`` gives ``"[1]"``."""

    texts: dict[str, str] = field(default_factory=dict)

    def mark(self, key: str, text: str) -> str:
        self.texts.setdefault(key, text)
        return f"[{list(self.texts).index(key) + 1}]"

    def numbered(self) -> tuple[str, ...]:
        return tuple(f"[{k}] {text}" for k, text in enumerate(self.texts.values(), start=1))


def subject_columns(ard: pd.DataFrame, config: StudyConfig, groups) -> tuple[list[tuple[str, str]], tuple[Column, ...]]:
    """The groups and columns of the subject tables: with a treatment, a column per arm of the plan with its label
    and N (and Total last when ``treatment.total``); else all subjects and each subgroup level
    (:class:`~trialkit.report.lookup.Groups`)."""
    if config.treatment is None:
        keys = list(groups.population)
        return keys, tuple(groups.column(gv, g) for gv, g in keys)
    arms = arms_of(ard[ard["analysis"] == "population"], config, total=config.treatment.total)
    return [a.key for a in arms], tuple(a.column for a in arms)


def subjects_line(config: StudyConfig) -> str:
    """Who the subject tables count."""
    text = "All subjects in the subjects file with at least one analysable record"
    if config.treatment is not None:
        text += " and an arm of the plan"
    if config.subjects.analysis_set is not None:
        where = "; ".join(f"{c} in {', '.join(v)}" for c, v in config.analysis_sets[config.subjects.analysis_set].items())
        text += f", in the {config.subjects.analysis_set} analysis set ({where})"
    return text + "."
