"""The analysis plan against the data: arms, doses, analysis sets, model columns, record selections, and the
records each declared analysis receives."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import ROOT
from tests.helpers import run_cli
from trialkit.config import load_config
from trialkit.derivations import derive
from trialkit.pipeline import check_study

RECORDS = """SUBJID,VISIT,PARAM,AVAL,DTYPE
S1,Baseline,CGI-S,5,
S1,Week 1,CGI-S,4,
S1,Week 2,CGI-S,3,
S2,Baseline,CGI-S,4,
S2,Week 1,CGI-S,4,
S2,Week 2,CGI-S,4,LOCF
S3,Baseline,CGI-S,6,
S3,Week 1,CGI-S,5,
S3,Week 2,CGI-S,3,
S4,Baseline,CGI-S,5,
S4,Week 1,CGI-S,5,
S4,Week 2,CGI-S,4,
"""
# the fixture's study.yaml also configures CGI-I: the same values serve for it
RECORDS += "".join(line.replace("CGI-S", "CGI-I") + "\n" for line in RECORDS.splitlines()[1:])
SUBJECTS = """SUBJID,TIER,GRM1,ARM,DOSE,EFFFL,SITE,AGE
S1,1,1,Placebo,0,Y,701,13
S2,2,0,Active,54,Y,702,15
S3,1,yes,Active,54,N,701,16
S4,2,0,Placebo,0,Y,702,14
"""
TREATMENT = {"arm": "ARM", "control": "Placebo", "order": ["Placebo", "Active"], "dose": "DOSE"}
ANCOVA = {"id": "anc", "method": "ancova", "measure": "CGI-S", "visits": "Week 2", "factors": ["SITE"],
          "covariates": ["baseline", "AGE"], "analysis_set": "Efficacy", "select": {"DTYPE": [""]}}
PLAN = {"treatment": TREATMENT, "analysis_sets": {"Efficacy": {"EFFFL": ["Y"]}}, "analyses": [ANCOVA]}


def _study(make_study, records=RECORDS, subjects=SUBJECTS, **overrides):
    return make_study(config={**PLAN, **overrides}, records=records, subjects=subjects)


def _error(capsys, study) -> str:
    out = run_cli(capsys, "validate", str(study))
    assert out.code == 2 and "Traceback" not in out.err, out.err
    return out.err


def test_an_analysis_receives_its_set_arms_and_selected_records(make_study):
    config, checked = check_study(_study(make_study))
    data = derive(checked, config).declared["anc"]
    # by hand from the files: efficacy subjects S1 (Placebo), S2 (Active), S4 (Placebo); S3 is not in the set;
    # S2's Week 2 record is LOCF, which the selection (DTYPE blank) leaves out
    assert data.population == {"Placebo": 2, "Active": 1}
    week2 = data.records[data.records["visit"] == "Week 2"].set_index("subject")
    assert list(week2.index) == ["S1", "S4"]
    assert week2["change"].tolist() == [3 - 5, 4 - 5] and week2["response"].tolist() == [-2, -1]
    assert week2["arm"].tolist() == ["Placebo", "Placebo"] and week2["arm_dose"].tolist() == [0.0, 0.0]
    assert week2["SITE"].tolist() == ["701", "702"] and week2["AGE"].tolist() == [13, 14]  # factor text, covariate number
    findings = checked.issues_frame()
    left_out = findings[findings["check"] == "selected_out"]
    assert len(left_out) == 1 and left_out["message"].iat[0].startswith(
        "1 record left out of analysis anc by analyses.0.select (DTYPE must be one of [''])")
    not_in_set = findings[findings["check"] == "analysis_set"]
    assert not_in_set["subject"].tolist() == ["S3"] and "left out of anc" in not_in_set["message"].iat[0]


def test_the_randomized_example_sets_and_arms():
    config, checked = check_study(ROOT / "example_rct")
    subjects = pd.read_csv(ROOT / "example_rct" / "data" / "subjects.csv", dtype=str)
    data = derive(checked, config).declared
    efficacy = subjects[subjects["EFFFL"] == "Y"]["ARM"].value_counts()
    assert data["cgis_ancova"].population == {arm: efficacy[arm] for arm in ["Placebo", "Drug 200 mg", "Drug 400 mg"]}
    itt = subjects["ARM"].value_counts()
    assert data["cgii_responders"].population == {arm: itt[arm] for arm in ["Placebo", "Drug 200 mg", "Drug 400 mg"]}
    # CGI-I is a rating of change: no missing-baseline findings for it, no change computed
    findings = checked.issues_frame()
    assert not ((findings["check"] == "missing_baseline") & (findings["measure"] == "CGI-I")).any()
    assert data["cgii_cmh"].records["change"].isna().all()


def test_the_control_arm_must_occur(make_study, capsys):
    err = _error(capsys, _study(make_study, treatment={**TREATMENT, "control": "Placbo", "order": []}))
    assert "treatment.control: arm 'Placbo' does not occur in column ARM of subjects.csv among subjects with " \
           "records (did you mean 'Placebo'?); the arms there are ['Active', 'Placebo']" in err


def test_an_arm_of_the_order_must_occur(make_study, capsys):
    err = _error(capsys, _study(make_study, treatment={**TREATMENT, "order": ["Placebo", "Active", "High"]}))
    assert "treatment.order: arm 'High' does not occur in column ARM" in err


def test_subjects_of_an_arm_outside_the_plan_are_counted_and_left_out(make_study):
    subjects = SUBJECTS.replace("S3,1,yes,Active,54,N", "S3,1,yes,Screen Failure,0,Y")
    config, checked = check_study(_study(make_study, subjects=subjects))
    findings = checked.issues_frame()
    row = findings[findings["check"] == "arm_not_in_plan"]
    assert row["subject"].tolist() == ["S3"] and "'Screen Failure', not in treatment.order" in row["message"].iat[0]
    assert "S3" not in set(derive(checked, config).declared["anc"].records["subject"])


@pytest.mark.parametrize("subjects, expected", [
    (SUBJECTS.replace("Active,54,Y", "Active,high,Y"),
     "subjects.csv: row 3: column DOSE: value 'high': subject S2: treatment.dose must be a number"),
    (SUBJECTS.replace("S3,1,yes,Active,54", "S3,1,yes,Active,81"),
     "treatment.dose: arm 'Active' has doses [54.0, 81.0] in column DOSE; the dose-response test needs one dose per arm"),
    (SUBJECTS.replace("S1,1,1,Placebo,0,Y,701,13", "S1,1,1,Placebo,0,Y,701,thirteen"),
     "subjects.csv: row 2: column AGE: value 'thirteen': subject S1: analyses.0.covariates are continuous"),
    # pandas reads "inf" and "nan" as numbers: an infinite age entered the model, a dose of nan passed
    (SUBJECTS.replace("S1,1,1,Placebo,0,Y,701,13", "S1,1,1,Placebo,0,Y,701,inf"),
     "subjects.csv: row 2: column AGE: value 'inf': subject S1: analyses.0.covariates are continuous"),
    (SUBJECTS.replace("Active,54,Y", "Active,NaN,Y"),
     "subjects.csv: row 3: column DOSE: value 'NaN': subject S2: treatment.dose must be a number"),
])
def test_doses_and_covariates_must_be_numbers(make_study, capsys, subjects, expected):
    assert expected in _error(capsys, _study(make_study, subjects=subjects))


def test_an_arm_without_subjects_in_the_set(make_study, capsys):
    subjects = SUBJECTS.replace("S2,2,0,Active,54,Y", "S2,2,0,Active,54,N")
    err = _error(capsys, _study(make_study, subjects=subjects))
    assert "analyses.0.analysis_set: arm 'Active' has no subjects in analysis set Efficacy" in err


def test_a_factor_with_one_level(make_study, capsys):
    subjects = SUBJECTS.replace(",702,", ",701,")
    err = _error(capsys, _study(make_study, subjects=subjects))
    assert "analyses.0.factors: SITE has one level ('701') among the subjects of analysis anc" in err


def test_a_factor_declared_continuous_is_refused(make_study, capsys):
    err = _error(capsys, _study(make_study, variables={"SITE": "continuous"}))
    assert "analyses.0.factors: SITE is declared continuous under variables, but factors are categorical" in err


def test_the_arm_from_the_records(make_study, capsys):
    records = "SUBJID,VISIT,PARAM,AVAL,DTYPE,TRTP,TRTPN\n" + "".join(
        f"{line},{'Placebo,0' if line.split(',')[0] in ('S1', 'S4') else 'Active,54'}\n"
        for line in RECORDS.splitlines()[1:])
    treatment = {**TREATMENT, "arm": "TRTP", "dose": "TRTPN", "source": "records"}
    config, checked = check_study(_study(make_study, records=records, treatment=treatment))
    assert derive(checked, config).declared["anc"].population == {"Placebo": 2, "Active": 1}
    twice = records.replace("S3,Week 2,CGI-S,3,,Active,54", "S3,Week 2,CGI-S,3,,Placebo,0")
    err = _error(capsys, _study(make_study, records=twice, treatment=treatment))
    assert "column TRTP: subject S3 has more than one value (row 8 'Active', row 10 'Placebo')" in err


def test_a_study_without_a_baseline_visit(make_study, capsys):
    records = "\n".join(line for line in RECORDS.splitlines() if ",Baseline," not in line) + "\n"
    visits = {"order": ["Week 1", "Week 2"], "baseline": None, "endpoint": "Week 2"}
    anova = {**ANCOVA, "method": "anova", "response": "value", "covariates": []}
    config = load_config(_study(make_study, records=records, visits=visits, analyses=[anova]))
    assert config.visits.post_baseline == ["Week 1", "Week 2"] and not config.has_baseline("CGI-S")
    err = _error(capsys, _study(make_study, records=records, visits=visits, analyses=["paired_t"]))
    assert "analyses.0: paired_t compares visits with the baseline, and no measure has one" in err
    err = _error(capsys, _study(make_study, records=records, visits=visits, analyses=[ANCOVA]))
    assert "analyses.0.response: CGI-S has no baseline, so no change from it: use response: value" in err


def test_without_a_baseline_visit_the_short_form_has_no_change_rows(make_study):
    from trialkit.results import build_ard

    records = "\n".join(line for line in RECORDS.splitlines() if ",Baseline," not in line) + "\n"
    visits = {"order": ["Week 1", "Week 2"], "baseline": None, "endpoint": "Week 2"}
    config, checked = check_study(_study(make_study, records=records, visits=visits, analyses=["descriptive"]))
    ard = build_ard(derive(checked, config), checked.subjects, config)
    assert "change" not in set(ard.analysis)
    values = ard[(ard.analysis == "descriptive") & (ard.group_var == "overall") & (ard.stat == "n")]
    assert dict(zip(values.visit, values.value)) == {"Week 1": 4, "Week 2": 4}  # every subject is in an arm


def test_a_comparison_needs_two_arms_of_the_plan(make_study, capsys):
    # a plan of one arm used to run the ANCOVA with no comparison and no finding
    err = _error(capsys, _study(make_study, treatment={**TREATMENT, "order": ["Placebo"]}))
    assert ("analyses.0.method: ancova compares arms, and treatment.order lists one arm (['Placebo']); list two or "
            "more arms, or use method descriptive") in err
    subjects = SUBJECTS.replace("Active,54", "Placebo,0")
    err = _error(capsys, _study(make_study, subjects=subjects, treatment={**TREATMENT, "order": []}))
    assert "analyses.0.method: ancova compares arms, and column ARM holds, among the subjects with records, one arm" in err
    descriptive = {"id": "d", "method": "descriptive", "measure": "CGI-S"}
    config, checked = check_study(_study(make_study, treatment={**TREATMENT, "order": ["Placebo"]}, analyses=[descriptive]))
    assert derive(checked, config).declared["d"].population == {"Placebo": 2}


def test_a_variable_the_subjects_file_lacks_is_an_error(make_study, capsys):
    # a misspelt declaration used to be ignored, leaving the column it meant undeclared
    err = _error(capsys, _study(make_study, variables={"SITEGRP": "categorical"}))
    assert "column 'SITEGRP' (from variables.SITEGRP (SITEGRP) in study.yaml) not found (did you mean 'SITE'?)" in err


def test_labels_of_an_arm_that_does_not_occur(make_study, capsys):
    err = _error(capsys, _study(make_study, treatment={**TREATMENT, "order": [], "labels": {"Placbo": "PBO"}}))
    assert "treatment.labels: arm 'Placbo' does not occur in column ARM of subjects.csv" in err


def test_a_stratification_factor_with_one_level(make_study, capsys):
    cmh = {"id": "c", "method": "cmh", "measure": "CGI-I", "visits": "Week 2", "strata": "SITE"}
    err = _error(capsys, _study(make_study, subjects=SUBJECTS.replace(",702,", ",701,"), analyses=[cmh]))
    assert ("analyses.0.strata: SITE has one level ('701') among the subjects of analysis c; a stratification factor "
            "needs two or more") in err


def test_a_factor_of_the_plan_is_counted_per_level_in_the_subject_tables(make_study):
    # an undeclared site code that an analysis uses as a factor was summarised as a mean (701.5) in the subject tables
    from trialkit.results import build_ard

    study = make_study(config={**PLAN, "subjects": {"covariates": ["SITE", "AGE"]}}, records=RECORDS, subjects=SUBJECTS)
    config, checked = check_study(study)
    assert "SITE" not in config.variables
    ard = build_ard(derive(checked, config), checked.subjects, config)
    site = ard[(ard.analysis == "baseline") & (ard.measure == "SITE") & (ard.group == "all") & (ard.stat == "n")]
    assert dict(zip(site.category, site.value)) == {"701": 2, "702": 2}  # by hand: S1, S3 at 701; S2, S4 at 702
    age = ard[(ard.analysis == "baseline") & (ard.measure == "AGE") & (ard.group == "all")]
    assert dict(zip(age.stat, age.value))["mean"] == (13 + 15 + 16 + 14) / 4  # a covariate of the plan stays a number


def test_a_selection_that_keeps_no_record_is_an_error(make_study, capsys):
    # a misspelt value (LCOF) used to leave the analysis without records: a table of NE cells
    err = _error(capsys, _study(make_study, analyses=[{**ANCOVA, "select": {"DTYPE": ["LCOF"]}}]))
    assert ("analyses.0.select.DTYPE: no record of CGI-S left for analysis anc holds ['LCOF'] (did you mean 'LOCF'?); "
            "the values there are ['', 'LOCF']") in err
