"""MMRM against SAS PROC MIXED on fev_data (values in tests/reference/sas_fev.json, with their source).

SAS stops its Newton-Raphson iterations slightly short of the REML maximum (-2RLL 3386.44987722);
trialkit goes to the maximum (3386.4498712, as nlme::gls with opt = "optim"). So estimates agree with
SAS's printed values to 5e-4 (SAS prints 4 decimals; the rest is SAS's early stop), df to within 1
(SAS prints whole numbers), F statistics to 5e-4 relative (SAS prints 2 decimals: AVISIT 142.104 here
vs SAS's 142.11; RACE 36.913 vs 36.92), and covariance elements to 1e-4 on the correlation scale, |d sigma_ij| <= 1e-4
sqrt(sigma_ii sigma_jj): the small off-diagonal elements move most when SAS stops early (UN(3,2):
0.9036 here vs 0.9017). test_sas_covariance_gives_sas_likelihood shows that SAS's printed matrix is
simply a point short of the maximum on the same likelihood.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REFERENCE
from trialkit.stats.mixed.mmrm import mmrm

SAS = json.loads((REFERENCE / "sas_fev.json").read_text())
LEVELS = {"ARMCD": ["PBO", "TRT"], "AVISIT": ["VIS1", "VIS2", "VIS3", "VIS4"],
          "RACE": ["Asian", "Black or African American", "White"], "SEX": ["Male", "Female"]}


@pytest.fixture(scope="module")
def fev(shared_data):
    data = pd.read_csv(shared_data / "mmrm_fev" / "fev_data.csv")
    for column, levels in LEVELS.items():
        data[column] = pd.Categorical(data[column], categories=levels)
    return data


@pytest.fixture(scope="module")
def full(fev):
    return mmrm(fev, "FEV1 ~ RACE + SEX + ARMCD * AVISIT", subject="USUBJID", visit="AVISIT")


def test_reaches_the_reml_maximum(full):
    # SAS: 3386.44987722 (stopped short); nlme::gls(opt = "optim"): 3386.4498711624
    assert full.converged
    assert full.deviance <= 3386.4498712
    assert full.deviance == pytest.approx(3386.4498711624, abs=1e-6)
    assert (full.n_obs, full.n_subjects, full.n_excluded) == (537, 197, 263)


def test_fit_statistics_match_sas(full):
    ref = SAS["full_model"]
    assert full.aic == pytest.approx(ref["aic"], abs=0.05)   # -2RLL + 2 x 10 covariance parameters
    assert full.bic == pytest.approx(ref["bic"], abs=0.05)   # + 10 log(200): SAS counts all 200 subjects


def test_fixed_effects_match_sas(full):
    coef = full.coef.set_index("term")
    for term, (estimate, se, df) in SAS["full_model"]["coef"].items():
        assert coef.loc[term, "estimate"] == pytest.approx(estimate, abs=5e-4), term
        assert coef.loc[term, "se"] == pytest.approx(se, abs=5e-4), term
        assert coef.loc[term, "df"] == pytest.approx(df, abs=1), term


def test_covariance_matches_sas(full):
    ref = SAS["full_model"]
    order = ref["covariance_sas_order"]
    sigma = full.covariance
    for key, value in ref["covariance"].items():
        i, j = (order[int(x) - 1] for x in key.split(","))
        scale = np.sqrt(sigma.loc[i, i] * sigma.loc[j, j])
        assert sigma.loc[i, j] == pytest.approx(value, abs=1e-4 * scale), key


def test_sas_covariance_gives_sas_likelihood(fev, full):
    """The covariance differences are SAS's early stop: SAS's printed matrix, put into trialkit's
    likelihood, gives SAS's -2RLL (to the precision of its 4 printed decimals) -- a worse value than ours."""
    ref = SAS["full_model"]
    order = ref["covariance_sas_order"]
    visits = LEVELS["AVISIT"]
    sigma = np.zeros((4, 4))
    for key, value in ref["covariance"].items():
        i, j = (visits.index(order[int(x) - 1]) for x in key.split(","))
        sigma[i, j] = sigma[j, i] = value
    lower = np.linalg.cholesky(sigma)
    rows, cols = np.tril_indices(4)
    theta = np.where(rows == cols, np.log(np.abs(lower[rows, cols])), lower[rows, cols])
    from trialkit.stats.mixed.mmrm import _problem_for  # the same likelihood the fit maximised
    problem = _problem_for(fev, "FEV1 ~ RACE + SEX + ARMCD * AVISIT", subject="USUBJID", visit="AVISIT")
    at_sas = problem.objective(theta)
    assert at_sas == pytest.approx(ref["m2rll"], abs=2e-4)
    assert at_sas > full.deviance


def test_type3_matches_sas(full):
    t3 = full.type3().set_index("term")
    for term, values in SAS["full_model"]["type3"].items():
        num, den, f = values[:3]
        assert t3.loc[term, "num_df"] == num
        assert t3.loc[term, "den_df"] == pytest.approx(den, abs=1), term
        assert t3.loc[term, "statistic"] == pytest.approx(f, rel=5e-4, abs=5e-3), term
        if len(values) == 4:
            assert t3.loc[term, "p_value"] == pytest.approx(values[3], abs=5e-4)


def test_lsmeans_match_sas(full):
    ls = full.lsmeans("ARMCD", by="AVISIT").set_index(["AVISIT", "ARMCD"])
    for key, (estimate, se, df) in SAS["full_model"]["lsmeans"].items():
        row = ls.loc[tuple(key.split(","))]
        assert row.estimate == pytest.approx(estimate, abs=5e-4), key
        assert row.se == pytest.approx(se, abs=5e-4), key
        assert row.df == pytest.approx(df, abs=1), key


def test_treatment_differences_by_visit_match_sas(full):
    diffs = full.pairwise("ARMCD", by="AVISIT").set_index("AVISIT")
    assert set(diffs.contrast) == {"TRT - PBO"}
    for visit, values in SAS["full_model"]["trt_minus_pbo"].items():
        estimate, se, df = values[:3]
        row = diffs.loc[visit]
        assert row.estimate == pytest.approx(estimate, abs=5e-4)
        assert row.se == pytest.approx(se, abs=5e-4)
        assert row.df == pytest.approx(df, abs=1)
        if len(values) == 4:
            assert row.p_value == pytest.approx(values[3], abs=5e-5)


def test_general_contrasts_have_sas_satterthwaite_df(full):
    """Cells of different visits and arms: df far from any single coefficient's (258, 270, ...)."""
    cells = full._cell_rows(["AVISIT", "ARMCD"], "equal")
    rows = {f"{v},{a}": row for (v, a), row in zip(*cells)}
    for first, second, estimate, se, df in SAS["full_model"]["cross_differences"]:
        result = full.estimate(rows[first] - rows[second])
        assert result["estimate"] == pytest.approx(estimate, abs=5e-4)
        assert result["se"] == pytest.approx(se, abs=5e-4)
        assert result["df"] == pytest.approx(df, abs=1)


@pytest.fixture(scope="module")
def arm_empirical(fev):
    return mmrm(fev, "FEV1 ~ ARMCD", subject="USUBJID", visit="AVISIT", vcov="empirical", df="between-within")


ARM_SIGMA_SAS = [[108.39, 45.4113, -2.6971, -47.0103], [45.4113, 40.1721, 0.7771, -13.0998],
                 [-2.6971, 0.7771, 24.6058, 18.7346], [-47.0103, -13.0998, 18.7346, 152.36]]  # kr_us.txt, UN(i,j)


def test_arm_model_difference_from_sas_is_sas_stopping_short(fev):
    """FEV1 ~ ARMCD: our -2RLL 3667.962756 < SAS's 3667.96276376, and our intercept 41.0051 differs from
    SAS's 41.0058 by 7e-4. At SAS's printed covariance the same likelihood gives SAS's -2RLL and SAS's
    intercept: the difference is where SAS stopped, not how the model is computed."""
    from trialkit.stats.mixed.mmrm import _problem_for

    lower = np.linalg.cholesky(np.array(ARM_SIGMA_SAS))
    rows, cols = np.tril_indices(4)
    theta = np.where(rows == cols, np.log(np.abs(lower[rows, cols])), lower[rows, cols])
    at_sas = _problem_for(fev, "FEV1 ~ ARMCD", subject="USUBJID", visit="AVISIT").evaluate(theta)
    assert at_sas.objective == pytest.approx(SAS["arm_model"]["m2rll"], abs=2e-5)
    assert at_sas.beta == pytest.approx([41.0058, 3.8197], abs=5e-5)
    ours = mmrm(fev, "FEV1 ~ ARMCD", subject="USUBJID", visit="AVISIT")
    assert ours.deviance < SAS["arm_model"]["m2rll"]


def test_empirical_sandwich_matches_sas(arm_empirical):
    # estimates within 1e-3: see test_arm_model_difference_from_sas_is_sas_stopping_short
    ref = SAS["arm_model"]["empirical"]
    assert arm_empirical.deviance <= SAS["arm_model"]["m2rll"]
    np.testing.assert_allclose(arm_empirical.cov_beta, ref["cov_beta"], atol=5e-5)
    coef = arm_empirical.coef.set_index("term")
    for term, (estimate, se, df) in ref["coef"].items():
        assert coef.loc[term, "estimate"] == pytest.approx(estimate, abs=1e-3)
        assert coef.loc[term, "se"] == pytest.approx(se, abs=5e-4)
        assert coef.loc[term, "df"] == df  # between-within: 197 subjects - 2 between-subject columns
    ls = arm_empirical.lsmeans("ARMCD").set_index("ARMCD")
    for arm, (estimate, se, df) in ref["lsmeans"].items():
        assert ls.loc[arm, ["estimate", "se", "df"]].tolist() == pytest.approx([estimate, se, df], abs=1e-3)
    t3 = arm_empirical.type3().iloc[0]
    assert (t3.num_df, t3.den_df) == (1, 195) and t3.statistic == pytest.approx(ref["type3_armcd"][2], abs=5e-3)


@pytest.mark.parametrize("structure", ["us", "toep", "csh", "cs", "ar1h", "ar1"])
def test_every_structure_converges_with_a_positive_definite_covariance(fev, structure):
    r = mmrm(fev, "FEV1 ~ RACE + SEX + ARMCD * AVISIT", subject="USUBJID", visit="AVISIT", covariance=structure)
    assert r.converged, r.messages
    assert np.linalg.eigvalsh(r.covariance.to_numpy()).min() > 0
    assert r.deviance >= 3386.44987 - 1e-6  # no structure fits better than unstructured


def test_ml_is_below_reml_and_counts_fixed_effects(fev, full):
    ml = mmrm(fev, "FEV1 ~ RACE + SEX + ARMCD * AVISIT", subject="USUBJID", visit="AVISIT", reml=False)
    assert ml.converged and not ml.reml
    assert ml.aic == pytest.approx(ml.deviance + 2 * (10 + 11))


def test_residual_df(fev):
    r = mmrm(fev, "FEV1 ~ ARMCD", subject="USUBJID", visit="AVISIT", df="residual")
    assert set(r.coef.df) == {537 - 2}


def test_kenward_roger_matches_sas(fev):
    # SAS DDFM=KR, design/KR/kr_us.txt; estimates within 1e-3 (SAS's early stop, see above)
    ref = SAS["arm_model"]["kenward_roger"]
    r = mmrm(fev, "FEV1 ~ ARMCD", subject="USUBJID", visit="AVISIT", df="kenward-roger")
    coef = r.coef.set_index("term")
    for term, (estimate, se, df) in ref["coef"].items():
        assert coef.loc[term, "estimate"] == pytest.approx(estimate, abs=1e-3)
        assert coef.loc[term, "se"] == pytest.approx(se, abs=5e-4)   # adjusted SE, above the model-based 0.4397
        assert coef.loc[term, "df"] == pytest.approx(df, abs=1)
    ls = r.lsmeans("ARMCD").set_index("ARMCD")
    for arm, (estimate, se, df) in ref["lsmeans"].items():
        assert ls.loc[arm, "se"] == pytest.approx(se, abs=5e-4)
        assert ls.loc[arm, "df"] == pytest.approx(df, abs=1)
    t3 = r.type3().iloc[0]
    assert t3.den_df == pytest.approx(ref["type3_armcd"][1], abs=1)
    assert t3.statistic == pytest.approx(ref["type3_armcd"][2], rel=5e-4, abs=5e-3)


def test_kenward_roger_is_not_offered_for_lmm(shared_data):
    from trialkit.errors import AnalysisError
    from trialkit.stats import lmm

    sleep = pd.read_csv(shared_data / "mixed_model_refdata" / "sleepstudy.csv")
    with pytest.raises(AnalysisError, match="df 'kenward-roger': choose one of satterthwaite, residual, between-within"):
        lmm(sleep, "Reaction ~ Days", subject="Subject", df="kenward-roger")


def _breaks_us():
    """3 subjects x 4 visits: 12 values cannot identify 10 unstructured covariance parameters."""
    rng = np.random.default_rng(3)
    rows = []
    for s in range(3):
        level = rng.normal(0, 1)
        rows += [{"subj": f"s{s}", "visit": f"V{v}", "y": level + 0.5 * v + rng.normal(0, 1)} for v in range(4)]
    return pd.DataFrame(rows)


def test_non_convergence_is_detected_and_said():
    r = mmrm(_breaks_us(), "y ~ visit", subject="subj", visit="visit")
    assert not r.converged
    assert any("gradient not zero" in m for m in r.messages)
    assert r.messages[-1] == "estimates are reported from the last iteration: do not rely on them"


def test_fallback_chain_records_what_was_used_and_why():
    from trialkit.stats.mixed.mmrm import mmrm_with_fallback

    result, attempts = mmrm_with_fallback(_breaks_us(), "y ~ visit", subject="subj", visit="visit")
    assert [a.covariance for a in attempts] == ["us", "toep"]
    assert not attempts[0].converged and "gradient not zero" in attempts[0].reason
    assert attempts[1].converged and result.structure == "toep" and result.converged


def test_fallback_chain_follows_the_configured_order():
    from trialkit.stats.mixed.mmrm import mmrm_with_fallback

    result, attempts = mmrm_with_fallback(_breaks_us(), "y ~ visit", subject="subj", visit="visit", chain=("us", "cs"))
    assert [a.covariance for a in attempts] == ["us", "cs"] and result.structure == "cs"


def test_proportional_lsmeans_weight_by_observed_margins(fev, full):
    """weights="proportional" (SAS OM, emmeans "proportional"): every other factor at its observed margin.
    By hand from the coefficients: intercept + sum over RACE, SEX, AVISIT of (share of rows x effect)
    + the arm's effect and its interaction with each visit, weighted by the visits' shares."""
    used = fev.dropna(subset=["FEV1"])
    share = {f: used[f].value_counts(normalize=True) for f in ("RACE", "SEX", "AVISIT")}
    b = full.coef.set_index("term").estimate
    for arm in ("PBO", "TRT"):
        expected = b["Intercept"] + sum(share["RACE"][r] * b[f"RACE[T.{r}]"] for r in LEVELS["RACE"][1:])
        expected += share["SEX"]["Female"] * b["SEX[T.Female]"]
        expected += sum(share["AVISIT"][v] * b[f"AVISIT[T.{v}]"] for v in LEVELS["AVISIT"][1:])
        if arm == "TRT":
            expected += b["ARMCD[T.TRT]"] + sum(share["AVISIT"][v] * b[f"ARMCD[T.TRT]:AVISIT[T.{v}]"]
                                                 for v in LEVELS["AVISIT"][1:])
        got = full.lsmeans("ARMCD", weights="proportional").set_index("ARMCD").estimate[arm]
        assert got == pytest.approx(expected, rel=1e-12)
