"""Linear mixed models against lme4/lmerTest and nlme (tests/reference/lmm.R -> lmm.json).

Tolerances as for R with the same method: estimates and SEs within 1e-5 of a standard error,
Satterthwaite df within 1e-3, variance components within 1e-6 relative, REML criterion within 1e-6.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from trialkit.errors import AnalysisError
from trialkit.stats import lmm

R_NAMES = {"(Intercept)": "Intercept", "Days": "Days", "age": "age", "SexFemale": "Sex[T.Female]"}


@pytest.fixture(scope="module")
def ref(reference):
    return reference("lmm.json")


@pytest.fixture(scope="module")
def sleep(shared_data):
    return pd.read_csv(shared_data / "mixed_model_refdata" / "sleepstudy.csv")


@pytest.fixture(scope="module")
def orthodont(shared_data):
    data = pd.read_csv(shared_data / "mixed_model_refdata" / "Orthodont.csv")
    data["Sex"] = pd.Categorical(data["Sex"], categories=["Male", "Female"])
    return data


def _check_fixed(result, expected, *, df=True):
    coef = result.coef.set_index("term")
    for j, r_name in enumerate(expected["terms"]):
        row = coef.loc[R_NAMES[r_name]]
        se = expected["se"][j]
        assert row.estimate == pytest.approx(expected["estimate"][j], abs=1e-5 * se), r_name
        assert row.se == pytest.approx(se, abs=1e-5 * se), r_name
        if df:
            assert row.df == pytest.approx(expected["df"][j], abs=1e-3), r_name


@pytest.mark.parametrize(("key", "random", "reml"), [
    ("sleep_intercept", "1", True),         # lmer(Reaction ~ Days + (1 | Subject), sleepstudy)
    ("sleep_slope", "1 + Days", True),      # lmer(Reaction ~ Days + (1 + Days | Subject), sleepstudy)
    ("sleep_intercept_ml", "1", False),     # lmer(Reaction ~ Days + (1 | Subject), sleepstudy, REML = FALSE)
])
def test_sleepstudy_matches_lme4_and_lmertest(sleep, ref, key, random, reml):
    result = lmm(sleep, "Reaction ~ Days", subject="Subject", random=random, reml=reml)
    expected = ref[key]
    assert result.converged, result.messages
    _check_fixed(result, expected)
    np.testing.assert_allclose(result.covariance.to_numpy().ravel(), expected["G"], rtol=1e-6)
    assert result.sigma2 == pytest.approx(expected["sigma2"], rel=1e-6)
    if reml:
        assert result.deviance == pytest.approx(expected["reml_criterion"], abs=1e-6)  # REMLcrit(fit)
    assert result.loglik == pytest.approx(expected["loglik"], abs=1e-6)                 # logLik(fit)
    assert (result.n_obs, result.n_subjects) == (180, 18)


def test_orthodont_matches_nlme(orthodont, ref):
    # nlme::lme(distance ~ age + Sex, random = ~ 1 | Subject, Orthodont, method = "REML")
    result = lmm(orthodont, "distance ~ age + Sex", subject="Subject")
    expected = ref["orthodont_nlme"]
    _check_fixed(result, expected, df=False)  # nlme reports between-within df; compared below
    assert result.covariance.iat[0, 0] == pytest.approx(expected["tau2"], rel=1e-6)
    assert result.sigma2 == pytest.approx(expected["sigma2"], rel=1e-6)
    assert result.loglik == pytest.approx(expected["loglik"], abs=1e-6)


def test_orthodont_between_within_df_as_nlme(orthodont, ref):
    # nlme's df: age varies within subject -> 108 - 27 - 1 = 80; Sex between -> 27 - 2 = 25
    result = lmm(orthodont, "distance ~ age + Sex", subject="Subject", df="between-within")
    df = result.coef.set_index("term").df
    assert (df["age"], df["Sex[T.Female]"]) == (80, 25)


def test_orthodont_satterthwaite_matches_lmertest(orthodont, ref):
    # lmer(distance ~ age + Sex + (1 | Subject), Orthodont) with lmerTest
    _check_fixed(lmm(orthodont, "distance ~ age + Sex", subject="Subject"), ref["orthodont_lmertest"])


def test_random_specification_errors(sleep):
    with pytest.raises(AnalysisError, match="write '1' \\(random intercept\\) or '1 \\+ x'"):
        lmm(sleep, "Reaction ~ Days", subject="Subject", random="Days")
    with pytest.raises(AnalysisError, match="'Nope' must be a numeric column"):
        lmm(sleep, "Reaction ~ Days", subject="Subject", random="1 + Nope")
