"""Figures drawn from the results dataset (ARD) alone, as SVG text to embed in the report.

Colour-blind-safe Okabe-Ito palette; text stays text (searchable, sharp); ids and metadata are fixed
so that the same ARD gives the same bytes.
"""

from __future__ import annotations

import io

import pandas as pd

#: above this many subjects, individual trajectories are not drawn (unreadable, and slow to lay out)
MAX_TRAJECTORIES = 200
#: above this many subjects, the waterfall is one filled outline per subgroup level instead of a bar each
MAX_BARS = 200

OKABE_ITO = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#F0E442"]


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.rcParams.update({"svg.hashsalt": "trialkit", "svg.fonttype": "none", "font.size": 8,
                                "font.family": "DejaVu Sans", "axes.spines.top": False, "axes.spines.right": False})
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, smaller import

    return Figure(figsize=(width, height))


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": "trialkit"})
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: the SVG is inlined in HTML


def _label(group_var: str, group: str) -> str:
    return "Overall" if group_var == "overall" else f"{group_var} {group}"


def mean_ci_over_visits(ard: pd.DataFrame, measure: str, visits: list[str], *, direction: str, conf: str) -> str:
    """Mean with its CI at each visit, overall and for each subgroup level."""
    rows = ard[(ard["analysis"] == "descriptive") & (ard["measure"] == measure)]
    table = rows.pivot_table(index=["group_var", "group", "visit"], columns="stat", values="value", sort=False)
    groups = list(dict.fromkeys((gv, g) for gv, g, _ in table.index))
    fig = _figure(6.3, 2.9)
    ax = fig.add_subplot()
    width = 0.08 * (len(groups) - 1)
    for k, (gv, g) in enumerate(groups):
        part = table.loc[(gv, g)].reindex(visits)
        x = [i - width / 2 + 0.08 * k for i in range(len(visits))]
        err = [part["mean"] - part["ci_lower"], part["ci_upper"] - part["mean"]]
        ax.errorbar(x, part["mean"], yerr=err, marker="o", markersize=3, capsize=2, linewidth=1.2 if gv == "overall" else 0.9,
                    color=OKABE_ITO[k % len(OKABE_ITO)], label=_label(gv, g))
    ax.set_xticks(range(len(visits)), visits)
    ax.set_xlabel("Visit")
    ax.set_ylabel(f"{measure}, mean ({conf} CI)\n{direction}")
    ax.legend(frameon=False, fontsize=7, ncols=min(len(groups), 4), loc="upper center", bbox_to_anchor=(0.5, 1.18))
    return _svg(fig)


def forest(ard: pd.DataFrame, measure: str, *, analysis: str, visit: str, contrast: str, direction: str, conf: str) -> str:
    """Endpoint effect overall and within each subgroup level, with CIs: one row each."""
    rows = ard[(ard["analysis"] == analysis) & (ard["measure"] == measure) & (ard["visit"] == visit)
               & (ard["contrast"] == contrast) & (ard["group"] != "")]
    table = rows.pivot_table(index=["group_var", "group"], columns="stat", values="value", sort=False)
    labels = [_label(gv, g) for gv, g in table.index]
    fig = _figure(6.3, 0.45 + 0.32 * len(labels))
    ax = fig.add_subplot()
    y = list(range(len(labels)))[::-1]
    for k, ((gv, _), row) in enumerate(table.iterrows()):
        color = OKABE_ITO[0] if gv == "overall" else OKABE_ITO[5]
        ax.plot([row["ci_lower"], row["ci_upper"]], [y[k], y[k]], color=color, linewidth=1.2)
        ax.plot([row["estimate"]], [y[k]], marker="D" if gv == "overall" else "s", color=color, markersize=5)
    ax.axvline(0, color="#888888", linewidth=0.8, linestyle="--")
    ax.set_yticks(y, labels)
    ax.set_xlabel(f"{contrast} ({conf} CI); {direction}")
    return _svg(fig)


def trajectories(ard: pd.DataFrame, measure: str, visits: list[str], *, direction: str, subgroup: str) -> str:
    """Each subject's values over visits, coloured by subgroup level."""
    rows = ard[(ard["analysis"] == "individual") & (ard["measure"] == measure) & (ard["stat"] == "value")]
    levels = sorted(set(rows["category"]), key=str)
    position = {v: i for i, v in enumerate(visits)}
    fig = _figure(6.3, 2.8)
    ax = fig.add_subplot()
    for subject, part in rows.groupby("group", sort=True):
        part = part.assign(x=part["visit"].map(position)).sort_values("x")
        k = levels.index(part["category"].iat[0])
        ax.plot(part["x"], part["value"], color=OKABE_ITO[(k + 1) % len(OKABE_ITO)], linewidth=0.7, alpha=0.8,
                marker="o", markersize=1.8)
    for k, level in enumerate(levels):
        ax.plot([], [], color=OKABE_ITO[(k + 1) % len(OKABE_ITO)], label=f"{subgroup} {level}" if subgroup else level)
    ax.set_xticks(range(len(visits)), visits)
    ax.set_xlabel("Visit")
    ax.set_ylabel(f"{measure}\n{direction}")
    if levels != [""]:
        ax.legend(frameon=False, fontsize=7, ncols=len(levels), loc="upper center", bbox_to_anchor=(0.5, 1.15))
    return _svg(fig)


def waterfall(ard: pd.DataFrame, measure: str, *, contrast: str, direction: str, subgroup: str) -> str:
    """Each subject's change at the endpoint, sorted, coloured by subgroup level."""
    rows = ard[(ard["analysis"] == "individual") & (ard["measure"] == measure) & (ard["stat"] == "change")]
    rows = rows.sort_values(["value", "group"], ascending=[False, True], kind="stable")
    levels = sorted(set(rows["category"]), key=str)
    fig = _figure(6.3, 2.5)
    ax = fig.add_subplot()
    if len(rows) <= MAX_BARS:
        colors = [OKABE_ITO[(levels.index(c) + 1) % len(OKABE_ITO)] for c in rows["category"]]
        ax.bar(range(len(rows)), rows["value"], color=colors, width=0.8)
    else:  # one outline, a point per run of equal values: thousands of subjects stay a small SVG
        values = rows["value"].to_numpy()
        starts = [0] + [i for i in range(1, len(values)) if values[i] != values[i - 1]]
        edges = [s - 0.5 for s in starts] + [len(values) - 0.5]
        ax.stairs([values[s] for s in starts], edges, fill=True, color=OKABE_ITO[5])
        levels = [""]  # one colour: subgroups are not told apart above MAX_BARS subjects
    for k, level in enumerate(levels):
        ax.bar([0], [0], color=OKABE_ITO[(k + 1) % len(OKABE_ITO)], label=f"{subgroup} {level}" if subgroup else level)
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_xticks([])
    ax.set_xlabel(f"Subjects, sorted by change (n = {len(rows)})"
                  + ("" if len(rows) <= MAX_BARS else f"; more than {MAX_BARS}: not coloured by subgroup"))
    ax.set_ylabel(f"Change, {contrast}\n{direction}")
    if levels != [""]:
        ax.legend(frameon=False, fontsize=7, ncols=len(levels), loc="upper center", bbox_to_anchor=(0.5, 1.15))
    return _svg(fig)
