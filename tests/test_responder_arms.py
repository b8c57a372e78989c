"""Responders by arm against R (tests/reference/responder.R -> responder.json): binom.test (exact CI),
Newcombe's interval from prop.test's Wilson limits, Miettinen-Nurminen by an independent inversion in R
(restricted MLE by optimize()), prop.test and mantelhaen.test(correct = FALSE). rtol 1e-9 (the R
inversion's optimize() tolerance limits the MN limits to about 1e-10)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from trialkit.errors import AnalysisError
from trialkit.stats import responder_by_arm, responder_rate

ARMS = ["P", "A", "B"]


@pytest.fixture(scope="module")
def ref(reference):
    return reference("responder.json")


@pytest.fixture(scope="module")
def flags(ref):
    rows = []
    for arm in ARMS:
        rows += [{"arm": arm, "r": True}] * ref["k"][arm] + [{"arm": arm, "r": False}] * (ref["n"][arm] - ref["k"][arm])
    return pd.DataFrame(rows)


@pytest.mark.parametrize("method,key,p_key", [("newcombe", "newcombe", "pearson_p"),
                                              ("miettinen-nurminen", "miettinen_nurminen", "mn_p")])
def test_differences_match_r(flags, ref, method, key, p_key):
    r = responder_by_arm(flags, "r", "arm", control="P", arms=ARMS, method=method)
    assert r.differences.contrast.tolist() == ["A - P", "B - P"]
    for row, expected in zip(r.differences.itertuples(), ref["differences"]):
        assert row.estimate == pytest.approx(ref["k"][row.arm] / ref["n"][row.arm] - ref["k"]["P"] / ref["n"]["P"])
        assert_allclose([row.ci_lower, row.ci_upper], expected[key], rtol=1e-9)
        assert row.p_value == pytest.approx(expected[p_key], rel=1e-9)


def test_rates_match_binom_test_and_responder_rate(flags, ref):
    r = responder_by_arm(flags, "r", "arm", control="P", arms=ARMS)
    rates = r.rates.set_index("arm")
    for expected in ref["rates"]:
        assert_allclose(rates.loc[expected["arm"], ["ci_lower", "ci_upper"]].astype(float),
                        [expected["ci_lower"], expected["ci_upper"]], rtol=1e-12)
        one = responder_rate(flags.loc[flags.arm == expected["arm"], "r"])
        assert (one.n, one.n_responders) == (rates.loc[expected["arm"], "n"], rates.loc[expected["arm"], "n_responders"])


def test_stratified_cmh_matches_mantelhaen(ref):
    rows = []
    for arm in ARMS:
        for h in range(3):
            k, n = ref["strata_k"][arm][h], ref["strata_n"][arm][h]
            rows += [{"arm": arm, "r": 1, "s": f"s{h}"}] * k + [{"arm": arm, "r": 0, "s": f"s{h}"}] * (n - k)
    r = responder_by_arm(pd.DataFrame(rows), "r", "arm", control="P", arms=ARMS, strata="s")
    for row, expected in zip(r.stratified.itertuples(), ref["cmh"]):
        assert row.contrast == f"{expected['arm']} - P" and row.df == 1
        assert row.statistic == pytest.approx(expected["statistic"], rel=1e-10)
        assert row.p_value == pytest.approx(expected["p_value"], rel=1e-10)
    assert set(r.to_frame().part) == {"rate", "difference", "stratified"}


def test_miettinen_nurminen_at_the_edges():
    frame = pd.DataFrame({"arm": ["P"] * 10 + ["A"] * 10, "r": [0] * 10 + [1] * 10})
    d = responder_by_arm(frame, "r", "arm", control="P", method="miettinen-nurminen").differences.iloc[0]
    assert d.estimate == 1.0 and d.ci_upper == 1.0 and 0.6 < d.ci_lower < 0.7


def test_bad_flags_and_missing_values():
    frame = pd.DataFrame({"arm": ["P", "A", "A", "P"], "r": [1, 0, 2, None]})
    with pytest.raises(AnalysisError, match="responder column 'r': row 2 holds 2"):
        responder_by_arm(frame, "r", "arm", control="P")
    ok = frame.assign(r=[1, 0, 1, np.nan])
    r = responder_by_arm(ok, "r", "arm", control="P")
    assert r.n_excluded == 1 and r.rates.set_index("arm").n.to_dict() == {"P": 1, "A": 2}
    with pytest.raises(AnalysisError, match="method 'wald'"):
        responder_by_arm(ok, "r", "arm", control="P", method="wald")
