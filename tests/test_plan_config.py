"""The analysis plan in study.yaml: treatment, analysis sets, declared analyses; each mistake an error
naming its key (exit 2)."""

from __future__ import annotations

import pytest

from tests.helpers import run_cli
from trialkit.config import load_config
from trialkit.plan import DeclaredAnalysis

TREATMENT = {"arm": "ARM", "control": "Placebo", "order": ["Placebo", "Active"], "dose": "DOSE"}
SUBJECTS_WITH_ARMS = """SUBJID,TIER,GRM1,ARM,DOSE,EFFFL,SITE
S1,1,1,Placebo,0,Y,701
S2,2,0,Active,54,Y,702
S3,1,yes,Active,54,N,701
"""
ANCOVA = {"id": "cgis_ancova", "method": "ancova", "measure": "CGI-S", "visits": "Week 2", "factors": ["SITE"],
          "covariates": ["baseline"], "contrasts": ["vs_control", "dose_response"], "analysis_set": "Efficacy",
          "select": {"PARAM": ["CGI-S"]}}


def _plan(make_study, **overrides):
    config = {"treatment": TREATMENT, "analysis_sets": {"Efficacy": {"EFFFL": ["Y"]}},
              "analyses": ["descriptive", ANCOVA], **overrides}
    return make_study(config=config, subjects=SUBJECTS_WITH_ARMS)


def test_short_and_declared_analyses_in_one_list(make_study):
    config = load_config(_plan(make_study))
    assert config.short_analyses == ["descriptive"]
    (ancova,) = config.declared
    assert isinstance(ancova, DeclaredAnalysis)
    assert ancova.visits == ["Week 2"]  # one visit may be written without a list
    assert ancova.outcome == "change" and ancova.weights == "proportional" and ancova.multiplicity == "none"
    assert config.treatment.control == "Placebo" and config.treatment.label("Active") == "Active"
    assert config.analysis_sets == {"Efficacy": {"EFFFL": ["Y"]}}


def test_the_example_study_has_no_plan_and_keeps_its_meaning():
    from tests.conftest import EXAMPLE

    config = load_config(EXAMPLE)
    assert config.declared == [] and config.treatment is None
    assert config.short_analyses == ["descriptive", "paired_t", "wilcoxon", "responder", "lmm", "mmrm", "ordinal", "shift",
                                     "friedman"]


def test_a_cmh_test_is_of_the_value_by_default(make_study):
    cmh = {"id": "cibic_cmh", "method": "cmh", "measure": "CGI-I", "visits": "all", "strata": "SITE"}
    (analysis,) = load_config(_plan(make_study, analyses=[cmh])).declared
    assert analysis.outcome == "value" and analysis.scores == "table"


def _error(capsys, study) -> str:
    out = run_cli(capsys, "validate", str(study))
    assert out.code == 2 and "Traceback" not in out.err, out.err
    return out.err


@pytest.mark.parametrize("change, expected", [
    ({"method": "regression"}, "analyses.1.method: Input should be 'ancova', 'anova', 'mmrm', 'cmh', 'responder' or "
                               "'descriptive' (got 'regression')"),
    ({"measure": "CGI-X"}, "analyses.1.measure: 'CGI-X' is not under measures: ['CGI-S', 'CGI-I']"),
    ({"analysis_set": "ITT"}, "analyses.1.analysis_set: 'ITT' is not under analysis_sets: ['Efficacy']"),
    ({"visits": ["Week 9"]}, "analyses.1.visits: ['Week 9'] not in visits.order ['Baseline', 'Week 1', 'Week 2']"),
    ({"visits": ["Baseline"]}, "analyses.1.visits: the change from Baseline is not analysed at Baseline"),
    ({"interactions": ["baseline*AGE"]}, "analyses.1: interaction 'baseline*AGE' must join two or more of"),
    ({"factors": ["SITE"], "covariates": ["SITE"]}, "analyses.1: ['SITE'] declared both a factor and a covariate"),
    ({"multiplicity": "dunnett", "contrasts": ["pairwise"]}, "analyses.1: Dunnett's adjustment is for comparisons"),
    ({"strata": "SITE"}, "analyses.1: strata is an option of methods cmh and responder"),
    ({"scores": "rank"}, "analyses.1: scores is an option of method cmh"),
    ({"interactions": ["baseline*visit"]}, "analyses.1: interaction 'baseline*visit': an ancova is fitted at each "
                                           "visit apart"),
    ({"method": "mmrm", "contrasts": ["vs_control"], "interactions": ["arm*SITE"]},
     "analyses.1: interaction 'arm*SITE': an mmrm has arm*visit (always) and baseline*visit"),
    ({"id": "population"}, "analyses.1.id: 'population' is the name of rows trialkit makes itself"),
    ({"id": "change"}, "analyses.1.id: 'change' is the name of rows trialkit makes itself"),
    ({"id": "descriptive"}, "analyses.1.id: 'descriptive' is used twice"),
    ({"id": "has space"}, "analyses.1.id: String should match pattern"),
    ({"select": {"DTYPE": []}}, "analyses.1.select.DTYPE: List should have at least 1 item"),
    # an adjustment of nothing, or an option another method ignores, is a mistake, never silently dropped
    ({"contrasts": ["dose_response"], "multiplicity": "holm"},
     "analyses.1: multiplicity holm adjusts comparisons of arms, and contrasts asks for none"),
    ({"contrasts": [], "multiplicity": "dunnett"}, "analyses.1: multiplicity dunnett adjusts comparisons of arms"),
    ({"method": "responder", "covariates": [], "factors": [], "responder_max": 2, "multiplicity": "holm",
      "contrasts": ["vs_control"]},
     "analyses.1: contrasts, multiplicity: options of methods ancova, anova and mmrm, not responder"),
    ({"method": "cmh", "covariates": [], "factors": [], "strata": "SITE", "contrasts": ["pairwise"]},
     "analyses.1: contrasts: options of methods ancova, anova and mmrm, not cmh"),
    ({"method": "descriptive", "covariates": [], "factors": [], "contrasts": ["vs_control"], "weights": "equal"},
     "analyses.1: contrasts, weights: options of methods ancova, anova and mmrm, not descriptive"),
])
def test_plan_mistakes_name_their_key(make_study, capsys, change, expected):
    err = _error(capsys, _plan(make_study, analyses=["descriptive", {**ANCOVA, **change}]))
    assert expected in err


def test_comparisons_need_a_treatment(make_study, capsys):
    study = make_study(config={"analyses": [ANCOVA | {"analysis_set": None}]}, subjects=SUBJECTS_WITH_ARMS)
    assert "analyses.0.method: ancova compares arms: declare treatment (arm, control)" in _error(capsys, study)


def test_dose_response_needs_a_dose_column(make_study, capsys):
    study = _plan(make_study, treatment={k: v for k, v in TREATMENT.items() if k != "dose"})
    assert "analyses.1.contrasts: dose_response needs treatment.dose" in _error(capsys, study)


def test_responder_analysis_needs_a_threshold(make_study, capsys):
    responder = {"id": "resp", "method": "responder", "measure": "CGI-S", "visits": "Week 2"}
    assert "analyses.1.responder_max: method responder needs a threshold" in _error(
        capsys, _plan(make_study, analyses=["descriptive", responder]))
    ok = load_config(_plan(make_study, analyses=[{**responder, "responder_max": 3}]))
    assert ok.declared[0].responder_max == 3


@pytest.mark.parametrize("treatment, expected", [
    ({**TREATMENT, "control": "Sham"}, "treatment: control 'Sham' is not in order ['Placebo', 'Active']"),
    ({**TREATMENT, "order": ["Placebo", "Placebo"]}, "treatment: order lists an arm twice"),
    ({**TREATMENT, "labels": {"Low": "L"}}, "treatment: labels name arms that are not in order: ['Low']"),
    ({**TREATMENT, "labels": {"Placebo": "A", "Active": "A"}}, "treatment: labels gives two arms the same label"),
    # an arm coded 0 in YAML is the number 0: the message says to quote it
    ({**TREATMENT, "control": 0}, "treatment.control: Input should be a valid string (got 0); YAML reads it as a "
                                  "number: quote it, e.g. '0'"),
    ({**TREATMENT, "control": True}, "treatment.control: Input should be a valid string (got True); YAML reads "
                                     "yes/no/on/off as true or false: quote the value"),
])
def test_treatment_mistakes(make_study, capsys, treatment, expected):
    assert expected in _error(capsys, _plan(make_study, treatment=treatment))
