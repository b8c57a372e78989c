"""The groups every analysis is repeated in: all subjects, then each level of each subgroup."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from trialkit.config import StudyConfig

#: ``(group_var, group)`` of all subjects
OVERALL = ("overall", "all")


def natural_key(text: str) -> list:
    """Sort key that puts "2" before "10"."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def groups_of(frame: pd.DataFrame, var: str) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """Yield ``(var, level, rows)`` for each non-empty level of ``var``, in natural order (2 before 10)."""
    present = frame[frame[var] != ""]
    for level in sorted(present[var].unique(), key=natural_key):
        yield var, level, present[present[var] == level]


def groups(frame: pd.DataFrame, config: StudyConfig) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """Yield ``(group_var, group, rows)``: the whole population, then each subgroup level.

    Subjects with an empty subgroup value are left out of that subgroup's levels (validation reported them).
    """
    yield (*OVERALL, frame)
    for var in config.subjects.subgroups:
        yield from groups_of(frame, var)
