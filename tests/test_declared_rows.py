"""Declared analyses on small studies: arm labels in the ARD and the report, what a model cannot estimate (an empty
arm x site cell, a model that does not converge) as NE cells and a finding, never a traceback; the multiplicity
family; plans the data cannot serve stop with exit 2 naming the study.yaml key and value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.helpers import run_cli
from trialkit.results import Contrast, read_ard
from trialkit.stats.multiplicity import holm

ANCOVA = {"id": "anc", "method": "ancova", "measure": "CGI-S", "visits": ["Week 2"], "factors": ["SITE"],
          "covariates": ["baseline"], "analysis_set": "Efficacy"}


def _study(make_study, arms, *, per_arm=4, sites=("701", "702"), noise=True, absent=(), analyses=(ANCOVA,),
           **config):
    """Subjects 1..n, arms in turn; CGI-S and CGI-I at every visit; ``absent``: (arm, site) cells without subjects."""
    rng = np.random.default_rng(7)
    subjects, records = ["SUBJID,ARM,DOSE,SITE,EFFFL,TIER,GRM1,AGE"], ["SUBJID,VISIT,PARAM,AVAL,DTYPE"]
    k = 0
    for a, arm in enumerate(arms):
        for i in range(per_arm):
            site = sites[i % len(sites)]
            if (arm, site) in absent:
                site = next(s for s in sites if (arm, s) not in absent)
            k += 1
            subject = f"S{k:02d}"
            subjects.append(f"{subject},{arm},{10 * a},{site},Y,{1 + i % 2},0,{12 + i % 5}")
            base = 4 + (k % 3) if noise else 5 + k % 2
            for j, visit in enumerate(["Baseline", "Week 1", "Week 2"]):
                value = base - j * (a + 1) * 0.5 + rng.normal(0, 0.7) if noise else base - j * (a + 1)
                for measure in ("CGI-S", "CGI-I"):
                    records.append(f"{subject},{visit},{measure},{int(np.clip(np.rint(value), 1, 7))},")
    plan = {"treatment": {"arm": "ARM", "control": arms[0], "order": list(arms), "dose": "DOSE"},
            "analysis_sets": {"Efficacy": {"EFFFL": ["Y"]}}, "variables": {"SITE": "categorical"},
            "analyses": list(analyses), **config}
    return make_study(config=plan, records="\n".join(records) + "\n", subjects="\n".join(subjects) + "\n")


def _run(capsys, study, tmp_path):
    out = run_cli(capsys, "run", str(study), "--out", str(tmp_path / "out"))
    assert out.code == 0 and "Traceback" not in out.err, out.err
    return read_ard(tmp_path / "out" / "ard.csv"), pd.read_csv(tmp_path / "out" / "data_issues.csv", dtype=str,
                                                               keep_default_na=False)


def _error(capsys, study) -> str:
    out = run_cli(capsys, "run", str(study), "--out", str(study / "out"))
    assert out.code == 2 and "Traceback" not in out.err, out.err
    assert not (study / "out" / "ard.csv").exists()
    return out.err


def test_arm_labels_name_columns_groups_and_contrasts(make_study, capsys, tmp_path):
    study = _study(make_study, ["Placebo", "Active"], treatment={"arm": "ARM", "control": "Placebo",
                                                                 "order": ["Placebo", "Active"],
                                                                 "labels": {"Placebo": "Pbo", "Active": "Act 10 mg"}})
    ard, _ = _run(capsys, study, tmp_path)
    rows = ard[ard.analysis_id == "anc"]
    assert set(rows[rows.analysis == "ancova"].contrast) == {"Pbo", "Act 10 mg", "Act 10 mg - Pbo"}
    assert set(rows[rows.analysis == "population"].group) == {"Pbo", "Act 10 mg", "all"}
    html = (tmp_path / "out" / "report.html").read_text()
    assert "Act 10 mg (N=4)" in html and "Active (N=" not in html


def test_an_empty_arm_by_site_cell_gives_ne_and_a_finding(make_study, capsys, tmp_path):
    interaction = {**ANCOVA, "interactions": ["arm*SITE"], "weights": "equal"}
    study = _study(make_study, ["Placebo", "Active"], per_arm=6, absent={("Active", "702")}, analyses=[interaction])
    ard, issues = _run(capsys, study, tmp_path)
    ls = ard[(ard.analysis == "ancova") & (ard.stat == "estimate")].set_index("contrast").value
    # equal weights over the sites: Active has no subject at site 702, so its LS mean is not estimable (SAS: Non-est)
    assert np.isfinite(ls["Placebo"]) and np.isnan(ls["Active"]) and np.isnan(ls["Active - Placebo"])
    notes = issues[issues.check == "analysis_note"].message.tolist()
    assert any(m.startswith("analysis anc at Week 2: the design has rank") for m in notes), notes
    assert "the LS mean of arm 'Active' is not estimable in this model" in " ".join(notes)
    table = (tmp_path / "out" / "tables" / "t_14_2_1.rtf").read_text()
    assert "LS mean (SE) [1]" in table and "NE (NE)" in table


def test_an_mmrm_that_cannot_be_fitted_gives_ne_and_findings(make_study, capsys, tmp_path):
    mmrm = {"id": "mm", "method": "mmrm", "measure": "CGI-S", "covariates": ["baseline"], "analysis_set": "Efficacy"}
    # every subject of an arm changes by the same whole amount: no residual variance, so no covariance structure
    # of the chain can be fitted
    study = _study(make_study, ["Placebo", "Active"], noise=False, analyses=[mmrm],
                   models={"mmrm": {"covariance": "us", "fallback": ["cs"]}})
    ard, issues = _run(capsys, study, tmp_path)
    rows = ard[(ard.analysis == "mmrm") & (ard.stat == "estimate")]
    assert len(rows) and rows.value.isna().all()
    assert "NOT ESTIMATED" in rows.note.iat[0]
    notes = issues[issues.check == "analysis_note"].message.tolist()
    assert len(notes) == 1 and notes[0].startswith("analysis mm: the model could not be fitted: no covariance "
                                                   "structure could be fitted: us: ")
    assert "cs: " in notes[0] and "no residual variance" in notes[0]
    # and each estimate it could not give, named once (trialkit.results.estimability)
    cells = issues[issues.check == "not_estimable"].message.tolist()
    assert "mmrm mm, CGI-S, Week 1, Placebo: not estimable from these data (n = 4); shown as NE" in cells


def test_holm_adjusts_every_comparison_the_analysis_reports(make_study, capsys, tmp_path):
    pairwise = {**ANCOVA, "contrasts": ["pairwise"], "multiplicity": "holm"}
    study = _study(make_study, ["Placebo", "Low", "High"], per_arm=6, analyses=[pairwise])
    ard, _ = _run(capsys, study, tmp_path)
    diffs = ard[(ard.analysis == "ancova") & ard.contrast.str.contains(" - ")]
    p = diffs[diffs.stat == "p_value"].set_index("contrast").value
    adjusted = diffs[diffs.stat == "p_adjusted"].set_index("contrast").value
    order = ["Low - Placebo", "High - Placebo", "High - Low"]
    assert list(p.index) == order
    np.testing.assert_allclose(adjusted[order], holm(p[order].to_numpy()), rtol=1e-12)  # the family of three


def test_dunnett_beyond_four_comparisons_stops_naming_the_analysis(make_study, capsys):
    dunnett = {**ANCOVA, "factors": [], "multiplicity": "dunnett"}
    study = _study(make_study, ["P", "A", "B", "C", "D", "E"], per_arm=3, analyses=[dunnett])
    err = _error(capsys, study)
    assert "analyses.0 (anc): Dunnett's adjustment is computed for up to 4 comparisons, not 5" in err


@pytest.mark.parametrize("change, expected", [
    ({"factors": ["SITEX"]}, "column 'SITEX' (from analyses.0.factors (SITEX) in study.yaml) not found (did you mean 'SITE'?)"),
    ({"select": {"DTYP": [""]}}, "column 'DTYP' (from analyses.0.select (DTYP) in study.yaml) not found (did you mean 'DTYPE'?)"),
    ({"covariates": ["baseline", "AGEX"]}, "column 'AGEX' (from analyses.0.covariates (AGEX) in study.yaml) not found"),
])
def test_a_column_the_plan_names_must_exist(make_study, capsys, change, expected):
    assert expected in _error(capsys, _study(make_study, ["Placebo", "Active"], analyses=[{**ANCOVA, **change}]))


def test_cmh_strata_and_the_subject_tables_set_must_exist(make_study, capsys):
    cmh = {"id": "c", "method": "cmh", "measure": "CGI-I", "strata": "TIERX", "response": "value"}
    err = _error(capsys, _study(make_study, ["Placebo", "Active"], analyses=[cmh]))
    assert "column 'TIERX' (from analyses.0.strata (TIERX) in study.yaml) not found (did you mean 'TIER'?)" in err
    err = _error(capsys, _study(make_study, ["Placebo", "Active"], subjects={"genotype_flags": ["GRM1"],
                                                                            "subgroups": ["TIER"], "analysis_set": "ITT"}))
    assert "subjects.analysis_set: 'ITT' is not under analysis_sets: ['Efficacy']" in err


def test_the_subject_tables_use_subjects_analysis_set(make_study, capsys, tmp_path):
    study = _study(make_study, ["Placebo", "Active"], subjects={"genotype_flags": ["GRM1"], "subgroups": ["TIER"],
                                                                "analysis_set": "Efficacy"})
    subjects = (study / "subjects.csv").read_text().replace("S01,Placebo,0,701,Y", "S01,Placebo,0,701,N")
    (study / "subjects.csv").write_text(subjects)
    ard, issues = _run(capsys, study, tmp_path)
    population = ard[(ard.analysis == "population") & (ard.analysis_id == "population") & (ard.category == "")]
    assert dict(zip(population.group, population.value)) == {"all": 7, "1": 3, "2": 4, "Placebo": 3, "Active": 4}
    assert set(population.analysis_set) == {"Efficacy"}
    left_out = issues[issues.check == "analysis_set"].message.iat[0]
    assert "1 subject not in analysis set Efficacy" in left_out and "the subject tables and short-form" in left_out
    individual = ard[ard.analysis == "individual"]
    assert "S01" not in set(individual.group)


def test_an_arm_with_no_data_at_the_visit_is_ne_with_a_finding(make_study, capsys, tmp_path):
    study = _study(make_study, ["Placebo", "Active"], analyses=[{**ANCOVA, "select": {"DTYPE": [""]}}])
    records = (study / "records.csv").read_text().splitlines()
    # every Active subject's Week 2 CGI-S is carried forward: the observed-cases selection leaves the arm without data
    active = {line.split(",")[0] for line in (study / "subjects.csv").read_text().splitlines() if ",Active," in line}
    records = [line + "LOCF" if line.split(",")[0] in active and ",Week 2,CGI-S," in line else line for line in records]
    (study / "records.csv").write_text("\n".join(records) + "\n")
    ard, issues = _run(capsys, study, tmp_path)
    got = ard[(ard.analysis == "ancova") & (ard.contrast == Contrast.arm("Active").label) & (ard.stat == "estimate")]
    assert got.value.isna().all()
    assert any("arm 'Active' has no rows with complete data" in m for m in issues.message)
