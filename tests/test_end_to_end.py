"""trialkit run example_study: the published summary in ard.csv, and the report a person reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from tests.conftest import EXAMPLE
from trialkit.results import read_ard

STATS = {"n", "mean", "sd", "se", "median", "q1", "q3", "min", "max", "estimate", "ci_lower", "ci_upper", "df",
         "statistic", "p_value", "effect_size", "n_responders", "proportion",
         "p_adjusted", "num_df", "converged",  # added by the mixed-model issue
         "bf10", "power", "rank_biserial", "cles",  # added by pingouin in the paired analyses (issue 14)
         "ci_level",  # the Hodges-Lehmann interval's real confidence level (review of issue 14)
         "value", "change",  # each subject's value and change (analysis "individual", for the figures)
         # the ordinal analyses (issue 14): models, shift tables, Friedman's test
         "n_excluded", "estimable", "loglik", "aic", "po_statistic", "po_df", "po_p_value", "odds_ratio",
         "odds_ratio_ci_lower", "odds_ratio_ci_upper", "threshold", "threshold_se", "stuart_maxwell_statistic",
         "stuart_maxwell_df", "stuart_maxwell_p_value", "bowker_statistic", "bowker_df", "bowker_p_value", "k",
         "n_baseline", "n_endpoint",
         "kendall_w"}


@pytest.fixture(scope="module")
def pdf_text(example_run):
    reader = PdfReader(example_run / "report.pdf")
    return [page.extract_text() for page in reader.pages]


def _value(ard, analysis, measure, stat, visit="", group_var="overall", group="all"):
    rows = ard[(ard.analysis == analysis) & (ard.measure == measure) & (ard.stat == stat) & (ard.visit == visit)
               & (ard.group_var == group_var) & (ard.group == group)]
    assert len(rows) == 1, (analysis, measure, stat, visit)
    return rows.value.iat[0]


@pytest.mark.parametrize(("measure", "visit", "published_mean", "n"), [
    # Elia et al. 2018, open-label fasoracetam: CGI-I 3.79 -> 2.33, CGI-S 4.83 -> 3.86 (Baseline -> Week 5)
    ("CGI-I", "Baseline", 3.79, 29), ("CGI-I", "Week 5", 2.33, 30),
    ("CGI-S", "Baseline", 4.83, 30), ("CGI-S", "Week 5", 3.86, 29),
])
def test_published_means(ard, measure, visit, published_mean, n):
    assert round(_value(ard, "descriptive", measure, "mean", visit), 2) == published_mean
    assert _value(ard, "descriptive", measure, "n", visit) == n


@pytest.mark.parametrize("measure", ["CGI-I", "CGI-S"])
@pytest.mark.parametrize("test", ["paired_t", "wilcoxon"])
def test_baseline_to_week5_change_is_significant(ard, measure, test):
    rows = ard[(ard.analysis == test) & (ard.measure == measure) & (ard.group == "all")]
    assert set(rows.contrast) == {"Week 5 - Baseline"}
    assert _value(ard, test, measure, "p_value") < 0.001
    assert _value(ard, test, measure, "estimate") < 0  # scores fall: improvement


def test_paired_t_estimate_is_the_mean_change(ard):
    # same subjects (complete pairs) -> the paired t estimate equals the mean change at Week 5
    for m in ("CGI-I", "CGI-S"):
        assert _value(ard, "paired_t", m, "estimate") == pytest.approx(_value(ard, "change", m, "mean", "Week 5"), rel=1e-12)
        assert _value(ard, "paired_t", m, "n") == _value(ard, "change", m, "n", "Week 5")


def test_ard_contract(ard, example_run):
    columns = list(pd.read_csv(example_run / "ard.csv", nrows=0).columns)
    # the contract: these columns in this order (new ones may only be appended)
    assert columns == ["analysis", "measure", "group_var", "group", "visit", "contrast", "stat", "value", "category",
                       "note", "analysis_id", "analysis_set"]
    assert (ard.analysis_id == ard.analysis).all() and (ard.analysis_set == "").all()  # no declared analyses
    assert set(ard.stat) <= STATS
    assert set(ard.analysis) == {"population", "disposition", "baseline", "individual", "descriptive", "change",
                                 "paired_t", "wilcoxon", "responder", "lmm", "mmrm", "categories", "ordinal", "shift",
                                 "friedman"}
    individual = ard[ard.analysis == "individual"]
    assert set(individual.group_var) == {"subject"} and individual.group.nunique() == 30
    # ("TIER", "") holds the visit x TIER interaction tests of the models, and the ordinal model by TIER
    aggregate = ard[ard.analysis != "individual"]
    assert set(zip(aggregate.group_var, aggregate.group)) == {("overall", "all"), ("TIER", "1"), ("TIER", "2"), ("TIER", "3"), ("TIER", "")}
    assert not ard.duplicated(["analysis", "measure", "group_var", "group", "visit", "contrast", "stat", "category"]).any()


def test_subgroups_add_up_to_overall(ard):
    tiers = ard[(ard.analysis == "population") & (ard.group_var == "TIER")].value.sum()
    assert tiers == _value(ard, "population", "", "n") == 30
    for visit in ("Baseline", "Week 5"):
        by_tier = sum(_value(ard, "descriptive", "CGI-I", "n", visit, "TIER", t) for t in "123")
        assert by_tier == _value(ard, "descriptive", "CGI-I", "n", visit)


def test_responders_only_for_measures_with_a_threshold(ard):
    resp = ard[ard.analysis == "responder"]
    assert set(resp.measure) == {"CGI-I"} and set(resp.visit) == {"Week 5"}
    n, k = _value(ard, "responder", "CGI-I", "n", "Week 5"), _value(ard, "responder", "CGI-I", "n_responders", "Week 5")
    assert _value(ard, "responder", "CGI-I", "proportion", "Week 5") == k / n


def test_data_issues_listing(example_run):
    issues = pd.read_csv(example_run / "data_issues.csv", dtype=str, keep_default_na=False)
    assert set(zip(issues.check, issues.subject, issues.measure)) == {
        ("missing_baseline", "117", "CGI-I"), ("missing_endpoint", "124", "CGI-S"),
        ("missing_visit", "109", "CGI-S"), ("missing_visit", "109", "CGI-I"),
        # the proportional-odds tests cannot be computed with 29 subjects, nor the thresholds of empty categories
        ("not_estimable", "", "CGI-S"), ("not_estimable", "", "CGI-I")}
    assert set(issues.severity) == {"warning"}
    not_estimable = issues[issues.check == "not_estimable"]
    assert list(zip(not_estimable.column, not_estimable.value)) == [("", ""), ("TIER", "")] * 2
    assert not_estimable.message.str.startswith("ordinal, CGI-").all()


def test_pdf_shows_title_tables_and_numbers(pdf_text):
    text = "\n".join(pdf_text)
    assert "NFC1-SIM" in pdf_text[0]
    assert "Fasoracetam in adolescents with ADHD and mGluR" in pdf_text[0] and "(simulated data)" in pdf_text[0]
    for title in ("CGI-S: observed values by visit", "CGI-I: change from Baseline by visit",
                  "CGI-I: Week 5 vs Baseline, paired t-test", "CGI-S: Week 5 vs Baseline, Wilcoxon signed-rank test",
                  "CGI-I: responders at Week 5", "Data issues", "Population: Subjects with observed Baseline and Week 5"):
        assert title in text, title
    assert "Overall (N=30)" in text and "2 (N=9)" in text and "Genotype tier" in text
    assert "<0.001" in text
    assert f"Page 1 of {len(pdf_text)}" in pdf_text[0]
    assert all("NFC1-SIM Fasoracetam in adolescents" in page for page in pdf_text[1:])  # running header
    assert 10 <= len(pdf_text) <= 22  # 21 tables, 10 figures, listing, methods, appendix: a runaway layout shows here


def test_pdf_numbers_come_from_the_ard(ard, pdf_text):
    text = "\n".join(pdf_text)
    mean = _value(ard, "descriptive", "CGI-I", "mean", "Baseline")
    sd = _value(ard, "descriptive", "CGI-I", "sd", "Baseline")
    assert f"{mean:.1f} ({sd:.2f})" in text  # means to 1 more decimal than the data, SD to 2 more
    lo, hi = _value(ard, "paired_t", "CGI-S", "ci_lower"), _value(ard, "paired_t", "CGI-S", "ci_upper")
    assert f"({lo:.2f}, {hi:.2f})" in text


def test_html_has_the_same_content(example_run, pdf_text):
    html = (example_run / "report.html").read_text()
    assert "CGI-I: responders at Week 5" in html and "Overall (N=30)" in html


@pytest.mark.parametrize("measure", ["CGI-I", "CGI-S"])
def test_models_report_the_endpoint_overall_and_by_tier(ard, measure):
    for analysis, visit in (("lmm", ""), ("mmrm", "Week 5")):
        rows = ard[(ard.analysis == analysis) & (ard.measure == measure)]
        for group in ("all", "1", "2", "3"):
            cell = rows[(rows.group == group) & (rows.visit == visit)].set_index("stat").value
            assert {"estimate", "se", "df", "statistic", "p_value", "ci_lower", "ci_upper"} <= set(cell.index)
            assert cell["ci_lower"] < cell["estimate"] < cell["ci_upper"]
            if group != "all":
                assert cell["p_adjusted"] >= cell["p_value"]
        interaction = rows[rows.contrast == "visit x TIER"].set_index("stat").value
        assert {"statistic", "num_df", "df", "p_value"} <= set(interaction.index)
        assert set(rows.note) - {""}  # every model row names its model


def test_mmrm_used_unstructured_covariance_and_converged(ard):
    rows = ard[(ard.analysis == "mmrm") & (ard.stat == "converged")]
    assert set(rows.value) == {1.0}
    assert all("unstructured covariance, REML, Satterthwaite degrees of freedom" in note for note in rows.note)


def test_holm_adjustment_by_hand(ard):
    rows = ard[(ard.analysis == "lmm") & (ard.measure == "CGI-I") & (ard.group_var == "TIER") & (ard.group != "")]
    p = rows[rows.stat == "p_value"].set_index("group").value
    adjusted = rows[rows.stat == "p_adjusted"].set_index("group").value
    ordered = p.sort_values()
    expected = np.maximum.accumulate(ordered.to_numpy() * np.array([3, 2, 1]))  # Holm: (m - i + 1) p_(i), monotone
    assert adjusted[ordered.index].to_numpy() == pytest.approx(np.minimum(expected, 1), rel=1e-12)


def test_pdf_has_the_model_tables(pdf_text):
    text = "\n".join(pdf_text)
    for title in ("CGI-S: linear mixed model, Week 5 - Baseline", "CGI-I: MMRM, LS mean change from Baseline",
                  "Visit x Genotype tier interaction: F(", "unstructured covariance, REML, Satterthwaite degrees of freedom"):
        assert title in text, title


def test_fallback_is_reported_in_ard_and_report(make_study, tmp_path):
    """3 subjects, 3 post-baseline visits: unstructured covariance (6 parameters) cannot be estimated from
    3 subjects' changes. The fallback structure used, and why us was abandoned, reach the ARD and the report."""
    from trialkit.pipeline import run_study

    rng = np.random.default_rng(11)
    lines = ["SUBJID,VISIT,PARAM,AVAL"]
    for s in ("S1", "S2", "S3"):
        for k, visit in enumerate(["Baseline", "Week 1", "Week 2", "Week 3"]):
            for measure in ("CGI-S", "CGI-I"):
                lines.append(f"{s},{visit},{measure},{int(np.clip(5 - k + rng.integers(-1, 2), 1, 7))}")
    study = make_study(
        config={"visits": {"order": ["Baseline", "Week 1", "Week 2", "Week 3"], "baseline": "Baseline",
                           "endpoint": "Week 3"},
                "subjects": {"genotype_flags": [], "subgroups": []},
                "analyses": ["descriptive", "mmrm"]},
        records="\n".join(lines) + "\n", subjects="SUBJID\nS1\nS2\nS3\n")
    result = run_study(study, tmp_path / "out")
    notes = result.ard[result.ard.analysis == "mmrm"].groupby("measure").note.unique()
    assert all(len(n) == 1 for n in notes)
    note = notes["CGI-S"][0]
    assert "unstructured covariance not used: " in note
    used = note.split(", ")[1]
    assert used in {"Toeplitz covariance", "first-order autoregressive covariance", "compound symmetry covariance"}
    html = (tmp_path / "out" / "report.html").read_text()
    assert "unstructured covariance not used: " in html


def test_report_has_numbered_tables_contents_and_figures(pdf_text, example_run):
    text = "\n".join(pdf_text)
    assert "Contents" in pdf_text[0] and "Table 14.1.1 Analysis population" in pdf_text[0]
    assert "Figure 14.2.1 CGI-S: mean and 95% CI by visit, overall and by subgroup" in text
    assert "Figure 14.2.9 CGI-I: MMRM LS mean change at Week 5 by subgroup, with the overall effect" in text
    assert "Figure 14.2.7 CGI-I: individual subjects over visits, coloured by Genotype tier" in text
    assert "Figure 14.2.8 CGI-I: change from Baseline to Week 5 per subject, coloured by Genotype tier" in text
    assert "Figure 14.2.10 CGI-I: categories by visit, overall and by subgroup" in text
    assert "Listing 16.2.1 Data issues" in text
    html = (example_run / "report.html").read_text()
    assert html.count("<svg") == 10 and "<script" not in html
    assert "lower = better" in html  # axis labels say the scale's direction


def test_figures_are_the_same_bytes_for_the_same_ard(example_run):
    from trialkit.config import load_config
    from trialkit.report import figure_data, figures
    from trialkit.report.lookup import Groups, population
    from trialkit.results import read_ard

    ard = read_ard(example_run / "ard.csv")
    visits = ["Baseline", "Week 1", "Week 2", "Week 3", "Week 4", "Week 5"]
    groups = Groups(load_config(EXAMPLE), population(ard))
    spec = figure_data.mean_ci(ard, groups, "CGI-S", visits, direction="lower = better", conf="95%")
    one, two = figures.draw(spec), figures.draw(spec)
    assert one == two and one.startswith("<svg")
    # the figure shows the ARD's means and CIs: overall first, then the tiers, named by their label
    overall = spec.series[0]
    assert overall.label == "Overall"
    assert [s.label for s in spec.series[1:]] == ["Genotype tier 1", "Genotype tier 2", "Genotype tier 3"]
    assert overall.mean[0] == _value(ard, "descriptive", "CGI-S", "mean", "Baseline")
    assert overall.upper[-1] == _value(ard, "descriptive", "CGI-S", "ci_upper", "Week 5")
    assert one in (example_run / "report.html").read_text()  # the HTML report shows these very bytes


def test_disposition_and_baseline_characteristics(ard, pdf_text):
    disp = ard[(ard.analysis == "disposition") & (ard.group == "all")].set_index("visit").value
    assert disp["Week 3"] == 29 and disp["Baseline"] == 30  # subject 109 missed Week 3
    base = ard[(ard.analysis == "baseline") & (ard.measure == "TIER") & (ard.stat == "n")]
    overall = base[base.group == "all"].set_index("category").value
    assert overall.to_dict() == {"1": 11, "2": 9, "3": 10}
    # a tier column holds zeros for the other tiers, as rows of the ARD
    assert base[(base.group_var == "TIER") & (base.group == "1")].set_index("category").value.to_dict() == {"1": 11, "2": 0, "3": 0}
    subjects = pd.read_csv(EXAMPLE / "data" / "subjects.csv")
    age = ard[(ard.analysis == "baseline") & (ard.measure == "AGE") & (ard.group == "all")].set_index("stat").value
    assert age["mean"] == pytest.approx(subjects.AGE.mean(), rel=1e-12) and age["n"] == 30
    grm5 = ard[(ard.analysis == "baseline") & (ard.measure == "GRM5") & (ard.group == "all")].set_index("stat").value
    assert grm5["n"] == subjects.GRM5.sum()
    text = "\n".join(pdf_text)
    assert "Table 14.1.2 Subject disposition" in text and "Table 14.1.3 Baseline characteristics" in text
    assert "1 (N=11)" in text and "11 (100.0%)" in text


def test_every_table_is_also_an_rtf_file(example_run, pdf_text):
    import re

    tables = sorted((example_run / "tables").glob("t_14_*.rtf"))
    assert [t.name for t in tables][:4] == ["t_14_1_1.rtf", "t_14_1_2.rtf", "t_14_1_3.rtf", "t_14_2_1.rtf"]
    rtf = (example_run / "tables" / "t_14_2_3.rtf").read_text()
    assert rtf.startswith("{\\rtf1") and "Table 14.2.3 CGI-S: Week 5 vs Baseline, paired t-test" in rtf
    assert "Overall (N=30)" in rtf and "<0.001" in rtf and "Courier New" in rtf
    # the same formatted numbers as the PDF
    assert "(-1.29, -0.71)" in rtf and "(-1.29, -0.71)" in "\n".join(pdf_text)
    # the interaction test below a model table: the same line in the RTF and the PDF
    lmm = (example_run / "tables" / "t_14_2_5.rtf").read_text()
    line = re.search(r"Visit x Genotype tier interaction: F\(\d+, [\d.]+\) = [\d.]+, p [=<] [\d.]+", lmm).group(0)
    assert line in "\n".join(pdf_text)


def test_every_number_in_the_report_is_an_ard_value(example_run):
    """Every number the report shows (table cells and Ns, test lines, the figures' values) is a value of ard.csv
    (percentages 100 x a proportion). The templates only format; nothing is computed after the ARD."""
    from tests.helpers import numbers_not_in_ard
    from trialkit.config import load_config
    from trialkit.report.build import build_report

    ard = read_ard(example_run / "ard.csv")
    issues = pd.read_csv(example_run / "data_issues.csv", dtype=str, keep_default_na=False)
    issues["row"] = pd.to_numeric(issues["row"])
    checked, missing = numbers_not_in_ard(build_report(ard, issues, load_config(EXAMPLE)), ard)
    assert not missing
    assert checked > 1000


def test_the_report_unpickles_without_pandas(example_run):
    """The report goes to the render process, which imports neither numpy nor pandas: unpickling it must need
    only the classes of trialkit.report.spec (a numpy scalar in a cell would import numpy there)."""
    import io
    import pickle

    from trialkit.config import load_config
    from trialkit.report.build import build_report

    ard = read_ard(example_run / "ard.csv")
    issues = pd.read_csv(example_run / "data_issues.csv", dtype=str, keep_default_na=False)
    issues["row"] = pd.to_numeric(issues["row"])
    report = build_report(ard, issues, load_config(EXAMPLE))
    needed = set()

    class Recording(pickle.Unpickler):
        def find_class(self, module, name):
            needed.add(module)
            return super().find_class(module, name)

    # compared as text: a not-estimable value is NaN, which is unequal to itself once unpickled
    assert repr(Recording(io.BytesIO(pickle.dumps(report))).load()) == repr(report)
    assert needed == {"trialkit.report.spec"}


def test_test_result_tables_have_a_column_per_group_with_its_n(example_run, pdf_text):
    """Paired t, Wilcoxon, responder and LMM tables in CSR layout, as the value tables: a row per statistic,
    a column per group, the group's N in the column header."""
    import re

    text = "\n".join(pdf_text)
    header = r" +-+ Genotype tier -+\nStatistic +Overall \(N=30\) +1 \(N=11\) +2 \(N=9\) +3 \(N=10\)"
    for title, last_row in (("CGI-S: Week 5 vs Baseline, paired t-test", "Cohen's dz"),
                            ("CGI-I: Week 5 vs Baseline, Wilcoxon signed-rank test", "Rank-biserial r"),
                            ("CGI-I: responders at Week 5", "95% CI (%)"),
                            ("CGI-S: linear mixed model, Week 5 - Baseline", "Holm-adjusted p")):
        found = re.search(rf"{re.escape(title)}\nPopulation: [^\n]+\n{header}\n", text)  # the table, not the contents
        assert found, title
        assert re.search(rf"\n{re.escape(last_row)} +\S", text[found.end():found.end() + 1500]), (title, last_row)


def test_provenance_appendix_shows_inputs_software_and_the_configuration(example_run, pdf_text):
    """The appendix names each input with its SHA-256 (as computed here), the software versions of the
    manifest, and the configuration as loaded, whose canonical JSON has the SHA-256 it states."""
    import hashlib
    import html as html_lib
    import json
    import re

    from trialkit.manifest import canonical_json

    manifest = json.loads((example_run / "manifest.json").read_text())
    text = "\n".join(pdf_text)
    appendix = text[text.rindex("Appendix: provenance"):]
    for item in manifest["inputs"]:
        digest = hashlib.sha256((EXAMPLE / item["path"]).read_bytes()).hexdigest()
        assert f"{item['path']} {item['size']} {digest}" in appendix
    versions = " ".join(appendix[appendix.index("Software versions:"):appendix.index("Configuration as loaded")].split())
    for name, version in manifest["software"].items():
        assert f"{name} {version}" in versions
    html = (example_run / "report.html").read_text()
    shown = re.search(r'<pre class="config">(.*?)</pre>', html, re.S).group(1)
    config = json.loads(html_lib.unescape(shown))
    assert config == manifest["config"]
    assert hashlib.sha256(canonical_json(config).encode("utf-8")).hexdigest() == manifest["config_sha256"]
    assert manifest["config_sha256"] in appendix.replace("\n", "")
