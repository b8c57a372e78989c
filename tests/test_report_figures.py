"""Figures stay small and readable for large studies."""

from __future__ import annotations

import pandas as pd

from trialkit.report import figure_data, figures


def _individual(n: int) -> pd.DataFrame:
    rows = []
    for i in range(n):
        for k, visit in enumerate(["Baseline", "Week 5"]):
            rows.append(("individual", "CGI-S", "subject", f"S{i:04d}", visit, "", "value", 4.0 - k * (i % 3), str(1 + i % 3), ""))
        rows.append(("individual", "CGI-S", "subject", f"S{i:04d}", "Week 5", "Week 5 - Baseline", "change",
                     -float(i % 3), str(1 + i % 3), ""))
    return pd.DataFrame(rows, columns=["analysis", "measure", "group_var", "group", "visit", "contrast", "stat",
                                       "value", "category", "note"])


def _waterfall(n: int) -> dict:
    return figure_data.waterfall(_individual(n), "CGI-S", contrast="Week 5 - Baseline", direction="lower = better",
                                 subgroup="TIER")


def test_waterfall_of_thousands_of_subjects_is_one_outline():
    small, large = _waterfall(50), _waterfall(3000)
    # 50 subjects: a bar each, coloured by tier (i % 3 -> tier 1, 2, 3), largest change first
    assert small["level_of_bar"][:17] == [0] * 17 and small["values"][:17] == [0.0] * 17
    assert small["levels"] == ["TIER 1", "TIER 2", "TIER 3"] and len(small["values"]) == 50
    assert large["level_of_bar"] == [] and large["levels"] == []   # above MAX_BARS: not coloured
    svg_small, svg_large = figures.draw(small), figures.draw(large)
    assert svg_small.count("<path") > 50          # a bar per subject
    assert svg_large.count("<path") < 50          # one outline, not a bar per subject
    assert len(svg_large) < 100_000


def test_trajectories_hold_each_subjects_values_in_visit_order():
    spec = figure_data.trajectories(_individual(4), "CGI-S", ["Baseline", "Week 5"], direction="lower = better",
                                    subgroup="TIER")
    # subject i: 4.0 at Baseline, 4.0 - (i % 3) at Week 5, tier 1 + i % 3
    assert spec["subjects"] == [{"level": i % 3, "x": [0, 1], "y": [4.0, 4.0 - i % 3]} for i in range(4)]
    svg = figures.draw(spec)
    assert svg.startswith("<svg") and "TIER 3" in svg and "lower = better" in svg


def test_trajectories_are_not_drawn_for_more_than_the_limit(tmp_path):
    from tests.conftest import EXAMPLE
    from trialkit.config import load_config
    from trialkit.report.sections import figures_of

    config = load_config(EXAMPLE)
    ard = _individual(figure_data.MAX_TRAJECTORIES + 1)
    out = figures_of(ard, "CGI-S", config, conf="95%", direction="lower = better")
    titles = [f["title"] for f in out]
    assert "CGI-S: individual subjects over visits" in titles
    skipped = next(f for f in out if f["title"] == "CGI-S: individual subjects over visits")
    assert skipped["spec"] is None
    assert skipped["footnote"].startswith(f"Not drawn: {figure_data.MAX_TRAJECTORIES + 1} subjects")


def test_a_table_too_wide_for_a_portrait_page_goes_landscape():
    from trialkit.report.render import (
        LANDSCAPE_WIDTH_PT,
        MONO_EM,
        TEXT_WIDTH_PT,
        monospace,
    )

    def table(n_groups):
        columns = ["Statistic", *(f"TIER {k} (N=10)" for k in range(n_groups))]
        cells = [{"kind": "text", "value": "Mean (SD)"}] + [{"kind": "pair", "value": (4.83, 0.871), "decimals": 1}] * n_groups
        return {"columns": columns, "blocks": [{"label": "Week 5", "rows": [{"cells": cells, "emphasis": False}]}]}

    narrow, wide, wider = monospace(table(3)), monospace(table(9)), monospace(table(14))
    assert not narrow["landscape"] and narrow["font_pt"] == 7.5
    assert wide["landscape"] and wide["font_pt"] == 7.5  # 9 groups: ~150 characters, too wide for portrait at 6 pt
    assert wider["landscape"] and 5.0 <= wider["font_pt"] < 7.5
    # each fits its page's text width: characters x advance width x type size
    assert narrow["width_pt"] <= TEXT_WIDTH_PT and wide["width_pt"] <= LANDSCAPE_WIDTH_PT + 6
    line = wide["blocks"][0]["rows"][0]["text"]
    assert len(line) * MONO_EM * wide["font_pt"] <= LANDSCAPE_WIDTH_PT
    assert line.startswith("Mean (SD)") and line.endswith("4.8 (0.87)") and line.count("4.8 (0.87)") == 9


MEAN_CI = {"kind": "mean_ci", "visits": ["Baseline", "Week 5"], "xlabel": "Visit", "ylabel": "CGI-S\nlower = better",
           "series": [{"label": "Overall", "overall": True, "mean": [4.8, 3.9], "lower": [4.5, 3.6], "upper": [5.1, 4.2]}]}
FOREST = {"kind": "forest", "xlabel": "change", "rows": [
    {"label": "Overall", "overall": True, "estimate": -1.0, "lower": -1.3, "upper": -0.7},
    {"label": "TIER 1", "overall": False, "estimate": -0.6, "lower": -1.0, "upper": -0.1}]}
SPECS = [MEAN_CI, None, FOREST]
HTML = "".join(f"<p>Figure {k}</p><img class='figure' style='width: 100%' src='trialkit-figure:{k}'>" for k in (0, 2))


def _pdf(sizes, svgs=None):
    from trialkit.report.render import make_pdf

    svgs = svgs or [figures.draw(s) if s else "" for s in SPECS]
    return make_pdf({"html": HTML, "folders": [], **({"figure_sizes": sizes} if sizes is not None else {})}, svgs)


def test_the_pdf_is_laid_out_before_its_figures_are_drawn_and_is_the_same():
    """With each figure's size known from its spec, WeasyPrint lays the PDF out before the figures exist and
    fetches each when its page is written: the bytes are those of WeasyPrint fetching them first."""
    early = _pdf([figures.size(s) if s else None for s in SPECS])
    assert early["early_layout"] and early["served"] == ["trialkit-figure:0", "trialkit-figure:2"]
    late = _pdf(None)
    assert not late["early_layout"] and late["served"] == ["trialkit-figure:0", "trialkit-figure:2"]
    assert early["pdf"] == late["pdf"]


def test_a_figure_of_another_size_than_laid_out_makes_the_pdf_again():
    import pytest

    wrong = [figures.size(MEAN_CI), None, (figures.WIDTH, 5.0)]
    with pytest.warns(RuntimeWarning, match="laid out again.*trialkit-figure:2 was drawn"):
        again = _pdf(wrong)
    assert not again["early_layout"] and again["pdf"] == _pdf(None)["pdf"]


def test_a_figure_that_cannot_be_shown_stops_the_pdf():
    import pytest

    broken = [figures.draw(MEAN_CI), "", "<svg xmlns='http://www.w3.org/2000/svg'><unclosed></svg>"]
    with pytest.raises(RuntimeError, match="could not show the report's figures"), pytest.warns(RuntimeWarning):
        _pdf([figures.size(s) if s else None for s in SPECS], broken)
