"""study.yaml: defaults, and an error naming the key and the file for each mistake."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLE
from tests.helpers import run_cli
from trialkit.config import load_config
from trialkit.errors import ConfigError


def test_example_config_loads_with_defaults():
    config = load_config(EXAMPLE / "study.yaml")
    assert config.study.id == "NFC1-SIM"
    assert config.visits.post_baseline == ["Week 1", "Week 2", "Week 3", "Week 4", "Week 5"]
    assert config.measures["CGI-I"].responder_max == 2 and config.measures["CGI-S"].responder_max is None
    assert config.alpha == 0.05 and config.data.encoding == "utf-8"
    assert config.records_path == (EXAMPLE / "data" / "cgi_visits.csv").resolve()


def test_folder_or_file(make_study):
    study = make_study()
    assert load_config(study) == load_config(study / "study.yaml")


def _config_error(capsys, study) -> str:
    out = run_cli(capsys, "validate", "--quiet", str(study))
    assert out.code == 2 and "Traceback" not in out.err
    return out.err


def test_unknown_key(make_study, capsys):
    err = _config_error(capsys, make_study(config={"study": {"idd": "X"}}))
    assert err.endswith("study.yaml: invalid configuration\n  study.idd: unknown key\n")


def test_unknown_top_level_key(make_study, capsys):
    err = _config_error(capsys, make_study(config={"analysis": ["descriptive"]}))
    assert "  analysis: unknown key\n" in err


def test_wrong_type(make_study, capsys):
    err = _config_error(capsys, make_study(config={"measures": {"CGI-S": {"min": "low", "max": 7}}}))
    assert "  measures.CGI-S.min: Input should be a valid number, unable to parse string as a number (got 'low')\n" in err


def test_missing_required_key(make_study, capsys):
    study = make_study()
    text = (study / "study.yaml").read_text().replace("  id: T-1\n", "")
    (study / "study.yaml").write_text(text)
    assert "  study.id: required key is missing\n" in _config_error(capsys, study)


def test_unknown_analysis(make_study, capsys):
    err = _config_error(capsys, make_study(config={"analyses": ["descriptive", "anova"]}))
    assert ("  analyses.1: Input should be 'descriptive', 'paired_t', 'wilcoxon', 'responder', 'lmm', 'mmrm', 'ordinal', "
            "'shift' or 'friedman' (got 'anova')\n") in err


def test_the_short_form_names_are_listed_once_in_the_plan():
    from typing import get_args

    from trialkit.config import ANALYSES
    from trialkit.plan import SHORT_ANALYSES, AnalysisItem

    short = get_args(get_args(get_args(AnalysisItem)[0])[0])[0]
    assert get_args(short) == SHORT_ANALYSES
    assert set(ANALYSES) < set(SHORT_ANALYSES)  # the default: the ordinal analyses are asked for by name


def test_endpoint_not_in_visit_order(make_study, capsys):
    err = _config_error(capsys, make_study(config={"visits": {"endpoint": "Week 9"}}))
    assert "  visits: visits.endpoint 'Week 9' is not in visits.order ['Baseline', 'Week 1', 'Week 2']" in err


def test_responder_threshold_outside_range(make_study, capsys):
    err = _config_error(capsys, make_study(config={"measures": {"CGI-I": {"min": 1, "max": 7, "responder_max": 9}}}))
    assert "  measures.CGI-I: responder_max (9.0) must lie within [1.0, 7.0]" in err


def test_missing_data_file(make_study, capsys):
    study = make_study()
    (study / "subjects.csv").unlink()
    err = _config_error(capsys, study)
    assert err.startswith(f"trialkit: error: {study / 'study.yaml'}: data.subjects: file not found: {study / 'subjects.csv'}")


def test_no_study_yaml(tmp_path, capsys):
    assert _config_error(capsys, tmp_path) == (
        f"trialkit: error: {tmp_path / 'study.yaml'}: no study configuration found (expected a study.yaml file)\n")


def test_not_yaml(make_study, capsys):
    study = make_study()
    (study / "study.yaml").write_text("study: [unclosed\n")
    assert "study.yaml: not valid YAML" in _config_error(capsys, study)


def test_visit_the_data_do_not_contain(make_study, capsys):
    study = make_study(config={"visits": {"order": ["Baseline", "Week 1", "Week 3"], "endpoint": "Week 3"}})
    assert _config_error(capsys, study) == (
        "trialkit: error: study.yaml: visits.order: visit 'Week 3' does not occur in records.csv (column VISIT) "
        "(did you mean 'Week 2'?); the visit labels must match the data exactly\n")


def test_measure_the_data_do_not_contain(make_study, capsys):
    study = make_study(config={"measures": {"CGI-S": {"min": 1, "max": 7}, "CGI-X": {"min": 1, "max": 7}}})
    assert _config_error(capsys, study) == (
        "trialkit: error: study.yaml: measures: measure 'CGI-X' does not occur in records.csv (column PARAM) "
        "(did you mean 'CGI-S'?)\n")


def test_config_error_is_a_python_exception_too(make_study):
    with pytest.raises(ConfigError, match="study.idd: unknown key"):
        load_config(make_study(config={"study": {"idd": "X"}}))


def test_model_options(make_study, capsys):
    config = load_config(make_study(config={"models": {"mmrm": {"covariance": "toep", "df": "kenward-roger"}}}))
    assert config.models.mmrm.covariance == "toep" and config.models.mmrm.fallback == ["toep", "ar1", "cs"]
    err = _config_error(capsys, make_study(config={"models": {"mmrm": {"covariance": "banded"}}}))
    assert "  models.mmrm.covariance: Input should be 'us', 'toep', 'csh', 'cs', 'ar1h' or 'ar1' (got 'banded')" in err
    err = _config_error(capsys, make_study(config={"models": {"lmm": {"df": "kenward-roger"}}}))
    assert "  models.lmm.df: Input should be 'satterthwaite', 'residual' or 'between-within'" in err


# ---- study.yaml that PyYAML accepts but a study must not: each an error naming the line --------------------

def _write(study, text: str):
    (study / "study.yaml").write_text(text)
    return study


def test_a_key_given_twice_names_both_lines(make_study, capsys):
    study = make_study()
    text = (study / "study.yaml").read_text()
    lines = text.splitlines()
    records_line = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("records:"))
    text = text.replace("  records: records.csv\n", "  records: records.csv\n  records: other.csv\n")
    err = _config_error(capsys, _write(study, text))
    assert err == (f"trialkit: error: {study / 'study.yaml'}: line {records_line + 1}: key 'records' is given twice "
                   f"in the same mapping (first at line {records_line}); keep one\n")


def test_a_top_level_key_given_twice(make_study, capsys):
    study = make_study()
    text = (study / "study.yaml").read_text() + "alpha: 0.05\nalpha: 0.1\n"
    assert "key 'alpha' is given twice" in _config_error(capsys, _write(study, text))


def test_merged_keys_may_be_overridden(make_study):
    study = make_study()
    text = (study / "study.yaml").read_text().replace(
        "measures:\n", "measures:\n  CGI-S: &scale {min: 1, max: 7}\n  CGI-I: {<<: *scale, responder_max: 2, max: 7}\n", 1)
    text = text.replace("  CGI-S:\n    min: 1\n    max: 7\n", "", 1).replace("  CGI-I:\n    min: 1\n    max: 7\n    responder_max: 2\n", "", 1)
    config = load_config(_write(study, text))
    assert config.measures["CGI-I"].responder_max == 2 and config.measures["CGI-I"].max == 7


@pytest.mark.parametrize("bound", [".nan", ".inf", "-.inf", "1e999"])
def test_nan_or_infinite_range_bound(make_study, capsys, bound):
    study = make_study()
    text = (study / "study.yaml").read_text().replace("  CGI-S:\n    min: 1\n", f"  CGI-S:\n    min: {bound}\n")
    err = _config_error(capsys, _write(study, text))
    assert "  measures.CGI-S.min: Input should be a finite number (got " in err


@pytest.mark.parametrize("number", ["0x" + "f" * 5000, "-0" + "7" * 40, "0b" + "1" * 200])
def test_a_huge_integer_in_another_base(make_study, capsys, number):
    """0xfff... (5000 digits) passed the digit count, and quoting it in the message was a traceback (Python
    writes no integer of more than 4300 decimal digits)."""
    study = make_study()
    text = (study / "study.yaml").read_text().replace("    max: 7\n", f"    max: {number}\n", 1)
    err = _config_error(capsys, _write(study, text))
    assert "digits; study.yaml holds no setting that large\n" in err


def test_an_unquoted_date_is_the_text_written(make_study):
    """``data_cutoff: 2018-01-15`` was a date object, refused as "Input should be a valid string"."""
    study = make_study()
    text = (study / "study.yaml").read_text().replace("  title: Test study\n",
                                                       "  title: Test study\n  data_cutoff: 2018-01-15\n")
    text = text.replace("- Week 2\n", "- 2018-03-01 10:00:00\n").replace("endpoint: Week 2", "endpoint: 2018-03-01 10:00:00")
    config = load_config(_write(study, text))
    assert config.study.data_cutoff == "2018-01-15"
    assert config.visits.order[-1] == config.visits.endpoint == "2018-03-01 10:00:00"


def test_a_5000_digit_integer(make_study, capsys):
    study = make_study()
    text = (study / "study.yaml").read_text().replace("    max: 7\n", f"    max: {'9' * 5000}\n", 1)
    line = text.splitlines().index(f"    max: {'9' * 5000}") + 1
    err = _config_error(capsys, _write(study, text))
    assert err == (f"trialkit: error: {study / 'study.yaml'}: line {line}: a number of 5,000 digits; "
                   "study.yaml holds no setting that large\n")


def test_an_alias_bomb_is_refused_in_a_short_message(make_study, capsys):
    """Nine levels of nine aliases: the list `i` alone is 1 + 9 * (1 + 9 * (...)) = 435,848,050 values
    (a = 10, b = 91, c = 820, ..., i = (9**10 - 1) / 8), and data.filter holds a second copy of it."""
    import re

    study = make_study()
    bomb = ['a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for name, prev in zip("bcdefghi", "abcdefgh"):
        bomb.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    text = (study / "study.yaml").read_text().replace("  layout: long\n", "  layout: long\n  filter:\n    PARAM: *i\n")
    text = "anchors:\n" + "\n".join(f"  {line}" for line in bomb) + "\n" + text
    err = _config_error(capsys, _write(study, text))
    found = re.fullmatch(rf"trialkit: error: {re.escape(str(study / 'study.yaml'))}: its aliases \(\*name\) expand it "
                         r"to ([\d,]+) values, ([\d,]+) more than it holds as written \(at most 100,000 more are "
                         r"allowed\); write the values out\n", err)
    assert found and int(found[1].replace(",", "")) > 2 * (9**10 - 1) // 8 and int(found[2].replace(",", "")) < int(
        found[1].replace(",", ""))


def test_a_value_that_contains_itself(make_study, capsys):
    study = make_study()
    text = (study / "study.yaml").read_text().replace("  layout: long\n", "  layout: long\n  filter: &f {PARAM: *f}\n")
    assert "an alias refers to the value that holds it" in _config_error(capsys, _write(study, text))


def test_a_long_wrong_value_is_quoted_short(make_study, capsys):
    study = make_study(config={"data": {"filter": {"PARAM": [["x"] * 5000]}}})
    err = _config_error(capsys, study)
    assert "data.filter.PARAM.0: Input should be a valid string (got ['x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', ...])" in err
    assert len(err) < 400


def test_nested_too_deeply(make_study, capsys):
    study = make_study()
    text = (study / "study.yaml").read_text() + "extra: " + "[" * 5000 + "]" * 5000 + "\n"
    assert "not valid YAML: nested too deeply" in _config_error(capsys, _write(study, text))


def test_unreadable_study_yaml(make_study, capsys, monkeypatch):
    from pathlib import Path

    study = make_study()

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert _config_error(capsys, study) == (
        f"trialkit: error: {study / 'study.yaml'}: cannot read the study configuration: Permission denied\n")


def test_study_yaml_not_utf8(make_study, capsys):
    study = make_study()
    (study / "study.yaml").write_bytes((study / "study.yaml").read_bytes().replace(b"Test study", b"Test \xe9tude"))
    assert "not valid YAML: not UTF-8 text (byte 0xe9 at position" in _config_error(capsys, study)


def test_symlink_loop_as_the_study(tmp_path, capsys):
    (tmp_path / "study.yaml").symlink_to(tmp_path / "study.yaml")
    assert _config_error(capsys, tmp_path) == (
        f"trialkit: error: {tmp_path / 'study.yaml'}: a symbolic link that leads nowhere or back to itself; "
        "expected a study.yaml file\n")


def test_symlink_loop_as_the_records_file(make_study, capsys):
    study = make_study()
    (study / "records.csv").unlink()
    (study / "records.csv").symlink_to(study / "records.csv")
    assert _config_error(capsys, study) == (
        f"trialkit: error: {study / 'study.yaml'}: data.records: {study / 'records.csv'} is a symbolic link that leads "
        "back to itself (a symlink loop)\n")


def test_nul_byte_in_a_data_path(make_study, capsys):
    study = make_study()
    text = (study / "study.yaml").read_text().replace("records: records.csv", 'records: "rec\\0ords.csv"')
    assert _config_error(capsys, _write(study, text)) == (
        f"trialkit: error: {study / 'study.yaml'}: data.records: the path 'rec\\x00ords.csv' holds a NUL byte; "
        "write the file's name\n")


def test_nul_byte_in_the_study_path(tmp_path):
    with pytest.raises(ConfigError, match=r"holds a NUL byte"):
        load_config(str(tmp_path) + "/stu\0dy")


@pytest.mark.parametrize("tail", ["a" * 300, "a" * 300 + "/study.yaml"])
def test_a_study_path_too_long_for_the_file_system_is_exit_2(tmp_path, capsys, tail):
    from tests.helpers import run_cli

    result = run_cli(capsys, "validate", "--quiet", str(tmp_path / tail))
    assert result.code == 2 and "Traceback" not in result.err
    assert result.err.endswith(": cannot read the study configuration: File name too long\n")


def test_control_characters_in_a_key_are_shown_escaped(make_study, capsys):
    err = _config_error(capsys, make_study(config={"study": {"id\x1b[2J": "X"}}))
    assert "  study.id\\x1b[2J: unknown key\n" in err and "\x1b" not in err


@pytest.mark.parametrize(("sheet", "expected"), [("Visits", "Visits"), (2, 2), ("2", "2")])
def test_data_sheet_is_a_name_or_a_position(make_study, sheet, expected):
    assert load_config(make_study(config={"data": {"sheet": sheet}})).data.sheet == expected


@pytest.mark.parametrize("sheet", [0, True, 1.5])
def test_data_sheet_position_counts_from_one(make_study, capsys, sheet):
    assert "  data.sheet" in _config_error(capsys, make_study(config={"data": {"sheet": sheet}}))
