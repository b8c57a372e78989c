"""Proportional-odds model against R (tests/reference/ordinal.R -> ordinal.json): MASS::polr, ordinal::clm,
ordinal::nominal_test. Same method, rtol 1e-6: R's fits are pushed to tight convergence (polr reltol 1e-15,
clm gradTol 1e-12); nominal_test runs clm's defaults (gradTol 1e-6), which moves its likelihood-ratio statistics
by about 1e-8 relative."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from tests.conftest import EXAMPLE, REFERENCE
from trialkit.errors import AnalysisError
from trialkit.stats import proportional_odds
from trialkit.stats.ordinal import ALL_TERMS

RTOL = 1e-6  # against R for the same method
#: polr's SEs come from optim's finite-difference Hessian (optimHess): they differ from clm's analytic ones by up
#: to 3e-6 on these data; ours (analytic) agree with clm within 1e-9
POLR_SE_RTOL = 1e-5


@pytest.fixture(scope="module")
def ref(reference):
    return reference("ordinal.json")


def wine() -> tuple[pd.DataFrame, dict]:
    return pd.read_csv(REFERENCE / "wine.csv"), {"formula": "rating ~ temp + contact", "levels": range(1, 6)}


def housing() -> tuple[pd.DataFrame, dict]:
    cells = pd.read_csv(REFERENCE / "housing.csv")
    rows = cells.loc[cells.index.repeat(cells.Freq)].reset_index(drop=True)
    for name, order in (("Infl", ["Low", "Medium", "High"]), ("Type", ["Tower", "Apartment", "Atrium", "Terrace"]),
                        ("Cont", ["Low", "High"])):  # R's factor levels: the first is the reference
        rows[name] = pd.Categorical(rows[name], categories=order)
    return rows, {"formula": "Sat ~ Infl + Type + Cont", "levels": [1, 2, 3]}


def sim() -> tuple[pd.DataFrame, dict]:
    return pd.read_csv(REFERENCE / "ordinal_sim.csv"), {"formula": "end ~ base + arm + age", "levels": range(1, 8),
                                                        "categorical": ["base"]}


CASES = {"wine": wine, "housing": housing, "sim": sim}


@pytest.fixture(scope="module", params=list(CASES))
def fitted(request, ref):
    data, kwargs = CASES[request.param]()
    return proportional_odds(data, **kwargs), ref[request.param]


def test_coefficients_match_clm_and_polr(fitted):
    # R: summary(clm(f))$coefficients; confint.default(clm); summary(polr(f, Hess = TRUE))$coefficients
    r, exp = fitted
    clm, polr = exp["clm"], exp["polr"]
    assert r.estimable and r.converged
    assert_allclose(r.coef.estimate, list(clm["coef"].values()), rtol=RTOL)
    assert_allclose(r.coef.estimate, list(polr["coef"].values()), rtol=RTOL)
    assert_allclose(r.coef.se, clm["se"], rtol=RTOL)
    assert_allclose(r.coef.se, polr["se"], rtol=POLR_SE_RTOL)
    assert_allclose(r.coef.statistic, clm["z"], rtol=RTOL)
    assert_allclose(r.coef.p_value, clm["p"], rtol=RTOL)
    assert_allclose(r.coef[["ci_lower", "ci_upper"]], np.column_stack([clm["ci_lower"], clm["ci_upper"]]), rtol=RTOL)
    assert_allclose(r.coef.odds_ratio, np.exp(list(clm["coef"].values())), rtol=RTOL)
    assert_allclose(r.coef.odds_ratio_ci_upper, np.exp(clm["ci_upper"]), rtol=RTOL)


def test_thresholds_match_clm_and_polr(fitted):
    # R: clm(f)$alpha with summary()'s SEs; polr(f)$zeta with summary()'s SEs (the same delta-method scale)
    r, exp = fitted
    shown = r.thresholds.dropna()
    coded = {"Low": "1", "Medium": "2", "High": "3"}  # housing's Sat levels are numbered 1-3 here
    assert list(shown.threshold) == ["|".join(coded.get(c, c) for c in t.split("|")) for t in exp["clm"]["zeta"]]
    assert_allclose(shown.estimate, list(exp["clm"]["zeta"].values()), rtol=RTOL)
    assert_allclose(shown.estimate, list(exp["polr"]["zeta"].values()), rtol=RTOL)
    assert_allclose(shown.se, exp["clm"]["zeta_se"], rtol=RTOL)
    assert_allclose(shown.se, exp["polr"]["zeta_se"], rtol=POLR_SE_RTOL)


def test_likelihood_matches(fitted):
    r, exp = fitted
    assert r.loglik == pytest.approx(exp["clm"]["loglik"], rel=1e-9)
    assert r.aic == pytest.approx(exp["clm"]["aic"], rel=1e-9)


def test_proportional_odds_tests_match_nominal_test(fitted):
    # R: nominal_test(clm(f)) for each term; anova(clm(f), clm(y ~ 1, nominal = ~ terms)) for all terms at once,
    # NaN where clm calls the nominal fit invalid (thresholds not increasing: convergence code -3)
    r, exp = fitted
    tests = r.po_test.set_index("term")
    nominal = exp["nominal_test"]
    for term, lrt, df, p in zip(nominal["terms"], nominal["lrt"], nominal["df"], nominal["p"]):
        if lrt is None:
            assert np.isnan(tests.loc[term, "statistic"])
            assert any(f"test of {term}: " in f and "invalid" in f for f in r.findings)
            continue
        assert tests.loc[term, "df"] == df
        assert_allclose(tests.loc[term, ["statistic", "p_value"]].astype(float), [lrt, p], rtol=RTOL)
    everything = exp["all_nominal"]
    assert tests.loc[ALL_TERMS, "df"] == everything["df"]
    if everything["convergence_code"] == -3:
        assert np.isnan(tests.loc[ALL_TERMS, "statistic"])
    else:
        assert_allclose(tests.loc[ALL_TERMS, ["statistic", "p_value", "loglik_nominal"]].astype(float),
                        [everything["lrt"], everything["p"], everything["loglik"]], rtol=RTOL)


def test_empty_category_and_missing_rows_are_findings():
    # the simulated endpoint never takes category 1 (R drops the unused level); age is missing in 2 rows
    data, kwargs = sim()
    r = proportional_odds(data, **kwargs)
    assert r.thresholds.threshold.tolist() == ["1|2", "2|3", "3|4", "4|5", "5|6", "6|7"]
    assert r.thresholds.iloc[0, 1:].isna().all() and r.thresholds.iloc[1:, 1:].notna().all().all()
    assert (r.n_obs, r.n_excluded) == (398, 2)
    assert "2 rows left out: missing response or covariate" in r.findings
    assert any(f.startswith("categories with no observation: 1;") for f in r.findings)


def test_a_declared_numeric_code_is_a_factor_never_a_slope():
    data, kwargs = sim()
    as_factor = proportional_odds(data, **kwargs)
    assert as_factor.coef.term.tolist()[:3] == ["base[T.4]", "base[T.5]", "base[T.6]"]
    as_slope = proportional_odds(data, kwargs["formula"], levels=range(1, 8))
    assert as_slope.coef.term.tolist() == ["base", "arm[T.TRT]", "age"]


def test_sign_is_polr_positive_means_higher_categories():
    # arm B all in the top categories: its coefficient must be positive (statsmodels' own sign agrees with polr)
    df = pd.DataFrame({"y": [1, 1, 2, 2, 3, 1, 2, 3, 3, 3, 2, 3], "arm": ["A"] * 6 + ["B"] * 6})
    assert proportional_odds(df, "y ~ arm").coef.estimate.iloc[0] > 0


def _not_estimable(r, text: str) -> None:
    assert not r.estimable
    assert r.coef.drop(columns="term").isna().all().all() and r.thresholds.drop(columns="threshold").isna().all().all()
    assert r.po_test[["statistic", "p_value"]].isna().all().all()
    assert any(text in f for f in r.findings), r.findings


def test_non_integer_response_is_not_ordinal():
    df = pd.DataFrame({"y": [1, 2.5, 3, 2, 1, 3], "x": [0.1, 0.4, 0.2, 0.9, 0.5, 0.3]})
    _not_estimable(proportional_odds(df, "y ~ x"),
                   "the response is not ordinal: 1 values are not whole category numbers (2.5)")


def test_categories_outside_the_measure_are_named():
    df = pd.DataFrame({"y": [1, 2, 9, 3, 0, 9], "x": [0.1, 0.4, 0.2, 0.9, 0.5, 0.3]})
    r = proportional_odds(df, "y ~ x", levels=range(1, 8))
    _not_estimable(r, "response values outside the measure's categories [1, 2, 3, 4, 5, 6, 7]: 0 (1 rows), 9 (2 rows)")
    assert r.thresholds.threshold.tolist()[0] == "1|2" and len(r.thresholds) == 6


def test_text_response_is_not_ordinal():
    df = pd.DataFrame({"y": ["mild", "severe", "mild"], "x": [1.0, 2.0, 3.0]})
    r = proportional_odds(df, "y ~ x")
    assert not r.estimable and r.coef.empty and r.findings[0].startswith("the response is not numeric")


def test_one_category_is_not_a_model():
    df = pd.DataFrame({"y": [4, 4, 4], "x": [1.0, 2.0, 3.0]})
    _not_estimable(proportional_odds(df, "y ~ x", levels=range(1, 8)), "only 1 category observed")


def test_rank_deficient_design_is_a_finding():
    df = pd.DataFrame({"y": [1, 2, 3, 2, 1, 3], "a": [1.0, 2, 3, 4, 5, 6]})
    df["b"] = 2 * df["a"]
    _not_estimable(proportional_odds(df, "y ~ a + b"), "not estimable from these data (design rank")


def test_separation_is_a_finding_not_a_huge_number():
    # example study: CGI-S at week 5 by baseline category (a factor) and tier; the one subject at baseline 7
    # ends in the top observed category, so its coefficient runs off to infinity (polr reports 43 +- 9e7)
    visits = pd.read_csv(EXAMPLE / "data" / "cgi_visits.csv")
    wide = visits[visits.PARAM == "CGI-S"].pivot(index="SUBJID", columns="VISIT", values="AVAL")
    subjects = pd.read_csv(EXAMPLE / "data" / "subjects.csv").set_index("SUBJID")
    data = wide.join(subjects).rename(columns={"Week 5": "week5"})
    r = proportional_odds(data, "week5 ~ Baseline + TIER", levels=range(1, 8), categorical=["Baseline", "TIER"])
    _not_estimable(r, "the estimates of Baseline[T.7] run off to infinity")
    assert r.coef.term.tolist() == ["Baseline[T.4]", "Baseline[T.5]", "Baseline[T.6]", "Baseline[T.7]", "TIER[T.2]",
                                    "TIER[T.3]"]
    assert "1 rows left out: missing response or covariate" in r.findings


def test_non_convergence_is_a_finding(monkeypatch):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    fit = OrderedModel.fit
    monkeypatch.setattr(OrderedModel, "fit", lambda self, **kw: fit(self, **{**kw, "maxiter": 1}))
    data, kwargs = wine()
    _not_estimable(proportional_odds(data, **kwargs), "the proportional-odds model did not converge")


def test_frame_is_long():
    data, kwargs = wine()
    frame = proportional_odds(data, **kwargs).to_frame()
    assert list(frame.columns) == ["part", "term", "stat", "value"]
    assert list(dict.fromkeys(frame.part)) == ["coefficient", "threshold", "proportional_odds_test", "model"]
    first = frame[frame.term == "temp[T.warm]"]
    assert list(first.stat) == ["estimate", "se", "statistic", "p_value", "ci_lower", "ci_upper", "odds_ratio",
                                "odds_ratio_ci_lower", "odds_ratio_ci_upper"]
    assert list(frame[frame.part == "threshold"].term.unique()) == ["1|2", "2|3", "3|4", "4|5"]
    model = frame[frame.part == "model"].set_index("stat").value
    assert (model["n_obs"], model["converged"], model["estimable"]) == (72, 1.0, 1.0)


def test_wrong_arguments_are_analysis_errors():
    df = pd.DataFrame({"y": [1, 2, 3], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(AnalysisError, match="response 'z' is not a column"):
        proportional_odds(df, "z ~ x")
    with pytest.raises(AnalysisError, match="categorical column 'w' is not in the data"):
        proportional_odds(df, "y ~ x", categorical=["w"])
    with pytest.raises(AnalysisError, match="levels must be at least 2 distinct"):
        proportional_odds(df, "y ~ x", levels=[1, 1])


def test_a_factor_of_one_level_has_no_proportional_odds_test_and_says_why():
    # a factor with one level has no column: its test is NE for that reason, not for "two categories"
    df = pd.DataFrame({"y": [1, 2, 2, 3, 3, 3, 2, 1, 3, 2, 1, 2], "x": [1.0, 2, 3, 3, 2, 3, 1, 2, 2, 1, 3, 1],
                       "g": ["A"] * 12})
    r = proportional_odds(df, "y ~ g + x", levels=[1, 2, 3], categorical=["g"])
    assert r.estimable and np.isnan(r.po_test.set_index("term").loc["g", "statistic"])
    assert "proportional-odds test of g: the model with threshold-specific effects cannot be fitted (the term has no " \
           "columns in these data)" in r.findings
