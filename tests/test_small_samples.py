"""Small and gappy samples in the ordinal and paired analyses, against R (tests/reference/small_samples.R ->
small_samples.json): the Hodges-Lehmann interval of a handful of pairs and the confidence level it really has
(R wilcox.test's achieved level), the threshold across an empty category inside the observed range (clm), and
in a run: a value that is not a category at a visit the models do not use, and an interval short of its level,
each a finding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from tests.test_ordinal_analyses import CONFIG, SPREAD, _run, _stats
from trialkit.stats import proportional_odds, wilcoxon
from trialkit.stats.paired import hodges_lehmann_level

RTOL = 1e-6  # against R for the same method


@pytest.fixture(scope="module")
def ref(reference):
    return reference("small_samples.json")


def test_hodges_lehmann_of_a_handful_of_pairs_matches_r_with_its_real_level(ref):
    # R: wilcox.test(d, exact = TRUE, conf.int = TRUE, conf.level = 1 - alpha); level 1 - 2 psignrank(qu - 1, n)
    for case in ref["hodges_lehmann"]:
        d = np.atleast_1d(np.asarray(case["d"], dtype=float))
        r = wilcoxon(d, np.zeros_like(d), alpha=case["alpha"])
        assert_allclose([r.estimate, r.ci_lower, r.ci_upper], [case["estimate"], case["ci_lower"], case["ci_upper"]],
                        rtol=RTOL)
        assert r.ci_level == pytest.approx(case["ci_level"], abs=1e-12)
        assert hodges_lehmann_level(case["n"], alpha=case["alpha"]) == pytest.approx(case["ci_level"], abs=1e-12)
        if case["r_conf_level"] != 1 - case["alpha"]:  # R warns and reports 1 - signif(achieved.alpha, 2)
            assert 1 - float(f"{1 - r.ci_level:.2g}") == pytest.approx(case["r_conf_level"], abs=1e-12)
    short = {(c["n"], c["alpha"]) for c in ref["hodges_lehmann"] if c["ci_level"] < 1 - c["alpha"]}
    assert short == {(n, 0.05) for n in range(1, 6)} | {(n, 0.01) for n in range(1, 8)}


def test_a_threshold_across_an_empty_inner_category_is_reported_as_clm_names_it(ref):
    # R: clm(factor(y) ~ x): category 3 is empty between 2 and 4, so clm drops it and estimates "2|4"
    gap = ref["gap"]
    r = proportional_odds(pd.DataFrame({"y": gap["y"], "x": gap["x"]}), "y ~ x", levels=range(1, 8))
    assert r.thresholds.threshold.tolist() == ["1|2", "2|4", "4|5", "5|6", "6|7"]
    shown = r.thresholds.set_index("threshold").loc[gap["thresholds"]]
    assert_allclose(shown.estimate, gap["theta"], rtol=RTOL)
    assert_allclose(shown.se, gap["theta_se"], rtol=RTOL)
    assert r.thresholds.set_index("threshold").loc[["1|2", "5|6", "6|7"]].estimate.isna().all()
    assert_allclose([r.coef.estimate.iat[0], r.coef.se.iat[0], r.loglik], [gap["beta"], gap["beta_se"], gap["loglik"]],
                    rtol=RTOL)
    assert any(f.startswith("categories with no observation: 1, 3, 6, 7;") and "joins its neighbours (2|4)" in f
               for f in r.findings)


def test_a_value_not_a_category_at_a_visit_the_models_skip_is_a_finding(make_study, tmp_path, capsys):
    # a half point at Week 1: the Baseline-vs-Week 2 models and tables are estimable, but the stacked bars of the
    # categories by visit cannot be drawn; that used to leave no trace in data_issues.csv
    values = {**SPREAD, "S03": [6, 5.5, 5]}
    config = {**CONFIG, "measures": {"CGI-S": {"min": 1, "max": 7, "decimals": 1}}}
    ard, issues = _run(make_study, tmp_path, capsys, values=values, config=config)
    assert _stats(ard, "ordinal", group="all", contrast="")["estimable"] == 1
    rows = ard[ard["analysis"] == "categories"]
    assert len(rows) == 1 and np.isnan(rows["value"].iat[0]) and rows["category"].iat[0] == ""
    found = issues[(issues["check"] == "not_estimable") & issues["message"].str.startswith("categories, CGI-S:")]
    assert found["message"].tolist() == [
        "categories, CGI-S: not estimable: 1 value is not a category of the measure's 1-7 (5.5): not ordinal (at Week 1); "
        "the figure of the categories by visit is not drawn; shown as NE"]


def test_figure_of_a_measure_not_in_categories_is_not_drawn(make_study, tmp_path, capsys):
    from trialkit.report.figure_data import category_bars

    values = {**SPREAD, "S03": [6, 5.5, 5]}
    config = {**CONFIG, "measures": {"CGI-S": {"min": 1, "max": 7, "decimals": 1}}}
    ard, _ = _run(make_study, tmp_path, capsys, values=values, config=config)
    assert category_bars(ard, None, "CGI-S", ["Baseline", "Week 1", "Week 2"], direction="lower = better") is None


def test_an_interval_short_of_its_level_is_said_in_the_ard_and_a_finding(make_study, tmp_path, capsys):
    # tier 2 holds 3 subjects: the widest Hodges-Lehmann interval has 75% confidence, not 95% (R warns likewise)
    values = dict(list(SPREAD.items())[:11])
    tiers = {s: "2" if k < 3 else "1" for k, s in enumerate(values)}
    config = {**CONFIG, "analyses": ["wilcoxon"]}
    ard, issues = _run(make_study, tmp_path, capsys, values=values, tiers=tiers, config=config)
    small = ard[(ard["analysis"] == "wilcoxon") & (ard["group"] == "2")]
    level = small.set_index("stat").loc["ci_level"]
    assert level["value"] == 0.75 and level["note"].startswith("confidence level short of the requested: with 3 pairs")
    assert (small.set_index("stat").loc[["ci_lower", "ci_upper"], "note"] == level["note"]).all()
    assert small.set_index("stat").loc["estimate", "note"] == ""
    big = ard[(ard["analysis"] == "wilcoxon") & (ard["group"] == "1")].set_index("stat")
    assert big.loc["ci_level", "value"] >= 0.95 and big.loc["ci_level", "note"] == ""
    found = issues[issues["check"] == "ci_level"]
    assert found["message"].tolist() == [
        "wilcoxon, CGI-S, TIER 2, Week 2 - Baseline: Hodges-Lehmann interval: confidence level short of the requested: "
        "with 3 pairs even the widest interval (smallest to largest Walsh average) has 75% confidence, not 95%; shown "
        "as computed, as R wilcox.test does (its level: stat ci_level in ard.csv)"]
    # and under the Wilcoxon table of the report (HTML; the PDF and RTF print the same footnotes)
    html = (tmp_path / "out" / "report.html").read_text()
    assert ("With so few pairs even the widest interval falls short of 95% confidence; the HL interval is shown as "
            "computed (as R wilcox.test) and has: TIER 2 75% (3 pairs).") in html
