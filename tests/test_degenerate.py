"""Studies a user can have that leave little to estimate: every run ends with exit 0, NE cells and a finding
per estimate the data cannot give (issue 11.5), never a traceback."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from tests.conftest import EXAMPLE
from tests.helpers import run_cli
from trialkit.results import read_ard
from trialkit.results.estimability import not_estimable


def _example(tmp_path, records=None, subjects=None):
    study = tmp_path / "study"
    shutil.copytree(EXAMPLE, study)
    r = pd.read_csv(study / "data" / "cgi_visits.csv", dtype=str, keep_default_na=False)
    s = pd.read_csv(study / "data" / "subjects.csv", dtype=str, keep_default_na=False)
    (records or (lambda x: x))(r).to_csv(study / "data" / "cgi_visits.csv", index=False)
    (subjects or (lambda x: x))(s).to_csv(study / "data" / "subjects.csv", index=False)
    return study


def _endpoint_missing(r):
    r.loc[r["VISIT"] == "Week 5", "AVAL"] = ""
    return r


def _all_equal(r):
    r.loc[r["PARAM"] == "CGI-S", "AVAL"] = "4"
    return r


def _first(n):
    return lambda frame: frame[frame["SUBJID"].isin(sorted(frame["SUBJID"].unique())[:n])]


def _one_tier(s):
    s["TIER"] = "1"
    return s


def _long_tier(s):
    s["TIER"] = "Tier " + s["TIER"] + " " + "x" * 85
    return s


def _digit_tiers(s):
    """A level of 5,000 digits (Python's int() converts at most 4,300: sorting the levels was a traceback) and
    one that is a superscript two (str.isdigit() but not int())."""
    s["TIER"] = s["TIER"].map({"1": "9" * 5000, "2": "\u00b2"}).fillna(s["TIER"])
    return s


CASES = {
    "every endpoint value missing": (dict(records=_endpoint_missing), ("paired_t", "CGI-S", "overall")),
    "a measure whose values are all equal": (dict(records=_all_equal), ("lmm", "CGI-S", "overall")),
    "one subject": (dict(records=_first(1), subjects=_first(1)), ("lmm", "CGI-S", "overall")),
    "two subjects": (dict(records=_first(2), subjects=_first(2)), ("mmrm", "CGI-S", "overall")),
    "a subgroup with one level": (dict(subjects=_one_tier), ("lmm", "CGI-S", "TIER")),
    "a 90-character subgroup level": (dict(subjects=_long_tier), None),
    "subgroup levels of 5,000 digits and a superscript": (dict(subjects=_digit_tiers), None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_degenerate_study_runs_to_the_end_and_names_what_it_cannot_estimate(tmp_path, capsys, case):
    edits, expected = CASES[case]
    out = tmp_path / "out"
    result = run_cli(capsys, "run", str(_example(tmp_path, **edits)), "--out", str(out), "--quiet")
    assert result.code == 0 and "Traceback" not in result.err, result.err
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    issues = pd.read_csv(out / "data_issues.csv", dtype=str, keep_default_na=False)
    flagged = issues[issues["check"] == "not_estimable"]
    if expected is None:  # nothing but what the example itself cannot estimate: its proportional-odds tests
        assert flagged["message"].str.startswith("ordinal, ").all(), flagged["message"].tolist()
        return
    analysis, measure, group_var = expected
    assert flagged["message"].str.startswith(f"{analysis}, {measure}").any(), flagged["message"].tolist()
    ard = read_ard(out / "ard.csv")
    rows = ard[(ard["analysis"] == analysis) & (ard["measure"] == measure) & (ard["group_var"] == group_var)]
    assert rows[rows["stat"].isin(["estimate", "statistic", "p_value"])]["value"].isna().any() or (
        rows["stat"] == "converged").any()


def _ard(rows):
    columns = ["analysis", "measure", "group_var", "group", "visit", "contrast", "stat", "value", "category", "note"]
    return pd.DataFrame(rows, columns=columns)


def test_a_finding_per_estimate_the_data_cannot_give():
    ard = _ard([
        ("descriptive", "M", "overall", "all", "W1", "", "sd", np.nan, "", ""),  # one value: no SD, no finding
        ("paired_t", "M", "overall", "all", "", "W2 - W0", "n", 0.0, "", ""),
        ("paired_t", "M", "overall", "all", "", "W2 - W0", "estimate", np.nan, "", ""),
        ("paired_t", "M", "overall", "all", "", "W2 - W0", "p_value", np.nan, "", ""),
        ("paired_t", "M", "TIER", "1", "", "W2 - W0", "estimate", 1.0, "", ""),
        ("mmrm", "M", "overall", "", "", "", "converged", 0.0, "", "not fitted: 1 subject(s)"),
    ])
    found = not_estimable(ard)
    assert found["check"].tolist() == ["not_estimable", "not_estimable"]
    assert found["message"].tolist() == [
        "paired_t, M, W2 - W0: not estimable from these data (n = 0); shown as NE",
        "mmrm, M: not fitted: 1 subject(s); shown as NE",
    ]


def test_an_f_test_of_nothing_is_not_an_error():
    from trialkit.stats import mmrm

    rng = np.random.default_rng(1)
    data = pd.DataFrame({"subject": np.repeat([f"S{i}" for i in range(20)], 2), "visit": ["a", "b"] * 20,
                         "g": "only", "y": rng.normal(size=40)})
    data["visit"] = pd.Categorical(data["visit"])
    fit = mmrm(data, "y ~ visit", subject="subject", visit="visit")
    test = fit.f_test(np.zeros((0, len(fit.coef))))
    assert test["num_df"] == 0 and np.isnan(test["statistic"]) and np.isnan(test["p_value"])
