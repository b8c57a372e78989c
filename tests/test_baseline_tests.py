"""treatment.baseline_tests: the arms compared in the baseline characteristics table (one-way ANOVA, Pearson's
chi-square), as ARD rows and a p-value column. Expected values from R (kept beside each)."""

from __future__ import annotations

import math

import pytest

from trialkit.stats import anova_oneway, chisq_independence

RECORDS = "SUBJID,VISIT,PARAM,AVAL\n" + "".join(f"S{i},{v},{m},{4 + (i + k) % 3}\n" for i in range(1, 13)
                                                for k, v in enumerate(["Baseline", "Week 1", "Week 2"])
                                                for m in ("CGI-S", "CGI-I"))
SUBJECTS = "SUBJID,ARM,AGE,SEX\n" + "".join(
    f"S{i},{arm},{age},{sex}\n" for i, (arm, age, sex) in enumerate(
        [("P", 61, "F"), ("P", 70, "F"), ("P", 66, "M"), ("P", 72, "F"), ("A", 55, "M"), ("A", 58, "M"),
         ("A", 64, "F"), ("A", 60, "M"), ("B", 75, "F"), ("B", 79, "F"), ("B", 68, "M"), ("B", "", "F")], start=1))


def test_one_way_anova_and_chi_square_match_r():
    # R: a <- anova(lm(y ~ g)), y = AGE above by ARM (the empty value left out): F 8.664076664077, p 0.009952812937
    r = anova_oneway([[61, 70, 66, 72], [55, 58, 64, 60], [75, 79, 68]])
    assert (r.statistic, r.num_df, r.df, r.p_value) == pytest.approx((8.664076664077, 2, 8, 0.009952812937), rel=1e-9)
    # R: chisq.test(matrix(c(3, 1, 1, 3, 3, 1), 2), correct = FALSE): X-squared 2.7428571429, df 2, p 0.2537442088
    r = chisq_independence([[3, 1, 3], [1, 3, 1]])
    assert (r.statistic, r.df, r.p_value) == pytest.approx((2.7428571429, 2, 0.2537442088), rel=1e-9)
    assert math.isnan(chisq_independence([[2, 3, 0], [0, 0, 0]]).p_value)  # one level with subjects: nothing to test


def test_baseline_tests_give_ard_rows_and_a_p_value_column(make_study):
    from trialkit.pipeline import run_study

    config = {"treatment": {"arm": "ARM", "control": "P", "order": ["P", "A", "B"], "total": True, "baseline_tests": True},
              "subjects": {"covariates": ["AGE", "SEX"], "genotype_flags": [], "subgroups": []},
              "variables": {"AGE": "continuous"},
              "analyses": ["descriptive"]}
    study = make_study(config=config, records=RECORDS, subjects=SUBJECTS)
    result = run_study(study, study / "out")
    ard = result.ard
    tests = ard[(ard.analysis == "baseline") & (ard.contrast != "")]
    assert set(zip(tests.measure, tests.contrast)) == {("AGE", "arms (one-way ANOVA)"), ("SEX", "arms (Pearson chi-square)")}
    p_age = tests[(tests.measure == "AGE") & (tests.stat == "p_value")].value.iat[0]
    assert p_age == pytest.approx(0.009952812937, rel=1e-9)
    html = (study / "out" / "report.html").read_text()
    assert "p-value" in html and "chi-square test (without continuity correction)" in html
    # without the key: no test rows
    config["treatment"]["baseline_tests"] = False
    plain = run_study(make_study(config=config, records=RECORDS, subjects=SUBJECTS), study / "out2").ard
    assert not len(plain[(plain.analysis == "baseline") & (plain.contrast != "")])
