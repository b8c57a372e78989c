"""Figure specs (:mod:`trialkit.report.figure_data`) -> SVG text to embed in the report, with matplotlib.

Colour-blind-safe Okabe-Ito palette; text stays text (searchable, sharp); ids and metadata are fixed
so that the same spec gives the same bytes. The figures are drawn lean, because every SVG element
costs time when the PDF is laid out: a subject's trajectory is one path of a line collection, without
markers; margins are set from the label lengths instead of measured by a second drawing pass.
This module imports neither pandas nor the rest of trialkit: the render process uses it alone.
"""

from __future__ import annotations

import io

OKABE_ITO = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#F0E442"]
WIDTH = 6.3  # inches: the text width of an A4 or Letter page with the report's margins

_CHAR = 0.066  # inches: a generous average character width of DejaVu Sans at 8 pt
_LINE = 0.14  # inches: a line of 8 pt text


def _level_colour(k: int) -> str:
    return OKABE_ITO[(k + 1) % len(OKABE_ITO)]


#: figure heights in inches, by kind (a forest plot's grows with its rows: :func:`size`)
HEIGHT = {"mean_ci": 2.9, "trajectories": 2.8, "waterfall": 2.5}


def size(spec: dict) -> tuple[float, float]:
    """Width and height in inches of the figure that ``spec`` draws, known before it is drawn: the PDF is
    laid out while the figures are still being drawn."""
    if spec["kind"] == "forest":
        return WIDTH, 0.55 + 0.3 * len(spec["rows"])
    return WIDTH, HEIGHT[spec["kind"]]


def _figure(spec: dict, *, ylabel: str, ytick_chars: int = 4, xlabel: bool = True, xticks: bool = True,
            legend_rows: int = 0):
    """A figure of the report's width with one axes, its margins sized for the labels around it."""
    import matplotlib

    matplotlib.rcParams.update({"svg.hashsalt": "trialkit", "svg.fonttype": "none", "font.size": 8,
                                "font.family": "DejaVu Sans", "axes.spines.top": False,
                                "axes.spines.right": False, "legend.fontsize": 7})
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, smaller import

    left = 0.12 + _LINE * (ylabel.count("\n") + 1) + _CHAR * ytick_chars + 0.1
    bottom = 0.1 + (0.2 if xticks else 0.05) + (_LINE + 0.04 if xlabel else 0)
    top = 0.1 + 0.17 * legend_rows
    right = 0.15
    width, height = size(spec)
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((left / WIDTH, bottom / height, 1 - (left + right) / WIDTH, 1 - (bottom + top) / height))
    ax.set_ylabel(ylabel)
    return fig, ax


def _legend(fig, handles, ncols: int) -> None:
    fig.legend(handles=handles, frameon=False, ncols=ncols, loc="upper center", bbox_to_anchor=(0.5, 1.0))


_SVG = "http://www.w3.org/2000/svg"


def _flatten(element) -> None:
    """Replace each group that only names its children (``<g id="...">``) by those children: matplotlib wraps
    every artist in one, and they are half the elements that the PDF's renderer would walk."""
    children = []
    for child in element:
        _flatten(child)
        if child.tag == f"{{{_SVG}}}g" and set(child.attrib) <= {"id"}:
            children.extend(child)
        else:
            children.append(child)
    element[:] = children


def _svg(fig) -> str:
    """The figure as SVG text without XML prolog (it is inlined in HTML), metadata or grouping-only groups."""
    import xml.etree.ElementTree as ET

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "trialkit"})
    ET.register_namespace("", _SVG)
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    root = ET.fromstring(buffer.getvalue())
    for metadata in root.findall(f"{{{_SVG}}}metadata"):
        root.remove(metadata)
    _flatten(root)
    return ET.tostring(root, encoding="unicode")


def _nan(values):
    return [float("nan") if v is None else v for v in values]


def _mean_ci(spec: dict):

    series, visits = spec["series"], spec["visits"]
    ncols = min(len(series), 4)
    fig, ax = _figure(spec, ylabel=spec["ylabel"], legend_rows=-(-len(series) // ncols))
    step = 0.08
    handles = []
    for k, s in enumerate(series):
        x = [i - step * (len(series) - 1) / 2 + step * k for i in range(len(visits))]
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        mean, lower, upper = _nan(s["mean"]), _nan(s["lower"]), _nan(s["upper"])
        ax.vlines(x, lower, upper, colors=colour, linewidth=0.8)
        (line,) = ax.plot(x, mean, color=colour, marker="o", markersize=3, linewidth=1.2 if s["overall"] else 0.9,
                          label=s["label"])
        handles.append(line)
    ax.set_xticks(range(len(visits)), visits)
    ax.set_xlabel(spec["xlabel"])
    _legend(fig, handles, ncols)
    return fig


def _trajectories(spec: dict):
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    levels = spec["levels"]
    fig, ax = _figure(spec, ylabel=spec["ylabel"], legend_rows=1 if levels else 0)
    subjects = spec["subjects"]
    lines = LineCollection([list(zip(s["x"], s["y"])) for s in subjects], linewidths=0.7, alpha=0.8,
                           colors=[_level_colour(s["level"]) for s in subjects])
    ax.add_collection(lines)
    ax.set_xlim(-0.3, len(spec["visits"]) - 0.7)
    ax.autoscale_view(scalex=False)
    ax.set_xticks(range(len(spec["visits"])), spec["visits"])
    ax.set_xlabel(spec["xlabel"])
    if levels:
        _legend(fig, [Line2D([], [], color=_level_colour(k), label=level) for k, level in enumerate(levels)],
                len(levels))
    return fig


def _waterfall(spec: dict):
    from matplotlib.patches import Patch

    values, levels = spec["values"], spec["levels"]
    fig, ax = _figure(spec, ylabel=spec["ylabel"], xticks=False, legend_rows=1 if levels else 0)
    if spec["level_of_bar"]:
        ax.bar(range(len(values)), values, width=0.8, color=[_level_colour(k) for k in spec["level_of_bar"]])
    elif values:  # one outline, a step per run of equal values: thousands of subjects stay a small SVG
        starts = [0] + [i for i in range(1, len(values)) if values[i] != values[i - 1]]
        ax.stairs([values[s] for s in starts], [s - 0.5 for s in starts] + [len(values) - 0.5], fill=True,
                  color=OKABE_ITO[5])
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_xticks([])
    ax.set_xlabel(spec["xlabel"])
    if levels:
        _legend(fig, [Patch(color=_level_colour(k), label=level) for k, level in enumerate(levels)], len(levels))
    return fig


def _forest(spec: dict):
    rows = spec["rows"]
    labels = [r["label"] for r in rows]
    fig, ax = _figure(spec, ylabel="", ytick_chars=max(map(len, labels), default=4))
    y = list(range(len(rows)))[::-1]
    for k, r in enumerate(rows):
        colour = OKABE_ITO[0] if r["overall"] else OKABE_ITO[5]
        lower, upper, estimate = _nan([r["lower"], r["upper"], r["estimate"]])
        ax.plot([lower, upper], [y[k], y[k]], color=colour, linewidth=1.2)
        ax.plot([estimate], [y[k]], marker="D" if r["overall"] else "s", color=colour, markersize=5)
    ax.axvline(0, color="#888888", linewidth=0.8, linestyle="--")
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_yticks(y, labels)
    ax.set_xlabel(spec["xlabel"])
    return fig


_DRAW = {"mean_ci": _mean_ci, "trajectories": _trajectories, "waterfall": _waterfall, "forest": _forest}


def draw(spec: dict) -> str:
    """SVG text of one figure spec (see :mod:`trialkit.report.figure_data`)."""
    return _svg(_DRAW[spec["kind"]](spec))
