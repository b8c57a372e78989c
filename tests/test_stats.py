"""trialkit.stats against R (tests/reference/paired_stats.R -> paired_stats.json) and hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from trialkit.stats import clopper_pearson, descriptive, hodges_lehmann, paired_t, responder_rate, summarize, wilcoxon
from tests.conftest import REFERENCE

RTOL = 1e-6  # against R for the same method


@pytest.fixture(scope="module")
def ref(reference):
    return reference("paired_stats.json")


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
    assert list(frame.stat) == ["n", "estimate", "ci_lower", "ci_upper", "statistic", "df", "p_value", "effect_size"]
    assert "df" not in set(wilcoxon([5, 6, 8], [4, 4, 5]).to_frame().stat)


def test_holm_matches_r():
    from trialkit.stats.multiplicity import holm

    # R: p.adjust(c(0.01, 0.04, 0.03, 0.005), method = "holm") -> 0.03 0.06 0.06 0.02
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02], rel=1e-12)
    # R: p.adjust(c(0.5, NA, 0.2), method = "holm") -> 0.5 NA 0.4
    out = holm([0.5, np.nan, 0.2])
    assert out[0] == 0.5 and np.isnan(out[1]) and out[2] == pytest.approx(0.4)
