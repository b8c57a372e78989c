"""The tables and figures of the declared analyses, in the shape of a clinical study report's efficacy tables: a
column per arm with its N (in the plan's order), blocks of summary statistics (Baseline, each visit, the change
from Baseline), then the model's LS means and comparisons with numbered footnotes written from the plan. Read
from the ARD rows of each analysis (:mod:`trialkit.results.declared`)."""

from __future__ import annotations

import math

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.plan import DeclaredAnalysis, analysed_visits
from trialkit.report.arms import AnalysisRows, Arm, Footnotes, arms_of, in_columns, summary_rows
from trialkit.report.lookup import direction_label
from trialkit.report.spec import (Block, Column, Count, CountPercent, EstimateSE, Figure, Interval, MeanPlot, Number,
                                  PValue, Row, Series, Table, Text)
from trialkit.results import OVERALL, Contrast, plan_words
from trialkit.results.contrasts import CMH_TESTS

NAN = float("nan")
METHOD_TITLES = {"ancova": "ANCOVA", "anova": "ANOVA", "mmrm": "MMRM"}
MULTIPLICITY_NAMES = {"holm": "Holm", "hochberg": "Hochberg", "dunnett": "Dunnett", "fixed_sequence": "fixed sequence"}


def _condition(column: str, values: list[str]) -> str:
    shown = [v if v != "" else "(empty)" for v in values]
    if values == [""]:
        return f"{column} empty"
    return f"{column} = {shown[0]}" if len(shown) == 1 else f"{column} in {', '.join(shown)}"


def population_line(analysis: DeclaredAnalysis, config: StudyConfig, n: float) -> str:
    """The analysis set with its N and definition, and the analysis's record selection."""
    if analysis.analysis_set is not None:
        where = "; ".join(_condition(c, v) for c, v in config.analysis_sets[analysis.analysis_set].items())
        text = f"{analysis.analysis_set} analysis set (N={n:.0f}; {where})"
    else:
        text = f"All subjects with records{' in the arms of the plan' if config.treatment else ''} (N={n:.0f})"
    if analysis.select:
        text += "; records with " + " and ".join(_condition(c, v) for c, v in analysis.select.items())
    return text + "."


class _Builder:
    """What every table of one declared analysis needs."""

    def __init__(self, ard: pd.DataFrame, analysis: DeclaredAnalysis, config: StudyConfig, conf: str) -> None:
        self.analysis, self.config, self.conf = analysis, config, conf
        self.rows = AnalysisRows(ard, analysis.id)
        self.measure = config.measures[analysis.measure]
        self.d = self.measure.decimals
        self.visits = analysed_visits(analysis, config)
        self.baseline = config.visits.baseline
        self.has_baseline = config.has_baseline(analysis.measure)
        treatment = config.treatment
        self.control = treatment.label(treatment.control) if treatment is not None else ""
        every = arms_of(self.rows.population, config, total=True)
        self.n_total = next((a.n for a in every if a.key == OVERALL), NAN)
        self.arms = [a for a in every if a.key != OVERALL]
        self.total = treatment is None or treatment.total
        self.notes = Footnotes()

    def table(self, title: str, stub: str, arms: list[Arm], blocks: list[Block], notes: tuple[str, ...] = ()) -> Table:
        return Table("", title, population_line(self.analysis, self.config, self.n_total), stub,
                     tuple(a.column for a in arms), tuple(b for b in blocks if b.rows),
                     (*self.notes.numbered(), *notes))

    def with_total(self) -> list[Arm]:
        every = arms_of(self.rows.population, self.config, total=self.total)
        return every if self.arms else every[-1:]

    def summaries(self, arms: list[Arm], visit: str) -> list[Block]:
        """The observed values at ``visit`` and their change from Baseline, as CSR tables show them."""
        out = [Block(visit, summary_rows(self.rows, arms, "descriptive", visit, self.d))]
        if self.has_baseline:
            out.append(Block(f"Change from {self.baseline} to {visit}", summary_rows(
                self.rows, arms, "change", visit, self.d, Contrast.change(visit, self.baseline))))
        return out

    def baseline_block(self, arms: list[Arm]) -> list[Block]:
        if not self.has_baseline:
            return []
        return [Block(self.baseline, summary_rows(self.rows, arms, "descriptive", self.baseline, self.d))]

    # -- comparisons of a model --------------------------------------------------------------------------------

    def model_mark(self) -> str:
        return self.notes.mark("model", f"{self.rows.note}." if self.rows.note else "")

    def multiplicity_mark(self) -> str:
        return self.notes.mark("multiplicity", plan_words.MULTIPLICITY[self.analysis.multiplicity][0].upper()
                               + plan_words.MULTIPLICITY[self.analysis.multiplicity][1:] + ".")

    def comparisons(self, visit: str, *, average: bool = False) -> list[Row]:
        """Each arm's LS mean, then each comparison the plan asks for: its p-value, difference of LS means (SE)
        and CI in the arm's column (adjusted p and, with Dunnett's, the simultaneous CI when adjusted)."""
        analysis, rows, d, conf = self.analysis, self.rows, self.d, self.conf
        method = analysis.method
        arm_contrast = Contrast.arm_average if average else Contrast.arm
        difference = Contrast.difference_average if average else Contrast.difference
        model = self.model_mark()
        ls = {a.key: rows.get(method, visit=visit, contrast=arm_contrast(a.group)) for a in self.arms}
        out = []
        if method == "mmrm":
            out.append(in_columns(self.arms, "n", {k: Count(v["n"]) for k, v in ls.items() if v}))
        out.append(in_columns(self.arms, f"LS mean (SE) {model}",
                              {k: EstimateSE(v["estimate"], v["se"], d + 2) for k, v in ls.items() if v}))
        out.append(in_columns(self.arms, f"{conf} CI", {k: Interval(v["ci_lower"], v["ci_upper"], d + 2)
                                                       for k, v in ls.items() if v}))
        dose = rows.get(method, visit=visit, contrast=Contrast.dose_response())
        if dose and not average:
            mark = self.notes.mark("dose", plan_words.dose_response(self.config) + ".")
            out.append(in_columns(self.arms, f"p-value (dose response) {model}{mark}",
                                  {self.arms[-1].key: PValue(dose["p_value"])}))
        references = [a for a in self.arms if a.group == self.control]
        references += [a for a in self.arms if a.group != self.control and "pairwise" in analysis.contrasts]
        for reference in references:
            found = {a.key: v for a in self.arms
                     if (v := rows.get(method, visit=visit, contrast=difference(a.group, reference.group)))}
            if not found:
                continue
            out.append(in_columns(self.arms, f"p-value (vs {reference.group}) {model}{self.multiplicity_mark()}",
                                  {k: PValue(v["p_value"]) for k, v in found.items()}))
            adjusted = {k: PValue(v["p_adjusted"]) for k, v in found.items() if "p_adjusted" in v}
            if adjusted:
                out.append(in_columns(self.arms, f"Adjusted p-value ({MULTIPLICITY_NAMES[analysis.multiplicity]})",
                                      adjusted))
            out.append(in_columns(self.arms, "Diff of LS means (SE)",
                                  {k: EstimateSE(v["estimate"], v["se"], d + 2) for k, v in found.items()}))
            out.append(in_columns(self.arms, f"{conf} CI", {k: Interval(v["ci_lower"], v["ci_upper"], d + 2)
                                                           for k, v in found.items()}))
            simultaneous = {k: Interval(v["ci_lower_simultaneous"], v["ci_upper_simultaneous"], d + 2)
                            for k, v in found.items() if "ci_lower_simultaneous" in v}
            if simultaneous:
                out.append(in_columns(self.arms, f"{conf} simultaneous CI", simultaneous))
        return out


def _ancova(b: _Builder) -> list[Table]:
    blocks = b.baseline_block(b.arms)
    for visit in b.visits:
        blocks += b.summaries(b.arms, visit)
        blocks.append(Block(f"{METHOD_TITLES[b.analysis.method]} at {visit}", tuple(b.comparisons(visit))))
    return [b.table(b.analysis.title, "", b.arms, blocks)]


def _mmrm(b: _Builder) -> list[Table]:
    blocks = b.baseline_block(b.arms)
    for visit in b.visits:
        blocks.append(Block(visit, tuple(b.comparisons(visit))))
    if b.analysis.visit_average:
        blocks.append(Block("Average of the visits", tuple(b.comparisons("", average=True))))
    response = "change from " + b.baseline if b.analysis.outcome == "change" else "value"
    return [b.table(b.analysis.title, "", b.arms, blocks,
                    (f"n: subjects with a {response} at the visit in the model. Average of the visits: each visit's LS "
                     "mean weighted equally.",) if b.analysis.visit_average else
                    (f"n: subjects with a {response} at the visit in the model.",))]


def _descriptive(b: _Builder) -> list[Table]:
    arms = b.with_total()
    blocks = b.baseline_block(arms)
    for visit in b.visits:
        blocks += b.summaries(arms, visit)
    return [b.table(b.analysis.title, "", arms, blocks,
                    (f"SD: standard deviation. {plan_words.records_note(b.config)}",))]


def _cmh(b: _Builder) -> list[Table]:
    analysis, rows = b.analysis, b.rows
    arms = b.with_total()
    levels = list(dict.fromkeys(key[5] for key in rows.table if key[0] == "cmh" and key[5] != ""))
    counts = []
    for visit in b.visits:
        n = in_columns(arms, "n", {a.key: Count(rows.get("cmh", group=a.key, visit=visit).get("n", NAN))
                                   for a in arms})
        cells = [in_columns(arms, level, {a.key: CountPercent(v.get("n", NAN), v.get("proportion", NAN)) for a in arms
                                          if (v := rows.get("cmh", group=a.key, visit=visit, category=level))})
                 for level in levels]
        counts.append(Block(visit, (n, *cells)))
    tests = []
    for visit in b.visits:
        tests.append(Block(visit, tuple(
            Row((Text(label.removeprefix("CMH ").capitalize()), Number(t.get("statistic", NAN), 2),
                 Number(t.get("df", NAN), 0), PValue(t.get("p_value", NAN))))
            for test, label in CMH_TESTS.items()
            if (t := rows.get("cmh", visit=visit, contrast=Contrast.cmh(test))))))
    model = f"{rows.note}." if rows.note else ""
    title = analysis.title
    return [b.table(f"{title}: counts by arm", "Rating", arms, counts,
                    (f"n (%): subjects with the rating at the visit; percentages of the arm's n. {model}",)),
            Table("", f"{title}: CMH statistics", population_line(analysis, b.config, b.n_total), "Visit / statistic",
                  (Column("Statistic"), Column("df"), Column("p-value")), tuple(tests),
                  (f"{model} Nonzero correlation: treatment scores 1, 2, ... in the plan's order; row mean scores "
                   "differ and general association as SAS PROC FREQ CMH. Chi-square p-values.",))]


def _responder(b: _Builder) -> list[Table]:
    analysis, rows, conf = b.analysis, b.rows, b.conf
    arms = b.with_total()
    model = b.notes.mark("model", f"{rows.note}." if rows.note else "")
    blocks = []
    for visit in b.visits:
        rates = {a.key: rows.get("responder", group=a.key, visit=visit) for a in arms}
        out = [in_columns(arms, "n", {k: Count(v["n"]) for k, v in rates.items() if v}),
               in_columns(arms, "Responders, n (%)", {k: CountPercent(v["n_responders"], v["proportion"])
                                                       for k, v in rates.items() if v}),
               in_columns(arms, f"{conf} CI (%) {model}", {k: Interval(100 * v["ci_lower"], 100 * v["ci_upper"], 1)
                                                            for k, v in rates.items() if v})]
        found = {a.key: v for a in b.arms
                 if (v := rows.get("responder", visit=visit, contrast=Contrast.difference(a.group, b.control)))}
        if found:
            out += [in_columns(arms, f"Difference vs {b.control} (%)", {k: Number(100 * v["estimate"], 1)
                                                                         for k, v in found.items()}),
                    in_columns(arms, f"{conf} CI (%)", {k: Interval(100 * v["ci_lower"], 100 * v["ci_upper"], 1)
                                                        for k, v in found.items()}),
                    in_columns(arms, f"p-value {model}", {k: PValue(v["p_value"]) for k, v in found.items()})]
        stratified = {a.key: v for a in b.arms
                      if (v := rows.get("responder", visit=visit, contrast=Contrast.stratified(a.group, b.control)))}
        if stratified:
            out.append(in_columns(arms, f"p-value, CMH stratified {model}",
                                  {k: PValue(v["p_value"]) for k, v in stratified.items()}))
        blocks.append(Block(visit, tuple(out)))
    return [b.table(analysis.title, "", arms, blocks,
                    (f"Responder: {analysis.measure} <= {plan_words.threshold(analysis, b.config):g}; percentages of "
                     "n (subjects with a value at the visit).",))]


TABLES = {"ancova": _ancova, "anova": _ancova, "mmrm": _mmrm, "descriptive": _descriptive, "cmh": _cmh,
          "responder": _responder}


def declared_tables(ard: pd.DataFrame, measure: str, config: StudyConfig, conf: str) -> list[Table]:
    """The tables of the measure's declared analyses, in plan order, unnumbered."""
    return [table for analysis in config.declared if analysis.measure == measure
            for table in TABLES[analysis.method](_Builder(ard, analysis, config, conf))]


def _plotted(x) -> float | None:
    """A plotted value: None where not estimable."""
    return None if x is None or math.isnan(x) else float(x)


def declared_figures(ard: pd.DataFrame, measure: str, config: StudyConfig, conf: str) -> list[Figure]:
    """LS mean by visit per arm with its CI, of each MMRM and each ANCOVA/ANOVA at several visits of the measure."""
    out = []
    for analysis in config.declared:
        if analysis.measure != measure or analysis.method not in ("ancova", "anova", "mmrm"):
            continue
        b = _Builder(ard, analysis, config, conf)
        if len(b.visits) < 2:
            continue
        series = []
        for arm in b.arms:
            values = [b.rows.get(analysis.method, visit=v, contrast=Contrast.arm(arm.group)) for v in b.visits]
            series.append(Series(arm.group, False, *(tuple(_plotted(v.get(stat)) for v in values)
                                                    for stat in ("estimate", "ci_lower", "ci_upper"))))
        what = f"change from {b.baseline}" if analysis.outcome == "change" else "value"
        out.append(Figure("", f"{analysis.title}: LS mean {what} by visit and arm, with {conf} CI",
                          f"LS means of the {METHOD_TITLES[analysis.method]} ({analysis.id}) with their {conf} "
                          "confidence intervals; the arms' points are offset horizontally so that they do not "
                          "overlap.",
                          MeanPlot(tuple(b.visits), tuple(series),
                                   # a line each, so that a long label is not cut at the plot's edge
                                   f"{b.measure.label or measure}\nLS mean {what} ({conf} CI)\n"
                                   f"{direction_label(b.measure.direction)}", "Visit")))
    return out


__all__ = ["declared_figures", "declared_tables", "population_line"]
