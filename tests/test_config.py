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
    out = run_cli(capsys, "validate", str(study))
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
    assert "  analyses.1: Input should be 'descriptive', 'paired_t', 'wilcoxon', 'responder', 'lmm' or 'mmrm' (got 'anova')\n" in err


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
