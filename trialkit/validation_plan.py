"""The analysis plan checked against the data: arms and doses, analysis sets, the factors, covariates and
strata of each declared analysis, and the records each analysis's own selection leaves out.

A plan the data contradict stops the run (exit 2) with a message naming the study.yaml key and the value:
a control or listed arm that does not occur, an arm with no subjects in an analysis set, a factor with
one level, a dose or covariate that is not a number, a subject with two arms in the records. What the
study's own plan leaves out is counted, one finding per reason (subjects outside an analysis set or an
arm of the plan, subjects without a factor value, records outside an analysis's selection).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from trialkit.config import StudyConfig
from trialkit.errors import ConfigError, DataError, shown
from trialkit.findings import ROWS_NAMED, counted, issues, listed, spread, suggest
from trialkit.natural import natural_key, numbers
from trialkit.plan import BASELINE, DeclaredAnalysis

#: columns the plan adds to the validated subjects table: the arm (text, "" = none or not in the plan) and its
#: dose; membership of analysis set NAME is column ``set:NAME``
ARM, DOSE = "arm", "arm_dose"


def _yaml(config: StudyConfig) -> str:
    return config.source.name if config.source else "study.yaml"


def arms_of(config: StudyConfig, present: list[str]) -> list[str]:
    """The arms the analyses compare, in display order: ``treatment.order``, else the control first and the
    others in natural order."""
    treatment = config.treatment
    if treatment is None:
        return []
    if treatment.order:
        return list(treatment.order)
    others = sorted((a for a in present if a != treatment.control), key=natural_key)
    return [treatment.control, *others]


def check_plan(records: pd.DataFrame, subjects: pd.DataFrame, config: StudyConfig) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Check the plan against the usable records and the checked subjects.

    Returns the subjects with the arm, its dose and analysis-set membership added (:data:`ARM`,
    :data:`DOSE`, ``set:NAME``) and the findings (tables of :mod:`trialkit.findings`).

    Raises
    ------
    ConfigError, DataError
        Where the plan and the data contradict each other (see the module's docstring).
    """
    found: list[pd.DataFrame] = []
    subjects = subjects.copy()
    with_records = subjects["subject"].isin(set(records["subject"])).to_numpy()
    if config.treatment is not None:
        subjects = _arms(records, subjects, with_records, config, found)
    for name, conditions in config.analysis_sets.items():
        member = np.ones(len(subjects), dtype=bool)
        for column, allowed in conditions.items():
            member &= subjects[column].isin(allowed).to_numpy()
        subjects[f"set:{name}"] = member
        users = [a.id for a in config.declared if a.analysis_set == name]
        if config.subjects.analysis_set == name:
            users.append("the subject tables and short-form analyses")
        out = subjects[~member & with_records]
        if users and len(out):
            rule = "; ".join(f"{c} must be one of {listed(v)}" for c, v in conditions.items())
            found.append(_counted_subjects(
                "analysis_set", out, config.data.columns.subject,
                f"not in analysis set {name} ({rule}): left out of {', '.join(users)}"))
    _check_variables(subjects, config, found)
    for k, analysis in enumerate(config.analyses):
        if isinstance(analysis, DeclaredAnalysis):
            _check_analysis(k, analysis, records, subjects[with_records], config, found)
    return subjects, found


def _counted_subjects(check: str, at: pd.DataFrame, column: str, what: str) -> pd.DataFrame:
    """One finding counting the subjects (rows of the subjects file) of ``at``, for one reason."""
    n = len(at)
    first = at.iloc[0]
    return issues("warning", check, 1, file=first["file"], row=first["row"], column=column,
                  subject=first["subject"] if n == 1 else "",
                  message=f"{n:,} subject{'' if n == 1 else 's'} {what}"
                  f"{spread(n, n, at['row'].head(ROWS_NAMED).tolist())}")


def _arms(records: pd.DataFrame, subjects: pd.DataFrame, with_records: np.ndarray, config: StudyConfig,
          found: list[pd.DataFrame]) -> pd.DataFrame:
    treatment = config.treatment
    yaml_name = _yaml(config)
    if treatment.source == "records":
        arm, dose = _from_records(records, treatment.arm, treatment.dose)
        subjects[treatment.arm] = subjects["subject"].map(arm).fillna("").astype(object)
        if treatment.dose:
            subjects[treatment.dose] = subjects["subject"].map(dose).fillna("").astype(object)
        where = f"column {shown(treatment.arm)} of {shown(records['file'].iat[0]) if len(records) else 'the records'}"
    else:
        where = f"column {shown(treatment.arm)} of {shown(subjects['file'].iat[0]) if len(subjects) else 'the subjects file'}"
    values = subjects[treatment.arm]
    present = sorted(set(values[with_records & (values != "").to_numpy()]), key=natural_key)
    arms = arms_of(config, present)
    for key, arm in [("treatment.control", treatment.control), *(("treatment.order", a) for a in treatment.order),
                     *(("treatment.labels", a) for a in treatment.labels)]:
        if arm not in present:
            raise ConfigError(f"{yaml_name}: {key}: arm {shown(arm, quote=True)} does not occur in {where} among "
                              f"subjects with records{suggest(arm, present)}; the arms there are {listed(present)}")
    analysed = values.isin(arms).to_numpy()
    missing = subjects[with_records & (values == "").to_numpy()]
    if len(missing):
        found.append(_counted_subjects("missing_arm", missing, treatment.arm,
                                       "without an arm: left out of the analyses by arm"))
    for arm in present:
        if arm not in arms:
            out = subjects[with_records & (values == arm).to_numpy()]
            found.append(_counted_subjects("arm_not_in_plan", out, treatment.arm,
                                           f"of arm {shown(arm, quote=True)}, not in treatment.order: left out of "
                                           "the analyses by arm"))
    subjects[ARM] = np.where(analysed, values, "").astype(object)
    subjects[DOSE] = _doses(subjects, analysed, config) if treatment.dose else np.nan
    return subjects


def _from_records(records: pd.DataFrame, arm_column: str, dose_column: str | None) -> tuple[pd.Series, pd.Series]:
    """Each subject's arm (and dose) from the records, which must give one per subject."""
    columns = [f"where:{arm_column}"] + ([f"where:{dose_column}"] if dose_column else [])
    given = records[records[f"where:{arm_column}"] != ""]
    for column in columns:
        per_subject = given.groupby("subject", sort=False)[column].nunique()
        twice = per_subject[per_subject > 1]
        if len(twice):
            subject = twice.index[0]
            rows = given[given["subject"] == subject].drop_duplicates(column)
            shown_rows = ", ".join(f"row {r} {shown(v, quote=True)}" for r, v in zip(rows["row"], rows[column]))
            raise DataError(f"{shown(rows['file'].iat[0])}: column {shown(column.removeprefix('where:'))}: subject "
                            f"{shown(subject)} has more than one value ({shown_rows}); the treatment must be one per "
                            f"subject ({len(twice)} subject(s) like this)")
    first = given.drop_duplicates("subject").set_index("subject")
    return first[columns[0]], first[columns[1]] if dose_column else pd.Series(dtype=object)


def _doses(subjects: pd.DataFrame, analysed: np.ndarray, config: StudyConfig) -> np.ndarray:
    """Each analysed subject's dose as a number; one dose per arm."""
    column = config.treatment.dose
    text = subjects[column]
    dose = numbers(text).to_numpy(dtype=float)
    bad = np.flatnonzero(analysed & ~np.isfinite(dose))
    if len(bad):
        r = subjects.iloc[bad[0]]
        raise DataError(f"{shown(r['file'])}: row {r['row']}: column {shown(column)}: value {shown(r[column], quote=True)}: "
                        f"subject {shown(r['subject'])}: treatment.dose must be a number for every subject of the "
                        f"plan's arms ({len(bad)} not)")
    for arm, part in pd.DataFrame({"arm": subjects[ARM], "dose": dose})[analysed].groupby("arm"):
        if part["dose"].nunique() > 1:
            raise DataError(f"{_yaml(config)}: treatment.dose: arm {shown(arm, quote=True)} has doses "
                            f"{sorted(part['dose'].unique().tolist())} in column {shown(column)}; the dose-response "
                            "test needs one dose per arm")
    return np.where(analysed, dose, np.nan)


def _check_variables(subjects: pd.DataFrame, config: StudyConfig, found: list[pd.DataFrame]) -> None:
    """A column declared continuous holds numbers; an undeclared covariate of mixed numbers and text is named."""
    for column, kind in config.variables.items():
        if column not in subjects.columns:
            continue
        text = subjects[column]
        parsed = numbers(text)
        if kind == "continuous":
            bad = subjects[(text != "") & parsed.isna()]
            if len(bad):
                r = bad.iloc[0]
                raise DataError(f"{shown(r['file'])}: row {r['row']}: column {shown(column)}: value "
                                f"{shown(r[column], quote=True)}: subject {shown(r['subject'])}: variables.{column} is "
                                f"continuous, so every value must be a number ({len(bad)} are not)")
    for column in config.subjects.covariates:
        if column in config.variables:
            continue
        text = subjects[column]
        parsed = numbers(text)
        words = subjects[(text != "") & parsed.isna()]
        if len(words) and parsed.notna().any():
            r = words.iloc[0]
            found.append(issues("warning", "covariate_type", 1, file=r["file"], row=r["row"], column=column,
                                value=r[column], subject=r["subject"],
                                message=f"covariate {column} holds numbers and {len(words)} value(s) that are not: "
                                        "summarised as categories; declare variables."
                                        f"{column}: continuous (and correct the values) or categorical"))


def _check_analysis(k: int, analysis: DeclaredAnalysis, records: pd.DataFrame, subjects: pd.DataFrame,
                    config: StudyConfig, found: list[pd.DataFrame]) -> None:
    yaml_name, key = _yaml(config), f"analyses.{k}"
    chosen = subjects[subjects[ARM] != ""] if config.treatment is not None else subjects
    if analysis.analysis_set is not None:
        chosen = chosen[chosen[f"set:{analysis.analysis_set}"]]
    if config.treatment is not None and analysis.method != "descriptive":
        counts = chosen[ARM].value_counts()
        arms = arms_of(config, sorted(set(subjects[ARM]) - {""}, key=natural_key))
        if len(arms) < 2:
            where = ("treatment.order lists" if config.treatment.order else
                     f"column {shown(config.treatment.arm)} holds, among the subjects with records,")
            raise ConfigError(f"{yaml_name}: {key}.method: {analysis.method} compares arms, and {where} one arm "
                              f"({listed(arms)}); list two or more arms, or use method descriptive")
        for arm in arms:
            if counts.get(arm, 0) == 0:
                where = f"analysis set {analysis.analysis_set}" if analysis.analysis_set else "the subjects with records"
                raise ConfigError(f"{yaml_name}: {key}.analysis_set: arm {shown(arm, quote=True)} has no subjects in "
                                  f"{where}; analysis {analysis.id} cannot compare it")
    for option, columns in (("factors", analysis.factors), ("strata", [analysis.strata] if analysis.strata else []),
                            ("covariates", [c for c in analysis.covariates if c != BASELINE])):
        for column in columns:
            declared = config.variables.get(column)
            wanted = "continuous" if option == "covariates" else "categorical"
            if declared is not None and declared != wanted:
                raise ConfigError(f"{yaml_name}: {key}.{option}: {column} is declared {declared} under variables, "
                                  f"but {option} are {wanted}")
            empty = chosen[chosen[column] == ""]
            if len(empty):
                found.append(_counted_subjects("missing_model_value", empty, column,
                                               f"without {column}: left out of analysis {analysis.id}"))
            given = chosen[chosen[column] != ""]
            if option == "covariates":
                parsed = numbers(given[column])
                if parsed.isna().any():
                    r = given[parsed.isna()].iloc[0]
                    raise DataError(f"{shown(r['file'])}: row {r['row']}: column {shown(column)}: value "
                                    f"{shown(r[column], quote=True)}: subject {shown(r['subject'])}: {key}.covariates "
                                    f"are continuous, so {column} must be a number (declare it under factors to "
                                    "treat it as categories)")
            elif given[column].nunique() == 1:
                raise ConfigError(f"{yaml_name}: {key}.{option}: {column} has one level "
                                  f"({shown(given[column].iat[0], quote=True)}) among the subjects of analysis "
                                  f"{analysis.id}; a {'factor' if option == 'factors' else 'stratification factor'} "
                                  "needs two or more")
    own = records[(records["measure"] == analysis.measure) & records["subject"].isin(set(chosen["subject"]))]
    for column, allowed in analysis.select.items():
        if len(own) and not own[f"where:{column}"].isin(allowed).any():  # a misspelt value, never an empty table
            held = sorted(set(own[f"where:{column}"]), key=natural_key)
            raise ConfigError(f"{yaml_name}: {key}.select.{column}: no record of {analysis.measure} left for analysis "
                              f"{analysis.id} holds {listed(allowed)}{suggest(str(allowed[0]), held)}; the values "
                              f"there are {listed(held)}")
        out = own[~own[f"where:{column}"].isin(allowed)]
        own = own[own[f"where:{column}"].isin(allowed)]
        rule = f"{key}.select ({column} must be one of {listed(allowed)})"
        found.append(counted("selected_out", out, f"where:{column}", column,
                             lambda value, n_values, n, where, rule=rule, analysis=analysis.id: (
                                 f"{n} left out of analysis {analysis} by {rule}{where}" if value is not None else
                                 f"{n} with {n_values:,} other values left out of analysis {analysis} by {rule}{where}")))
