"""What each figure shows, taken from the ARD as plain values (:mod:`trialkit.report.spec` plots);
:func:`trialkit.report.figures.draw` draws them. A test can check what a figure shows without reading SVG."""

from __future__ import annotations

import math

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.report.lookup import Groups, columns
from trialkit.report.spec import (BarPanel, Figure, ForestPlot, ForestRow, MeanPlot, Series, StackedBarPlot, Trajectory,
                                  TrajectoryPlot, WaterfallPlot)
from trialkit.results import Contrast

#: above this many subjects, individual trajectories are not drawn (unreadable, and slow to lay out)
MAX_TRAJECTORIES = 200
#: above this many subjects, the waterfall is one filled outline instead of a bar per subject
MAX_BARS = 200
#: up to this many subjects, the waterfall's ticks are labelled with the subject ids
MAX_TICK_LABELS = 60
#: the largest vertical shift of a subject's trajectory, as a share of one scale point (integer scores)
JITTER = 0.2


def _number(x) -> float | None:
    """A plotted value: None where missing or NaN."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def mean_ci(ard: pd.DataFrame, groups: Groups, measure: str, visits: list[str], *, direction: str,
            conf: str) -> MeanPlot:
    """Mean with its CI at each visit, overall and for each subgroup level."""
    rows = ard[(ard["analysis"] == "descriptive") & (ard["measure"] == measure)]
    by_group: dict[tuple, dict[tuple, float]] = {}  # (group_var, group) -> (visit, stat) -> value
    for gv, g, visit, stat, value in zip(*columns(rows, "group_var", "group", "visit", "stat", "value")):
        by_group.setdefault((gv, g), {})[visit, stat] = value
    series = tuple(Series(groups.name(gv, g), gv == "overall",
                          *(tuple(_number(values.get((visit, stat))) for visit in visits)
                            for stat in ("mean", "ci_lower", "ci_upper")))
                   for (gv, g), values in by_group.items())
    return MeanPlot(tuple(visits), series, f"{measure}, mean ({conf} CI)\n{direction}", "Visit")


def _levels(categories, subgroup: str, groups: Groups) -> tuple[list[str], tuple[str, ...]]:
    levels = sorted(set(categories), key=str)
    shown = tuple(groups.name(subgroup, level) for level in levels) if subgroup and levels != [""] else ()
    return levels, shown


def trajectories(ard: pd.DataFrame, groups: Groups, measure: str, visits: list[str], *, direction: str,
                 subgroup: str, decimals: int) -> TrajectoryPlot:
    """Each subject's observed values over visits, with the subject's subgroup level. Scores recorded as whole
    numbers are shifted a little per subject so that lines on the same scores can be told apart."""
    rows = ard[(ard["analysis"] == "individual") & (ard["measure"] == measure) & (ard["stat"] == "value")]
    subject_ids, visit_of, values, categories = columns(rows, "group", "visit", "value", "category")
    levels, shown = _levels(categories, subgroup, groups)
    position = {v: i for i, v in enumerate(visits)}
    points: dict[str, list] = {}
    level_of: dict[str, int] = {}
    for subject, visit, value, category in zip(subject_ids, visit_of, values, categories):
        points.setdefault(subject, []).append((position[visit], float(value)))
        level_of.setdefault(subject, levels.index(category))
    subjects = tuple(Trajectory(level_of[s], tuple(x for x, _ in sorted(points[s])),
                                tuple(y for _, y in sorted(points[s]))) for s in sorted(points))
    return TrajectoryPlot(tuple(visits), subjects, shown, f"{measure}\n{direction}", "Visit",
                          jitter=JITTER if decimals == 0 else 0.0)


def waterfall(ard: pd.DataFrame, groups: Groups, measure: str, *, contrast: Contrast, direction: str,
              subgroup: str) -> WaterfallPlot:
    """Each subject's change at the endpoint, largest first, with the subject's subgroup level.

    Above :data:`MAX_BARS` subjects the bars are not coloured by level; above :data:`MAX_TICK_LABELS` the
    subjects' ticks are not labelled."""
    rows = ard[(ard["analysis"] == "individual") & (ard["measure"] == measure) & (ard["stat"] == "change")
               & (ard["contrast"] == contrast.label)]
    rows = rows.sort_values(["value", "group"], ascending=[False, True], kind="stable")
    values, subjects, categories = columns(rows, "value", "group", "category")
    levels, shown = _levels(categories, subgroup, groups)
    n = len(rows)
    coloured = n <= MAX_BARS and bool(shown)
    return WaterfallPlot(tuple(float(v) for v in values), tuple(subjects) if n <= MAX_TICK_LABELS else (),
                         tuple(levels.index(c) for c in categories) if coloured else (), shown if coloured else (),
                         f"Change, {contrast.label}\n{direction}",
                         f"Subjects, sorted by change (n = {n})"
                         + ("" if n <= MAX_BARS else f"; more than {MAX_BARS}: not coloured by subgroup"))


def forest(ard: pd.DataFrame, groups: Groups, measure: str, *, analysis: str, visit: str, contrast: Contrast,
           direction: str, conf: str, decimals: int) -> ForestPlot:
    """Endpoint effect overall and within each subgroup level, with N and CI: one row each."""
    rows = ard[(ard["analysis"] == analysis) & (ard["measure"] == measure) & (ard["visit"] == visit)
               & (ard["contrast"] == contrast.label) & (ard["group"] != "")]
    by_group: dict[tuple, dict[str, float]] = {}  # (group_var, group) -> stat -> value
    for gv, g, stat, value in zip(*columns(rows, "group_var", "group", "stat", "value")):
        by_group.setdefault((gv, g), {})[stat] = value
    return ForestPlot(tuple(ForestRow(groups.name(gv, g), gv == "overall", _number(r.get("n")),
                                      _number(r.get("estimate")), _number(r.get("ci_lower")),
                                      _number(r.get("ci_upper")))
                            for (gv, g), r in by_group.items()),
                      decimals, conf, f"{contrast.label} ({conf} CI); {direction}")


def category_bars(ard: pd.DataFrame, groups: Groups, measure: str, visits: list[str], *,
                  direction: str) -> StackedBarPlot | None:
    """The share of subjects in each category at each visit, a panel per group (overall, then each subgroup
    level), from the ARD's ``categories`` rows; None when the measure has none."""
    rows = ard[(ard["analysis"] == "categories") & (ard["measure"] == measure)]
    rows = rows[rows["category"] != ""]  # the one row of a measure not rated in categories says why, nothing else
    if rows.empty:
        return None
    by_group: dict[tuple, dict[tuple, dict[str, float]]] = {}  # (group_var, group) -> (visit, category) -> stats
    categories: dict[str, None] = {}
    for gv, g, visit, category, stat, value in zip(*columns(rows, "group_var", "group", "visit", "category", "stat",
                                                            "value")):
        by_group.setdefault((gv, g), {}).setdefault((visit, category), {})[stat] = value
        categories.setdefault(category, None)
    order = list(categories)
    panels = []
    for (gv, g), cells in by_group.items():
        n = tuple(sum(cells.get((visit, c), {}).get("n", 0.0) for c in order) for visit in visits)
        shares = tuple(tuple(_number(cells.get((visit, c), {}).get("proportion")) or 0.0 for c in order)
                       for visit in visits)
        panels.append(BarPanel(groups.name(gv, g), n, shares))
    shown = tuple(any(p.shares[v][k] > 0 for p in panels for v in range(len(visits))) for k in range(len(order)))
    return StackedBarPlot(tuple(visits), tuple(order), shown, tuple(panels), "Subjects (%)", "Visit",
                          f"{measure} category ({direction})")


def figures_of(ard: pd.DataFrame, groups: Groups, name: str, config: StudyConfig, *, conf: str,
               direction: str) -> list[Figure]:
    """The figures of one measure, unnumbered; a figure not drawn says why in its footnote."""
    visits = config.visits
    decimals = config.measures[name].decimals
    endpoint = Contrast.change(visits.endpoint, visits.baseline)
    out = []
    if (ard["analysis"] == "descriptive").any():
        out.append(Figure("", f"{name}: mean and {conf} CI by visit, overall and by subgroup",
                          "Observed cases; t-based confidence interval of each mean. Points of the groups are offset "
                          "horizontally so that they do not overlap.",
                          mean_ci(ard, groups, name, visits.order, direction=direction, conf=conf)))
    subgroup = config.subjects.subgroups[0] if config.subjects.subgroups else ""
    individual = ard[(ard["analysis"] == "individual") & (ard["measure"] == name)]
    if len(individual):
        coloured = f", coloured by {groups.label(subgroup)}" if subgroup else ""
        n_subjects = individual["group"].nunique()
        if n_subjects <= MAX_TRAJECTORIES:
            rated = visits.order if config.has_baseline(name) else visits.post_baseline  # CGI-I: none at baseline
            plot = trajectories(ard, groups, name, rated, direction=direction, subgroup=subgroup, decimals=decimals)
            jitter = (f" Scores are whole numbers: each subject's line is shifted up or down by a fixed amount of at "
                      f"most {plot.jitter:g} so that lines on the same scores can be told apart.") if plot.jitter else ""
            out.append(Figure("", f"{name}: individual subjects over visits{coloured}",
                              "One line per subject, observed values only (a missed visit is bridged by the line)."
                              + jitter, plot))
        else:
            out.append(Figure("", f"{name}: individual subjects over visits",
                              f"Not drawn: {n_subjects} subjects are more lines than a page shows readably (limit "
                              f"{MAX_TRAJECTORIES}). Each subject's values are in ard.csv (analysis individual).", None))
        if config.has_baseline(name):
            out.append(Figure("", f"{name}: change from {visits.baseline} to {visits.endpoint} per subject{coloured}",
                              f"Subjects with observed {visits.baseline} and {visits.endpoint} values, sorted by change; "
                              "a subject without change is drawn as a short line at 0.",
                              waterfall(ard, groups, name, contrast=endpoint, direction=direction, subgroup=subgroup)))
    for analysis, visit, what in (("mmrm", visits.endpoint, "MMRM LS mean change"),
                                  ("paired_t", "", "mean change (paired t)")):
        rows = ard[(ard["analysis"] == analysis) & (ard["measure"] == name) & (ard["visit"] == visit)
                   & (ard["contrast"] == endpoint.label)]
        if len(rows):
            out.append(Figure("", f"{name}: {what} at {visits.endpoint} by subgroup, with the overall effect",
                              f"{what} from {visits.baseline} to {visits.endpoint} with its {conf} CI; the dashed line "
                              "marks no change. N: subjects in the estimate.",
                              forest(ard, groups, name, analysis=analysis, visit=visit, contrast=endpoint,
                                     direction=direction, conf=conf, decimals=decimals + 2)))
            break
    if {"ordinal", "shift"} & set(config.short_analyses):
        bars = category_bars(ard, groups, name, visits.order, direction=direction)
        title = f"{name}: categories by visit, overall and by subgroup"
        if bars is None:
            out.append(Figure("", title, f"Not drawn: {name} is not rated in whole categories of its scale (see the "
                              "proportional-odds and shift tables, and Listing 16.2.1).", None))
        else:
            out.append(Figure("", title, "Share of the subjects observed at each visit in each category (stacked, the "
                              "lowest category at the bottom; percentages of 8% and above printed), n above each bar. "
                              "Observed cases: a subject missing a visit is not in that bar.", bars))
    return out
