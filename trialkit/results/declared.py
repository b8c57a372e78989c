"""The declared analyses of the plan (:attr:`StudyConfig.declared`) -> rows of the results dataset.

Every row of a declared analysis carries its id (``analysis_id``) and analysis set (``analysis_set``); arms are
named by their labels (``treatment.labels``), in the plan's order.

population
    Subjects of the analysis set per arm (``group_var`` the arm column, ``group`` the arm's label) and in all
    (``overall``/``all``): the N of the table headers.
descriptive, change
    Of the methods descriptive, ancova, anova and mmrm: n, mean, SD, SE, median, quartiles, min, max (and the CI
    of the mean) per arm, and in all (``overall``/``all``) when ``treatment.total``: of the baseline value (visit
    = the baseline visit), of the value at each analysed visit, and of the change at each analysed visit
    (``change``, contrast ``<visit> - <baseline>``). The baseline summary is of the subjects analysed: those with
    a response at one of the analysed visits (descriptive: every baseline record of the analysis).
ancova, anova, mmrm
    At each visit (``visit``): each arm's LS mean (contrast = its label; stats n, estimate, se, df, statistic,
    p_value, ci_lower, ci_upper), each arm minus the control (``<arm> - <control>``) and, with ``pairwise``, each
    later arm minus each earlier one, with ``p_adjusted`` under a multiplicity adjustment and, with Dunnett's,
    ``ci_lower_simultaneous``, ``ci_upper_simultaneous``; the dose-response slope (contrast ``dose response``);
    an MMRM with ``visit_average``: the same averaged over the visits (visit "", contrasts
    ``<arm> (average of visits)`` and ``<arm> - <control> (average of visits)``, n = subjects in the model).
cmh
    At each visit: the three CMH statistics (contrast ``CMH nonzero correlation``, ``CMH row mean scores
    differ``, ``CMH general association``; stats statistic, df, p_value) and the counts per arm (group) and
    response category (``category``; stats n and proportion of the arm's n at the visit; category "" holds
    that n), and in all when ``treatment.total``.
responder
    At each visit: per arm the rate with its exact CI (stats n, n_responders, proportion, ci_lower, ci_upper),
    and in all when ``treatment.total``; each arm minus the control (estimate, ci_lower, ci_upper, statistic,
    p_value); with strata, the CMH test of each arm vs the control (contrast ``<arm> vs <control> (CMH)``;
    statistic, df, p_value).

``note`` of the model rows names the model in words (:func:`trialkit.results.plan_words.model`). What a model
leaves out or cannot estimate is NaN in its rows (NE in the report) and a finding (check ``analysis_note``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from trialkit.config import StudyConfig
from trialkit.derivations import AnalysisData, DeclaredData
from trialkit.errors import AnalysisError, ConfigError, shown
from trialkit.findings import issues
from trialkit.plan import ARM, BASELINE, VISIT, DeclaredAnalysis, analysed_visits, interaction_parts
from trialkit.results import plan_words
from trialkit.results.contrasts import Contrast
from trialkit.results.groups import OVERALL
from trialkit.results.rows import ArdRow
from trialkit.stats import ancova, cmh, mmrm_by_arm, responder_by_arm, responder_rate, summarize
from trialkit.stats.arms import INFERENCE, as_text
from trialkit.stats.multiplicity import adjust

#: the plan's multiplicity names -> :func:`trialkit.stats.adjust`'s
ADJUST = {"holm": "holm", "hochberg": "hochberg", "fixed_sequence": "fixed-sequence"}
SIMULTANEOUS = ("ci_lower_simultaneous", "ci_upper_simultaneous")
#: the columns of a declared analysis's records (:class:`trialkit.derivations.DeclaredData`)
SUBJECT, VALUE, BASE, CHANGE, RESPONSE, DOSE = "subject", "value", "base", "change", "response", "arm_dose"


@dataclass(frozen=True)
class _Analysis:
    """One declared analysis with what its rows need."""

    analysis: DeclaredAnalysis
    key: str  #: its study.yaml key, e.g. "analyses.3"
    data: DeclaredData
    config: StudyConfig
    arms: tuple[str, ...]  #: arm values, in the plan's order
    row: ArdRow  #: measure, analysis_id and analysis_set of every row
    findings: list

    @property
    def records(self) -> pd.DataFrame:
        return self.data.records

    @property
    def visits(self) -> list[str]:
        """The analysed visits, in visit order."""
        return analysed_visits(self.analysis, self.config)

    @property
    def arm_var(self) -> str:
        return self.config.treatment.arm if self.config.treatment is not None else OVERALL[0]

    def label(self, arm: str) -> str:
        return self.config.treatment.label(arm) if self.config.treatment is not None else arm

    @property
    def control(self) -> str:
        return self.config.treatment.control

    @property
    def total(self) -> bool:
        """Whether rows of all arms together are made (``treatment.total``, or no treatment)."""
        return self.config.treatment is None or self.config.treatment.total

    def groups(self, frame: pd.DataFrame):
        """``(group_var, group, rows)`` of each arm, then all of them when :attr:`total`."""
        for arm in self.arms:
            yield self.arm_var, self.label(arm), frame[frame[ARM] == arm]
        if self.total:
            yield (*OVERALL, frame)

    def note(self, visit: str, notes) -> None:
        """Each of a model's notes (rows left out, what is not estimable, convergence) as a finding."""
        where = f" at {visit}" if visit else ""
        for text in notes:
            self.findings.append(issues("warning", "analysis_note", 1, row=None, measure=self.analysis.measure,
                                        visit=visit, message=f"analysis {self.analysis.id}{where}: {text}"))

    def refuse(self, exc: AnalysisError) -> ConfigError:
        """A model the plan asks for that the data cannot give (a column of the wrong kind, too many comparisons
        for Dunnett's adjustment): exit 2 naming the analysis."""
        source = self.config.source.name if self.config.source else "study.yaml"
        return ConfigError(f"{source}: {self.key} ({shown(self.analysis.id)}): {shown(str(exc), limit=400)}")


def declared_rows(data: AnalysisData, config: StudyConfig, findings: list | None = None) -> list[ArdRow]:
    """The rows of every declared analysis, in plan order; ``findings`` (a list) receives the findings of what the
    models left out or could not estimate, as tables of :func:`trialkit.findings.issues`."""
    findings = [] if findings is None else findings
    rows: list[ArdRow] = []
    for k, analysis in enumerate(config.analyses):
        if not isinstance(analysis, DeclaredAnalysis):
            continue
        derived = data.declared[analysis.id]
        arms = tuple(a for a in derived.population if a != "")
        one = _Analysis(analysis, f"analyses.{k}", derived, config, arms,
                        ArdRow("", analysis.measure, analysis_id=analysis.id, analysis_set=analysis.analysis_set or ""),
                        findings)
        rows += _population(one)
        if analysis.method in ("descriptive", "ancova", "anova", "mmrm"):
            rows += _summaries(one)
        try:
            rows += METHODS[analysis.method](one)
        except AnalysisError as exc:
            raise one.refuse(exc) from None
    return rows


def _population(a: _Analysis) -> list[ArdRow]:
    key = a.row._replace(analysis="population", stat="n")
    rows = [key._replace(group_var=a.arm_var, group=a.label(arm), value=float(a.data.population[arm]))
            for arm in a.arms]
    return rows + [key._replace(group_var=OVERALL[0], group=OVERALL[1], value=float(sum(a.data.population.values())))]


def _summaries(a: _Analysis) -> list[ArdRow]:
    """n, mean, SD, ... of the baseline value, the value at each analysed visit and the change, per arm."""
    records, config, alpha = a.records, a.config, a.config.alpha
    baseline = config.visits.baseline
    analysed = records[records["visit"].isin(a.visits)]
    rows = []
    if config.has_baseline(a.analysis.measure):
        at_baseline = records[records["visit"] == baseline]
        if a.analysis.method != "descriptive":
            at_baseline = at_baseline[at_baseline[SUBJECT].isin(set(analysed.loc[analysed[RESPONSE].notna(), SUBJECT]))]
        for gv, g, part in a.groups(at_baseline):
            rows += a.row._replace(analysis="descriptive", group_var=gv, group=g, visit=baseline).with_stats(
                summarize(part[VALUE], alpha=alpha).stats())
    for visit in a.visits:
        at = analysed[analysed["visit"] == visit]
        for gv, g, part in a.groups(at):
            rows += a.row._replace(analysis="descriptive", group_var=gv, group=g, visit=visit).with_stats(
                summarize(part[VALUE], alpha=alpha).stats())
        if config.has_baseline(a.analysis.measure):
            for gv, g, part in a.groups(at):
                rows += a.row._replace(analysis="change", group_var=gv, group=g, visit=visit,
                                       contrast=Contrast.change(visit, baseline)).with_stats(
                    summarize(part[CHANGE], alpha=alpha).stats())
    return rows


def _covariates(analysis: DeclaredAnalysis) -> list[str]:
    """The model's continuous columns: ``baseline`` is the records' ``base``."""
    return [BASE if c == BASELINE else c for c in analysis.covariates]


def _ancova(a: _Analysis) -> list[ArdRow]:
    analysis, config = a.analysis, a.config
    renamed = {ARM: ARM, BASELINE: BASE}
    interactions = [":".join(renamed.get(p, p) for p in interaction_parts(t)) for t in analysis.interactions]
    dose = DOSE if "dose_response" in analysis.contrasts else None
    note = plan_words.model(analysis, config)
    rows = []
    for visit in a.visits:
        at = a.records[a.records["visit"] == visit]
        result = ancova(at, RESPONSE, ARM, control=a.control, arms=list(a.arms), factors=analysis.factors,
                        covariates=_covariates(analysis), interactions=interactions, dose=dose, subject=SUBJECT,
                        weights=analysis.weights, multiplicity=_in_stats(analysis), alpha=config.alpha)
        a.note(visit, result.notes)
        rows += _comparisons(a, result, note, visit=visit)
        for d in result.dose_response.itertuples(index=False):
            rows += a.row._replace(analysis=analysis.method, visit=visit, contrast=Contrast.dose_response(),
                                   note=note).with_stats((s, getattr(d, s)) for s in INFERENCE)
    return rows


def _mmrm(a: _Analysis) -> list[ArdRow]:
    analysis, config = a.analysis, a.config
    options = config.models.mmrm
    with_visit = any(sorted(interaction_parts(t)) == [BASELINE, VISIT] for t in analysis.interactions)
    covariates = [c for c in _covariates(analysis) if not (with_visit and c == BASE)]
    chain = tuple(dict.fromkeys([analysis.covariance or options.covariance, *options.fallback]))
    df = analysis.df or options.df
    data = a.records[a.records["visit"].isin(a.visits)]
    result = mmrm_by_arm(data, RESPONSE, ARM, visit="visit", subject=SUBJECT, control=a.control, arms=list(a.arms),
                         visits=a.visits, baseline=BASE if with_visit else None, factors=analysis.factors,
                         covariates=covariates, covariance=chain, df=df, weights=analysis.weights,
                         multiplicity=_in_stats(analysis), alpha=config.alpha)
    a.note("", result.notes)
    structure = result.fit.structure if result.fit is not None else chain[0]
    note = plan_words.model(analysis, config, covariance=structure, df=df)
    if result.fit is None:
        note += "; NOT ESTIMATED: " + "; ".join(result.notes)
    rows = []
    for visit in a.visits:
        rows += _comparisons(a, result, note, visit=visit)
    if analysis.visit_average:
        rows += _comparisons(a, result, note, visit="", average=True)
    return rows


def _in_stats(analysis: DeclaredAnalysis) -> str:
    """The adjustment the model function makes: Dunnett's (it needs the contrasts' covariance); the others are made
    here, over the comparisons the analysis reports (:func:`_adjusted`)."""
    return "dunnett" if analysis.multiplicity == "dunnett" else "none"


def _comparisons(a: _Analysis, result, note: str, *, visit: str, average: bool = False) -> list[ArdRow]:
    """LS means and the differences the plan asks for, at one visit (or averaged over the visits) of an
    :class:`~trialkit.stats.ArmComparison`."""
    analysis = a.analysis
    lsmeans = result.averages if average else result.lsmeans
    differences = result.average_differences if average else result.differences
    at = visit if result.model == "mmrm" and not average else ""  # an ANCOVA's tables have visit ""
    lsmeans, differences = lsmeans[lsmeans["visit"] == at], differences[differences["visit"] == at]
    n = result.n[result.n["visit"] == at].set_index("arm")["n"]
    arm_contrast = Contrast.arm_average if average else Contrast.arm
    difference = Contrast.difference_average if average else Contrast.difference
    key = a.row._replace(analysis=analysis.method, visit=visit, note=note)
    rows = []
    for r in lsmeans.itertuples(index=False):
        rows += key._replace(contrast=arm_contrast(a.label(r.arm))).with_stats(
            [("n", float(n.get(r.arm, 0))), *((s, getattr(r, s)) for s in INFERENCE)])
    wanted = {"vs control"} if {"vs_control", "pairwise"} & set(analysis.contrasts) else set()
    if "pairwise" in analysis.contrasts:
        wanted.add("between arms")
    family = differences[differences["family"].isin(wanted)]
    adjusted = _adjusted(family, analysis)
    for (_, r), p_adjusted in zip(family.iterrows(), adjusted):
        stats = [(s, r[s]) for s in INFERENCE]
        if analysis.multiplicity != "none":
            stats.append(("p_adjusted", p_adjusted))
        if analysis.multiplicity == "dunnett" and r["family"] == "vs control":
            stats += [(s, r[s]) for s in SIMULTANEOUS]
        rows += key._replace(contrast=difference(a.label(r["arm"]), a.label(r["reference"]))).with_stats(stats)
    return rows


def _adjusted(family: pd.DataFrame, analysis: DeclaredAnalysis) -> np.ndarray:
    """Adjusted p-values of the comparisons the analysis reports at one visit, in their order (each arm vs the
    control in plan order, then each pair of the other arms): Dunnett's from the model function (for the
    comparisons with the control), the others over the whole family."""
    if analysis.multiplicity == "dunnett":
        return family["p_adjusted"].to_numpy(dtype=float) if "p_adjusted" in family else np.full(len(family), np.nan)
    if analysis.multiplicity == "none":
        return np.full(len(family), np.nan)
    return adjust(family["p_value"].to_numpy(dtype=float), method=ADJUST[analysis.multiplicity])


def _levels(values: pd.Series) -> list[str]:
    """The response categories seen in the analysis, in numeric order, as the CMH tables name them."""
    return list(as_text(pd.Series(sorted(values.dropna().unique()), dtype=object)))


def _cmh(a: _Analysis) -> list[ArdRow]:
    analysis = a.analysis
    note = plan_words.model(analysis, a.config)
    analysed = a.records[a.records["visit"].isin(a.visits)]
    levels = _levels(analysed[RESPONSE])
    rows = []
    for visit in a.visits:
        at = analysed[analysed["visit"] == visit]
        result = cmh(at, ARM, RESPONSE, [analysis.strata], scores=analysis.scores, row_order=list(a.arms),
                     column_order=levels)
        a.note(visit, result.notes)
        key = a.row._replace(analysis="cmh", visit=visit, note=note)
        for t in result.tests.itertuples(index=False):
            rows += key._replace(contrast=Contrast.cmh(t.test)).with_stats(
                (s, getattr(t, s)) for s in ("statistic", "df", "p_value"))
        counts = result.counts.set_index(["row", "column"])["n"]
        groups = [(a.arm_var, a.label(arm), counts.loc[arm]) for arm in a.arms]
        if a.total:
            groups.append((*OVERALL, counts.groupby(level="column").sum()))
        for gv, g, by_level in groups:
            total = float(by_level.get("", 0))
            rows.append(key._replace(group_var=gv, group=g, note="", stat="n", value=total))
            for level in levels:
                k = float(by_level.get(level, 0))
                rows += key._replace(group_var=gv, group=g, category=level, note="").with_stats(
                    [("n", k), ("proportion", k / total if total else np.nan)])
    return rows


def _responder(a: _Analysis) -> list[ArdRow]:
    analysis, config = a.analysis, a.config
    note = plan_words.model(analysis, config)
    threshold = plan_words.threshold(analysis, config)
    rows = []
    for visit in a.visits:
        at = a.records[(a.records["visit"] == visit) & a.records[RESPONSE].notna()]
        at = at.assign(responder=(at[RESPONSE] <= threshold).astype(float))
        result = responder_by_arm(at, "responder", ARM, control=a.control, arms=list(a.arms),
                                  strata=analysis.strata, method=analysis.difference_ci, alpha=config.alpha)
        a.note(visit, result.notes)
        key = a.row._replace(analysis="responder", visit=visit, note=note)
        rates = result.rates.set_index("arm")
        for arm in a.arms:
            rows += key._replace(group_var=a.arm_var, group=a.label(arm)).with_stats(
                (s, rates.loc[arm, s]) for s in ("n", "n_responders", "proportion", "ci_lower", "ci_upper"))
        if a.total:
            rows += key._replace(group_var=OVERALL[0], group=OVERALL[1]).with_stats(
                responder_rate(at["responder"] == 1.0, alpha=config.alpha).stats())
        for d in result.differences.itertuples(index=False):
            rows += key._replace(contrast=Contrast.difference(a.label(d.arm), a.label(d.reference))).with_stats(
                (s, getattr(d, s)) for s in ("estimate", "ci_lower", "ci_upper", "statistic", "p_value"))
        others = [arm for arm in a.arms if arm != a.control]  # the order of the stratified tests
        for arm, s in zip(others, result.stratified.itertuples(index=False)):
            rows += key._replace(contrast=Contrast.stratified(a.label(arm), a.label(a.control))).with_stats(
                (stat, getattr(s, stat)) for stat in ("statistic", "df", "p_value"))
    return rows


def _descriptive(a: _Analysis) -> list[ArdRow]:
    return []  # its rows are the summaries


METHODS = {"ancova": _ancova, "anova": _ancova, "mmrm": _mmrm, "cmh": _cmh, "responder": _responder,
           "descriptive": _descriptive}
__all__ = ["METHODS", "declared_rows"]
