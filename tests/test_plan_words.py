"""The plan in words (methods section, footnotes) says what the plan declares, for every option it accepts."""

from __future__ import annotations

import pytest

from tests.test_plan_data import ANCOVA, _study
from trialkit.derivations import derive
from trialkit.pipeline import check_study
from trialkit.report.build import build_report
from trialkit.report.plan_text import analysis_paragraph
from trialkit.results import build_ard

MMRM = {"id": "mm", "method": "mmrm", "measure": "CGI-S", "visits": "all", "covariates": ["baseline"],
        "analysis_set": "Efficacy"}


@pytest.mark.parametrize("covariance, expected", [
    ("us", "REPEATED / TYPE=UN (R nlme::gls with corSymm and varIdent)."),
    ("ar1", "REPEATED / TYPE=AR(1) (R nlme::gls with corAR1)."),
    ("csh", "REPEATED / TYPE=CSH (R nlme::gls with corCompSymm and varIdent)."),
    ("toep", "REPEATED / TYPE=TOEP."),  # nlme::gls has no Toeplitz structure
])
def test_the_mmrm_methods_name_the_declared_covariance(make_study, covariance, expected):
    # the methods said TYPE=UN whatever the plan declared
    config, _ = check_study(_study(make_study, analyses=[{**MMRM, "covariance": covariance}]))
    assert expected in analysis_paragraph(config.declared[0], config)


def test_an_analysis_without_comparisons_has_ls_means_only(make_study):
    # contrasts: [] made the methods section fail with an IndexError (exit 1, a traceback)
    config, checked = check_study(_study(make_study, analyses=[{**ANCOVA, "contrasts": []}]))
    ard = build_ard(derive(checked, config), checked.subjects, config)
    rows = ard[ard.analysis == "ancova"]
    assert set(rows.contrast) == {"Placebo", "Active"}  # the arms' LS means; no difference, no dose response
    report = build_report(ard, checked.issues_frame(), config, {})
    methods = " ".join(report.methods)
    assert "Comparisons: none (LS means only)." in methods
    assert "multiple comparisons" not in methods  # no p-values to adjust, or not
