"""Plots (:mod:`trialkit.report.spec`) -> SVG text to embed in the report, with matplotlib.

Colour-blind-safe Okabe-Ito palette; text stays text (searchable, sharp); ids and metadata are fixed
so that the same spec gives the same bytes. The figures are drawn lean, because every SVG element
costs time when the PDF is laid out: a subject's trajectory is one path of a line collection, without
markers; margins are set from the label lengths instead of measured by a second drawing pass.
This module imports neither pandas nor trialkit's analysis code: the render process uses it.
"""

from __future__ import annotations

import io

from trialkit.report.formatting import fmt_ci, fmt_count, fmt_num
from trialkit.report.plain_text import plain
from trialkit.report.spec import ForestPlot, MeanPlot, Plot, StackedBarPlot, TrajectoryPlot, WaterfallPlot

OKABE_ITO = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#F0E442"]
WIDTH = 6.3  # inches: the text width of an A4 or Letter page with the report's margins

_CHAR = 0.066  # inches: a generous average character width of DejaVu Sans at 8 pt
_LINE = 0.14  # inches: a line of 8 pt text


#: the most characters a label shows in a legend or beside a forest plot's rows (the tables show it whole)
LABEL_CHARS = 32


def _short(label: str, chars: int = LABEL_CHARS) -> str:
    """A label cut to ``chars`` characters (:data:`LABEL_CHARS`), with an ellipsis where it was cut."""
    return label if len(label) <= chars else label[: chars - 1] + "\u2026"


def _legend_columns(labels: list[str], most: int) -> int:
    """How many legend entries fit side by side across the figure (each a marker and its label)."""
    widest = max((len(_short(label)) for label in labels), default=1) + 5
    return max(1, min(most, len(labels), int(WIDTH / (_CHAR * widest))))


def _level_colour(k: int) -> str:
    return OKABE_ITO[(k + 1) % len(OKABE_ITO)]


#: figure heights in inches, by kind (a forest plot's grows with its rows: :func:`size`)
HEIGHT = {MeanPlot: 2.9, TrajectoryPlot: 2.8, WaterfallPlot: 2.5}


#: stacked-bar panels side by side, at most; the characters a visit's label shows below its bar
BAR_PANELS_PER_ROW, VISIT_CHARS = 4, 16
#: the characters a subject's id shows below its bar of a waterfall plot (the figure grows with the longest)
SUBJECT_CHARS = 40


def _subject_labels(plot: WaterfallPlot) -> list[str]:
    return [_short(subject, SUBJECT_CHARS) for subject in plot.subjects]


def size(plot: Plot) -> tuple[float, float]:
    """Width and height in inches of the figure that ``plot`` draws."""
    if isinstance(plot, StackedBarPlot):
        return WIDTH, 1.3 + 2.1 * -(-len(plot.panels) // BAR_PANELS_PER_ROW)
    if isinstance(plot, ForestPlot):
        return WIDTH, 0.75 + 0.3 * len(plot.rows)
    if isinstance(plot, WaterfallPlot) and plot.subjects:
        return WIDTH, HEIGHT[WaterfallPlot] + _CHAR * max(map(len, _subject_labels(plot))) * 0.8
    return WIDTH, HEIGHT[type(plot)]


def _figure(plot: Plot, *, ylabel: str, ytick_chars: int = 4, xlabel: bool = True, xtick_lines: float = 1,
            legend_rows: int = 0, right: float = 0.15):
    """A figure of the report's width with one axes, its margins sized for the labels around it."""
    import matplotlib

    # labels are text as written, never math or LaTeX (trialkit.report.plain_text)
    matplotlib.rcParams.update({"text.parse_math": False, "text.usetex": False,
                                "svg.hashsalt": "trialkit", "svg.fonttype": "none", "font.size": 8,
                                "font.family": "DejaVu Sans", "axes.spines.top": False,
                                "axes.spines.right": False, "legend.fontsize": 7})
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, smaller import

    left = 0.12 + _LINE * (ylabel.count("\n") + 1) + _CHAR * ytick_chars + 0.1
    bottom = 0.15 + 0.2 * xtick_lines + (_LINE + 0.04 if xlabel else 0)
    top = 0.1 + 0.17 * legend_rows
    width, height = size(plot)
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((left / WIDTH, bottom / height, 1 - (left + right) / WIDTH, 1 - (bottom + top) / height))
    ax.set_ylabel(ylabel)
    return fig, ax


def _legend(fig, handles, ncols: int) -> None:
    fig.legend(handles=handles, labels=[_short(h.get_label()) for h in handles], frameon=False, ncols=ncols,
               loc="upper center", bbox_to_anchor=(0.5, 1.0))


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


def _mean_ci(plot: MeanPlot):
    series, visits = plot.series, plot.visits
    ncols = _legend_columns([s.label for s in series], 4)
    fig, ax = _figure(plot, ylabel=plot.ylabel, legend_rows=-(-len(series) // ncols))
    step = 0.08
    handles = []
    for k, s in enumerate(series):
        x = [i - step * (len(series) - 1) / 2 + step * k for i in range(len(visits))]
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        ax.vlines(x, _nan(s.lower), _nan(s.upper), colors=colour, linewidth=0.8)
        (line,) = ax.plot(x, _nan(s.mean), color=colour, marker="o", markersize=3, linewidth=1.2 if s.overall else 0.9,
                          label=s.label)
        handles.append(line)
    ax.set_xticks(range(len(visits)), visits)
    ax.set_xlabel(plot.xlabel)
    _legend(fig, handles, ncols)
    return fig


def _offsets(n: int, jitter: float) -> list[float]:
    """A fixed vertical shift per subject, spread evenly over [-jitter, jitter] (the same every run)."""
    if n < 2 or not jitter:
        return [0.0] * n
    # subjects in order, shifts in a scattered order, so that neighbouring subjects are not neighbours on the scale
    ranks = [(k * 7) % n if n % 7 else k for k in range(n)]
    return [jitter * (2 * r / (n - 1) - 1) for r in ranks]


def _trajectories(plot: TrajectoryPlot):
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    levels = plot.levels
    ncols = _legend_columns(list(levels), len(levels))
    fig, ax = _figure(plot, ylabel=plot.ylabel, legend_rows=-(-len(levels) // ncols) if levels else 0)
    subjects = plot.subjects
    shifts = _offsets(len(subjects), plot.jitter)
    lines = LineCollection([[(x, y + d) for x, y in zip(s.x, s.y)] for s, d in zip(subjects, shifts)],
                           linewidths=0.7, alpha=0.8, colors=[_level_colour(s.level) for s in subjects])
    ax.add_collection(lines)
    ax.set_xlim(-0.3, len(plot.visits) - 0.7)
    ax.autoscale_view(scalex=False)
    ax.set_xticks(range(len(plot.visits)), plot.visits)
    ax.set_xlabel(plot.xlabel)
    if levels:
        _legend(fig, [Line2D([], [], color=_level_colour(k), label=level) for k, level in enumerate(levels)],
                ncols)
    return fig


def _waterfall(plot: WaterfallPlot):
    from matplotlib.patches import Patch

    values, levels, subjects = plot.values, plot.levels, _subject_labels(plot)
    label_chars = max(map(len, subjects), default=0)
    ncols = _legend_columns(list(levels), len(levels))
    fig, ax = _figure(plot, ylabel=plot.ylabel, xtick_lines=label_chars * 0.35 if plot.subjects else 0.3,
                      legend_rows=-(-len(levels) // ncols) if levels else 0)
    x = range(len(values))
    colours = [_level_colour(k) for k in plot.level_of_bar] if plot.level_of_bar else None
    if colours is not None:
        ax.bar(x, values, width=0.8, color=colours)
        zero = [i for i, v in enumerate(values) if v == 0]  # a bar of no height: a short line at 0 in its colour
        ax.hlines([0] * len(zero), [i - 0.4 for i in zero], [i + 0.4 for i in zero], colors=[colours[i] for i in zero],
                  linewidth=2.5, zorder=3)
    elif values:  # one outline, a step per run of equal values: thousands of subjects stay a small SVG
        starts = [0] + [i for i in range(1, len(values)) if values[i] != values[i - 1]]
        edges = [s - 0.5 for s in starts] + [len(values) - 0.5]
        ax.stairs([values[s] for s in starts], edges, fill=True, color=OKABE_ITO[5])
        zero = [k for k, s in enumerate(starts) if values[s] == 0]  # the subjects without change: a line at 0
        ax.hlines([0] * len(zero), [edges[k] for k in zero], [edges[k + 1] for k in zero], colors=OKABE_ITO[5],
                  linewidth=2.5, zorder=3)
    ax.axhline(0, color="#888888", linewidth=0.6)
    if plot.subjects:  # a tick per subject, labelled with its id
        ax.set_xticks(list(x), subjects, rotation=90, fontsize=6)
    elif len(values) <= 200:
        ax.set_xticks(list(x), [])
    else:
        ax.set_xticks([])
    ax.set_xlim(-0.6, len(values) - 0.4)
    ax.set_xlabel(plot.xlabel)
    if levels:
        _legend(fig, [Patch(color=_level_colour(k), label=level) for k, level in enumerate(levels)], ncols)
    return fig


def _forest(plot: ForestPlot):
    rows = plot.rows
    labels = [_short(r.label) for r in rows]
    d = plot.decimals
    texts = [(fmt_count(r.n) if r.n is not None else "", fmt_num(r.estimate, d), fmt_ci(r.lower, r.upper, d))
             for r in rows]
    columns = [("N", 4), ("Estimate", 9), (f"{plot.conf} CI", 17)]
    text_width = _CHAR * sum(max(w, max((len(t[k]) for t in texts), default=0)) for k, (_, w) in enumerate(columns)) + 0.4
    fig, ax = _figure(plot, ylabel="", ytick_chars=max(map(len, labels), default=4), right=0.15 + text_width)
    y = list(range(len(rows)))[::-1]
    for k, r in enumerate(rows):
        colour = OKABE_ITO[0] if r.overall else OKABE_ITO[5]
        lower, upper, estimate = _nan([r.lower, r.upper, r.estimate])
        ax.plot([lower, upper], [y[k], y[k]], color=colour, linewidth=1.2)
        ax.plot([estimate], [y[k]], marker="D" if r.overall else "s", color=colour, markersize=5)
    ax.axvline(0, color="#888888", linewidth=0.8, linestyle="--")
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_yticks(y, labels)
    ax.set_xlabel(plot.xlabel)
    # N, estimate and CI as text columns right of the plot, on the rows' heights
    transform = ax.get_yaxis_transform()  # x in axes fractions, y in data
    axes_width = ax.get_position().width * WIDTH
    x = 1 + 0.25 / axes_width
    for k, (title, chars) in enumerate(columns):
        chars = max(chars, max((len(t[k]) for t in texts), default=0))
        x += _CHAR * chars / axes_width
        ax.text(x, len(rows) - 0.45, title, transform=transform, ha="right", va="bottom", fontweight="bold",
                clip_on=False)
        for row_y, t in zip(y, texts):
            ax.text(x, row_y, t[k], transform=transform, ha="right", va="center", clip_on=False)
        x += 0.12 / axes_width
    return fig


def _ordered_colours(k: int) -> list[str]:
    """k colours of viridis, an ordered colour map whose lightness rises evenly and which reads alike with the
    common colour-vision deficiencies: dark purple for the first to yellow for the last."""
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    viridis = colormaps["viridis"]
    return [to_hex(viridis(i / max(k - 1, 1))) for i in range(k)]


def _ink(colour: str) -> str:
    """Black or white text, whichever reads better on ``colour``."""
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "#ffffff"


def _stacked_bars(plot: StackedBarPlot):
    from matplotlib.patches import Patch

    panels, visits = plot.panels, plot.visits
    shown = [k for k, seen in enumerate(plot.shown) if seen]
    # the colours run over the categories from the lowest to the highest seen, so that neighbours differ most
    span = _ordered_colours(shown[-1] - shown[0] + 1) if shown else []
    colours = {k: span[k - shown[0]] for k in range(shown[0], shown[-1] + 1)} if shown else {}
    per_row = min(len(panels), BAR_PANELS_PER_ROW)
    rows = -(-len(panels) // per_row)
    visits = [_short(v, VISIT_CHARS) for v in visits]
    label_chars = max(map(len, visits), default=1)
    fig, first = _figure(plot, ylabel=plot.ylabel, ytick_chars=4, xlabel=False, xtick_lines=0.5 + 0.13 * label_chars,
                         legend_rows=4)
    area = first.get_position()
    gap_x, gap_y = 0.015, (0.45 + 0.05 * label_chars) / size(plot)[1] if rows > 1 else 0.0
    width = (area.width - gap_x * (per_row - 1)) / per_row
    height = (area.height - gap_y * (rows - 1)) / rows
    x = range(len(visits))
    for k, panel in enumerate(panels):
        row, col = divmod(k, per_row)
        box = (area.x0 + col * (width + gap_x), area.y0 + (rows - 1 - row) * (height + gap_y), width, height)
        ax = first if k == 0 else fig.add_axes(box)
        ax.set_position(box)
        bottom = [0.0] * len(visits)
        for c in shown:
            heights = [100 * panel.shares[v][c] for v in x]
            if not any(heights):
                continue
            ax.bar(x, heights, bottom=bottom, width=0.75, color=colours[c], edgecolor="#ffffff", linewidth=0.4)
            for v, h in enumerate(heights):
                if h >= 8:
                    ax.text(v, bottom[v] + h / 2, f"{h:.0f}", ha="center", va="center", fontsize=5.5,
                            color=_ink(colours[c]))
            bottom = [b + h for b, h in zip(bottom, heights)]
        for v, n in enumerate(panel.n):
            ax.text(v, 101.5, f"{n:.0f}", ha="center", va="bottom", fontsize=5.5)
        ax.set_ylim(0, 109)
        ax.set_yticks([0, 25, 50, 75, 100], None if col == 0 else [])
        if col:
            ax.set_ylabel("")
        ax.set_xlim(-0.6, len(visits) - 0.4)
        ax.set_xticks(list(x), visits, rotation=60, ha="right", rotation_mode="anchor", fontsize=6)
        ax.set_title(_short(panel.title, int(width * WIDTH / (_CHAR * 7 / 8))), fontsize=7, pad=9)
        ax.tick_params(axis="x", length=0)
    fig.legend(handles=[Patch(color=colours[k], label=plot.categories[k]) for k in shown], frameon=False,
               ncols=len(shown), loc="upper center", bbox_to_anchor=(0.5, 1.0), title=_short(plot.legend_title, 80),
               title_fontsize=7)
    return fig


_DRAW = {MeanPlot: _mean_ci, TrajectoryPlot: _trajectories, WaterfallPlot: _waterfall, ForestPlot: _forest,
         StackedBarPlot: _stacked_bars}


def draw(plot: Plot) -> str:
    """SVG text of one plot, its labels drawn as plain text (:mod:`trialkit.report.plain_text`)."""
    return _svg(_DRAW[type(plot)](plain(plot)))
