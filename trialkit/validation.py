"""Canonical tables -> checked tables plus findings (:class:`DataIssue`).

Nothing is dropped silently: every record that an analysis will not use is
either a fatal error (the run stops with exit status 2) or named by a warning
finding, and :attr:`ValidatedStudy.excluded` lists each such record with the
check of the finding that accounts for it. Findings are written to
``data_issues.csv`` and listed in the report.

Fatal (severity ``error``), one finding per record: non-numeric value, value
outside the measure's range, duplicate subject x visit x measure, empty
subject id; one per subject: records for a subject missing from the subjects
file; one per row of the subjects file: duplicate or empty subject id,
genotype flag that is not boolean-like. The file-level problems (unreadable,
empty, missing mapped column) stop the loaders before validation.

Findings (severity ``warning``). Records the study's own selection leaves out
are counted, one finding per reason: per value that ``data.filter`` leaves out
(``filtered``), per visit not in ``visits.order`` (``unknown_visit``), per
measure not configured (``unknown_measure``); each gives the number of
records and subjects and the first rows. Values with more decimals than the
measure's ``decimals`` declares, one finding per measure (``decimals``; the
values are analysed as recorded, never rounded). One finding per subject or
cell: subject with no records, missing value or visit, missing baseline,
missing endpoint, missing subgroup value, an empty cell beside another record
of the same subject, visit and measure (``duplicate_blank``).

Every step works on whole columns (no Python loop over records), so a
million records or fifty thousand findings take seconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from trialkit.config import StudyConfig
from trialkit.errors import ConfigError, DataError, shown
from trialkit.findings import (ISSUE_COLUMNS, ROWS_NAMED, DataIssue, counted, issues, listed, on_records,
                               records_text, spread, suggest)
from trialkit.loaders import StudyData
from trialkit.natural import numbers
from trialkit.plan import record_columns
from trialkit.validation_plan import check_plan

TRUE_WORDS = frozenset({"1", "true", "t", "y", "yes"})
FALSE_WORDS = frozenset({"0", "false", "f", "n", "no"})

#: how many fatal problems an error message lists before summarising the rest
MAX_LISTED = 20


#: columns of :attr:`ValidatedStudy.excluded`
EXCLUDED_COLUMNS = ["file", "row", "subject", "visit", "measure", "check"]


def _empty_excluded() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else object) for c in EXCLUDED_COLUMNS})


@dataclass(frozen=True)
class ValidatedStudy:
    """Checked canonical tables and every finding.

    records
        ``subject, visit, measure, value`` (float) ``, dose, file, row`` for
        the records that are analysable: configured visit and measure, numeric
        value in range. Missing values are absent here and listed in findings.
    subjects
        ``subject``, genotype flags as booleans, subgroups as text (empty when
        missing), arm and covariates as text, ``file, row``.
    issues
        Every finding, fatal and not, in a fixed order.
    excluded
        Every input record that is not in ``records``: ``file, row, subject,
        visit, measure`` and ``check``, the check of the finding that accounts
        for it (a counted finding, a finding of its own, the subject's).
    """

    records: pd.DataFrame
    subjects: pd.DataFrame
    issues: tuple[DataIssue, ...]
    excluded: pd.DataFrame = field(default_factory=_empty_excluded)
    #: the findings as a table, as :meth:`issues_frame` returns them (kept to save rebuilding it)
    table: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def errors(self) -> tuple[DataIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    def issues_frame(self) -> pd.DataFrame:
        """The findings, columns :data:`ISSUE_COLUMNS`; ``row`` as whole numbers (empty when absent)."""
        if self.table is not None:
            return self.table.copy()
        frame = pd.DataFrame([asdict(i) for i in self.issues], columns=ISSUE_COLUMNS)
        return frame.astype({"row": "Int64"})

    def raise_for_errors(self) -> None:
        """Raise :class:`DataError` listing the fatal findings, if there are any."""
        errors = self.errors
        if not errors:
            return
        lines = [f"  {e.describe()}" for e in errors[:MAX_LISTED]]
        if len(errors) > MAX_LISTED:
            lines.append(f"  ... and {len(errors) - MAX_LISTED} more (run `trialkit validate` to list all)")
        noun = "problem stops" if len(errors) == 1 else "problems stop"
        raise DataError(f"{len(errors)} data {noun} the analysis:\n" + "\n".join(lines))


def _check_config_against_data(records: pd.DataFrame, config: StudyConfig) -> None:
    file = records["file"].iat[0] if len(records) else str(config.data.records)
    yaml_name = config.source.name if config.source else "study.yaml"
    seen_visits = set(records["visit"].unique())
    for visit in config.visits.order:
        if visit not in seen_visits:
            raise ConfigError(
                f"{yaml_name}: visits.order: visit {shown(visit, quote=True)} does not occur in {shown(file)} "
                f"(column {shown(config.data.columns.visit)}){suggest(visit, sorted(seen_visits))}; "
                "the visit labels must match the data exactly"
            )
    if config.data.layout == "long":
        seen_measures = set(records["measure"].unique())
        for measure in config.measures:
            if measure not in seen_measures:
                raise ConfigError(
                    f"{yaml_name}: measures: measure {shown(measure, quote=True)} does not occur in {shown(file)} "
                    f"(column {shown(config.data.columns.measure)}){suggest(measure, sorted(seen_measures))}"
                )


def _check_subjects(subjects: pd.DataFrame, config: StudyConfig) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    id_col = config.data.columns.subject
    out = subjects.reset_index(drop=True).copy()
    found = []
    empty = out[out["subject"] == ""]
    found.append(issues("error", "empty_subject", len(empty), file=empty["file"].to_numpy(), row=empty["row"].to_numpy(),
                         column=id_col, message="empty subject id; every row of the subjects file needs one"))
    named = out["subject"] != ""
    first_row = out[named].groupby("subject", sort=False)["row"].transform("first")
    twice = out[named & out.duplicated("subject", keep="first")]
    found.append(issues("error", "duplicate_subject", len(twice), file=twice["file"].to_numpy(),
                         row=twice["row"].to_numpy(), column=id_col, value=twice["subject"].to_numpy(),
                         subject=twice["subject"].to_numpy(),
                         message=[f"subject listed twice in the subjects file (first at row {r}); keep one row per subject"
                                  for r in first_row.loc[twice.index]]))
    for flag in config.subjects.genotype_flags:
        words = out[flag].str.lower()
        bad = out[~words.isin(TRUE_WORDS | FALSE_WORDS)]
        found.append(issues("error", "genotype_flag", len(bad), file=bad["file"].to_numpy(), row=bad["row"].to_numpy(),
                             column=flag, value=bad[flag].to_numpy(), subject=bad["subject"].to_numpy(),
                             message="genotype flag is not boolean-like; use 0/1, true/false, Y/N or yes/no"))
        out[flag] = words.isin(TRUE_WORDS).to_numpy()
    for group in config.subjects.subgroups:
        missing = out[out[group] == ""]
        found.append(issues("warning", "missing_subgroup", len(missing), file=missing["file"].to_numpy(),
                             row=missing["row"].to_numpy(), column=group, subject=missing["subject"].to_numpy(),
                             message=f"no {group} value: subject excluded from analyses by {group}"))
    return out, found


def validate(data: StudyData, config: StudyConfig) -> ValidatedStudy:
    """Check the canonical tables against the configuration.

    Parameters
    ----------
    data : StudyData
        The tables from :func:`trialkit.loaders.load_study`.
    config : StudyConfig

    Returns
    -------
    ValidatedStudy
        Checked tables and all findings; call :meth:`ValidatedStudy.raise_for_errors`
        to stop on fatal ones.

    Raises
    ------
    ConfigError
        A configured visit or measure does not occur in the data.
    """
    records = data.records.reset_index(drop=True)
    _check_config_against_data(records, config)
    records = records.assign(value=numbers(records["raw_value"]))
    reason = np.full(len(records), "", dtype=object)  # the check that accounts for each record left out; "" = kept
    selection, record_errors = _exclusions(records, reason, config)

    keys = records.groupby(["subject", "visit", "measure"], sort=False).ngroup().to_numpy()
    kept = reason == ""
    valued = kept | np.isin(reason, ["non_numeric", "out_of_range"])
    first_kept = _first_position(keys, kept)
    usable = records[kept]
    dup = np.flatnonzero(kept & (first_kept[keys] != np.arange(len(records))))
    first = records.iloc[first_kept[keys[dup]]]
    duplicates = on_records("error", "duplicate_record", records.iloc[dup], [
        f"second record for this subject, visit and measure (first at row {r}, value {shown(v, quote=True)}); keep one, "
        "or keep the analysis records with data.filter (e.g. an analysis flag such as ANL01FL: [Y]): records are "
        "checked for duplicates after data.filter, before an analysis's select"
        for r, v in zip(first["row"], first["raw_value"])])

    subjects, subject_findings = _check_subjects(data.subjects, config)
    named = subjects["subject"][subjects["subject"] != ""]
    known = set(named)
    with_records = set(usable["subject"])
    id_col = config.data.columns.subject
    unknown_subject = (records["subject"] != "").to_numpy() & ~records["subject"].isin(known).to_numpy()
    unknown = _unknown_subjects(records[unknown_subject & (valued | (reason == "blank"))], subjects, id_col)
    lonely = subjects[(subjects["subject"] != "") & ~subjects["subject"].isin(with_records)]
    without = issues("warning", "subject_without_records", len(lonely), file=lonely["file"].to_numpy(),
                      row=lonely["row"].to_numpy(), column=id_col, value=lonely["subject"].to_numpy(),
                      subject=lonely["subject"].to_numpy(),
                      message="subject has no analysable records: contributes to no analysis")

    blank_twice = _blank_cells(records, reason, keys, valued, unknown_subject, with_records)
    decimals = _decimals(usable, config)
    analysed = [s for s in named.unique() if s in with_records]
    missing = _missing_visits(records, reason, analysed, config)

    subjects, plan_findings = check_plan(usable, subjects, config)

    table = pd.concat([*selection, record_errors, duplicates, blank_twice, decimals, *subject_findings, unknown, without,
                       missing, *plan_findings], ignore_index=True)
    selects = [f"where:{c}" for c in record_columns(config)]
    clean = usable[["subject", "visit", "measure", "value", "dose", "file", "row", *selects]].reset_index(drop=True)
    out = reason != ""
    left_out = records[out]
    excluded = pd.DataFrame({"file": left_out["file"].to_numpy(), "row": pd.array(left_out["row"].to_numpy(), dtype="Int64"),
                             "subject": left_out["subject"].to_numpy(), "visit": left_out["visit"].to_numpy(),
                             "measure": left_out["measure"].to_numpy(), "check": reason[out]})
    return ValidatedStudy(records=clean, subjects=subjects, issues=_as_issues(table), excluded=excluded, table=table)


def _first_position(codes: np.ndarray, mask: np.ndarray, size: int | None = None) -> np.ndarray:
    """For each code 0..size-1, the position of the first record with that code where ``mask`` holds (-1 when
    none; records with a negative code are left out)."""
    codes = np.asarray(codes)
    first = np.full(size if size is not None else (int(codes.max()) + 1 if len(codes) else 0), -1, dtype=np.int64)
    positions = np.flatnonzero(mask & (codes >= 0))
    found, at = np.unique(codes[positions], return_index=True)
    first[found] = positions[at]
    return first


def _exclusions(records: pd.DataFrame, reason: np.ndarray, config: StudyConfig) -> tuple[list[pd.DataFrame], pd.DataFrame]:
    """Mark each record the analyses cannot use with the first check it fails, in this order: ``data.filter``,
    empty subject, measure or visit not configured, empty value (resolved later), not a number, out of range.
    Returns the counted findings of the study's own selection and the per-record errors (in record order)."""
    visits, measures = config.visits, config.measures
    cols = config.data.columns

    def exclude(mask, check: str) -> pd.DataFrame:
        new = np.asarray(mask, dtype=bool) & (reason == "")
        reason[new] = check
        return records[new]

    selection = []
    for column, allowed in config.data.filter.items():
        rule = f"data.filter ({column} must be one of {listed(allowed)})"
        at = exclude(~records[f"where:{column}"].isin(allowed), "filtered")
        selection.append(counted("filtered", at, f"where:{column}", column, lambda value, k, n, spread, rule=rule, column=column: (
            f"{n} left out by {rule}: not analysed{spread}" if value is not None else
            f"{n} with {k:,} other values of {column} left out by {rule}: not analysed{spread}")))
    empty = exclude(records["subject"] == "", "empty_subject")
    at = exclude(~records["measure"].isin(list(measures)), "unknown_measure")
    selection.append(counted("unknown_measure", at, "measure", cols.measure or "", lambda value, k, n, spread: (
        f"measure not configured under measures in study.yaml: {n} excluded from all analyses{spread}"
        f"{suggest(value, list(measures))}" if value is not None else
        f"{k:,} other measures not configured under measures in study.yaml: {n} excluded from all analyses{spread}")))
    at = exclude(~records["visit"].isin(visits.order), "unknown_visit")
    selection.append(counted("unknown_visit", at, "visit", cols.visit, lambda value, k, n, spread: (
        f"visit not in visits.order of study.yaml: {n} excluded from all analyses{spread}{suggest(value, visits.order)}"
        if value is not None else
        f"{k:,} other visits not in visits.order of study.yaml: {n} excluded from all analyses{spread}")))
    exclude(records["raw_value"] == "", "blank")  # a missing visit, reported with this row once subjects are known
    text = exclude(records["value"].isna(), "non_numeric")
    lower = records["measure"].map({m: s.min for m, s in measures.items()}).to_numpy(dtype=float)
    upper = records["measure"].map({m: s.max for m, s in measures.items()}).to_numpy(dtype=float)
    value = records["value"].to_numpy()
    outside = exclude(~((value >= lower) & (value <= upper)), "out_of_range")
    bounds = {m: f"{m} must lie between {s.min:g} and {s.max:g}; correct the value" for m, s in measures.items()}
    errors = pd.concat([
        on_records("error", "empty_subject", empty, "empty subject id; every record needs one", column=cols.subject, value=""),
        on_records("error", "non_numeric", text, (text["measure"] + " value is not a number; correct it or leave the "
                                                   "cell empty if it was not assessed").to_numpy()),
        on_records("error", "out_of_range", outside, outside["measure"].map(bounds).to_numpy()),
    ])
    positions = np.concatenate([empty.index.to_numpy(), text.index.to_numpy(), outside.index.to_numpy()])
    return selection, errors.iloc[np.argsort(positions, kind="stable")].reset_index(drop=True)


def _unknown_subjects(at: pd.DataFrame, subjects: pd.DataFrame, id_col: str) -> pd.DataFrame:
    """One error per subject that has records but no row in the subjects file."""
    by_subject = at.groupby("subject", sort=False)
    firsts = by_subject.head(1)
    counts = by_subject.size()
    file = subjects["file"].iat[0] if len(subjects) else ""
    return issues("error", "unknown_subject", len(firsts), file=firsts["file"].to_numpy(), row=firsts["row"].to_numpy(),
                   column=id_col, value=firsts["subject"].to_numpy(), subject=firsts["subject"].to_numpy(),
                   message=[f"subject has {counts[s]} record(s) but is not in the subjects file {file}; add the subject "
                            "there or remove the records" for s in firsts["subject"]])


def _blank_cells(records: pd.DataFrame, reason: np.ndarray, keys: np.ndarray, valued: np.ndarray,
                 unknown_subject: np.ndarray, with_records: set[str]) -> pd.DataFrame:
    """Settle each empty cell (reason ``blank``): the subject's missing visit (left ``blank`` for
    :func:`_missing_visits`), unless the subject, visit and measure have another record (a warning of its own,
    ``duplicate_blank``) or the subject's own finding accounts for it (no subjects-file row, no records)."""
    blank = reason == "blank"
    position = np.arange(len(records))
    first_valued = _first_position(keys, valued)[keys]
    first_blank = _first_position(keys, blank)[keys]
    beside = blank & ~unknown_subject & ((first_valued >= 0) | (first_blank != position))
    other = np.where(first_valued >= 0, first_valued, first_blank)[beside]
    named = records.iloc[other]
    found = on_records("warning", "duplicate_blank", records[beside], [
        f"empty cell for a subject, visit and measure that has another record (row {r}"
        + (f", value {shown(v, quote=True)}" if v != "" else "") + "): this one is not used"
        for r, v in zip(named["row"], named["raw_value"])])
    reason[beside] = "duplicate_blank"
    reason[(reason == "blank") & unknown_subject] = "unknown_subject"
    reason[(reason == "blank") & ~records["subject"].isin(with_records).to_numpy()] = "subject_without_records"
    return found


def _decimals(usable: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """One warning per measure whose values have more decimals than its ``decimals`` declares: the values are
    analysed as recorded; the report's means show one decimal more than declared."""
    found = []
    for measure, spec in config.measures.items():
        at = usable[usable["measure"] == measure]
        scaled = at["value"].to_numpy() * 10.0**spec.decimals
        finer = np.abs(scaled - np.round(scaled)) > 1e-9 * np.maximum(1.0, np.abs(scaled))
        if not finer.any():
            continue
        part = at[finer]
        n = len(part)
        first = part.iloc[0]
        found.append(issues(
            "warning", "decimals", 1, file=first["file"], row=first["row"], column=first["column"],
            value=first["raw_value"], subject=first["subject"] if part["subject"].nunique() == 1 else "",
            visit=first["visit"] if part["visit"].nunique() == 1 else "", measure=measure,
            message=f"{records_text(n)} of {measure} with more decimals than measures.{measure}.decimals ({spec.decimals}) "
                    f"declares: analysed as recorded, not rounded; set measures.{measure}.decimals to the decimals the "
                    f"values have (the report shows means with one more){spread(n, part['subject'].nunique(), part['row'].head(ROWS_NAMED).tolist())}"))
    return pd.concat(found, ignore_index=True) if found else issues("warning", "decimals", 0)


def _missing_visits(records: pd.DataFrame, reason: np.ndarray, analysed: list[str], config: StudyConfig) -> pd.DataFrame:
    """Report each expected subject x measure x visit of an analysed subject that has no value, and what it
    costs; an empty cell for it gives the finding its row. A cell whose record is a fatal error (not a
    number, out of range) has that finding already."""
    visits, measures = config.visits, list(config.measures)
    n_subjects, n_measures, n_visits = len(analysed), len(measures), len(visits.order)
    cells = n_subjects * n_measures * n_visits
    if not cells:
        return issues("warning", "missing_visit", 0)
    s = pd.Index(analysed).get_indexer(records["subject"])
    m = pd.Index(measures).get_indexer(records["measure"])
    v = pd.Index(visits.order).get_indexer(records["visit"])
    in_grid = (s >= 0) & (m >= 0) & (v >= 0)
    cell_of = np.where(in_grid, (s * n_measures + m) * n_visits + v, -1)

    observed = _first_position(cell_of, reason == "", cells)
    reported = _first_position(cell_of, np.isin(reason, ["non_numeric", "out_of_range"]), cells)
    blank = _first_position(cell_of, reason == "blank", cells)
    base = visits.order.index(visits.baseline) if visits.baseline is not None else -1
    end = visits.order.index(visits.endpoint)
    # a measure without a baseline (a rating of change) is not expected at the baseline visit
    rated = np.array([config.has_baseline(m) for m in measures])
    cell = np.arange(cells)
    unexpected = (cell % n_visits == base) & ~rated[(cell // n_visits) % n_measures] & (blank < 0)
    missing = np.flatnonzero((observed < 0) & (reported < 0) & ~unexpected)
    if not len(missing):
        return issues("warning", "missing_visit", 0)
    rows = records["row"].to_numpy()
    observed_row = np.where(observed >= 0, rows[np.maximum(observed, 0)], -1)
    ms, mv = (missing // n_visits) % n_measures, missing % n_visits
    subject_of = np.asarray(analysed, dtype=object)[missing // (n_measures * n_visits)]
    at_base = (mv == base) & rated[ms]
    row_in = blank[missing]
    has_row = row_in >= 0
    records_file = records["file"].iat[0] if len(records) else ""
    file = np.where(has_row, records["file"].to_numpy()[np.maximum(row_in, 0)], records_file)
    column = np.where(has_row, records["column"].to_numpy()[np.maximum(row_in, 0)], "")
    reason[row_in[has_row]] = np.where(at_base[has_row], "missing_baseline",
                                       np.where(mv[has_row] == end, "missing_endpoint", "missing_visit"))
    cell_base = missing - mv  # the cell of the same subject and measure at visit 0
    messages = np.empty(len(missing), dtype=object)
    later_visits = [(k, visits.order[k]) for k in range(base + 1, n_visits)]
    for i in range(len(missing)):
        visit, measure = visits.order[mv[i]], measures[ms[i]]
        if at_base[i]:
            later = [f"{name} (row {observed_row[cell_base[i] + k]})" for k, name in later_visits
                     if observed_row[cell_base[i] + k] >= 0]
            messages[i] = (f"no {visit} {measure}: the subject is excluded from change-from-baseline and "
                           f"baseline-vs-{visits.endpoint} analyses of {measure}"
                           + ("; records not used there: " + ", ".join(later) if later else ""))
        elif mv[i] == end and not rated[ms[i]]:
            messages[i] = (f"no {visit} {measure}: the subject is excluded from the {visits.endpoint} analyses of {measure}"
                           + (f" and the {visits.endpoint} responder analysis" if config.measures[measure].responder_max is not None else ""))
        elif mv[i] == end:
            base_row = observed_row[cell_base[i] + base]
            messages[i] = (f"no {visit} {measure}: the subject is excluded from baseline-vs-{visits.endpoint} tests"
                           + (f" and the {visits.endpoint} responder analysis" if config.measures[measure].responder_max is not None else "")
                           + (f"; {visits.baseline} record (row {base_row}) not used there" if base_row >= 0 else ""))
        else:
            messages[i] = f"no {visit} {measure}: observed cases only, no value imputed"
    check = np.where(at_base, "missing_baseline", np.where(mv == end, "missing_endpoint", "missing_visit"))
    frame = issues("warning", "missing_visit", len(missing), file=file, row=[r if r >= 0 else None for r in np.where(has_row, rows[np.maximum(row_in, 0)], -1)],
                    column=column, subject=subject_of, visit=np.asarray(visits.order, dtype=object)[mv],
                    measure=np.asarray(measures, dtype=object)[ms], message=messages)
    frame["check"] = check.astype(object)
    return frame


def _as_issues(table: pd.DataFrame) -> tuple[DataIssue, ...]:
    rows = [None if pd.isna(r) else int(r) for r in table["row"]]
    columns = [table[c].tolist() if c != "row" else rows for c in ISSUE_COLUMNS]
    return tuple(DataIssue(*values) for values in zip(*columns))
