"""trialkit.stats against R (tests/reference/paired_stats.R -> paired_stats.json) and hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from trialkit.errors import AnalysisError
from trialkit.stats import (clopper_pearson, descriptive, friedman, hodges_lehmann, paired_t, responder_rate, summarize,
                            wilcoxon)
from trialkit.stats.paired import common_language
from tests.conftest import EXAMPLE, REFERENCE

RTOL = 1e-6  # against R for the same method


@pytest.fixture(scope="module")
def ref(reference):
    return reference("paired_stats.json")


@pytest.fixture(scope="module")
def effects(reference):
    return reference("paired_effects.json")


@pytest.fixture(scope="module")
def sleep(shared_data):
    data = pd.read_csv(shared_data / "mixed_model_refdata" / "sleep_student1908.csv").sort_values(["group", "ID"])
    return data[data.group == 1].extra.to_numpy(), data[data.group == 2].extra.to_numpy()


@pytest.fixture(scope="module")
def cgi():
    return pd.read_csv(REFERENCE / "cgi_pairs.csv")


def test_paired_t_sleep_matches_r(sleep, ref):
    # R: t.test(g1, g2, paired = TRUE) -> t = -4.0621, df = 9, p-value = 0.002833
    g1, g2 = sleep
    r = paired_t(g1, g2)
    exp = ref["sleep_t"]
    assert_allclose([r.statistic, r.df, r.p_value, r.estimate, r.ci_lower, r.ci_upper],
                    [exp["statistic"], exp["df"], exp["p_value"], exp["estimate"], exp["ci_lower"], exp["ci_upper"]],
                    rtol=RTOL)
    assert r.statistic == pytest.approx(-4.0621, abs=5e-5) and r.p_value == pytest.approx(0.002833, abs=5e-7)


def test_paired_t_tied_cgi_matches_r(cgi, ref):
    # R: t.test(cgi$week5, cgi$base, paired = TRUE)
    r = paired_t(cgi.week5, cgi.base)
    exp = ref["cgi_t"]
    assert_allclose([r.statistic, r.df, r.p_value, r.estimate, r.ci_lower, r.ci_upper],
                    [exp["statistic"], exp["df"], exp["p_value"], exp["estimate"], exp["ci_lower"], exp["ci_upper"]],
                    rtol=RTOL)
    d = cgi.week5 - cgi.base  # Cohen's dz by hand: mean(d) / sd(d)
    assert r.effect_size == pytest.approx(d.mean() / d.std(ddof=1), rel=1e-12)


def test_wilcoxon_with_zero_and_ties_matches_r(sleep, ref):
    # sleep differences hold one zero and tied values.
    # R: wilcox.test(g1, g2, paired = TRUE, exact = FALSE, correct = TRUE) -> V = 0, p = 0.009091
    g1, g2 = sleep
    r = wilcoxon(g1, g2)
    assert_allclose([r.statistic, r.p_value], [ref["sleep_wilcox"]["statistic"], ref["sleep_wilcox"]["p_value"]], rtol=RTOL)
    assert r.n == 10  # zero difference counted in n, dropped from the test


def test_wilcoxon_heavily_tied_cgi_matches_r(cgi, ref):
    # R: wilcox.test(cgi$week5, cgi$base, paired = TRUE, exact = FALSE, correct = TRUE) -> V = 3.5
    r = wilcoxon(cgi.week5, cgi.base)
    assert_allclose([r.statistic, r.p_value], [ref["cgi_wilcox"]["statistic"], ref["cgi_wilcox"]["p_value"]], rtol=RTOL)


def test_rank_biserial_by_hand(cgi):
    # non-zero differences of cgi_pairs: 17 of them; R+ = V = 3.5, total rank sum 17*18/2 = 153
    # r = (R+ - R-) / (R+ + R-) = (3.5 - 149.5) / 153
    assert wilcoxon(cgi.week5, cgi.base).effect_size == pytest.approx((3.5 - 149.5) / 153, rel=1e-12)


def test_hodges_lehmann_matches_r_exact_without_ties(reference, ref):
    # Hollander & Wolfe Table 3.1 (no ties, no zeros): R wilcox.test(second, first, paired = TRUE,
    # exact = TRUE, conf.int = TRUE) -> estimate -0.46, CI (-0.786, -0.010); same construction as ours.
    ham = pd.read_csv(REFERENCE / "hamilton.csv")
    est, lo, hi = hodges_lehmann(ham.second - ham.first)
    exp = ref["hamilton_wilcox_exact"]
    assert_allclose([est, lo, hi], [exp["estimate"], exp["ci_lower"], exp["ci_upper"]], rtol=RTOL)


def test_hodges_lehmann_by_hand_with_zero():
    # d = (-2, -1, 0, 1): Walsh averages (d_i + d_j)/2, i <= j, sorted:
    #   -2, -1.5, -1, -1, -0.5, -0.5, 0, 0, 0.5, 1   -> median (-0.5 + -0.5)/2 = -0.5
    # n = 4: P(V <= 0) = 1/16 > 0.025, so qsignrank(0.025, 4) = 0 -> k = 1: CI = (min, max) = (-2, 1)
    assert hodges_lehmann([-2, -1, 0, 1]) == (-0.5, -2.0, 1.0)


def test_hodges_lehmann_by_hand_n8():
    # d = 1..8: 36 Walsh averages, median = 4.5 (symmetric). Subsets of {1..8} summing to v = 0..4: 1, 1, 1, 2, 2,
    # so P(V <= 3) = 5/256 = 0.0195 < 0.025 <= P(V <= 4) = 7/256: qsignrank(0.025, 8) = 4. The CI is the 4th
    # smallest Walsh average (1, 1.5, 2, 2 -> 2) and the 4th largest (8, 7.5, 7, 7 -> 7); coverage 1 - 10/256.
    assert hodges_lehmann(np.arange(1, 9)) == (4.5, 2.0, 7.0)


def test_clopper_pearson_matches_r(ref):
    # R: binom.test(k, n)$conf.int for each (k, n)
    for case in ref["clopper_pearson"]:
        assert_allclose(clopper_pearson(case["k"], case["n"]), [case["ci_lower"], case["ci_upper"]], rtol=RTOL, atol=1e-12)


def test_responder_rate_counts():
    r = responder_rate([True, False, True, None, True])
    assert (r.n, r.n_responders, r.proportion) == (4, 3, 0.75)


def test_summary_quartiles_match_r_type2(sleep, cgi, ref):
    # R: quantile(x, c(.25, .5, .75), type = 2) (SAS QNTLDEF=5); sd(x)
    q = ref["quantile_type2"]
    for x, key in ((cgi.base, "cgi_base"), (sleep[0], "sleep_g1"), (cgi.week5 - cgi.base, "cgi_week5_minus_base")):
        s = summarize(x)
        assert_allclose([s.q1, s.median, s.q3], q[key], rtol=RTOL)
    assert summarize(cgi.base).sd == pytest.approx(ref["sd"]["cgi_base"], rel=RTOL)
    # R: t.test(x)$conf.int
    s = summarize(cgi.base)
    assert_allclose([s.ci_lower, s.ci_upper], ref["mean_ci"]["cgi_base"], rtol=RTOL)
    s = summarize(sleep[0])
    assert_allclose([s.ci_lower, s.ci_upper], ref["mean_ci"]["sleep_g1"], rtol=RTOL)
    assert summarize(sleep[0]).sd == pytest.approx(ref["sd"]["sleep_g1"], rel=RTOL)


def test_summary_by_hand():
    s = summarize([2.0, 4.0, np.nan, 9.0])
    assert (s.n, s.mean, s.min, s.max, s.median) == (3, 5.0, 2.0, 9.0, 4.0)
    assert s.sd == pytest.approx(np.sqrt(13.0))  # ((2-5)^2 + (4-5)^2 + (9-5)^2) / 2 = 13
    assert s.se == pytest.approx(np.sqrt(13.0 / 3))


def test_small_samples_are_not_estimable_not_errors():
    assert np.isnan(summarize([3.0]).sd)
    assert summarize([]).n == 0
    one = paired_t([3.0], [4.0])
    assert one.n == 1 and np.isnan(one.p_value)
    constant = paired_t([3.0, 3.0], [4.0, 4.0])  # sd of differences 0: t undefined
    assert np.isnan(constant.statistic)
    zeros = wilcoxon([3.0, 4.0], [3.0, 4.0])  # all differences zero
    assert zeros.statistic == 0 and np.isnan(zeros.p_value)
    assert responder_rate([]).n == 0


def test_descriptive_frame_groups_in_order():
    df = pd.DataFrame({"g": ["b", "a", "b"], "y": [1.0, 5.0, 3.0]})
    out = descriptive(df, value="y", by="g")
    assert list(out.g) == ["b", "a"] and list(out["mean"]) == [2.0, 5.0]


def test_result_frames_have_fixed_long_columns():
    frame = paired_t([5, 6, 8], [4, 4, 5]).to_frame()
    assert list(frame.columns) == ["stat", "value"]
    assert list(frame.stat) == ["n", "estimate", "ci_lower", "ci_upper", "statistic", "df", "p_value", "effect_size",
                                "bf10", "power"]
    assert list(wilcoxon([5, 6, 8], [4, 4, 5]).to_frame().stat) == [
        "n", "estimate", "ci_lower", "ci_upper", "statistic", "p_value", "effect_size", "rank_biserial", "cles",
        "ci_level"]


def test_holm_matches_r():
    from trialkit.stats.multiplicity import holm

    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), method = "holm") -> 0.03 0.06 0.06 0.02
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02], rel=1e-12)
    # R: p.adjust(c(0.5, NA, 0.2), method = "holm") -> 0.5 NA 0.4
    out = holm([0.5, np.nan, 0.2])
    assert out[0] == 0.5 and np.isnan(out[1]) and out[2] == pytest.approx(0.4)


# ---- statistics pingouin adds (tests/reference/paired_effects.R -> paired_effects.json) ------------------------


def _with_t(t: float, n: int) -> np.ndarray:
    """n differences whose paired t statistic is t (mean / (sd / sqrt(n)) = t)."""
    u = np.linspace(-1.0, 1.0, n)
    u = u / u.std(ddof=1)
    return u + t / np.sqrt(n)


def test_bf10_and_power_match_r(sleep, cgi, effects):
    # R: exp(log_bf10(t, n)) by integrate() of Rouder et al.'s eq. 1; power.t.test(n, delta = mean(d), sd = sd(d),
    # sig.level = alpha, type = "paired", strict = TRUE)$power
    pre = [5.5, 2.4, np.nan, 9.6, 4.2]
    post = [6.4, 3.4, 6.4, 11.0, 4.8]
    for (x, y, alpha), key in (((*sleep, 0.05), "ttest_sleep"), ((cgi.week5, cgi.base, 0.1), "ttest_cgi"),
                               ((pre, post, 0.05), "ttest_pingouin_example")):
        r = paired_t(x, y, alpha=alpha)
        exp = effects[key]
        assert (r.n, r.statistic) == (exp["n"], pytest.approx(exp["t"], rel=1e-12))
        assert_allclose([r.bf10, r.power], [exp["bf10"], exp["power"]], rtol=RTOL)


def test_bf10_and_power_as_pingouin_documents():
    # pingouin.ttest(pre, post, paired=True) docstring (example 3): BF10 7.169
    assert round(paired_t([5.5, 2.4, np.nan, 9.6, 4.2], [6.4, 3.4, 6.4, 11.0, 4.8]).bf10, 3) == 7.169
    # pingouin.bayesfactor_ttest(3.5, 20, 20, paired=True) docstring: 17.185
    assert round(paired_t(_with_t(3.5, 20), np.zeros(20)).bf10, 3) == 17.185
    # pingouin.power_ttest(d=0.5, n=20, contrast="one-sample") docstring: 0.5645 (a paired test is one sample of d)
    assert round(paired_t(_with_t(0.5 * np.sqrt(20), 20), np.zeros(20)).power, 4) == 0.5645


def test_power_is_of_dz_not_pingouin_ttest_d_av():
    # pingouin.ttest's own power column (0.073 in its example 3) feeds Cohen's d_av (pingouin issue #450) into
    # the paired power formula; ours is the power of the test that was run (dz), as R power.t.test.
    r = paired_t([5.5, 2.4, np.nan, 9.6, 4.2], [6.4, 3.4, 6.4, 11.0, 4.8])
    assert r.power == pytest.approx(0.9627635703470029, rel=RTOL)


def test_bf10_beyond_the_float_range_is_inf(effects):
    # t = 100, n = 10000: R's log-scale integral gives log10(BF10) = 1502.8, beyond the largest float (1.8e308)
    assert effects["log10_bf10_t100_n10000"] > 308.3
    assert paired_t(_with_t(100.0, 10_000), np.zeros(10_000)).bf10 == np.inf


def test_bf10_and_power_not_estimable_without_spread():
    r = paired_t([3.0, 3.0], [4.0, 4.0])
    assert np.isnan(r.bf10) and np.isnan(r.power)
    one = paired_t([3.0], [4.0])
    assert np.isnan(one.bf10) and np.isnan(one.power)


def test_rank_biserial_and_cles_match_r(sleep, cgi, effects):
    # R: (sum(r[d > 0]) - sum(r[d < 0])) / sum(r), r = rank(abs(d[d != 0])); mean(outer(x, y, ">") + 0.5 * outer(x, y, "=="))
    for (x, y), key in ((sleep, "wilcox_sleep"), ((cgi.week5, cgi.base), "wilcox_cgi")):
        r = wilcoxon(x, y)
        assert_allclose([r.rank_biserial, r.cles], [effects[key]["rank_biserial"], effects[key]["cles"]], rtol=RTOL)
        assert r.rank_biserial == pytest.approx(r.effect_size, rel=1e-12)


def test_rank_biserial_and_cles_as_pingouin_documents():
    # pingouin.wilcoxon(x, y) docstring: RBC -0.378788, CLES 0.395833
    x = np.array([20, 22, 19, 20, 22, 18, 24, 20, 19, 24, 26, 13])
    y = np.array([38, 37, 33, 29, 14, 12, 20, 22, 17, 25, 26, 16])
    r = wilcoxon(x, y)
    assert (round(r.rank_biserial, 6), round(r.cles, 6)) == (-0.378788, 0.395833)


def test_cles_by_ranks_equals_pingouin_all_pairs_matrix():
    import pingouin

    rng = np.random.default_rng(14)
    for n in (1, 2, 7, 30, 101):
        x = rng.integers(1, 8, n).astype(float)
        y = rng.integers(1, 8, n).astype(float)
        assert common_language(x, y) == pytest.approx(float(pingouin.wilcoxon(x, y)["CLES"].iloc[0]), rel=1e-12) \
            or np.all(x == y)


def _cgi_s_long():
    visits = pd.read_csv(EXAMPLE / "data" / "cgi_visits.csv")
    return visits[visits.PARAM == "CGI-S"]


def test_friedman_matches_r_on_example_cgi_s(effects):
    # R: friedman.test(m), m = subjects x visits of CGI-S, complete subjects only (2 of 30 miss a visit)
    r = friedman(_cgi_s_long(), value="AVAL", visit="VISIT", subject="SUBJID")
    exp = effects["friedman_example_cgis"]
    assert (r.n, r.k, r.n_excluded, r.df) == (exp["n"], 6, 2, exp["df"])
    assert_allclose([r.statistic, r.p_value, r.kendall_w], [exp["statistic"], exp["p_value"], exp["kendall_w"]], rtol=RTOL)
    assert r.visits == ("Baseline", "Week 1", "Week 2", "Week 3", "Week 4", "Week 5")


def test_friedman_as_pingouin_documents(effects):
    # pingouin.friedman docstring: W 0.083333, ddof1 2, Q 2.0, p 0.367879; R friedman.test(wine): 2, 0.36788
    wine = pd.DataFrame({"white": [10, 8, 7, 9, 7, 4, 5, 6, 5, 10, 4, 7], "red": [7, 5, 8, 6, 5, 7, 9, 6, 4, 6, 7, 3],
                         "rose": [8, 5, 6, 4, 7, 5, 3, 7, 6, 4, 4, 3]})
    long = wine.melt(ignore_index=False, var_name="wine", value_name="score").reset_index(names="judge")
    r = friedman(long, value="score", visit="wine", subject="judge")
    assert (round(r.kendall_w, 6), r.df, round(r.statistic, 6), round(r.p_value, 6)) == (0.083333, 2.0, 2.0, 0.367879)
    exp = effects["friedman_wine"]
    assert_allclose([r.statistic, r.p_value, r.kendall_w], [exp["statistic"], exp["p_value"], exp["kendall_w"]], rtol=RTOL)


def test_friedman_chosen_visits_in_order():
    r = friedman(_cgi_s_long(), value="AVAL", visit="VISIT", subject="SUBJID", visits=["Week 5", "Baseline"])
    assert r.visits == ("Week 5", "Baseline") and r.k == 2 and r.n == 29 and r.n_excluded == 1


def test_friedman_bad_input_is_a_reason_not_a_traceback():
    twice = pd.DataFrame({"s": [1, 1, 1, 2, 2], "v": ["a", "b", "b", "a", "b"], "y": [1.0, 2, 3, 1, 2]})
    r = friedman(twice, value="y", visit="v", subject="s")
    assert np.isnan(r.statistic) and "1 rows repeat a subject's visit (first: subject '1', visit 'b')" in r.reason
    flat = pd.DataFrame({"s": [1, 1, 2, 2], "v": ["a", "b"] * 2, "y": [3.0, 3.0, 5.0, 5.0]})
    assert "no subject's value differs" in friedman(flat, value="y", visit="v", subject="s").reason
    alone = pd.DataFrame({"s": [1, 1, 2], "v": ["a", "b", "a"], "y": [3.0, 4.0, 5.0]})
    r = friedman(alone, value="y", visit="v", subject="s")
    assert (r.n, r.n_excluded) == (1, 1) and "at least 2" in r.reason and np.isnan(r.p_value)
    with pytest.raises(AnalysisError, match="column 'visit' is not in the data"):
        friedman(alone, value="y", visit="visit", subject="s")
