"""trialkit run example_rct: every declared analysis in ard.csv under its documented contrast labels, with the
numbers trialkit.stats gives on the records read straight from the files, and those R gives
(tests/reference/example_rct.R -> example_rct.json); the outputs byte-identical across runs.

Tolerances: rtol 1e-6 against R for the same method (lm + emmeans, binom.test, the Newcombe interval, coin and
mantelhaen.test for the CMH statistics). Two documented exceptions, as in tests/test_ancova.py: Dunnett against
multcomp's glht (randomised quasi-Monte Carlo): adjusted p within 2e-6, simultaneous limits within 2e-4 of an
SE; the MMRM against nlme::gls + emmeans: R has no Kenward-Roger for gls, so the plan's Kenward-Roger fit is
compared on its estimates (which do not depend on the df method) within 1e-5 of an SE (gls's optimiser), and the
same model with Satterthwaite df on its SEs (within 1e-5 of an SE) and df (within 1%: emmeans' approximate
Satterthwaite for gls).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from tests.conftest import ROOT
from trialkit.results import Contrast, read_ard
from trialkit.stats import ancova, cmh, mmrm_by_arm, responder_by_arm

STUDY = ROOT / "example_rct"
ARMS = ["Placebo", "Drug 200 mg", "Drug 400 mg"]
RTOL = 1e-6


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A copy of example_rct (outputs are never written into the repository)."""
    folder = tmp_path_factory.mktemp("rct_study")
    shutil.copytree(STUDY, folder, dirs_exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def run(study, tmp_path_factory):
    from trialkit.pipeline import run_study

    out = tmp_path_factory.mktemp("rct_out")
    run_study(study, out)
    return out


@pytest.fixture(scope="module")
def ard(run):
    return read_ard(run / "ard.csv")


@pytest.fixture(scope="module")
def ref(reference):
    return reference("example_rct.json")


def _rows(ard, analysis_id, analysis=None, **key):
    part = ard[ard.analysis_id == analysis_id]
    if analysis:
        part = part[part.analysis == analysis]
    for column, value in key.items():
        part = part[part[column] == value]
    return part


def _stats(ard, analysis_id, analysis, contrast, visit="Week 6", **key) -> dict[str, float]:
    part = _rows(ard, analysis_id, analysis, visit=visit, contrast=contrast.label if contrast else "", **key)
    assert len(part), (analysis_id, analysis, contrast, visit, key)
    assert not part.stat.duplicated().any()
    return dict(zip(part.stat, part.value))


# ---- the records, read from the files as the plan describes them (independently of trialkit's loaders) --------

@pytest.fixture(scope="module")
def files():
    subjects = pd.read_csv(STUDY / "data" / "subjects.csv", dtype=str)
    records = pd.read_csv(STUDY / "data" / "cgi_visits.csv", dtype={"AVAL": float, "SUBJID": str})
    return records.merge(subjects, on="SUBJID")


@pytest.fixture(scope="module")
def cgis(files):
    """CGI-S of the efficacy set at the post-baseline visits with BASE and CHG."""
    d = files[(files.PARAM == "CGI-S") & (files.EFFFL == "Y")]
    base = d[d.VISIT == "Baseline"].set_index("SUBJID").AVAL
    d = d[d.VISIT != "Baseline"].assign(BASE=lambda x: x.SUBJID.map(base))
    return d.assign(CHG=d.AVAL - d.BASE).dropna(subset=["CHG"])


# ---- the rows and their labels -----------------------------------------------------------------------------

def test_every_declared_analysis_has_its_rows_and_labels(ard):
    assert list(ard.columns[-2:]) == ["analysis_id", "analysis_set"]
    declared = ard[ard.analysis_id != ard.analysis]
    assert list(dict.fromkeys(declared.analysis_id)) == ["cgis_summary", "cgis_ancova", "cgis_mmrm", "cgii_cmh",
                                                         "cgii_responders"]
    assert set(_rows(ard, "cgii_responders").analysis_set) == {"ITT"}
    assert set(_rows(ard, "cgis_ancova").analysis_set) == {"Efficacy"}
    ancova_rows = _rows(ard, "cgis_ancova", "ancova")
    assert list(dict.fromkeys(ancova_rows.contrast)) == [*ARMS, "Drug 200 mg - Placebo", "Drug 400 mg - Placebo",
                                                         "dose response"]
    assert set(ancova_rows.visit) == {"Week 6"}
    assert set(ancova_rows.stat) == {"n", "estimate", "se", "df", "statistic", "p_value", "ci_lower", "ci_upper",
                                     "p_adjusted", "ci_lower_simultaneous", "ci_upper_simultaneous"}
    assert ancova_rows.note.iat[0] == ("Analysis of covariance of the change from Baseline in Clinical Global Impression - "
                                       "Severity with treatment, "
                                       "genotype tier and site as factors and baseline value as a covariate; LS means "
                                       "with proportional weights, covariates at their mean")
    mmrm_rows = _rows(ard, "cgis_mmrm", "mmrm")
    assert list(dict.fromkeys(mmrm_rows.visit)) == ["Week 2", "Week 4", "Week 6", ""]
    assert set(mmrm_rows[mmrm_rows.visit == ""].contrast) == {
        "Placebo (average of visits)", "Drug 200 mg (average of visits)", "Drug 400 mg (average of visits)",
        "Drug 200 mg - Placebo (average of visits)", "Drug 400 mg - Placebo (average of visits)"}
    assert "unstructured covariance within subject, REML, Kenward-Roger degrees of freedom" in mmrm_rows.note.iat[0]
    tests = _rows(ard, "cgii_cmh", "cmh", stat="p_value")
    assert set(tests.contrast) == {"CMH nonzero correlation", "CMH row mean scores differ", "CMH general association"}
    responders = _rows(ard, "cgii_responders", "responder")
    assert set(responders.contrast) == {"", "Drug 200 mg - Placebo", "Drug 400 mg - Placebo",
                                        "Drug 200 mg vs Placebo (CMH)", "Drug 400 mg vs Placebo (CMH)"}
    # summaries per arm (group = the label) and Total (overall/all): treatment.total is set
    summaries = _rows(ard, "cgis_ancova", "change")
    assert list(dict.fromkeys(zip(summaries.group_var, summaries.group))) == [("ARM", a) for a in ARMS] + [("overall", "all")]
    assert not ard.duplicated(["analysis", "measure", "group_var", "group", "visit", "contrast", "stat", "category",
                               "analysis_id"]).any()


def test_the_population_rows_give_each_arms_n_in_its_set(ard, files):
    subjects = files.drop_duplicates("SUBJID")
    for analysis_id, flag in (("cgis_ancova", "EFFFL"), ("cgii_responders", "ITTFL")):
        counts = subjects[subjects[flag] == "Y"].ARM.value_counts()
        rows = _rows(ard, analysis_id, "population")
        assert dict(zip(rows.group, rows.value)) == {**{a: counts[a] for a in ARMS}, "all": counts.sum()}


# ---- the ARD's numbers are trialkit.stats' on the records of the files -----------------------------------

def test_ancova_rows_are_the_ancova_of_the_records(ard, cgis):
    r = ancova(cgis[cgis.VISIT == "Week 6"], "CHG", "ARM", control="Placebo", arms=ARMS, factors=["TIER", "SITE"],
               covariates=["BASE"], dose="DOSE", subject="SUBJID", multiplicity="dunnett")
    for row in r.lsmeans.itertuples():
        got = _stats(ard, "cgis_ancova", "ancova", Contrast.arm(row.arm))
        assert_allclose([got[s] for s in ("estimate", "se", "df", "p_value", "ci_lower")],
                        [row.estimate, row.se, row.df, row.p_value, row.ci_lower], rtol=1e-12)
    for row in r.differences[r.differences.family == "vs control"].itertuples():
        got = _stats(ard, "cgis_ancova", "ancova", Contrast.difference(row.arm, "Placebo"))
        assert_allclose([got[s] for s in ("estimate", "se", "p_value", "p_adjusted", "ci_upper_simultaneous")],
                        [row.estimate, row.se, row.p_value, row.p_adjusted, row.ci_upper_simultaneous], rtol=1e-12)
    got = _stats(ard, "cgis_ancova", "ancova", Contrast.dose_response())
    assert got["p_value"] == pytest.approx(r.dose_response.p_value[0], rel=1e-12)


def test_ancova_matches_lm_emmeans_and_glht(ard, ref):
    # R: lm(CHG ~ ARM + TIER + SITE + BASE); emmeans(weights = "proportional"); lm(CHG ~ DOSE + ...); glht Dunnett
    expected = ref["cgis_ancova"]
    for i, arm in enumerate(expected["lsmeans"]["arm"]):
        got = _stats(ard, "cgis_ancova", "ancova", Contrast.arm(arm))
        assert got["n"] == expected["n"][arm]
        for stat in ("estimate", "se", "df", "ci_lower", "ci_upper", "statistic", "p_value"):
            assert_allclose(got[stat], expected["lsmeans"][stat][i], rtol=RTOL, err_msg=f"{arm} {stat}")
    for i, label in enumerate(expected["differences"]["contrast"]):
        got = _stats(ard, "cgis_ancova", "ancova", Contrast.difference(*label.split(" - ")))
        for stat in ("estimate", "se", "df", "ci_lower", "ci_upper", "statistic", "p_value"):
            assert_allclose(got[stat], expected["differences"][stat][i], rtol=RTOL, err_msg=f"{label} {stat}")
        dunnett = expected["dunnett"]
        assert dunnett["contrast"][i] == label
        assert_allclose(got["p_adjusted"], dunnett["p_adjusted"][i], atol=2e-6)
        assert_allclose(got["ci_lower_simultaneous"], dunnett["ci_lower"][i], atol=2e-4 * got["se"])
        assert_allclose(got["ci_upper_simultaneous"], dunnett["ci_upper"][i], atol=2e-4 * got["se"])
    got = _stats(ard, "cgis_ancova", "ancova", Contrast.dose_response())
    for stat in ("estimate", "se", "df", "statistic", "p_value", "ci_lower", "ci_upper"):
        assert_allclose(got[stat], expected["dose"][stat], rtol=RTOL, err_msg=stat)


def test_summary_rows_match_r(ard, ref):
    # R: length, mean, sd, median, min, max of BASE, AVAL and CHG at Week 6, per arm
    baseline_visit = {"baseline": ("descriptive", "Baseline", None), "value": ("descriptive", "Week 6", None),
                      "change": ("change", "Week 6", Contrast.change("Week 6", "Baseline"))}
    for arm, parts in ref["cgis_ancova"]["summaries"].items():
        for part, expected in parts.items():
            analysis, visit, contrast = baseline_visit[part]
            got = _stats(ard, "cgis_ancova", analysis, contrast, visit=visit, group_var="ARM", group=arm)
            for stat, value in expected.items():
                assert_allclose(got[stat], value, rtol=1e-12, err_msg=f"{arm} {part} {stat}")


def test_mmrm_rows_are_mmrm_by_arm_and_match_gls(ard, cgis, ref):
    options = {"visit": "VISIT", "subject": "SUBJID", "control": "Placebo", "arms": ARMS,
               "visits": ["Week 2", "Week 4", "Week 6"], "baseline": "BASE", "factors": ["TIER"],
               "covariance": ("us", "toep", "ar1", "cs")}
    kr = mmrm_by_arm(cgis, "CHG", "ARM", df="kenward-roger", **options)
    assert kr.fit.structure == "us" and kr.fit.converged
    for row in kr.lsmeans.itertuples():
        got = _stats(ard, "cgis_mmrm", "mmrm", Contrast.arm(row.arm), visit=row.visit)
        assert_allclose([got[s] for s in ("estimate", "se", "df", "p_value")], [row.estimate, row.se, row.df, row.p_value],
                        rtol=1e-9)
    for row in kr.average_differences[kr.average_differences.family == "vs control"].itertuples():
        got = _stats(ard, "cgis_mmrm", "mmrm", Contrast.difference_average(row.arm, "Placebo"), visit="")
        assert_allclose([got["estimate"], got["se"], got["p_value"]], [row.estimate, row.se, row.p_value], rtol=1e-9)
    # R: gls(CHG ~ ARM * VISIT + BASE * VISIT + TIER, corSymm + varIdent, REML); emmeans mode "satterthwaite"
    expected = ref["cgis_mmrm"]
    sat = mmrm_by_arm(cgis, "CHG", "ARM", df="satterthwaite", **options)
    assert sat.fit.n_obs == expected["n_obs"] and sat.fit.deviance == pytest.approx(expected["m2rll"], abs=1e-5)
    ls = expected["lsmeans"]
    se = np.asarray(ls["se"])
    got_kr = [_stats(ard, "cgis_mmrm", "mmrm", Contrast.arm(a), visit=v)["estimate"] for v, a in zip(ls["visit"], ls["arm"])]
    assert_allclose(got_kr, ls["estimate"], atol=1e-5 * se.min(), rtol=0)
    got = sat.lsmeans.set_index(["visit", "arm"]).loc[list(zip(ls["visit"], ls["arm"]))]
    assert_allclose(got.se, se, atol=1e-5 * se.min(), rtol=0)
    assert_allclose(got.df, ls["df"], rtol=0.01)
    avg = expected["average_differences"]
    got = [_stats(ard, "cgis_mmrm", "mmrm", Contrast.difference_average(*c.split(" - ")), visit="")["estimate"]
           for c in avg["contrast"]]
    assert_allclose(got, avg["estimate"], atol=1e-5 * min(avg["se"]), rtol=0)


def test_cmh_rows_match_coin_and_mantelhaen(ard, files, ref):
    cgii = files[(files.PARAM == "CGI-I") & (files.EFFFL == "Y")]
    for visit, expected in ref["cgii_cmh"].items():
        direct = cmh(cgii[cgii.VISIT == visit], "ARM", "AVAL", "TIER", row_order=ARMS).tests.set_index("test")
        for test in ("correlation", "row_mean_scores", "general_association"):
            got = _stats(ard, "cgii_cmh", "cmh", Contrast.cmh(test), visit=visit)
            for stat in ("statistic", "df", "p_value"):
                assert_allclose(got[stat], expected[test][stat], rtol=RTOL, err_msg=f"{visit} {test} {stat}")
                assert got[stat] == pytest.approx(direct.loc[test, stat], rel=1e-12)
        assert_allclose(_stats(ard, "cgii_cmh", "cmh", Contrast.cmh("general_association"), visit=visit)["statistic"],
                        expected["mantelhaen"]["statistic"], rtol=RTOL)
        for arm, counts in expected["counts"].items():
            for level, n in counts.items():
                got = _stats(ard, "cgii_cmh", "cmh", None, visit=visit, group_var="ARM", group=arm, category=level)
                assert got["n"] == n
            total = _stats(ard, "cgii_cmh", "cmh", None, visit=visit, group_var="ARM", group=arm, category="")
            assert total["n"] == sum(counts.values())


def test_responder_rows_match_binom_newcombe_and_mantelhaen(ard, files, ref):
    expected = ref["cgii_responders"]
    for arm, rate in expected["rates"].items():
        got = _stats(ard, "cgii_responders", "responder", None, group_var="ARM", group=arm)
        for stat, value in rate.items():
            assert_allclose(got[stat], value, rtol=RTOL, err_msg=f"{arm} {stat}")
    total = _stats(ard, "cgii_responders", "responder", None, group_var="overall", group="all")
    assert_allclose([total[s] for s in ("n", "n_responders", "ci_lower", "ci_upper")],
                    [expected["total"][s] for s in ("n", "n_responders", "ci_lower", "ci_upper")], rtol=RTOL)
    itt = files[(files.PARAM == "CGI-I") & (files.ITTFL == "Y") & (files.VISIT == "Week 6")]
    direct = responder_by_arm(itt.assign(R=itt.AVAL <= 2), "R", "ARM", control="Placebo", arms=ARMS, strata="TIER")
    for arm, diff in expected["differences"].items():
        got = _stats(ard, "cgii_responders", "responder", Contrast.difference(arm, "Placebo"))
        for stat in ("estimate", "ci_lower", "ci_upper", "p_value"):
            assert_allclose(got[stat], diff[stat], rtol=RTOL, err_msg=f"{arm} {stat}")
        stratified = _stats(ard, "cgii_responders", "responder", Contrast.stratified(arm, "Placebo"))
        assert_allclose([stratified["statistic"], stratified["p_value"]], [diff["cmh_statistic"], diff["cmh_p_value"]],
                        rtol=RTOL)
        assert got["estimate"] == direct.differences.set_index("arm").estimate[arm]


# ---- the outputs --------------------------------------------------------------------------------------------

def _hashes(out) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and not p.name.startswith(".trialkit")}


def test_the_outputs_are_byte_identical_across_runs(study, run, tmp_path):
    env = {**os.environ, "PYTHONHASHSEED": "4242", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "trialkit", "run", str(study), "--out", str(tmp_path / "again")],
                   cwd=tmp_path, env=env, check=True, capture_output=True)
    first, second = _hashes(run), _hashes(tmp_path / "again")
    assert {"report.pdf", "report.html", "ard.csv", "tables/t_14_2_2.rtf"} <= set(first)
    assert first == second


@pytest.mark.parametrize("example", ["example_rct", "example_study"])
def test_the_seeded_script_makes_the_shipped_data(tmp_path, example):
    """The example's data are what its seeded script writes, byte for byte (run from a copy, outside the tree)."""
    shutil.copy(ROOT / example / "make_data.py", tmp_path / "make_data.py")
    subprocess.run([sys.executable, str(tmp_path / "make_data.py")], check=True, cwd=tmp_path, capture_output=True)
    shipped = sorted(p.name for p in (ROOT / example / "data").iterdir() if p.suffix == ".csv")
    assert shipped and sorted(p.name for p in (tmp_path / "data").iterdir()) == shipped
    for name in shipped:
        assert (tmp_path / "data" / name).read_bytes() == (ROOT / example / "data" / name).read_bytes(), name
