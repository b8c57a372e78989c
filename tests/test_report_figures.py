"""Figures show what the ARD holds, stay readable for large studies, and tables go landscape when wide."""

from __future__ import annotations

import pandas as pd
import pytest

from trialkit.config import load_config
from trialkit.report import figure_data, figures
from trialkit.report.lookup import Groups
from trialkit.report.spec import ForestPlot, ForestRow, MeanPlot, Series
from trialkit.results import ARD_COLUMNS, Contrast

CHANGE = Contrast.change("Week 5", "Baseline")


@pytest.fixture(scope="module")
def groups():
    from tests.conftest import EXAMPLE

    return Groups(load_config(EXAMPLE), {})  # the example labels TIER "Genotype tier"


def _individual(n: int) -> pd.DataFrame:
    """Subject i: 4.0 at Baseline, 4.0 - (i % 3) at Week 5, tier 1 + i % 3."""
    rows = []
    for i in range(n):
        for k, visit in enumerate(["Baseline", "Week 5"]):
            rows.append(("individual", "CGI-S", "subject", f"S{i:04d}", visit, "", "value", 4.0 - k * (i % 3),
                         str(1 + i % 3), ""))
        rows.append(("individual", "CGI-S", "subject", f"S{i:04d}", "Week 5", CHANGE.label, "change",
                     -float(i % 3), str(1 + i % 3), ""))
    return pd.DataFrame(rows, columns=ARD_COLUMNS[:len(rows[0])])


def _waterfall(n: int, groups):
    return figure_data.waterfall(_individual(n), groups, "CGI-S", contrast=CHANGE, direction="lower = better",
                                 subgroup="TIER")


def test_waterfall_of_a_few_subjects_has_a_bar_and_a_labelled_tick_each(groups):
    plot = _waterfall(50, groups)
    # largest change first: the 17 subjects with i % 3 == 0 have no change, tier 1
    assert plot.values[:17] == (0.0,) * 17 and plot.level_of_bar[:17] == (0,) * 17
    assert plot.subjects[:3] == ("S0000", "S0003", "S0006") and len(plot.subjects) == 50
    assert plot.levels == ("Genotype tier 1", "Genotype tier 2", "Genotype tier 3")
    svg = figures.draw(plot)
    assert svg.count("<path") > 50 and "S0003" in svg  # a bar per subject, the ticks labelled
    # the 17 bars of no change are drawn as short lines at 0, in their tier's colour
    assert svg.count("stroke: #e69f00") >= 17


def test_waterfall_of_thousands_of_subjects_is_one_outline(groups):
    plot = _waterfall(3000, groups)
    assert plot.level_of_bar == () and plot.levels == () and plot.subjects == ()  # above MAX_BARS: not coloured
    svg = figures.draw(plot)
    assert svg.count("<path") < 50 and len(svg) < 100_000


def test_trajectories_hold_each_subjects_values_in_visit_order_and_are_jittered(groups):
    plot = figure_data.trajectories(_individual(4), groups, "CGI-S", ["Baseline", "Week 5"],
                                    direction="lower = better", subgroup="TIER", decimals=0)
    assert [(s.level, s.x, s.y) for s in plot.subjects] == [(i % 3, (0, 1), (4.0, 4.0 - i % 3)) for i in range(4)]
    assert plot.jitter == 0.2  # whole-number scores: at most 0.2 of a scale point (README)
    shifts = figures._offsets(4, plot.jitter)
    assert sorted(shifts) == pytest.approx([-0.2, -0.2 / 3, 0.2 / 3, 0.2]) and len(set(shifts)) == 4
    svg = figures.draw(plot)
    assert svg.startswith("<svg") and "Genotype tier 3" in svg and "lower = better" in svg
    decimal = figure_data.trajectories(_individual(4), groups, "CGI-S", ["Baseline", "Week 5"],
                                       direction="lower = better", subgroup="TIER", decimals=1)
    assert decimal.jitter == 0


def test_trajectories_are_not_drawn_for_more_than_the_limit(groups):
    from tests.conftest import EXAMPLE

    config = load_config(EXAMPLE)
    ard = _individual(figure_data.MAX_TRAJECTORIES + 1)
    out = figure_data.figures_of(ard, groups, "CGI-S", config, conf="95%", direction="lower = better")
    skipped = next(f for f in out if f.title == "CGI-S: individual subjects over visits")
    assert skipped.plot is None
    assert skipped.footnote.startswith(f"Not drawn: {figure_data.MAX_TRAJECTORIES + 1} subjects")


def test_forest_plot_prints_n_estimate_and_ci_beside_the_plot():
    plot = ForestPlot((ForestRow("Overall", True, 29, -0.9876, -1.27, -0.70),
                       ForestRow("Genotype tier 1", False, 10, -0.555, -1.0234, -0.1)), 2, "95%", "change")
    svg = figures.draw(plot)
    for text in ("N", "Estimate", "95% CI", "29", "-0.99", "(-1.27, -0.70)", "10", "-0.56", "(-1.02, -0.10)"):
        assert f">{text}</text>" in svg, text


def test_a_table_too_wide_for_a_portrait_page_goes_landscape():
    from trialkit.report.monospace import monospace

    # the text width of the pages, from their sizes and the stylesheet's 14 mm side margins: A4 portrait,
    # Letter landscape (the narrower of A4 and Letter each way); DejaVu Sans Mono advances 1233/2048 em
    mm = 72 / 25.4
    portrait, landscape, em = (210 - 28) * mm, (279.4 - 28) * mm, 1233 / 2048
    from trialkit.report.spec import Block, Column, MeanSD, Row, Table, Text

    def table(n_groups):
        columns = tuple(Column(str(k), 10, span="Genotype tier") for k in range(n_groups))
        row = Row((Text("Mean (SD)"), *[MeanSD(4.83, 0.871, 1)] * n_groups))
        return Table("Table 1", "x", "x", "Statistic", columns, (Block("Week 5", (row,)),))

    narrow, wide, wider = monospace(table(3)), monospace(table(12)), monospace(table(16))
    assert not narrow.landscape and narrow.font_pt == 7.5
    assert wide.landscape and wide.font_pt == 7.5  # 12 groups: ~153 characters, too wide for portrait at 6 pt
    assert wider.landscape and 5.0 <= wider.font_pt < 7.5
    # each fits its page's text width: characters x advance width x type size
    assert narrow.width_pt <= portrait and wide.width_pt <= landscape + 6
    line = wide.blocks[0].lines[0].text
    assert len(line) * em * wide.font_pt <= landscape
    assert line.startswith("Mean (SD)") and line.endswith("4.8 (0.87)") and line.count("4.8 (0.87)") == 12
    span = wide.header.splitlines()[0]  # the subgroup's label once, centred over its columns
    assert span.count("Genotype tier") == 1 and span.strip().startswith("-") and span.endswith("-")


MEAN = MeanPlot(("Baseline", "Week 5"), (Series("Overall", True, (4.8, 3.9), (4.5, 3.6), (5.1, 4.2)),), "CGI-S", "Visit")


def test_a_figure_that_cannot_be_shown_stops_the_pdf():
    from trialkit.report.fetcher import ConfinedFetcher
    from trialkit.report.pdf import render_pdf

    html = "".join(f"<p>Figure {k}</p><img class='figure' src='trialkit-figure:{k}'>" for k in (0, 1))
    good = render_pdf(html, fetcher=ConfinedFetcher(figures=[figures.draw(MEAN)] * 2), figures=2)
    assert good.startswith(b"%PDF")
    broken = [figures.draw(MEAN), "<svg xmlns='http://www.w3.org/2000/svg'><unclosed></svg>"]
    with pytest.raises(RuntimeError, match="could not show the report's figures"):
        render_pdf(html, fetcher=ConfinedFetcher(figures=broken), figures=2)


@pytest.mark.parametrize("chars", [1_000, 200_000])
def test_a_subject_id_too_long_for_the_waterfall_is_cut(chars):
    """A 1,000-character subject id sized the plot's bottom margin beyond its height: matplotlib raised
    "Width and height specified must be non-negative" (a traceback, nothing written)."""
    from trialkit.report.spec import WaterfallPlot

    long_id = "S" * chars
    svg = figures.draw(WaterfallPlot((1.0, -1.0), (long_id, "S2"), (0, 1), ("A", "B"), "change", "subjects"))
    cut = "S" * (figures.SUBJECT_CHARS - 1) + "\u2026"
    assert f">{cut}<" in svg and "S" * figures.SUBJECT_CHARS not in svg
    assert figures.size(WaterfallPlot((1.0,), (long_id,), (), (), "", ""))[1] < 5
