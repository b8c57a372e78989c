"""Rows of the ARD that are not models: population, disposition, baseline characteristics, each subject's
values (for the figures), descriptive statistics, the baseline-vs-endpoint tests and responders."""

from __future__ import annotations

import math

import pandas as pd

from trialkit.config import StudyConfig
from trialkit.derivations import AnalysisData
from trialkit.natural import numbers
from trialkit.plan import column_kind
from trialkit.results.contrasts import Contrast
from trialkit.results.groups import arms, groups, natural_key, subject_groups
from trialkit.results.rows import ArdRow, rows_frame
from trialkit.stats import anova_oneway, chisq_independence, paired_t, responder_rate, summarize, wilcoxon


def population(analysed: pd.DataFrame, config: StudyConfig) -> list[ArdRow]:
    """Subjects per group (and per arm of the plan), and of them the subjects in each analysis set (``category``:
    the set's name): their number and their proportion of the group (the report's percentage)."""
    rows = []
    for gv, g, part in subject_groups(analysed, config):
        rows.append(ArdRow("population", group_var=gv, group=g, stat="n", value=float(len(part))))
        for name in config.analysis_sets:
            n_set = float(part[f"set:{name}"].sum())
            rows += ArdRow("population", group_var=gv, group=g, category=name).with_stats(
                [("n", n_set), ("proportion", n_set / len(part) if len(part) else math.nan)])
    return rows


def disposition(values: pd.DataFrame, config: StudyConfig) -> list[ArdRow]:
    """Subjects with at least one analysable record at each visit, per group (and per arm of the plan)."""
    rows = []
    for group_var, group, part in subject_groups(values, config):
        seen = part.groupby("visit")["subject"].nunique()
        rows += [ArdRow("disposition", group_var=group_var, group=group, visit=visit, stat="n",
                        value=float(seen.get(visit, 0))) for visit in config.visits.order]
    return rows


def individual(data: AnalysisData, config: StudyConfig) -> pd.DataFrame:
    """Each subject's value at each visit and change at the endpoint (figures of individual subjects), as ARD
    rows in a table: there is one per record, so they are made a column at a time."""
    first = config.subjects.subgroups[0] if config.subjects.subgroups else None
    visits = config.visits
    values, endpoint = data.values, data.endpoint
    change = Contrast.change(visits.endpoint, visits.baseline) if visits.baseline is not None else None
    return pd.concat([
        rows_frame("individual", measure=values["measure"], group_var="subject", group=values["subject"],
                   visit=values["visit"], stat="value", value=values["value"],
                   category=values[first] if first else ""),
        rows_frame("individual", measure=endpoint["measure"], group_var="subject", group=endpoint["subject"],
                   visit=visits.endpoint, contrast=change, stat="change", value=endpoint["change"],
                   category=endpoint[first] if first else ""),
    ], ignore_index=True)


def baseline(subjects: pd.DataFrame, config: StudyConfig) -> list[ArdRow]:
    """Genotype flags (subjects with the flag), subgroups and categorical covariates (subjects per level),
    numeric covariates (descriptive statistics), per group (and per arm of the plan). Proportions are of the
    group's N. A covariate declared under ``variables`` or used by the plan (a factor or stratum, a covariate) is
    summarised as declared (a site code that is a factor is counted per level); any other is numeric when every value
    is a number."""
    spec = config.subjects
    shown = [*spec.subgroups, *([spec.arm] if spec.arm and not _is_arm(spec.arm, config) else []), *spec.covariates]
    out: list[ArdRow] = []
    for group_var, group, part in subject_groups(subjects, config):
        total = len(part)

        def counts(name: str, levels) -> None:
            for level, n in levels:
                key = ArdRow("baseline", name, group_var, group, category=level)
                out.extend(key.with_stats([("n", n), ("proportion", n / total if total else float("nan"))]))

        for flag in spec.genotype_flags:
            counts(flag, [("yes", int(part[flag].sum()))])
        for name in shown:
            values = part[name]
            if _numeric(values, name, config):
                parsed = numbers(values)
                out.extend(ArdRow("baseline", name, group_var, group).with_stats(summarize(parsed.dropna()).stats()))
            else:  # every level seen in any subject, so that a group without it shows 0 (0%)
                present = values[values != ""]
                levels = sorted(set(subjects[name]) - {""}, key=natural_key)
                counts(name, [(level, int((present == level).sum())) for level in levels])
                if (values == "").any():
                    counts(name, [("missing", int((values == "").sum()))])
    if config.treatment is not None and config.treatment.baseline_tests:
        out += _arms_tests(subjects, config, shown)
    return out


def _arms_tests(subjects: pd.DataFrame, config: StudyConfig, shown: list[str]) -> list[ArdRow]:
    """Each characteristic compared across the arms of the plan (the Total column aside): one-way ANOVA of a
    numeric one, Pearson's chi-square of a categorical one or a genotype flag (a subject without a value left out)."""
    by_arm = [part for _, _, part in arms(subjects, config)]
    arm_column = config.treatment.arm
    out: list[ArdRow] = []
    for name in [*config.subjects.genotype_flags, *shown]:
        if name in config.subjects.genotype_flags:
            table = [[int(part[name].sum()) for part in by_arm], [int((~part[name].astype(bool)).sum()) for part in by_arm]]
            result = chisq_independence(table)
        elif _numeric(subjects[name], name, config):
            result = anova_oneway([numbers(part[name])
                                   for part in by_arm])
        else:
            levels = sorted(set(subjects[name]) - {""}, key=natural_key)
            result = chisq_independence([[int((part[name] == level).sum()) for part in by_arm] for level in levels])
        key = ArdRow("baseline", name, arm_column, "", contrast=Contrast.arms_test(result.method))
        out.extend(key.with_stats(result.stats()))
    return out


def _numeric(values: pd.Series, name: str, config: StudyConfig) -> bool:
    """Whether a covariate is summarised as a number: declared continuous (under ``variables``, or as a covariate of
    the plan), or undeclared with every value a number; a factor or stratum of the plan never is (a site code)."""
    if name not in config.subjects.covariates:
        return False
    kind = column_kind(config, name)
    parsed = numbers(values)
    present = values != ""
    return kind == "continuous" or (kind is None and present.any() and parsed.notna().sum() == present.sum())


def _is_arm(column: str, config: StudyConfig) -> bool:
    """Whether ``column`` is the plan's arm, which the subject tables show as columns, not as a characteristic."""
    return config.treatment is not None and config.treatment.source == "subjects" and config.treatment.arm == column


def descriptive(values: pd.DataFrame, change: pd.DataFrame, measure: str, config: StudyConfig) -> list[ArdRow]:
    """Summary statistics of the values at each visit, then of the change from baseline at each
    post-baseline visit, per group."""
    visits, alpha = config.visits, config.alpha
    rows = []
    empty = pd.Series([], dtype=float)
    for group_var, group, part in groups(values, config):
        by_visit = dict(tuple(part.groupby("visit", sort=False)["value"]))
        for visit in visits.order:
            key = ArdRow("descriptive", measure, group_var, group, visit)
            rows += key.with_stats(summarize(by_visit.get(visit, empty), alpha=alpha).stats())
    if not config.has_baseline(measure):  # a rating of change, or no baseline visit: no change from it
        return rows
    for group_var, group, part in groups(change, config):
        by_visit = dict(tuple(part.groupby("visit", sort=False)["change"]))
        for visit in visits.post_baseline:
            key = ArdRow("change", measure, group_var, group, visit, Contrast.change(visit, visits.baseline))
            rows += key.with_stats(summarize(by_visit.get(visit, empty), alpha=alpha).stats())
    return rows


PAIRED_TESTS = {"paired_t": paired_t, "wilcoxon": wilcoxon}
#: how the note of an interval's rows begins when its confidence level falls short of the requested one
SHORT_CI = "confidence level short of the requested: "
#: the rows of an interval: its bounds and its level
INTERVAL_STATS = ("ci_lower", "ci_upper", "ci_level")


def short_interval(n: int, level: float, alpha: float) -> str:
    """Why a Hodges-Lehmann interval of ``n`` pairs is not at the requested level (empty when it is).

    >>> short_interval(3, 0.75, 0.05)
    'confidence level short of the requested: with 3 pairs even the widest interval (smallest to largest Walsh average) has 75% confidence, not 95%'
    """
    if not level < 1 - alpha - 1e-12:
        return ""
    return (f"{SHORT_CI}with {n} pair{'s' * (n != 1)} even the widest interval (smallest to largest Walsh average) "
            f"has {100 * level:.4g}% confidence, not {100 * (1 - alpha):.4g}%")


def paired(name: str, endpoint: pd.DataFrame, measure: str, config: StudyConfig) -> list[ArdRow]:
    """Endpoint vs baseline of the complete pairs, per group (``name``: ``paired_t`` or ``wilcoxon``). A
    Hodges-Lehmann interval whose confidence level falls short of the requested one (a handful of pairs) has
    that said in the note of its rows (:func:`short_interval`)."""
    visits = config.visits
    contrast = Contrast.change(visits.endpoint, visits.baseline)
    rows = []
    for group_var, group, part in groups(endpoint, config):
        result = PAIRED_TESTS[name](part["value"], part["base"], alpha=config.alpha)
        short = short_interval(result.n, result.ci_level, config.alpha) if result.ci_level is not None else ""
        rows += [row._replace(note=short) if row.stat in INTERVAL_STATS else row
                 for row in ArdRow(name, measure, group_var, group, "", contrast).with_stats(result.stats())]
    return rows


def responders(flags: pd.DataFrame, measure: str, config: StudyConfig) -> list[ArdRow]:
    """Responders at the endpoint with the exact CI, per group."""
    return [row for group_var, group, part in groups(flags, config)
            for row in ArdRow("responder", measure, group_var, group, config.visits.endpoint).with_stats(
                responder_rate(part["responder"], alpha=config.alpha).stats())]
