"""Figures stay small and readable for large studies."""

from __future__ import annotations

import pandas as pd

from trialkit.report import figures


def _individual(n: int) -> pd.DataFrame:
    rows = []
    for i in range(n):
        for k, visit in enumerate(["Baseline", "Week 5"]):
            rows.append(("individual", "CGI-S", "subject", f"S{i:04d}", visit, "", "value", 4.0 - k * (i % 3), str(1 + i % 3), ""))
        rows.append(("individual", "CGI-S", "subject", f"S{i:04d}", "Week 5", "Week 5 - Baseline", "change",
                     -float(i % 3), str(1 + i % 3), ""))
    return pd.DataFrame(rows, columns=["analysis", "measure", "group_var", "group", "visit", "contrast", "stat",
                                       "value", "category", "note"])


def test_waterfall_of_thousands_of_subjects_is_one_path_per_level():
    small = figures.waterfall(_individual(50), "CGI-S", contrast="Week 5 - Baseline", direction="lower = better", subgroup="TIER")
    large = figures.waterfall(_individual(3000), "CGI-S", contrast="Week 5 - Baseline", direction="lower = better", subgroup="TIER")
    assert small.count("<path") > 50          # a bar per subject
    assert large.count("<path") < 200         # not one per subject
    assert len(large) < 400_000


def test_trajectories_are_not_drawn_for_more_than_the_limit(tmp_path):
    from markupsafe import Markup  # noqa: F401 - the sections module marks SVG text safe

    from trialkit.report.sections import figures_of
    from trialkit.config import load_config
    from tests.conftest import EXAMPLE

    config = load_config(EXAMPLE)
    ard = _individual(figures.MAX_TRAJECTORIES + 1)
    out = figures_of(ard, "CGI-S", config.measures["CGI-S"], config, "95%")
    titles = [f["title"] for f in out]
    assert "CGI-S: individual subjects over visits" in titles
    skipped = next(f for f in out if f["title"] == "CGI-S: individual subjects over visits")
    assert str(skipped["svg"]) == "" and skipped["footnote"].startswith(f"Not drawn: {figures.MAX_TRAJECTORIES + 1} subjects")
