"""The short-form analyses ``ordinal``, ``shift`` and ``friedman`` in a run: their ARD rows, and bad input
(a rating that is not ordinal, an empty category, a model that does not converge) as findings and NE cells,
never a traceback. Their values against R on the example study: tests/test_example_ordinal.py."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.helpers import run_cli
from trialkit.results import read_ard

ORDINAL = ["ordinal", "shift", "friedman"]


def _records(values: dict[str, list[float | str]], visits=("Baseline", "Week 1", "Week 2"), measure="CGI-S") -> str:
    """Records of one measure: subject -> its values at the visits ("" for a missing value)."""
    lines = ["SUBJID,VISIT,PARAM,AVAL"]
    for subject, row in values.items():
        lines += [f"{subject},{visit},{measure},{value}" for visit, value in zip(visits, row)]
    return "\n".join(lines) + "\n"


def _subjects(tiers: dict[str, str]) -> str:
    return "SUBJID,TIER,GRM1\n" + "".join(f"{s},{t},0\n" for s, t in tiers.items())


#: 16 subjects in two tiers whose categories spread over 2..6, so that every model and test is estimable
SPREAD = {f"S{k:02d}": [b, m, e] for k, (b, m, e) in enumerate(
    [(5, 4, 3), (5, 5, 4), (4, 4, 3), (6, 5, 5), (5, 4, 4), (4, 3, 2), (6, 6, 5), (5, 5, 5),
     (4, 4, 4), (5, 4, 2), (6, 5, 4), (4, 3, 3), (5, 5, 3), (6, 6, 6), (4, 4, 2), (5, 3, 3)])}
TIERS = {s: "1" if k % 2 else "2" for k, s in enumerate(SPREAD)}
CONFIG = {"measures": {"CGI-S": {"min": 1, "max": 7}}, "analyses": ORDINAL}


def _run(make_study, tmp_path, capsys, *, values=SPREAD, tiers=TIERS, config=CONFIG):
    study = make_study(config=config, records=_records(values), subjects=_subjects(tiers))
    written = yaml.safe_load((study / "study.yaml").read_text())
    written["measures"] = config["measures"]  # make_study merges: keep CGI-S alone
    (study / "study.yaml").write_text(yaml.safe_dump(written, sort_keys=False))
    out = tmp_path / "out"
    outcome = run_cli(capsys, "run", str(study), "--out", str(out))
    assert outcome.code == 0, outcome.err
    assert "Traceback" not in outcome.err
    return read_ard(out / "ard.csv"), pd.read_csv(out / "data_issues.csv", dtype=str, keep_default_na=False)


def _stats(ard, analysis, **where) -> dict[str, float]:
    rows = ard[ard["analysis"] == analysis]
    for column, value in where.items():
        rows = rows[rows[column] == value]
    return dict(zip(rows["stat"], rows["value"]))


def test_each_short_form_gives_its_rows_overall_and_by_subgroup(make_study, tmp_path, capsys):
    ard, issues = _run(make_study, tmp_path, capsys)
    assert set(ard["analysis"]) >= {"categories", "ordinal", "shift", "friedman"}
    # ordinal: the model of all subjects (baseline score) and the model by TIER (level 2 against level 1)
    overall = _stats(ard, "ordinal", group="all", contrast="baseline (per category)")
    assert overall["odds_ratio"] == pytest.approx(math.exp(overall["estimate"]), rel=1e-12)
    by_tier = _stats(ard, "ordinal", group_var="TIER", group="2", contrast="TIER 2 vs 1")
    assert np.isfinite(by_tier["odds_ratio"]) and by_tier["odds_ratio_ci_lower"] < by_tier["odds_ratio"]
    assert _stats(ard, "ordinal", group_var="TIER", group="1", contrast="")["n"] == 8
    # shift: a cell per pair of the measure's 7 categories, per group, and the two tests
    cells = ard[(ard["analysis"] == "shift") & (ard["group"] == "all") & (ard["stat"] == "n") & (ard["category"] != "")]
    assert len(cells) == 49 and cells["value"].sum() == 16
    assert _stats(ard, "shift", group="all", category="5 -> 3")["n"] == 3  # S00, S12 and S15
    assert np.isfinite(_stats(ard, "shift", group="all", category="")["stuart_maxwell_p_value"])
    # friedman: across the three visits, per group
    friedman = _stats(ard, "friedman", group="all")
    assert (friedman["n"], friedman["k"], friedman["df"], friedman["n_excluded"]) == (16, 3, 2, 0)
    assert set(ard.loc[ard["analysis"] == "friedman", "group"]) == {"all", "1", "2"}
    # categories: subjects per category at each visit (the stacked bars)
    at_end = _stats(ard, "categories", group="all", visit="Week 2", category="3")
    assert at_end == {"n": 5, "proportion": 5 / 16}


def test_the_measure_s_empty_categories_are_a_finding_and_their_thresholds_ne(make_study, tmp_path, capsys):
    ard, issues = _run(make_study, tmp_path, capsys)
    thresholds = ard[(ard["analysis"] == "ordinal") & (ard["group"] == "all") & (ard["stat"] == "threshold")]
    empty = thresholds[thresholds["value"].isna()]
    assert empty["category"].tolist() == ["1|2", "6|7"]  # nobody at 1 or 7 at Week 2
    assert empty["note"].str.contains("not estimable: categories with no observation: 1, 7").all()
    found = issues[(issues["check"] == "not_estimable") & (issues["column"] == "")]
    assert found["severity"].tolist() == ["warning"]
    assert found["message"].iat[0].startswith("ordinal, CGI-S, Week 2: not estimable: ")
    assert "categories with no observation: 1, 7" in found["message"].iat[0]


def test_a_rating_that_is_not_ordinal_is_a_finding_and_ne(make_study, tmp_path, capsys):
    # half-points are not categories of a 1-7 scale: the models and shift tables are NE, and say why
    values = {**SPREAD, "S00": [5, 4.5, 3.5]}
    config = {**CONFIG, "measures": {"CGI-S": {"min": 1, "max": 7, "decimals": 1}}}
    ard, issues = _run(make_study, tmp_path, capsys, values=values, config=config)
    model = _stats(ard, "ordinal", group="all", contrast="")
    assert (model["estimable"], model["n"], model["n_excluded"]) == (0, 16, 0) and math.isnan(model["loglik"])
    assert math.isnan(_stats(ard, "ordinal", group="all", contrast="baseline (per category)")["odds_ratio"])
    shift = ard[(ard["analysis"] == "shift") & (ard["group"] == "all")]
    assert shift.loc[shift["stat"].str.startswith(("stuart", "bowker")), "value"].isna().all()
    bars = ard[ard["analysis"] == "categories"]  # no stacked bars of a scale that is not in categories: one row says why
    assert len(bars) == 1 and bars["value"].isna().all() and "not drawn" in bars["note"].iat[0]
    messages = issues.loc[issues["check"] == "not_estimable", "message"].tolist()
    assert any(m.startswith("ordinal, CGI-S, Week 2:") and "not ordinal" in m for m in messages)
    assert any(m.startswith("shift, CGI-S, Week 2:") and "Week 2: 3.5 (1 subject)" in m
               for m in messages)
    # Friedman's test ranks the values: a half point is fine there
    assert np.isfinite(_stats(ard, "friedman", group="all")["p_value"])


def test_a_scale_without_whole_categories_is_not_analysed_as_ordinal(make_study, tmp_path, capsys):
    config = {**CONFIG, "measures": {"CGI-S": {"min": 0.5, "max": 7.5}}}
    ard, issues = _run(make_study, tmp_path, capsys, config=config)
    assert _stats(ard, "ordinal", group="all", contrast="")["estimable"] == 0
    message = issues.loc[issues["check"] == "not_estimable", "message"].iat[0]
    assert "its range 0.5-7.5 is not a range of whole categories" in message


def test_separation_in_a_subgroup_is_a_finding_and_ne(make_study, tmp_path, capsys):
    # every subject of tier 1 ends at 2, every one of tier 2 at 6: the tier's odds ratio runs off to infinity
    values = {s: [v[0], v[1], 2 if TIERS[s] == "1" else 6] for s, v in SPREAD.items()}
    ard, issues = _run(make_study, tmp_path, capsys, values=values)
    by_tier = _stats(ard, "ordinal", group_var="TIER", group="", contrast="")
    assert by_tier["estimable"] == 0
    assert math.isnan(_stats(ard, "ordinal", group_var="TIER", group="2", contrast="TIER 2 vs 1")["odds_ratio"])
    found = issues[(issues["check"] == "not_estimable") & (issues["column"] == "TIER") & (issues["value"] == "")]
    assert len(found) == 1 and "run off to infinity" in found["message"].iat[0]
    assert found["message"].iat[0].startswith("ordinal, CGI-S, TIER, Week 2: not estimable: ")


def test_a_model_that_does_not_converge_is_a_finding_and_ne(make_study, tmp_path, capsys, monkeypatch):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    fit = OrderedModel.fit

    def stopped_early(self, *args, **kwargs):
        result = fit(self, *args, **kwargs)
        result.mle_retvals["converged"] = False
        return result

    monkeypatch.setattr(OrderedModel, "fit", stopped_early)
    ard, issues = _run(make_study, tmp_path, capsys)
    model = _stats(ard, "ordinal", group="all", contrast="")
    assert (model["converged"], model["estimable"]) == (0, 0)
    messages = issues.loc[issues["check"] == "not_estimable", "message"]
    assert messages.str.contains("the proportional-odds model did not converge").sum() == 2  # overall, by TIER


def test_no_change_of_category_and_too_few_complete_subjects_are_findings(make_study, tmp_path, capsys):
    # tier 2: nobody changes category from Baseline to Week 2, and one subject alone has all three visits
    values = {s: v if TIERS[s] == "1" else [v[0], "", v[0]] for s, v in SPREAD.items()}
    values["S00"] = [5, 5, 5]
    ard, issues = _run(make_study, tmp_path, capsys, values=values)
    shift = _stats(ard, "shift", group_var="TIER", group="2", category="")
    assert math.isnan(shift["stuart_maxwell_p_value"]) and shift["n"] == 8
    friedman = _stats(ard, "friedman", group_var="TIER", group="2")
    assert (friedman["n"], friedman["n_excluded"]) == (1, 7) and math.isnan(friedman["p_value"])
    found = issues[(issues["check"] == "not_estimable") & (issues["value"] == "2")]
    assert sorted(m.split(",")[0] for m in found["message"]) == ["friedman", "shift"]
    assert any("no subject changed category" in m for m in found["message"])
    assert any("1 subjects with a value at each of 3 visits" in m for m in found["message"])


def test_without_a_baseline_the_ordinal_short_forms_are_refused(make_study, capsys):
    study = make_study(config={"analyses": ORDINAL, "visits": {"baseline": None}})
    outcome = run_cli(capsys, "run", str(study))
    assert outcome.code == 2
    assert "analyses.0: ordinal compares visits with the baseline" in outcome.err
    assert "analyses.1: shift compares visits with the baseline" in outcome.err


def test_a_subgroup_of_one_level_has_no_model_to_compare_and_says_so(make_study, tmp_path, capsys):
    ard, issues = _run(make_study, tmp_path, capsys, tiers={s: "1" for s in SPREAD})
    assert _stats(ard, "ordinal", group="all", contrast="")["estimable"] == 1
    assert _stats(ard, "ordinal", group_var="TIER", group="", contrast="")["estimable"] == 0
    message = issues.loc[(issues["check"] == "not_estimable") & (issues["column"] == "TIER"), "message"].iat[0]
    assert "the subjects with both values are all in one level of TIER" in message


def test_no_subject_with_both_values_is_a_finding_not_a_traceback(make_study, tmp_path, capsys):
    values = {s: [v[0], v[1], ""] for s, v in SPREAD.items()}
    values["S01"] = ["", 4, 3]  # the one Week 2 value, without a baseline
    ard, issues = _run(make_study, tmp_path, capsys, values=values)
    messages = issues.loc[(issues["check"] == "not_estimable") & (issues["column"] == ""), "message"].tolist()
    assert messages[0] == ("ordinal, CGI-S, Week 2: not estimable: no subject has both a Baseline and a Week 2 value; "
                           "shown as NE")
    assert any(m.startswith("shift, CGI-S, Week 2: not estimable: no subject has both") for m in messages)
    assert any(m.startswith("friedman, CGI-S: not estimable: 0 subjects with a value") for m in messages)
    assert _stats(ard, "shift", group="all", category="")["n_excluded"] == 16
