"""The groups every analysis is repeated in: all subjects, then each level of each subgroup."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.natural import natural_key
from trialkit.validation_plan import ARM, arms_of

#: ``(group_var, group)`` of all subjects
OVERALL = ("overall", "all")


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


def arms(frame: pd.DataFrame, config: StudyConfig) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """Yield ``(treatment.arm, arm label, rows)`` for each arm of the plan, in the plan's order (nothing without a
    treatment). ``frame`` holds the arm in column :data:`ARM`."""
    treatment = config.treatment
    if treatment is None:
        return
    present = [a for a in dict.fromkeys(frame[ARM]) if a != ""]
    for arm in arms_of(config, present):
        yield treatment.arm, treatment.label(arm), frame[frame[ARM] == arm]


def subject_groups(frame: pd.DataFrame, config: StudyConfig) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """The groups of the subject tables: :func:`groups`, then each arm of the plan (:func:`arms`)."""
    yield from groups(frame, config)
    yield from arms(frame, config)


def subject_population(subjects: pd.DataFrame, config: StudyConfig) -> pd.DataFrame | None:
    """The subjects of the subject tables and the short-form analyses: with a treatment, those in the plan's arms;
    with ``subjects.analysis_set``, those in that set. None: every subject (neither is given). Subjects left out
    were counted by validation (``missing_arm``, ``arm_not_in_plan``, ``analysis_set``)."""
    keep = pd.Series(True, index=subjects.index)
    if config.treatment is not None:
        keep &= subjects[ARM] != ""
    if config.subjects.analysis_set is not None:
        keep &= subjects[f"set:{config.subjects.analysis_set}"]
    return None if config.treatment is None and config.subjects.analysis_set is None else subjects[keep]
