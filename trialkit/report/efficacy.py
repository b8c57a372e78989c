"""A measure's tables of observed values, change, the baseline-vs-endpoint tests and responders, in CSR
layout: a row per statistic, a column per group with its N in the header."""

from __future__ import annotations

from collections.abc import Callable

from trialkit.config import Measure, StudyConfig
from trialkit.report.lookup import Groups, Lookup, direction_label
from trialkit.report.spec import (BayesFactor, Block, Cell, Count, CountPercent, Interval, MeanSD, Number, PValue,
                                  Range, Row, Table, Text)
from trialkit.results import Contrast, words

#: the rows of a summary table: label, and the cell made from the group's statistics and the data's decimals
#: (means and medians with one decimal more than the data, SDs and SEs with two more)
SUMMARY_ROWS: list[tuple[str, Callable[[dict, int], Cell]]] = [
    ("n", lambda s, d: Count(s["n"])),
    ("Mean (SD)", lambda s, d: MeanSD(s["mean"], s["sd"], d + 1)),
    ("SE", lambda s, d: Number(s["se"], d + 2)),
    ("Median", lambda s, d: Number(s["median"], d + 1)),
    ("Q1, Q3", lambda s, d: Range(s["q1"], s["q3"], d + 1)),
    ("Min, Max", lambda s, d: Range(s["min"], s["max"], d)),
]
NAN = float("nan")
NOT_OBSERVED = {stat: NAN for stat in ("n", "mean", "sd", "se", "median", "q1", "q3", "min", "max")}


def by_group(lookup: Lookup, groups: Groups, measure: str, statistics: list[tuple[str, Callable]], *,
             visit: str = "", contrast: Contrast | None = None) -> tuple[tuple, tuple[Block, ...]]:
    """Columns and the one block of a table of one estimate per group: a row per statistic (``(label,
    function of the group's values -> cell)``), a column per group; a group without values gets blank cells."""
    levels = lookup.levels
    values = [lookup.get(measure, gv, g, visit, contrast) for gv, g in levels]
    rows = tuple(Row((Text(label), *(make(v) if v is not None else Text("") for v in values)))
                 for label, make in statistics)
    return tuple(groups.column(gv, g) for gv, g in levels), (Block("", rows),)


def short_intervals(lookup: Lookup, groups: Groups, measure: str, contrast: Contrast, alpha: float) -> tuple[str, ...]:
    """A footnote naming each group whose Hodges-Lehmann interval has less than the requested confidence (a
    handful of pairs), with the level it has (the ARD's ``ci_level``)."""
    short = [f"{groups.name(gv, g)} {100 * w['ci_level']:.4g}% ({w['n']:.0f} pairs)" for gv, g in lookup.levels
             if (w := lookup.get(measure, gv, g, "", contrast)) and w.get("ci_level", 1) < 1 - alpha - 1e-12]
    if not short:
        return ()
    return (f"With so few pairs even the widest interval falls short of {100 * (1 - alpha):.4g}% confidence; the "
            f"HL interval is shown as computed (as R wilcox.test) and has: {', '.join(short)}.",)


def _summary(lookup: Lookup, groups: Groups, measure: str, visits: list[str], d: int,
             contrast: Callable[[str], Contrast | None]) -> tuple[tuple, tuple[Block, ...]]:
    """One block per visit, a row per statistic, a column per group."""
    blocks = []
    for visit in visits:
        stats = [lookup.get(measure, gv, g, visit, contrast(visit)) or NOT_OBSERVED for gv, g in lookup.levels]
        blocks.append(Block(visit, tuple(Row((Text(label), *(make(s, d) for s in stats))) for label, make in SUMMARY_ROWS)))
    return tuple(groups.column(gv, g) for gv, g in lookup.levels), tuple(blocks)


def measure_tables(ard_lookup: Callable[[str], Lookup], groups: Groups, name: str, spec: Measure,
                   config: StudyConfig, conf: str) -> list[Table]:
    """The measure's tables before the models, unnumbered."""
    visits = config.visits
    d = spec.decimals
    label = spec.label or name
    endpoint = Contrast.change(visits.endpoint, visits.baseline)
    pairs = f"Subjects with observed {visits.baseline} and {visits.endpoint} values (complete pairs)."
    tables = []
    descriptive = ard_lookup("descriptive")
    if descriptive.groups:
        columns, blocks = _summary(descriptive, groups, name, visits.order, d, lambda visit: None)
        tables.append(Table(
            "", f"{name}: observed values by visit",
            "Subjects with an observed value at the visit (observed cases, no imputation).", "Statistic", columns,
            blocks, (f"{label}, range {spec.min:g}-{spec.max:g} ({direction_label(spec.direction)}). SD: standard "
                     "deviation; SE: standard error of the mean. Quartiles by SAS's default definition (QNTLDEF=5).",)))
    change = ard_lookup("change")
    if change.groups:
        columns, blocks = _summary(change, groups, name, visits.post_baseline, d,
                                   lambda visit: Contrast.change(visit, visits.baseline))
        tables.append(Table(
            "", f"{name}: change from {visits.baseline} by visit", f"Subjects with observed {visits.baseline} and visit "
            "values.", "Statistic", columns, blocks,
            (f"Change = visit value - {visits.baseline} value; negative change = lower score.",)))
    ttest = ard_lookup("paired_t")
    if ttest.groups:
        columns, blocks = by_group(ttest, groups, name, [
            ("n", lambda t: Count(t["n"])),
            (f"Mean change ({endpoint.label})", lambda t: Number(t["estimate"], d + 2)),
            (f"{conf} CI", lambda t: Interval(t["ci_lower"], t["ci_upper"], d + 2)),
            ("t", lambda t: Number(t["statistic"], 2)),
            ("df", lambda t: Number(t["df"], 0)),
            ("p-value", lambda t: PValue(t["p_value"])),
            ("Cohen's dz", lambda t: Number(t["effect_size"], 2)),
            ("BF10", lambda t: BayesFactor(t.get("bf10", NAN))),
            ("Power", lambda t: Number(t.get("power", NAN), 3)),
        ], contrast=endpoint)
        tables.append(Table(
            "", f"{name}: {visits.endpoint} vs {visits.baseline}, paired t-test", pairs, "Statistic", columns, blocks,
            ("Mean of the paired differences with its t-based CI; two-sided p-value. Cohen's dz = mean / SD of the "
             "paired differences. n: complete pairs; N: subjects in the group.",
             "Computed by pingouin: BF10, the Bayes factor of a non-zero mean difference over none (JZS prior, Cauchy "
             "scale 0.707 on the standardised effect; above 1 favours a change, below 1 no change; '>1e300' beyond "
             "the range of floating-point numbers, where pingouin returns infinity), and Power, the probability that this two-sided test at "
             f"alpha {config.alpha:g} finds an effect as large as the observed dz (post hoc: it adds nothing to the "
             "p-value).")))
    wilcox = ard_lookup("wilcoxon")
    if wilcox.groups:
        columns, blocks = by_group(wilcox, groups, name, [
            ("n", lambda w: Count(w["n"])),
            ("V", lambda w: Number(w["statistic"], 1)),
            ("p-value", lambda w: PValue(w["p_value"])),
            (f"HL estimate ({endpoint.label})", lambda w: Number(w["estimate"], d + 2)),
            (f"{conf} CI", lambda w: Interval(w["ci_lower"], w["ci_upper"], d + 2)),
            ("Rank-biserial r", lambda w: Number(w.get("rank_biserial", w["effect_size"]), 2)),
            ("CLES", lambda w: Number(w.get("cles", NAN), 3)),
        ], contrast=endpoint)
        tables.append(Table(
            "", f"{name}: {visits.endpoint} vs {visits.baseline}, Wilcoxon signed-rank test", pairs, "Statistic",
            columns, blocks,
            ("V: sum of the ranks of the positive differences. Normal approximation with tie-corrected variance and "
             "continuity correction, zero differences dropped, as R wilcox.test(exact = FALSE, correct = TRUE). HL: "
             "Hodges-Lehmann estimate, the median of the Walsh averages of all paired differences (zeros included), "
             f"with the distribution-free CI from their order statistics ({words.HL_CRITICAL}).",
             *short_intervals(wilcox, groups, name, endpoint, config.alpha),
             "Computed by pingouin: the rank-biserial r = (R+ - R-) / (R+ + R-) over the non-zero differences (-1: "
             f"every subject lower at {visits.endpoint}, +1: every subject higher). CLES, the common-language effect "
             f"size as pingouin defines it: the probability that a {visits.endpoint} value exceeds a {visits.baseline} "
             "value, over all pairs of the two, ties counting one half (0.5: no shift); trialkit computes it from the "
             "Mann-Whitney U, which counts the same pairs.")))
    responder = ard_lookup("responder")
    if responder.groups and spec.responder_max is not None:
        columns, blocks = by_group(responder, groups, name, [
            (f"n (observed at {visits.endpoint})", lambda r: Count(r["n"])),
            ("Responders, n (%)", lambda r: CountPercent(r["n_responders"], r["proportion"])),
            (f"{conf} CI (%)", lambda r: Interval(100 * r["ci_lower"], 100 * r["ci_upper"], 1)),
        ], visit=visits.endpoint)
        tables.append(Table(
            "", f"{name}: responders at {visits.endpoint}", f"Subjects with an observed {visits.endpoint} value.",
            "Statistic", columns, blocks,
            (f"Responder: {name} <= {spec.responder_max:g} at {visits.endpoint}; percentages of n. Exact "
             "(Clopper-Pearson) confidence interval.",)))
    return tables
