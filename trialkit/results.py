"""Analyses -> the long results dataset (ARD) that the report is rendered from.

Columns (a contract: extend, never rename): ``analysis, measure, group_var,
group, visit, contrast, stat, value``, then ``category`` (the level of a
categorical baseline characteristic) and ``note`` (model, covariance and df
method of model rows; empty elsewhere). ``value`` is kept at full precision;
NaN means "not estimable" (e.g. an SD from one observation) and is written as
an empty cell.

analysis values: ``population`` (subjects per group, stat ``n``),
``disposition`` (subjects with data at each visit), ``baseline`` (subject
characteristics: genotype flags, subgroups and covariates), ``individual``
(each subject's values and endpoint change, for the trajectory and waterfall
figures: group_var ``subject``, group the subject id, category the level of
the first subgroup),
``descriptive``, ``change``, ``paired_t``, ``wilcoxon``, ``responder``,
``lmm``, ``mmrm`` (see :mod:`trialkit.results_mixed`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.derivations import AnalysisData
from trialkit.stats import paired_t, responder_rate, summarize, wilcoxon

ARD_COLUMNS = ["analysis", "measure", "group_var", "group", "visit", "contrast", "stat", "value", "category", "note"]
OVERALL = ("overall", "all")


def _natural_key(text: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def groups_of(frame: pd.DataFrame, var: str) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """Yield ``(var, level, rows)`` for each non-empty level of ``var``, in natural order (2 before 10)."""
    present = frame[frame[var] != ""]
    for level in sorted(present[var].unique(), key=_natural_key):
        yield var, level, present[present[var] == level]


def groups(frame: pd.DataFrame, config: StudyConfig) -> Iterator[tuple[str, str, pd.DataFrame]]:
    """Yield ``(group_var, group, rows)``: the whole population, then each subgroup level.

    Subjects with an empty subgroup value are left out of that subgroup's
    levels (validation reported them).
    """
    yield (*OVERALL, frame)
    for var in config.subjects.subgroups:
        yield from groups_of(frame, var)


def _rows(analysis: str, measure: str, group_var: str, group: str, visit: str, contrast: str, result) -> list[tuple]:
    return [(analysis, measure, group_var, group, visit, contrast, stat, value, "", "") for stat, value in result.stats()]


def build_ard(data: AnalysisData, subjects: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """Run every configured analysis, overall and by subgroup, into one long table.

    Parameters
    ----------
    data : AnalysisData
        Derived tables from :func:`trialkit.derivations.derive`.
    subjects : DataFrame
        Validated subjects (``subject`` and subgroup columns); the population
        counts are the subjects with at least one analysable record.
    config : StudyConfig

    Returns
    -------
    DataFrame
        :data:`ARD_COLUMNS` in a fixed order: population, then per measure
        (study.yaml order) descriptive, change, paired_t, wilcoxon, responder;
        within each, groups (overall first) and visits in visit order; then the
        lmm and mmrm rows.
    """
    visits = config.visits
    alpha = config.alpha
    contrast_end = f"{visits.endpoint} - {visits.baseline}"
    parts: list[list[tuple]] = []
    analysed = subjects[subjects["subject"].isin(set(data.values["subject"]))]
    for group_var, group, rows in groups(analysed, config):
        parts.append([("population", "", group_var, group, "", "", "n", float(len(rows)), "", "")])
    parts.append(_disposition(data.values, config))
    parts.append(_individual(data, config))
    parts.append(_baseline(analysed, config))
    wanted = set(config.analyses)
    for measure in config.measures:
        values = data.values[data.values["measure"] == measure]
        change = data.change[data.change["measure"] == measure]
        endpoint = data.endpoint[data.endpoint["measure"] == measure]
        responders = data.responders[data.responders["measure"] == measure]
        if "descriptive" in wanted:
            for group_var, group, rows in groups(values, config):
                for visit in visits.order:
                    summary = summarize(rows.loc[rows["visit"] == visit, "value"], alpha=alpha)
                    parts.append(_rows("descriptive", measure, group_var, group, visit, "", summary))
            for group_var, group, rows in groups(change, config):
                for visit in visits.post_baseline:
                    summary = summarize(rows.loc[rows["visit"] == visit, "change"], alpha=alpha)
                    parts.append(_rows("change", measure, group_var, group, visit, f"{visit} - {visits.baseline}", summary))
        for name, test in (("paired_t", paired_t), ("wilcoxon", wilcoxon)):
            if name in wanted:
                for group_var, group, rows in groups(endpoint, config):
                    result = test(rows["value"], rows["base"], alpha=alpha)
                    parts.append(_rows(name, measure, group_var, group, "", contrast_end, result))
        if "responder" in wanted and config.measures[measure].responder_max is not None:
            for group_var, group, rows in groups(responders, config):
                parts.append(_rows("responder", measure, group_var, group, visits.endpoint, "", responder_rate(rows["responder"], alpha=alpha)))
    if "lmm" in wanted or "mmrm" in wanted:
        from trialkit.results_mixed import lmm_rows, mmrm_rows  # imported only when models are asked for

        if "lmm" in wanted:
            parts.append(lmm_rows(data.values, config))
        if "mmrm" in wanted:
            parts.append(mmrm_rows(data.change, config))
    ard = pd.DataFrame([row for part in parts for row in part], columns=ARD_COLUMNS)
    ard["value"] = ard["value"].astype(float)
    return ard


def _disposition(values: pd.DataFrame, config: StudyConfig) -> list[tuple]:
    """Subjects with at least one analysable record at each visit, per group."""
    rows = []
    for group_var, group, part in groups(values, config):
        seen = part.groupby("visit")["subject"].nunique()
        for visit in config.visits.order:
            rows.append(("disposition", "", group_var, group, visit, "", "n", float(seen.get(visit, 0)), "", ""))
    return rows


def _individual(data: AnalysisData, config: StudyConfig) -> list[tuple]:
    """Each subject's value at each visit and change at the endpoint (figures of individual subjects)."""
    first = config.subjects.subgroups[0] if config.subjects.subgroups else None
    rows = []
    for r in data.values.itertuples(index=False):
        level = getattr(r, first) if first else ""
        rows.append(("individual", r.measure, "subject", r.subject, r.visit, "", "value", float(r.value), level, ""))
    contrast = f"{config.visits.endpoint} - {config.visits.baseline}"
    for r in data.endpoint.itertuples(index=False):
        level = getattr(r, first) if first else ""
        rows.append(("individual", r.measure, "subject", r.subject, config.visits.endpoint, contrast, "change",
                     float(r.change), level, ""))
    return rows


def _baseline(subjects: pd.DataFrame, config: StudyConfig) -> list[tuple]:
    """Genotype flags (subjects with the flag), subgroups and categorical covariates (subjects per
    level), numeric covariates (descriptive statistics), per group. Proportions are of the group's N."""
    spec = config.subjects
    out = []
    for group_var, group, part in groups(subjects, config):
        total = len(part)

        def counts(name: str, levels) -> None:
            for level, n in levels:
                out.append(("baseline", name, group_var, group, "", "", "n", float(n), level, ""))
                out.append(("baseline", name, group_var, group, "", "", "proportion", n / total if total else float("nan"), level, ""))

        for flag in spec.genotype_flags:
            counts(flag, [("yes", int(part[flag].sum()))])
        for name in [*spec.subgroups, *([spec.arm] if spec.arm else []), *spec.covariates]:
            values = part[name]
            numbers = pd.to_numeric(values.where(values != "", None), errors="coerce")
            if name in spec.covariates and numbers.notna().sum() == (values != "").sum() and (values != "").any():
                out += [("baseline", name, group_var, group, "", "", stat, value, "", "")
                        for stat, value in summarize(numbers.dropna()).stats()]
            else:  # every level seen in any subject, so that a group without it shows 0 (0%)
                present = values[values != ""]
                levels = sorted(set(subjects[name]) - {""}, key=_natural_key)
                counts(name, [(level, int((present == level).sum())) for level in levels])
                if (values == "").any():
                    counts(name, [("missing", int((values == "").sum()))])
    return out


def format_full(value: float) -> str:
    """A number as written to CSV: shortest text that reads back to the same float; NaN -> ''."""
    if value != value:
        return ""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def ard_to_csv(ard: pd.DataFrame) -> str:
    """The ARD as CSV text with fixed row order and float formatting."""
    out = ard.copy()
    out["value"] = out["value"].map(format_full)
    return out.to_csv(index=False, lineterminator="\n")


def read_ard(path) -> pd.DataFrame:
    """Read an ``ard.csv`` back with the types :func:`build_ard` produced."""
    ard = pd.read_csv(path, dtype={c: str for c in ARD_COLUMNS if c != "value"}, keep_default_na=False)
    ard["value"] = pd.to_numeric(ard["value"].replace("", float("nan")), errors="raise").astype(float)
    return ard
