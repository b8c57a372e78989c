"""ANCOVA / ANOVA and MMRM by arm against R on the CDISC pilot (tests/reference/cdiscpilot.R ->
cdiscpilot.json) and the published CSR Table 14-3.01.

Tolerances: the same method as R (lm + emmeans, lm + drop1, glht): rtol 1e-6 on estimates, SEs,
statistics, p-values and CIs (they agree to about 1e-12). Dunnett against multcomp's glht, which uses
randomised quasi-Monte Carlo (mvtnorm, abseps 1e-7): adjusted p within 2e-6, and the simultaneous CI limits
within 2e-4 of an SE, because confint(glht) finds the critical value with uniroot's default tolerance
(about 1e-4). The MMRM against nlme::gls + emmeans: estimates and SEs within 1e-5 of an SE (gls's
optimiser), df within 1% (emmeans has only an approximate Satterthwaite for gls: "appx-satterthwaite").
Kenward-Roger against pbkrtest on the compound-symmetry MMRM (the random-intercept model lmer fits):
pbkrtest inverts the expected information, trialkit (as SAS) the observed one; with the expected
information trialkit's Kenward-Roger pieces give pbkrtest's SEs and df to 1e-6, and with the observed
one (the default) the SEs are within 1e-4 and the df within 2%.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from tests.cdiscpilot import ARMS, VISITS, adas_locf, adas_observed, cibic
from trialkit.errors import AnalysisError
from trialkit.stats import ancova, mmrm_by_arm

RTOL = 1e-6


@pytest.fixture(scope="module")
def ref(reference):
    return reference("cdiscpilot.json")


def _adas_ancova(shared, week, **options):
    return ancova(adas_locf(shared, week), "CHG", "TRTP", control="Placebo", arms=ARMS, factors=["SITEGR1"],
                  covariates=["BASE"], dose="TRTPN", subject="USUBJID", **options)


def test_csr_table_14_3_01_primary_endpoint(shared_data):
    """CSR Table 14-3.01, ADAS-Cog(11) change from baseline to Week 24, LOCF, efficacy population: printed
    digits (submissions-pilot1 output/tlf-primary.rtf, as the 2006 CSR)."""
    r = _adas_ancova(shared_data, 24)
    assert r.n.set_index("arm").n.to_dict() == {"Placebo": 79, "Xanomeline Low Dose": 81, "Xanomeline High Dose": 74}
    assert f"{r.dose_response.p_value[0]:.3f}" == "0.245"
    d = r.differences.set_index("contrast")
    low = d.loc["Xanomeline Low Dose - Placebo"]
    assert (f"{low.p_value:.3f}", f"{low.estimate:.1f}", f"{low.se:.2f}") == ("0.569", "-0.5", "0.82")
    assert (f"{low.ci_lower:.1f}", f"{low.ci_upper:.1f}") == ("-2.1", "1.1")
    high = d.loc["Xanomeline High Dose - Placebo"]
    assert (f"{high.p_value:.3f}", f"{high.estimate:.1f}", f"{high.se:.2f}") == ("0.233", "-1.0", "0.84")
    assert (f"{high.ci_lower:.1f}", f"{high.ci_upper:.1f}") == ("-2.7", "0.7")
    assert f"{d.loc['Xanomeline High Dose - Xanomeline Low Dose'].p_value:.3f}" == "0.520"
    assert r.description == "analysis of covariance of CHG with TRTP and SITEGR1 as factors and BASE as a covariate"


def _check_against_r(r, expected):
    assert r.n.n.tolist() == [expected["n"][a] for a in ARMS]
    ls = expected["lsmeans"]
    assert r.lsmeans.arm.tolist() == ls["arm"]
    for stat in ("estimate", "se", "df", "ci_lower", "ci_upper", "statistic", "p_value"):
        assert_allclose(r.lsmeans[stat], ls[stat], rtol=RTOL, err_msg=stat)
    diff = expected["differences"]
    got = r.differences.set_index("contrast").loc[diff["contrast"]]
    for stat in ("estimate", "se", "df", "ci_lower", "ci_upper", "statistic", "p_value"):
        assert_allclose(got[stat], diff[stat], rtol=RTOL, err_msg=stat)
    dose = expected["dose"]
    for stat in ("estimate", "se", "df", "statistic", "p_value", "ci_lower", "ci_upper"):
        assert_allclose(r.dose_response[stat][0], dose[stat], rtol=RTOL, err_msg=stat)
    t3 = r.type3.set_index("term").loc[expected["type3"]["term"]]
    for stat in ("num_df", "den_df", "statistic", "p_value"):
        assert_allclose(t3[stat], expected["type3"][stat], rtol=RTOL, err_msg=stat)


@pytest.mark.parametrize("week", [8, 16, 24])
def test_adas_ancova_matches_lm_emmeans(shared_data, ref, week):
    # R: lm(CHG ~ TRTP + SITEGR1 + BASE); emmeans(weights = "proportional"); lm(CHG ~ TRTPN + ...); drop1
    _check_against_r(_adas_ancova(shared_data, week), ref[f"adas_locf_week{week}"])


@pytest.mark.parametrize("week", [8, 16, 24])
def test_cibic_anova_matches_lm_emmeans(shared_data, ref, week):
    # R: lm(AVAL ~ TRTP + SITEGR1), emmeans proportional; lm(AVAL ~ TRTPN + SITEGR1)
    data = cibic(shared_data)
    r = ancova(data[data.AVISITN == week], "AVAL", "TRTP", control="Placebo", arms=ARMS, factors=["SITEGR1"],
               dose="TRTPN", subject="USUBJID")
    assert r.description.startswith("analysis of variance of AVAL")
    _check_against_r(r, ref[f"cibic_week{week}"])


@pytest.mark.parametrize("week", [8, 24])
def test_dunnett_matches_glht(shared_data, ref, week):
    # R: summary(glht(fit, linfct = mcp(TRTP = "Dunnett")), test = adjusted("single-step", abseps = 1e-7))
    expected = ref[f"adas_locf_week{week}"]["dunnett"]
    r = _adas_ancova(shared_data, week, multiplicity="dunnett")
    vs = r.differences[r.differences.family == "vs control"]
    assert vs.contrast.tolist() == ["Xanomeline Low Dose - Placebo", "Xanomeline High Dose - Placebo"]
    assert_allclose(vs.estimate, expected["estimate"], rtol=RTOL)
    assert_allclose(vs.p_adjusted, expected["p_adjusted"], atol=2e-6)
    assert_allclose(vs.ci_lower_simultaneous, expected["ci_lower"], atol=2e-4 * vs.se.max())
    assert_allclose(vs.ci_upper_simultaneous, expected["ci_upper"], atol=2e-4 * vs.se.max())
    between = r.differences[r.differences.family == "between arms"]
    assert between.p_adjusted.isna().all()  # outside the adjusted family


def test_holm_and_fixed_sequence_adjust_the_vs_control_family(shared_data):
    r = _adas_ancova(shared_data, 24, multiplicity="holm")
    vs = r.differences[r.differences.family == "vs control"]
    p = sorted(vs.p_value)  # by hand: Holm of two p-values
    assert sorted(vs.p_adjusted) == pytest.approx([min(1, 2 * p[0]), max(2 * p[0], p[1])], rel=1e-12)
    fixed = _adas_ancova(shared_data, 24, multiplicity="fixed-sequence").differences
    # plan order: Low then High; High's adjusted p is max(p_Low, p_High)
    assert fixed.p_adjusted.iloc[1] == pytest.approx(max(fixed.p_value.iloc[0], fixed.p_value.iloc[1]))
    frame = r.to_frame()
    assert set(frame.columns) == {"part", "visit", "contrast", "stat", "value"}
    assert (frame.loc[frame.stat == "p_adjusted", "contrast"].tolist()
            == ["Xanomeline Low Dose - Placebo", "Xanomeline High Dose - Placebo"])
    assert frame[(frame.part == "dose_response") & (frame.stat == "p_value")].value.iloc[0] == pytest.approx(0.2447, abs=1e-4)


def test_equal_weights_differ_from_proportional_only_in_the_lsmeans(shared_data):
    prop = _adas_ancova(shared_data, 24)
    equal = _adas_ancova(shared_data, 24, weights="equal")
    assert_allclose(equal.differences.estimate, prop.differences.estimate, rtol=1e-12)  # additive model
    assert not np.allclose(equal.lsmeans.estimate, prop.lsmeans.estimate)


@pytest.mark.parametrize("name, interaction", [("arm_x_site", "TRTP:SITEGR1"), ("arm_x_base", "TRTP:BASE")])
@pytest.mark.parametrize("weights", ["proportional", "equal"])
def test_interactions_match_emmeans_and_emtrends(shared_data, reference, name, interaction, weights):
    """tests/reference/ancova_interactions.R: lm + emmeans for the LS means and differences; the dose response of
    the same model with the dose in place of treatment (TRTPN x SITEGR1, TRTPN x BASE) as emtrends, the slope
    averaged as the LS means are. It was the dose coefficient alone, the slope at the reference site or at a
    baseline of 0 (-0.0300 and +0.0030 here, against -0.0115 and -0.0120 averaged)."""
    expected = reference("ancova_interactions.json")[f"{name}_{weights}"]
    r = _adas_ancova(shared_data, 24, interactions=[interaction], weights=weights)
    ls = expected["lsmeans"]
    assert r.lsmeans.arm.tolist() == ls["arm"]
    diff = expected["differences"]
    got = r.differences.set_index("contrast").loc[diff["contrast"]]
    for stat in ("estimate", "se", "df", "ci_lower", "ci_upper", "statistic", "p_value"):
        assert_allclose(r.lsmeans[stat], ls[stat], rtol=RTOL, err_msg=stat)
        assert_allclose(got[stat], diff[stat], rtol=RTOL, err_msg=stat)
        assert_allclose(r.dose_response[stat][0], expected["dose"][stat], rtol=RTOL, err_msg=stat)


def test_site_code_is_a_factor_never_a_slope():
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"y": rng.normal(size=40), "arm": ["P"] * 20 + ["T"] * 20, "site": [701, 702, 703, 710] * 10})
    r = ancova(frame, "y", "arm", control="P", factors=["site"])
    assert r.type3.set_index("term").loc["site", "num_df"] == 3  # four levels, not one slope
    assert "site[T.710]" in r.fit.design.columns


def test_an_arm_without_data_is_not_estimable_with_a_reason():
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"y": rng.normal(size=30), "arm": ["P", "A"] * 15, "x": rng.normal(size=30)})
    r = ancova(frame, "y", "arm", control="P", arms=["P", "A", "B"], covariates=["x"])
    ls = r.lsmeans.set_index("arm")
    assert np.isfinite(ls.loc["A", "estimate"]) and np.isnan(ls.loc["B", "estimate"])
    d = r.differences.set_index("contrast")
    assert np.isnan(d.loc["B - P", "estimate"]) and np.isnan(d.loc["B - A", "estimate"])
    assert np.isfinite(d.loc["A - P", "estimate"])
    assert any("arm 'B' has no rows" in note for note in r.notes)


def test_an_empty_interaction_cell_gives_ne_not_a_traceback():
    # arm x site with arm T absent from site 2: T's LS mean (equal weights over sites) is not estimable, as SAS
    # prints Non-est; P's is, the mean of its site cell means (1.5 and 4.25)
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 2.5, 3.5, 5.0, 6.0], "arm": ["P", "P", "T", "T", "P", "P", "P", "P"],
                          "site": ["1", "1", "1", "1", "2", "2", "2", "2"]})
    r = ancova(frame, "y", "arm", control="P", factors=["site"], interactions=["arm:site"], weights="equal")
    ls = r.lsmeans.set_index("arm").estimate
    assert ls["P"] == pytest.approx((1.5 + 4.25) / 2, rel=1e-12) and np.isnan(ls["T"])
    assert r.differences.estimate.isna().all()
    assert any("rank" in note for note in r.notes) and "the LS mean of arm 'T' is not estimable in this model" in r.notes
    assert r.type3.set_index("term").loc["arm:site"].isna().all()


def test_bad_input_names_the_column_and_value():
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "arm": ["P", "T", "P", "T"], "x": ["1", "2", "n/a?", "4"]})
    with pytest.raises(AnalysisError, match="covariate 'x' is declared continuous but row 2 holds 'n/a\\?'"):
        ancova(frame, "y", "arm", control="P", covariates=["x"])
    with pytest.raises(AnalysisError, match="control arm 'C' is not among the arms"):
        ancova(frame, "y", "arm", control="C", arms=["P", "T"])
    with pytest.raises(AnalysisError, match="'Z' is not a column"):
        ancova(frame, "y", "arm", control="P", factors=["Z"])
    with pytest.raises(AnalysisError, match=r"holds \['T'\], which are not among the arms"):
        ancova(frame, "y", "arm", control="P", arms=["P"])
    dup = frame.assign(subj=["a", "a", "b", "c"])
    with pytest.raises(AnalysisError, match="subject 'a' has more than one row"):
        ancova(dup, "y", "arm", control="P", subject="subj")
    with pytest.raises(AnalysisError, match="dose column 'd' takes several values in arm"):
        ancova(frame.assign(d=[0, 1, 2, 1]), "y", "arm", control="P", dose="d")


def test_rows_left_out_are_counted():
    frame = pd.DataFrame({"y": [1.0, np.nan, 3.0, 4.0, 5.0, 7.0], "arm": ["P", "T", "P", "T", "P", "T"],
                          "x": [1.0, 2.0, np.nan, 4.0, 2.0, 1.0]})
    r = ancova(frame, "y", "arm", control="P", covariates=["x"])
    assert (r.n_obs, r.n_excluded) == (4, 2)
    assert "2 rows left out: y missing (1), x missing (1)" in r.notes


# ---- MMRM by arm ------------------------------------------------------------------------------------------

def _adas_mmrm(shared, **options):
    return mmrm_by_arm(adas_observed(shared), "CHG", "TRTP", visit="AVISIT", subject="USUBJID", control="Placebo",
                       arms=ARMS, visits=VISITS, baseline="BASE", factors=["SITEGR1"], **options)


@pytest.fixture(scope="module")
def mmrm_sat(shared_data):
    return _adas_mmrm(shared_data, df="satterthwaite")


def test_mmrm_by_arm_matches_gls_emmeans(mmrm_sat, ref):
    # R: gls(CHG ~ TRTP * AVISIT + BASE * AVISIT + SITEGR1, corSymm + varIdent, REML); emmeans mode satterthwaite
    expected = ref["adas_mmrm_us"]
    r = mmrm_sat
    assert r.fit.converged and r.fit.n_obs == expected["n_obs"]
    assert r.fit.deviance == pytest.approx(expected["m2rll"], abs=1e-5)
    for table, key, label in ((r.lsmeans, "lsmeans", "arm"), (r.differences, "differences", "contrast"),
                              (r.averages, "averages", "arm"), (r.average_differences, "average_differences", "contrast")):
        exp = expected[key]
        if "visit" in exp:
            assert table.visit.tolist()[:len(exp["visit"])] == exp["visit"] or key == "differences"
        got = table.set_index(["visit", label]).loc[list(zip(exp.get("visit", [""] * len(exp[label])), exp[label]))]
        se = np.asarray(exp["se"])
        assert_allclose(got.estimate, exp["estimate"], atol=1e-5 * se.min(), rtol=0)
        assert_allclose(got.se, se, atol=1e-5 * se.min(), rtol=0)
        assert_allclose(got.df, exp["df"], rtol=0.01)


def test_mmrm_by_arm_tables_and_description(mmrm_sat):
    r = mmrm_sat
    assert r.n[r.n.visit == "Week 24"].n.tolist() == [65, 49, 41]
    assert r.n[r.n.visit == ""].n.tolist() == [79, 81, 74]
    assert r.description.startswith("mixed model for repeated measures of CHG with TRTP, AVISIT, TRTP x AVISIT and "
                                    "SITEGR1 as factors and BASE and BASE x AVISIT as covariates; unstructured")
    # visit-averaged LS mean = mean of the visits' LS means
    per_visit = r.lsmeans[r.lsmeans.arm == "Placebo"].estimate.mean()
    assert r.averages.set_index("arm").estimate["Placebo"] == pytest.approx(per_visit, rel=1e-12)
    parts = set(r.to_frame().part)
    assert parts == {"n", "lsmean", "difference", "lsmean_average", "difference_average", "type3"}


def test_kenward_roger_matches_pbkrtest_on_compound_symmetry(shared_data, ref):
    """pbkrtest (via emmeans, lmer.df = "kenward-roger") on lmer(... + (1 | USUBJID)) = the CS MMRM."""
    from trialkit.stats.arms import arm_rows
    from trialkit.stats.mixed import kenward_roger as kr
    from trialkit.stats.mixed.mmrm import _prepare

    expected = ref["adas_mmrm_cs_kr"]
    r = _adas_mmrm(shared_data, covariance="cs", df="kenward-roger")
    assert r.fit.deviance == pytest.approx(expected["reml_criterion"], abs=1e-6)
    ls = r.lsmeans
    assert_allclose(ls.estimate, expected["lsmeans"]["estimate"], rtol=RTOL)
    assert_allclose(ls.se, expected["lsmeans"]["se"], rtol=1e-4)       # observed information (SAS)
    assert_allclose(ls.df, expected["lsmeans"]["df"], rtol=0.02)
    # the same Kenward-Roger pieces with pbkrtest's expected information: its SEs and df to 1e-6
    data = adas_observed(shared_data).assign(AVISIT=lambda d: pd.Categorical(d.AVISIT, VISITS),
                                             TRTP=lambda d: pd.Categorical(d.TRTP, ARMS),
                                             SITEGR1=lambda d: d.SITEGR1.astype(str))
    prep = _prepare(data, r.formula, subject="USUBJID", visit="AVISIT", covariance="cs")
    C = r.fit.kenward_roger[0]
    theta_cov = 2 * np.linalg.inv(prep.problem.expected_information(r.fit.theta, np.linalg.inv(C)))
    pieces = kr.adjusted({"structure": "cs", "t": 3, "theta": r.fit.theta, "theta_cov": theta_cov,
                          "groups": prep.problem.groups, "C": C})
    rows = arm_rows(r.fit, arm="TRTP", arms=tuple(ARMS), weights="proportional", by="AVISIT")
    se, df = [], []
    for visit, arm in zip(expected["lsmeans"]["visit"], expected["lsmeans"]["arm"]):
        L = rows[(visit, arm)]
        se.append(np.sqrt(L @ pieces["phi_a"] @ L))
        df.append(kr.df_and_scale(L[None, :], C, pieces["phi_a"], pieces["P"], pieces["W"])[0])
    assert_allclose(se, expected["lsmeans"]["se"], rtol=RTOL)
    assert_allclose(df, expected["lsmeans"]["df"], rtol=RTOL)


def test_mmrm_that_cannot_be_fitted_gives_ne_and_the_reason():
    # arm T has no row at visit V2: arm x visit is not estimable
    frame = pd.DataFrame({"s": ["1", "1", "2", "2", "3", "4"], "v": ["V1", "V2", "V1", "V2", "V1", "V1"],
                          "y": [1.0, 2.0, 1.5, 2.5, 3.0, 3.5], "arm": ["P", "P", "P", "P", "T", "T"]})
    r = mmrm_by_arm(frame, "y", "arm", visit="v", subject="s", control="P")
    assert r.lsmeans.estimate.isna().all() and r.differences.estimate.isna().all()
    assert any("could not be fitted" in note for note in r.notes)


def test_least_squares_memory_grows_with_rows_not_their_square():
    """ols takes the thin SVD: for 5,000 rows the full one's U alone would be 200 MB."""
    import tracemalloc

    from trialkit.stats import ols

    rng = np.random.default_rng(8)
    frame = pd.DataFrame({"y": rng.normal(size=5000), "arm": rng.choice(["P", "A", "B"], 5000), "x": rng.normal(size=5000)})
    tracemalloc.start()
    fit = ols(frame, "y ~ arm + x")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert fit.rank == 4 and peak < 20e6, peak
