"""Every bad input of the foundation issue: exit status 2 with a message naming file, row, column and value,
or a listed finding. Nothing is written when the run stops."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import RECORDS, SUBJECTS
from tests.helpers import run_cli
from trialkit.config import load_config
from trialkit.loaders import load_study
from trialkit.validation import validate


def _fails(capsys, study, message: str) -> None:
    out = run_cli(capsys, "run", "--quiet", str(study), "--out", str(study / "out"))
    assert out.code == 2
    assert out.err == f"trialkit: error: {message}\n(nothing was written)\n"
    assert "Traceback" not in out.err
    assert not (study / "out").exists(), "a failed run must write nothing"


def _one_problem(line: str) -> str:
    return f"1 data problem stops the analysis:\n  {line}"


def _findings(study) -> pd.DataFrame:
    config = load_config(study)
    return validate(load_study(config), config).issues_frame()


def test_value_outside_range(make_study, capsys):
    study = make_study(records=RECORDS.replace("S2,Week 1,CGI-S,4", "S2,Week 1,CGI-S,9"))
    _fails(capsys, study, _one_problem(
        "records.csv: row 10: column AVAL: value '9': subject S2: CGI-S must lie between 1 and 7; correct the value"))


@pytest.mark.parametrize("word", ["four", "nan", "-inf"])  # pandas reads the last two as numbers
def test_non_numeric_value(make_study, capsys, word):
    study = make_study(records=RECORDS.replace("S2,Week 1,CGI-S,4", f"S2,Week 1,CGI-S,{word}"))
    _fails(capsys, study, _one_problem(
        f"records.csv: row 10: column AVAL: value '{word}': subject S2: CGI-S value is not a number; "
        "correct it or leave the cell empty if it was not assessed"))


def test_duplicate_subject_visit_measure(make_study, capsys):
    study = make_study(records=RECORDS + "S3,Week 2,CGI-I,2\n")
    _fails(capsys, study, _one_problem(
        "records.csv: row 20: column AVAL: value '2': subject S3: second record for this subject, visit and measure "
        "(first at row 19, value '1'); keep one, or keep the analysis records with data.filter (e.g. an analysis "
        "flag such as ANL01FL: [Y]): records are checked for duplicates after data.filter, before an analysis's select"))


def test_records_for_subject_missing_from_subjects_file(make_study, capsys):
    study = make_study(records=RECORDS + "S9,Baseline,CGI-I,2\n")
    _fails(capsys, study, _one_problem(
        "records.csv: row 20: column SUBJID: value 'S9': subject has 1 record(s) but is not in the subjects "
        "file subjects.csv; add the subject there or remove the records"))


@pytest.mark.parametrize("word", ["maybe", "2", "unknown"])
def test_genotype_flag_not_boolean_like(make_study, capsys, word):
    study = make_study(subjects=SUBJECTS.replace("S2,2,0", f"S2,2,{word}"))
    _fails(capsys, study, _one_problem(
        f"subjects.csv: row 3: column GRM1: value '{word}': subject S2: genotype flag is not boolean-like; "
        "use 0/1, true/false, Y/N or yes/no"))


@pytest.mark.parametrize("words", [("0", "1"), ("false", "TRUE"), ("N", "Y"), ("no", "Yes")])
def test_genotype_flags_accept_boolean_words(make_study, words):
    no, yes = words
    study = make_study(subjects=f"SUBJID,TIER,GRM1\nS1,1,{yes}\nS2,2,{no}\nS3,1,{yes}\n")
    config = load_config(study)
    checked = validate(load_study(config), config)
    assert checked.subjects.set_index("subject")["GRM1"].to_dict() == {"S1": True, "S2": False, "S3": True}


def test_empty_file(make_study, capsys):
    _fails(capsys, make_study(records=""), "records.csv: the file is empty; expected a header row and data rows")


def test_header_only_file(make_study, capsys):
    _fails(capsys, make_study(records="SUBJID,VISIT,PARAM,AVAL\n"), "records.csv: the file has no data rows")


def test_missing_mapped_column(make_study, capsys):
    study = make_study(records=RECORDS.replace("AVAL", "VALUE"))
    _fails(capsys, study,
           "records.csv: row 1: column 'AVAL' (from data.columns.value in study.yaml) not found (did you mean "
           "'VALUE'?); the file has 4 columns: SUBJID, VISIT, PARAM, VALUE. Rename the column or change "
           "data.columns.value.")


def test_missing_genotype_column_in_subjects(make_study, capsys):
    study = make_study(subjects="SUBJID,TIER\nS1,1\nS2,2\nS3,1\n")
    _fails(capsys, study,
           "subjects.csv: row 1: column 'GRM1' (from subjects.genotype_flags (GRM1) in study.yaml) not found; the "
           "file has 2 columns: SUBJID, TIER. Rename the column or change subjects.genotype_flags.")


def test_unreadable_encoding(make_study, capsys):
    text = RECORDS + "S\xe9,Baseline,CGI-S,3\n"
    study = make_study(records=text.encode("latin-1"))
    _fails(capsys, study,
           "records.csv: row 20: column SUBJID: cannot be read as utf-8 (byte 0xe9 at position 361). "
           "Save the file as UTF-8, or set data.encoding in study.yaml (e.g. latin-1).")


def test_declared_encoding_is_used(make_study):
    study = make_study(config={"data": {"encoding": "latin-1"}},
                       records=(RECORDS + "S3,Week 1,CGI-S,5\n").replace("S3", "S\xe9").encode("latin-1"),
                       subjects=SUBJECTS.replace("S3", "S\xe9").encode("latin-1"))
    config = load_config(study)
    checked = validate(load_study(config), config)
    assert "S\xe9" in set(checked.records.subject)


def test_unreadable_file(make_study, capsys):
    study = make_study(records=b"this is not a spreadsheet", records_name="records.xlsx")
    _fails(capsys, study,
           "records.xlsx: cannot be read as a .xlsx file (BadZipFile: File is not a zip file). "
           "Check that the file is not damaged and that its extension matches its content.")


def test_unknown_extension(make_study, capsys):
    study = make_study(records_name="records.txt")
    _fails(capsys, study, "records.txt: unknown file type '.txt'; trialkit reads .csv, .xlsx, .xpt, .sas7bdat, .parquet")


def test_all_fatal_problems_are_listed_at_once(make_study, capsys):
    records = RECORDS.replace("S2,Week 1,CGI-S,4", "S2,Week 1,CGI-S,9").replace("S1,Week 1,CGI-I,3", "S1,Week 1,CGI-I,x")
    out = run_cli(capsys, "validate", str(make_study(records=records)))
    assert out.code == 2
    assert "error: non_numeric: records.csv: row 5: column AVAL: value 'x'" in out.out
    assert "error: out_of_range: records.csv: row 10: column AVAL: value '9'" in out.out
    assert out.out.endswith("2 error(s), 0 warning(s)\n")


# ---- findings: listed, the run goes on, nothing dropped silently --------------------------------------------

def test_visit_not_in_configured_list_is_listed_and_excluded(make_study):
    study = make_study(records=RECORDS + "S3,Unscheduled,CGI-I,2\n")
    issues = _findings(study)
    row = issues[issues.check == "unknown_visit"].iloc[0]
    assert (row.severity, row.file, row.row, row.column, row.value) == ("warning", "records.csv", 20, "VISIT", "Unscheduled")
    assert row.message == "visit not in visits.order of study.yaml: 1 record excluded from all analyses"


def test_visit_spelling_is_suggested(make_study):
    issues = _findings(make_study(records=RECORDS + "S3,Week  2,CGI-I,2\n"))
    assert issues[issues.check == "unknown_visit"].message.iat[0].endswith("(did you mean 'Week 2'?)")


def test_subject_without_records(make_study):
    issues = _findings(make_study(subjects=SUBJECTS + "S4,3,0\n"))
    row = issues[issues.check == "subject_without_records"].iloc[0]
    assert (row.severity, row.file, row.row, row.column, row.value) == ("warning", "subjects.csv", 5, "SUBJID", "S4")


def test_missing_baseline_lists_the_records_it_excludes(make_study):
    issues = _findings(make_study(records=RECORDS.replace("S2,Baseline,CGI-S,4\n", "")))
    row = issues[issues.check == "missing_baseline"].iloc[0]
    assert (row.subject, row.measure, row.visit) == ("S2", "CGI-S", "Baseline")
    assert row.message == ("no Baseline CGI-S: the subject is excluded from change-from-baseline and "
                           "baseline-vs-Week 2 analyses of CGI-S; records not used there: Week 1 (row 9), Week 2 (row 11)")


def test_blank_value_is_a_missing_visit_with_its_row(make_study):
    issues = _findings(make_study(records=RECORDS.replace("S2,Week 1,CGI-S,4", "S2,Week 1,CGI-S,")))
    row = issues[issues.check == "missing_visit"].iloc[0]
    assert (row.row, row.column, row.subject, row.visit, row.measure) == (10, "AVAL", "S2", "Week 1", "CGI-S")


def test_missing_endpoint_names_responder_exclusion_only_for_responder_measures(make_study):
    records = RECORDS.replace("S2,Week 2,CGI-S,4\n", "").replace("S2,Week 2,CGI-I,3\n", "")
    issues = _findings(make_study(records=records)).set_index("measure")
    assert "responder" not in issues.loc["CGI-S", "message"]
    assert issues.loc["CGI-I", "message"].startswith(
        "no Week 2 CGI-I: the subject is excluded from baseline-vs-Week 2 tests and the Week 2 responder analysis")


def test_missing_subgroup_value(make_study):
    issues = _findings(make_study(subjects=SUBJECTS.replace("S2,2,0", "S2,,0")))
    row = issues[issues.check == "missing_subgroup"].iloc[0]
    assert (row.row, row.column, row.message) == (3, "TIER", "no TIER value: subject excluded from analyses by TIER")


def test_findings_are_written_and_excluded_records_unused(make_study, tmp_path, capsys):
    study = make_study(records=RECORDS + "S3,Unscheduled,CGI-I,2\n")
    out = run_cli(capsys, "run", str(study), "--out", str(tmp_path / "out"))
    assert out.code == 0
    issues = pd.read_csv(tmp_path / "out" / "data_issues.csv")
    # ci_level: the 3 pairs overall and 2 in TIER 1 give Hodges-Lehmann intervals short of 95% (tests/test_small_samples.py)
    assert list(issues.check[~issues.check.isin(["not_estimable", "ci_level"])]) == ["unknown_visit"]
    # the study's TIER 2 has one subject: its paired tests are not estimable, and say so
    assert issues[issues.check == "not_estimable"].message.str.contains("TIER 2").all()
    ard = pd.read_csv(tmp_path / "out" / "ard.csv", keep_default_na=False)
    assert set(ard.visit) - {""} == {"Baseline", "Week 1", "Week 2"}


# ---- records the study's own selection leaves out: counted, one finding per reason -------------------------

def _checked(study):
    config = load_config(study)
    return validate(load_study(config), config)


def test_records_of_one_unknown_visit_are_one_finding_with_their_count_and_rows(make_study):
    extra = "".join(f"S{k},Unscheduled,CGI-I,2\n" for k in (1, 2, 3, 1, 2, 3, 1))
    issues = _findings(make_study(records=RECORDS + extra))
    found = issues[issues.check == "unknown_visit"]
    assert len(found) == 1
    row = found.iloc[0]
    assert (row.row, row.value, row.visit, row.measure, row.subject) == (20, "Unscheduled", "Unscheduled", "CGI-I", "")
    assert row.message == ("visit not in visits.order of study.yaml: 7 records excluded from all analyses "
                           "(3 subjects; rows 20, 21, 22, 23, 24 and 2 more)")


def test_each_value_a_filter_leaves_out_is_one_finding(make_study):
    records = RECORDS.replace("AVAL\n", "AVAL,FL\n").replace("\n", ",Y\n").replace("AVAL,FL,Y", "AVAL,FL")
    records = records.replace("S2,Week 1,CGI-S,4,Y", "S2,Week 1,CGI-S,4,N").replace("S3,Week 1,CGI-S,5,Y", "S3,Week 1,CGI-S,5,")
    checked = _checked(make_study(config={"data": {"filter": {"FL": ["Y"]}}}, records=records))
    issues = checked.issues_frame()
    found = issues[issues.check == "filtered"]
    assert found[["row", "column", "value", "subject", "visit"]].values.tolist() == [
        [10, "FL", "N", "S2", "Week 1"], [16, "FL", "", "S3", "Week 1"]]
    assert found.message.tolist() == ["1 record left out by data.filter (FL must be one of ['Y']): not analysed"] * 2
    # the missing Week 1 values those records leave are findings too, naming no row (there is no record to name)
    missing = issues[issues.check == "missing_visit"]
    assert missing[["subject", "visit", "measure"]].values.tolist() == [["S2", "Week 1", "CGI-S"], ["S3", "Week 1", "CGI-S"]]
    assert missing.row.isna().all()


def test_beyond_twenty_values_one_finding_counts_the_rest(make_study):
    extra = "".join(f"S1,Visit {k:02d},CGI-S,3\n" for k in range(25))
    issues = _findings(make_study(records=RECORDS + extra))
    found = issues[issues.check == "unknown_visit"]
    assert len(found) == 21
    assert found.value.tolist()[:20] == [f"Visit {k:02d}" for k in range(20)]
    last = found.iloc[20]
    assert (last.value, last.row) == ("", 40)
    assert last.message == ("5 other visits not in visits.order of study.yaml: 5 records excluded from all analyses "
                            "(1 subject; rows 40, 41, 42, 43, 44)")


def test_a_visit_left_out_by_the_filter_is_still_a_missing_visit(make_study):
    """ADaM LOCF records are left out by a DTYPE filter; the visit they filled in is missing in the observed
    data, and that is a finding of its own (it was silent before)."""
    records = RECORDS.replace("AVAL\n", "AVAL,DTYPE\n").replace("\n", ",\n").replace("AVAL,DTYPE,", "AVAL,DTYPE")
    records = records.replace("S2,Week 2,CGI-S,4,", "S2,Week 2,CGI-S,4,LOCF")
    issues = _findings(make_study(config={"data": {"filter": {"DTYPE": [""]}}}, records=records))
    endpoint = issues[issues.check == "missing_endpoint"]
    assert endpoint[["subject", "visit", "measure"]].values.tolist() == [["S2", "Week 2", "CGI-S"]]


def test_every_record_left_out_is_accounted_for(make_study):
    records = (RECORDS.replace("S2,Week 1,CGI-S,4", "S2,Week 1,CGI-S,")
               + "S1,Week 9,CGI-S,3\nS1,Week 1,CGI-X,3\nS2,Week 1,CGI-S,\nS3,Week 1,CGI-I,\n")
    checked = _checked(make_study(records=records))
    assert len(checked.records) + len(checked.excluded) == RECORDS.count("\n") - 1 + 4
    assert checked.excluded[["row", "check"]].values.tolist() == [
        [10, "missing_visit"], [20, "unknown_visit"], [21, "unknown_measure"], [22, "duplicate_blank"], [23, "duplicate_blank"]]
    issues = checked.issues_frame().set_index("row")
    assert issues.loc[22, "message"] == ("empty cell for a subject, visit and measure that has another record (row 10): "
                                         "this one is not used")
    assert issues.loc[23, "message"] == ("empty cell for a subject, visit and measure that has another record (row 17, "
                                         "value '3'): this one is not used")


def test_values_with_more_decimals_than_declared_are_one_finding_and_not_rounded(make_study):
    records = RECORDS.replace("S2,Week 1,CGI-S,4", "S2,Week 1,CGI-S,4.5").replace("S3,Week 1,CGI-S,5", "S3,Week 1,CGI-S,5.25")
    records = records.replace("S1,Week 1,CGI-S,4", "S1,Week 1,CGI-S,4.0")  # a whole number written with a decimal
    checked = _checked(make_study(records=records))
    issues = checked.issues_frame()
    found = issues[issues.check == "decimals"]
    assert found[["severity", "row", "column", "value", "measure"]].values.tolist() == [["warning", 10, "AVAL", "4.5", "CGI-S"]]
    assert found.message.iat[0] == (
        "2 records of CGI-S with more decimals than measures.CGI-S.decimals (0) declares: analysed as recorded, not "
        "rounded; set measures.CGI-S.decimals to the decimals the values have (the report shows means with one more) "
        "(2 subjects; rows 10, 16)")
    week1 = checked.records.query("visit == 'Week 1' and measure == 'CGI-S'").set_index("subject").value.to_dict()
    assert week1 == {"S1": 4.0, "S2": 4.5, "S3": 5.25}
    declared = make_study(config={"measures": {"CGI-S": {"min": 1, "max": 7, "decimals": 2},
                                               "CGI-I": {"min": 1, "max": 7, "responder_max": 2}}}, records=records)
    assert "decimals" not in set(_findings(declared).check)


def test_data_issues_rows_are_whole_numbers(make_study, tmp_path, capsys):
    study = make_study(records=RECORDS.replace("S2,Week 1,CGI-S,4\n", "") + "S3,Unscheduled,CGI-I,2\n")
    out = run_cli(capsys, "run", "--quiet", str(study), "--out", str(tmp_path / "out"))
    assert out.code == 0, out.err
    lines = [line for line in (tmp_path / "out" / "data_issues.csv").read_text().splitlines()
             if ",not_estimable," not in line  # TIER 2's one subject: tests/test_degenerate.py
             and ",ci_level," not in line]  # 3 pairs or fewer: tests/test_small_samples.py
    assert lines[1:] == [
        "warning,unknown_visit,records.csv,19,VISIT,Unscheduled,S3,Unscheduled,CGI-I,"
        "visit not in visits.order of study.yaml: 1 record excluded from all analyses",
        'warning,missing_visit,records.csv,,,,S2,Week 1,CGI-S,"no Week 1 CGI-S: observed cases only, no value imputed"']


def test_findings_name_the_files_line_after_blank_lines(make_study):
    records = RECORDS.replace("S2,Baseline,CGI-S,4\n", "\n\nS2,Baseline,CGI-S,4\n").replace("S3,Week 2,CGI-I,1", "S3,Week 2,CGI-I,9")
    checked = _checked(make_study(records=records))
    assert [(e.check, e.row) for e in checked.errors] == [("out_of_range", 21)]


def test_validate_names_the_subject_of_each_finding(make_study, capsys):
    records = RECORDS.replace("S2,Week 1,CGI-S,4", "S2,Week 1,CGI-S,").replace("S3,Week 1,CGI-I,3", "S3,Week 1,CGI-I,8")
    out = run_cli(capsys, "validate", "--quiet", str(make_study(records=records)))
    assert out.out.splitlines() == [
        "error: out_of_range: records.csv: row 17: column AVAL: value '8': subject S3: CGI-I must lie between 1 and 7; "
        "correct the value",
        "warning: missing_visit: records.csv: row 10: column AVAL: subject S2: no Week 1 CGI-S: observed cases only, "
        "no value imputed",
        "1 error(s), 1 warning(s)"]


def test_fifty_thousand_findings(make_study):
    """50,000 values out of range: 50,000 fatal findings, each naming its row; the error message lists 20."""
    from trialkit.errors import DataError

    records = RECORDS + "".join(f"S{k % 3 + 1},Week 1,CGI-S,9\n" for k in range(50_000))
    checked = _checked(make_study(records=records))
    errors = checked.errors
    assert len(errors) == 50_000 and {e.check for e in errors} == {"out_of_range"}
    assert [(e.row, e.subject) for e in errors[:4]] == [(20, "S1"), (21, "S2"), (22, "S3"), (23, "S1")]
    assert errors[-1].row == 50_019
    with pytest.raises(DataError) as caught:
        checked.raise_for_errors()
    lines = str(caught.value).splitlines()
    assert lines[0] == "50000 data problems stop the analysis:" and len(lines) == 22
    assert lines[-1] == "  ... and 49980 more (run `trialkit validate` to list all)"


def test_a_covariate_of_numbers_with_one_text_value_is_a_finding(make_study):
    """Issue 11.4: a covariate holding numbers and one text value was summarised as categories without a word."""
    subjects = SUBJECTS.replace("SUBJID,TIER,GRM1\n", "SUBJID,TIER,GRM1,AGE\n").replace("S1,1,1\n", "S1,1,1,13\n")
    subjects = subjects.replace("S2,2,0\n", "S2,2,0,fifteen\n").replace("S3,1,yes\n", "S3,1,yes,14\n")
    study = make_study(config={"subjects": {"genotype_flags": ["GRM1"], "subgroups": ["TIER"], "covariates": ["AGE"]}},
                       subjects=subjects)
    found = _findings(study)
    found = found[found["check"] == "covariate_type"]
    assert found[["severity", "file", "row", "column", "value", "subject"]].values.tolist() == [
        ["warning", "subjects.csv", 3, "AGE", "fifteen", "S2"]]
    assert found["message"].iloc[0].startswith("covariate AGE holds numbers and 1 value(s) that are not")
