"""The LMM and MMRM rows that `trialkit run example_study` writes, against R on the same data
(tests/reference/example_models.R -> example_models.json):

- LMM: lmer + lmerTest (Satterthwaite) and emmeans contrasts within TIER; anova(type = 3) for the
  visit x TIER interaction. Estimates and SEs within 1e-5 of an SE, df within 1e-3.
- MMRM: nlme::gls with corSymm + varIdent (unstructured), REML, emmeans LS means at the mean baseline.
  Estimates and SEs within 1e-5 of an SE; -2 log RL within 1e-5. emmeans' df for gls are an
  approximation ("appx-satterthwaite"), so the MMRM df are checked against SAS in test_mmrm.py instead.
"""

from __future__ import annotations

import numpy as np
import pytest



@pytest.fixture(scope="module")
def ref(reference):
    return reference("example_models.json")


def _stats(ard, analysis, measure, group, visit=""):
    rows = ard[(ard.analysis == analysis) & (ard.measure == measure) & (ard.group == group) & (ard.visit == visit)]
    return rows.set_index("stat").value


@pytest.mark.parametrize("measure", ["CGI-S", "CGI-I"])
def test_lmm_matches_lmertest(ard, ref, measure):
    expected = ref[measure]["lmm_w5"]
    got = _stats(ard, "lmm", measure, "all")
    se = expected["se"]
    assert got["estimate"] == pytest.approx(expected["estimate"], abs=1e-5 * se)
    assert got["se"] == pytest.approx(se, abs=1e-5 * se)
    assert got["df"] == pytest.approx(expected["df"], abs=1e-3)
    assert got["p_value"] == pytest.approx(expected["p"], rel=1e-4)


@pytest.mark.parametrize("measure", ["CGI-S", "CGI-I"])
def test_lmm_by_tier_matches_emmeans(ard, ref, measure):
    expected = ref[measure]["lmm_tier_w5"]
    for k, tier in enumerate("123"):
        got = _stats(ard, "lmm", measure, tier)
        se = expected["se"][k]
        assert got["estimate"] == pytest.approx(expected["estimate"][k], abs=1e-5 * se)
        assert got["se"] == pytest.approx(se, abs=1e-5 * se)
        assert got["df"] == pytest.approx(expected["df"][k], abs=1e-3)


@pytest.mark.parametrize("measure", ["CGI-S", "CGI-I"])
def test_lmm_interaction_matches_lmertest_anova(ard, ref, measure):
    expected = ref[measure]["lmm_interaction"]
    got = ard[(ard.analysis == "lmm") & (ard.measure == measure) & (ard.contrast == "visit x TIER")].set_index("stat").value
    assert got["statistic"] == pytest.approx(expected["F"], rel=1e-5)
    assert got["num_df"] == expected["num_df"]
    assert got["df"] == pytest.approx(expected["den_df"], abs=1e-3)
    assert got["p_value"] == pytest.approx(expected["p"], rel=1e-4)


@pytest.mark.parametrize("measure", ["CGI-S", "CGI-I"])
def test_mmrm_lsmeans_match_gls(ard, ref, measure):
    expected = ref[measure]["mmrm_lsmeans"]
    for k, visit in enumerate(["Week 1", "Week 2", "Week 3", "Week 4", "Week 5"]):
        got = _stats(ard, "mmrm", measure, "all", visit)
        se = expected["se"][k]
        assert got["estimate"] == pytest.approx(expected["estimate"][k], abs=1e-5 * se), visit
        assert got["se"] == pytest.approx(se, abs=1e-5 * se), visit
        assert np.isfinite(got["df"]) and 20 < got["df"] < 40
