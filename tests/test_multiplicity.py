"""Multiplicity adjustments against R (tests/reference/multiplicity.R -> multiplicity.json).

p.adjust: rtol 1e-12. Dunnett's distribution against the exact one-dimensional formula for product
correlations (R integrate() to 1e-12): 1e-9 absolute in probability and in the critical value; against
mvtnorm::pmvt for a general correlation (Genz-Bretz, abseps 1e-8): 2e-8.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from trialkit.errors import AnalysisError
from trialkit.stats.multiplicity import adjust, dunnett, fixed_sequence, holm, max_abs_t_cdf


@pytest.fixture(scope="module")
def ref(reference):
    return reference("multiplicity.json")


@pytest.mark.parametrize("method", ["holm", "hochberg", "bh"])
def test_p_adjust_matches_r(ref, method):
    # R: p.adjust(p, method) with method "holm", "hochberg", "BH"
    assert_allclose(adjust(ref["p"], method=method), ref[method], rtol=1e-12)


def test_nan_is_not_a_hypothesis():
    out = adjust([0.01, np.nan, 0.04], method="hochberg")
    assert np.isnan(out[1]) and out[[0, 2]] == pytest.approx([0.02, 0.04])
    assert holm([0.5, np.nan, 0.2]).tolist()[::2] == pytest.approx([0.5, 0.4])


def test_fixed_sequence_in_plan_order():
    assert fixed_sequence([0.01, 0.03, 0.02, 0.2]) == pytest.approx([0.01, 0.03, 0.03, 0.2])
    out = fixed_sequence([0.01, np.nan, 0.001])
    assert out[0] == 0.01 and np.isnan(out[1:]).all()  # the sequence stops where a test cannot be made
    assert adjust([0.2, 0.01], method="fixed-sequence").tolist() == [0.2, 0.2]
    assert adjust([0.2, 0.01], method="none").tolist() == [0.2, 0.01]
    with pytest.raises(AnalysisError, match="multiplicity 'sidak'"):
        adjust([0.1], method="sidak")


def _product(lam):
    R = np.outer(lam, lam)
    np.fill_diagonal(R, 1.0)
    return R


def test_dunnett_distribution_matches_the_exact_product_formula(ref):
    for case in ref["product"]:
        df = np.inf if case["df"] == "inf" else case["df"]
        R = _product(case["l"])
        assert_allclose(max_abs_t_cdf(case["c"], R, df), case["cdf"], atol=1e-9, rtol=0)
        crit = dunnett(np.ones(len(case["l"])), R, df=df).critical
        assert crit == pytest.approx(case["critical"], abs=1e-9)


def test_dunnett_distribution_matches_mvtnorm_for_a_general_correlation(ref):
    g = ref["general"]
    assert_allclose(max_abs_t_cdf(g["c"], np.array(g["R"]), g["df"]), g["cdf"], atol=2e-8, rtol=0)


def test_dunnett_is_deterministic_and_consistent():
    cov = np.array([[0.67, 0.33, 0.34], [0.33, 0.70, 0.33], [0.34, 0.33, 0.66]])
    a = dunnett([1.2, -0.4, 2.5], cov, df=120, contrasts=["A - P", "B - P", "C - P"])
    b = dunnett([1.2, -0.4, 2.5], cov, df=120, contrasts=["A - P", "B - P", "C - P"])
    assert a.to_frame().equals(b.to_frame())
    assert np.all(a.p_adjusted >= a.p_value) and np.all(a.p_adjusted <= 1)
    # an adjusted p-value equals alpha exactly where |t| is the critical value
    se = np.sqrt(np.diag(cov))
    at_crit = dunnett(a.critical * se, cov, df=120)
    assert_allclose(at_crit.p_adjusted, 0.05, atol=1e-9)
    # one contrast: the t test itself
    one = dunnett([1.0], [[0.25]], df=30)
    assert one.p_adjusted[0] == pytest.approx(one.p_value[0], rel=1e-12)


def test_dunnett_leaves_a_not_estimable_contrast_out():
    r = dunnett([1.0, np.nan, 2.0], [[1, 0.5, 0.5], [0.5, 1, 0.5], [0.5, 0.5, 1]], df=50)
    assert np.isnan(r.p_adjusted[1]) and np.isfinite(r.p_adjusted[[0, 2]]).all()
    two = dunnett([1.0, 2.0], [[1, 0.5], [0.5, 1]], df=50)
    assert_allclose(r.p_adjusted[[0, 2]], two.p_adjusted, rtol=1e-12)


def test_dunnett_refuses_more_than_four_contrasts():
    with pytest.raises(AnalysisError, match="up to 4 comparisons"):
        dunnett(np.ones(5), np.eye(5))


def test_statsmodels_is_imported_only_when_used():
    import subprocess
    import sys

    code = ("import sys, trialkit, trialkit.stats, trialkit.pipeline; "
            "print('statsmodels' in sys.modules); "
            "trialkit.stats.adjust([0.1, 0.2], method='holm'); print('statsmodels' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]
