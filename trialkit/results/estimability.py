"""Findings about the analyses: every estimate or test the data cannot give (NE in the report) is named
once, with the reason the analysis gave, beside the findings about the data (``data_issues.csv`` and the
report's listing). A study that can be analysed at all runs to the end; what it cannot estimate is said,
never dropped and never a traceback.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialkit.findings import ISSUE_COLUMNS, issues
from trialkit.results.ordinal import ORDINAL_ANALYSES, analysis_findings
from trialkit.results.summaries import SHORT_CI

#: rows that describe the data rather than estimate anything: a missing SD of one value is not a finding
DESCRIPTIVE = frozenset({"population", "disposition", "individual", "baseline", "descriptive", "change",
                         "categories"})
#: the stats whose absence makes a row "not estimable"
ESTIMATES = ("estimate", "proportion", "statistic", "p_value")
CHECK = "not_estimable"


def not_estimable(ard: pd.DataFrame) -> pd.DataFrame:
    """One warning (check ``not_estimable``, columns :data:`trialkit.findings.ISSUE_COLUMNS`) per analysis
    row key -- analysis, measure, group, visit, contrast -- whose estimate, proportion, statistic or p-value
    is empty, and per model that could not be fitted (stat ``converged`` = 0, "not fitted" in its note).
    The ordinal analyses (ordinal, shift, friedman) give one per model, table or test, with every reason
    their rows' notes hold (:func:`trialkit.results.ordinal.analysis_findings`)."""
    if "analysis_id" not in ard:  # an ARD written before the column was added
        ard = ard.assign(analysis_id=ard["analysis"])
    found = _by_row(ard[~ard["analysis"].isin(ORDINAL_ANALYSES)])
    ordinal = analysis_findings(ard)
    short = short_intervals(ard)
    return pd.concat([found, *(part for part in (ordinal, short) if len(part))], ignore_index=True)


def short_intervals(ard: pd.DataFrame) -> pd.DataFrame:
    """One warning (check ``ci_level``) per interval whose confidence level falls short of the requested one:
    a Hodges-Lehmann interval of a handful of pairs (:func:`trialkit.results.summaries.short_interval`), shown
    as computed (as R's ``wilcox.test``) with its level in ard.csv (stat ``ci_level``)."""
    rows = ard[(ard["stat"] == "ci_level") & ard["note"].str.startswith(SHORT_CI)]
    messages = [f"{_where(r)}: Hodges-Lehmann interval: {r.note}; shown as computed, as R wilcox.test does (its "
                f"level: stat ci_level in ard.csv)"
                for r in rows.itertuples(index=False)]
    return issues("warning", "ci_level", len(rows), file="", row=None, visit=rows["visit"].to_numpy(),
                  measure=rows["measure"].to_numpy(), message=np.asarray(messages, dtype=object))[ISSUE_COLUMNS]


def _by_row(ard: pd.DataFrame) -> pd.DataFrame:
    analysed = ~ard["analysis"].isin(DESCRIPTIVE)
    empty = analysed & ard["stat"].isin(ESTIMATES) & ard["value"].isna()
    unfitted = analysed & (ard["stat"] == "converged") & (ard["value"] == 0) & ard["note"].str.startswith("not fitted")
    keys = ["analysis", "measure", "group_var", "group", "visit", "contrast", "analysis_id"]
    rows = ard[empty | unfitted].drop_duplicates(keys)
    if rows.empty:
        return issues("warning", CHECK, 0)
    counted = ard[analysed & (ard["stat"] == "n")]
    n_of = dict(zip(map(tuple, counted[keys].to_numpy()), counted["value"]))
    messages = [_message(r, n_of.get(tuple(getattr(r, k) for k in keys))) for r in rows.itertuples(index=False)]
    n = len(rows)
    return issues("warning", CHECK, n, file="", row=None, visit=rows["visit"].to_numpy(),
                  measure=rows["measure"].to_numpy(), message=np.asarray(messages, dtype=object))[ISSUE_COLUMNS]


def _where(row) -> str:
    """What a row is about: analysis, measure, subgroup and level, visit, contrast (all subjects unnamed)."""
    where = [row.analysis if row.analysis_id == row.analysis else f"{row.analysis} {row.analysis_id}"]
    if row.measure:
        where.append(row.measure)
    if row.group_var not in ("overall", "") or row.group not in ("all", ""):
        where.append(f"{row.group_var} {row.group}".strip())
    if row.visit:
        where.append(row.visit)
    if row.contrast:
        where.append(row.contrast)
    return ", ".join(where)


def _message(row, n: float | None) -> str:
    note = row.note or ""
    reason = note[note.find("not fitted"):] if "not fitted" in note else (
        note[note.find("not estimable"):] if "not estimable" in note else "not estimable from these data")
    if n is not None and n == n:
        reason += f" (n = {n:.0f})"
    return f"{_where(row)}: {reason}; shown as NE"
