"""Canonical tables -> checked tables plus findings (:class:`DataIssue`).

Nothing is dropped silently: every record that an analysis will not use is
either a fatal error (the run stops with exit status 2) or a warning finding
that names the record and the analyses it is excluded from. Findings are
written to ``data_issues.csv`` and listed in the report.

Fatal (severity ``error``): non-numeric value, value outside the measure's
range, duplicate subject x visit x measure, records for a subject missing from
the subjects file, duplicate or empty subject id, genotype flag that is not
boolean-like. The file-level problems (unreadable, empty, missing mapped
column) stop the loaders before validation.

Findings (severity ``warning``): visit or measure not configured (record
excluded), subject with no records, missing value or visit, missing baseline,
missing endpoint, missing subgroup value.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, fields
from typing import Literal

import numpy as np
import pandas as pd

from trialkit.config import StudyConfig
from trialkit.errors import ConfigError, DataError
from trialkit.loaders import StudyData

TRUE_WORDS = frozenset({"1", "true", "t", "y", "yes"})
FALSE_WORDS = frozenset({"0", "false", "f", "n", "no"})

#: how many fatal problems an error message lists before summarising the rest
MAX_LISTED = 20


@dataclass(frozen=True)
class DataIssue:
    """One finding about the input data.

    ``row`` is the row number as a person sees it in ``file`` (header = row 1
    for CSV and Excel; observation number for SAS and Parquet); ``None`` when
    the finding is about something absent from the file.
    """

    severity: Literal["error", "warning"]
    check: str
    file: str
    row: int | None
    column: str
    value: str
    subject: str
    visit: str
    measure: str
    message: str

    def describe(self) -> str:
        where = self.file
        if self.row is not None:
            where += f": row {self.row}"
        if self.column:
            where += f": column {self.column}"
        if self.value != "" or self.check in ("non_numeric",):
            where += f": value {self.value!r}"
        return f"{where}: {self.message}"


ISSUE_COLUMNS = [f.name for f in fields(DataIssue)]


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
    """

    records: pd.DataFrame
    subjects: pd.DataFrame
    issues: tuple[DataIssue, ...]

    @property
    def errors(self) -> tuple[DataIssue, ...]:
        return tuple(i for i in self.issues if i.severity == "error")

    def issues_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(i) for i in self.issues], columns=ISSUE_COLUMNS)

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


def _suggest(value: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Findings:
    def __init__(self) -> None:
        self.items: list[DataIssue] = []

    def add(self, severity, check, *, file, row=None, column="", value="", subject="", visit="", measure="", message):
        self.items.append(
            DataIssue(severity, check, file, None if row is None else int(row), column, value, subject, visit, measure, message)
        )


def _parse_numbers(raw: pd.Series) -> pd.Series:
    return pd.to_numeric(raw.where(raw != "", None), errors="coerce").astype(float)


def _check_config_against_data(records: pd.DataFrame, config: StudyConfig) -> None:
    file = records["file"].iat[0] if len(records) else str(config.data.records)
    yaml_name = config.source.name if config.source else "study.yaml"
    seen_visits = set(records["visit"])
    for visit in config.visits.order:
        if visit not in seen_visits:
            raise ConfigError(
                f"{yaml_name}: visits.order: visit {visit!r} does not occur in {file} "
                f"(column {config.data.columns.visit}){_suggest(visit, sorted(seen_visits))}; "
                "the visit labels must match the data exactly"
            )
    if config.data.layout == "long":
        seen_measures = set(records["measure"])
        for measure in config.measures:
            if measure not in seen_measures:
                raise ConfigError(
                    f"{yaml_name}: measures: measure {measure!r} does not occur in {file} "
                    f"(column {config.data.columns.measure}){_suggest(measure, sorted(seen_measures))}"
                )


def _check_subjects(subjects: pd.DataFrame, config: StudyConfig, found: _Findings) -> pd.DataFrame:
    id_col = config.data.columns.subject
    out = subjects.copy()
    for r in out.itertuples():
        if r.subject == "":
            found.add("error", "empty_subject", file=r.file, row=r.row, column=id_col,
                      message="empty subject id; every row of the subjects file needs one")
    dup = out[(out["subject"] != "") & out.duplicated("subject", keep=False)]
    for subject, rows in dup.groupby("subject", sort=False)["row"]:
        first, *others = rows.tolist()
        for row in others:
            found.add("error", "duplicate_subject", file=out["file"].iat[0], row=row, column=id_col,
                      value=subject, subject=subject,
                      message=f"subject listed twice in the subjects file (first at row {first}); keep one row per subject")
    for flag in config.subjects.genotype_flags:
        words = out[flag].str.lower()
        bad = ~words.isin(TRUE_WORDS | FALSE_WORDS)
        for idx in out.index[bad]:
            found.add("error", "genotype_flag", file=out.at[idx, "file"], row=out.at[idx, "row"], column=flag,
                      value=out.at[idx, flag], subject=out.at[idx, "subject"],
                      message="genotype flag is not boolean-like; use 0/1, true/false, Y/N or yes/no")
        out[flag] = words.isin(TRUE_WORDS)
    for group in config.subjects.subgroups:
        for idx in out.index[out[group] == ""]:
            found.add("warning", "missing_subgroup", file=out.at[idx, "file"], row=out.at[idx, "row"], column=group,
                      subject=out.at[idx, "subject"],
                      message=f"no {group} value: subject excluded from analyses by {group}")
    return out


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
    records = data.records
    _check_config_against_data(records, config)
    found = _Findings()
    visits = config.visits
    measures = config.measures
    id_col = config.data.columns.subject
    visit_col = config.data.columns.visit
    measure_col = config.data.columns.measure or ""

    records = records.assign(value=_parse_numbers(records["raw_value"]))
    keep = np.ones(len(records), dtype=bool)
    for column, allowed in config.data.filter.items():
        for i in np.flatnonzero(keep & ~records[f"where:{column}"].isin(allowed).to_numpy()):
            r = records.iloc[i]
            found.add("warning", "filtered", file=r["file"], row=r["row"], column=column, value=r[f"where:{column}"],
                      subject=r["subject"], visit=r["visit"], measure=r["measure"],
                      message=f"excluded by data.filter ({column} must be one of {allowed}): record not analysed")
            keep[i] = False
    for i, r in enumerate(records.itertuples()):
        if not keep[i]:
            continue
        if r.subject == "":
            found.add("error", "empty_subject", file=r.file, row=r.row, column=id_col,
                      message="empty subject id; every record needs one")
            keep[i] = False
        elif r.measure not in measures:
            found.add("warning", "unknown_measure", file=r.file, row=r.row, column=measure_col, value=r.measure,
                      subject=r.subject, visit=r.visit, measure=r.measure,
                      message="measure not configured under measures in study.yaml: record excluded from all analyses"
                      + _suggest(r.measure, list(measures)))
            keep[i] = False
        elif r.visit not in visits.order:
            found.add("warning", "unknown_visit", file=r.file, row=r.row, column=visit_col, value=r.visit,
                      subject=r.subject, visit=r.visit, measure=r.measure,
                      message="visit not in visits.order of study.yaml: record excluded from all analyses"
                      + _suggest(r.visit, visits.order))
            keep[i] = False
        elif r.raw_value == "":
            keep[i] = False  # reported below as a missing visit, with this row
        elif np.isnan(r.value):
            found.add("error", "non_numeric", file=r.file, row=r.row, column=r.column, value=r.raw_value,
                      subject=r.subject, visit=r.visit, measure=r.measure,
                      message=f"{r.measure} value is not a number; correct it or leave the cell empty if it was not assessed")
            keep[i] = False
        else:
            spec = measures[r.measure]
            if not spec.min <= r.value <= spec.max:
                found.add("error", "out_of_range", file=r.file, row=r.row, column=r.column, value=r.raw_value,
                          subject=r.subject, visit=r.visit, measure=r.measure,
                          message=f"{r.measure} must lie between {spec.min:g} and {spec.max:g}; correct the value")
                keep[i] = False

    blanks = records[(records["raw_value"] == "") & records["measure"].isin(list(measures)) & records["visit"].isin(visits.order)]
    usable = records[keep]
    dup_mask = usable.duplicated(["subject", "visit", "measure"], keep=False)
    for (subject, visit, measure), grp in usable[dup_mask].groupby(["subject", "visit", "measure"], sort=False):
        first = grp.iloc[0]
        for r in grp.iloc[1:].itertuples():
            found.add("error", "duplicate_record", file=r.file, row=r.row, column=r.column, value=r.raw_value,
                      subject=subject, visit=visit, measure=measure,
                      message=f"second record for this subject, visit and measure (first at row {first['row']}, "
                      f"value {first['raw_value']!r}); keep one")

    subjects = _check_subjects(data.subjects, config, found)
    known = set(subjects["subject"])
    unknown = usable[~usable["subject"].isin(known)]
    for subject, grp in unknown.groupby("subject", sort=False):
        r = grp.iloc[0]
        found.add("error", "unknown_subject", file=r["file"], row=r["row"], column=id_col, value=subject, subject=subject,
                  message=f"subject has {len(grp)} record(s) but is not in the subjects file "
                  f"{subjects['file'].iat[0]}; add the subject there or remove the records")
    with_records = set(usable["subject"])
    for r in subjects[(subjects["subject"] != "") & ~subjects["subject"].isin(with_records)].itertuples():
        found.add("warning", "subject_without_records", file=r.file, row=r.row, column=id_col, value=r.subject,
                  subject=r.subject, message="subject has no analysable records: contributes to no analysis")

    reported = records[~keep & (records["raw_value"] != "")]  # excluded values already have their own finding
    _missing_visits(usable, blanks, reported, subjects, config, found)

    clean = usable[["subject", "visit", "measure", "value", "dose", "file", "row"]].reset_index(drop=True)
    return ValidatedStudy(records=clean, subjects=subjects.reset_index(drop=True), issues=tuple(found.items))


def _missing_visits(usable: pd.DataFrame, blanks: pd.DataFrame, reported: pd.DataFrame, subjects: pd.DataFrame,
                    config: StudyConfig, found: _Findings) -> None:
    """Report each expected subject x visit x measure that has no value, and what it costs."""
    visits = config.visits
    observed = {(r.subject, r.visit, r.measure): r.row for r in usable.itertuples()}
    skip = set(zip(reported["subject"], reported["visit"], reported["measure"]))
    blank_rows = {(r.subject, r.visit, r.measure): (r.file, r.row, r.column) for r in blanks.itertuples()}
    records_file = usable["file"].iat[0] if len(usable) else (blanks["file"].iat[0] if len(blanks) else "")
    with_records = set(usable["subject"])
    analysed = [s for s in subjects["subject"] if s != "" and s in with_records]
    for subject in analysed:
        for measure in config.measures:
            has_base = (subject, visits.baseline, measure) in observed
            for visit in visits.order:
                if (subject, visit, measure) in observed or (subject, visit, measure) in skip:
                    continue
                file, row, column = blank_rows.get((subject, visit, measure), (records_file, None, ""))
                if visit == visits.baseline:
                    later = [f"{v} (row {observed[(subject, v, measure)]})" for v in visits.post_baseline
                             if (subject, v, measure) in observed]
                    message = (f"no {visits.baseline} {measure}: the subject is excluded from change-from-baseline "
                               f"and baseline-vs-{visits.endpoint} analyses of {measure}")
                    if later:
                        message += "; records not used there: " + ", ".join(later)
                    found.add("warning", "missing_baseline", file=file, row=row, column=column,
                              subject=subject, visit=visit, measure=measure, message=message)
                elif visit == visits.endpoint:
                    message = f"no {visits.endpoint} {measure}: the subject is excluded from baseline-vs-{visits.endpoint} tests"
                    if config.measures[measure].responder_max is not None:
                        message += f" and the {visits.endpoint} responder analysis"
                    if has_base:
                        message += f"; {visits.baseline} record (row {observed[(subject, visits.baseline, measure)]}) not used there"
                    found.add("warning", "missing_endpoint", file=file, row=row, column=column,
                              subject=subject, visit=visit, measure=measure, message=message)
                else:
                    found.add("warning", "missing_visit", file=file, row=row, column=column,
                              subject=subject, visit=visit, measure=measure,
                              message=f"no {visit} {measure}: observed cases only, no value imputed")
