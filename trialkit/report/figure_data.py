"""What each figure shows, taken from the results dataset (ARD) as plain data: a *figure spec*.

A spec is a dict of strings, numbers and lists (picklable, JSON-able) with a ``kind``;
:func:`trialkit.report.figures.draw` turns it into SVG. Keeping the two apart lets the drawing run in
the render process, which imports matplotlib but not pandas, and lets a test check what a figure
shows without reading SVG.
"""

from __future__ import annotations

import math

import pandas as pd

from trialkit.report.cells import columns, group_name

#: above this many subjects, individual trajectories are not drawn (unreadable, and slow to lay out)
MAX_TRAJECTORIES = 200
#: above this many subjects, the waterfall is one filled outline instead of a bar per subject
MAX_BARS = 200


def _number(x) -> float | None:
    """A plotted value: None where missing or NaN."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def mean_ci(ard: pd.DataFrame, measure: str, visits: list[str], *, direction: str, conf: str) -> dict:
    """Mean with its CI at each visit, overall and for each subgroup level."""
    rows = ard[(ard["analysis"] == "descriptive") & (ard["measure"] == measure)]
    groups: dict[tuple, dict[tuple, float]] = {}  # (group_var, group) -> (visit, stat) -> value
    for gv, g, visit, stat, value in zip(*columns(rows, "group_var", "group", "visit", "stat", "value")):
        groups.setdefault((gv, g), {})[visit, stat] = value
    series = [{"label": group_name(gv, g), "overall": gv == "overall",
               **{key: [_number(values.get((visit, stat))) for visit in visits]
                  for key, stat in (("mean", "mean"), ("lower", "ci_lower"), ("upper", "ci_upper"))}}
              for (gv, g), values in groups.items()]
    return {"kind": "mean_ci", "visits": list(visits), "series": series,
            "ylabel": f"{measure}, mean ({conf} CI)\n{direction}", "xlabel": "Visit"}


def trajectories(ard: pd.DataFrame, measure: str, visits: list[str], *, direction: str, subgroup: str) -> dict:
    """Each subject's observed values over visits, with the subject's subgroup level."""
    rows = ard[(ard["analysis"] == "individual") & (ard["measure"] == measure) & (ard["stat"] == "value")]
    levels = sorted(set(rows["category"]), key=str)
    position = {v: i for i, v in enumerate(visits)}
    points: dict[str, list] = {}
    level_of: dict[str, int] = {}
    for subject, visit, value, category in zip(*columns(rows, "group", "visit", "value", "category")):
        points.setdefault(subject, []).append((position[visit], float(value)))
        level_of.setdefault(subject, levels.index(category))
    subjects = [{"level": level_of[s], "x": [x for x, _ in sorted(points[s])], "y": [y for _, y in sorted(points[s])]}
                for s in sorted(points)]
    return {"kind": "trajectories", "visits": list(visits), "subjects": subjects,
            "levels": [f"{subgroup} {level}" if subgroup else level for level in levels] if levels != [""] else [],
            "ylabel": f"{measure}\n{direction}", "xlabel": "Visit"}


def waterfall(ard: pd.DataFrame, measure: str, *, contrast: str, direction: str, subgroup: str) -> dict:
    """Each subject's change at the endpoint, largest first, with the subject's subgroup level.

    Above :data:`MAX_BARS` subjects the bars are not coloured by level (``levels`` is empty)."""
    rows = ard[(ard["analysis"] == "individual") & (ard["measure"] == measure) & (ard["stat"] == "change")]
    rows = rows.sort_values(["value", "group"], ascending=[False, True], kind="stable")
    values, categories = columns(rows, "value", "category")
    levels = sorted(set(categories), key=str)
    n = len(rows)
    coloured = n <= MAX_BARS and levels != [""]
    return {"kind": "waterfall", "values": [float(v) for v in values],
            "level_of_bar": [levels.index(c) for c in categories] if coloured else [],
            "levels": [f"{subgroup} {level}" if subgroup else level for level in levels] if coloured else [],
            "ylabel": f"Change, {contrast}\n{direction}",
            "xlabel": f"Subjects, sorted by change (n = {n})"
            + ("" if n <= MAX_BARS else f"; more than {MAX_BARS}: not coloured by subgroup")}


def forest(ard: pd.DataFrame, measure: str, *, analysis: str, visit: str, contrast: str, direction: str,
           conf: str) -> dict:
    """Endpoint effect overall and within each subgroup level, with CIs: one row each."""
    rows = ard[(ard["analysis"] == analysis) & (ard["measure"] == measure) & (ard["visit"] == visit)
               & (ard["contrast"] == contrast) & (ard["group"] != "")]
    groups: dict[tuple, dict[str, float]] = {}  # (group_var, group) -> stat -> value
    for gv, g, stat, value in zip(*columns(rows, "group_var", "group", "stat", "value")):
        groups.setdefault((gv, g), {})[stat] = value
    return {"kind": "forest",
            "rows": [{"label": group_name(gv, g), "overall": gv == "overall", "estimate": _number(r.get("estimate")),
                      "lower": _number(r.get("ci_lower")), "upper": _number(r.get("ci_upper"))}
                     for (gv, g), r in groups.items()],
            "xlabel": f"{contrast} ({conf} CI); {direction}"}
