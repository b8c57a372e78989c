"""The analyses of a rating as ordered categories -> rows of the results dataset.

categories
    Subjects in each category of the measure at each visit, per group (stats ``n`` and ``proportion`` of the
    subjects observed at the visit; ``category`` the category): the stacked-bar figure. Made for each measure
    rated in whole categories when ``ordinal`` or ``shift`` is asked for.
ordinal
    Per measure with a baseline, the proportional-odds model of the endpoint category
    (:func:`trialkit.stats.proportional_odds`). All subjects: ``category ~ baseline``; by subgroup S:
    ``category ~ S + baseline``. The baseline category enters as a score (one coefficient per category),
    not as a factor: a factor spends a parameter on every baseline category, and with a few dozen subjects
    a category held by one or two of them separates the data and no estimate exists (the example study's
    baseline CGI-S of 7). Rows at ``visit`` = the endpoint.
shift
    Per measure with a baseline and per group, the baseline x endpoint table (:func:`trialkit.stats.shift_table`)
    with the Stuart-Maxwell and Bowker tests.
friedman
    Per measure and group, Friedman's test across the visits (:func:`trialkit.stats.friedman`), complete
    cases: a subject missing a visit is left out and counted (``n_excluded``).

A value that cannot be computed is NaN, and the ``note`` of its row ends with :data:`NOT_ESTIMABLE` and the
reason; :func:`analysis_findings` turns those reasons into findings for ``data_issues.csv`` and the listing.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from trialkit.config import Measure, StudyConfig
from trialkit.derivations import AnalysisData
from trialkit.errors import AnalysisError
from trialkit.findings import ISSUE_COLUMNS, issues
from trialkit.results.contrasts import Contrast
from trialkit.results.groups import OVERALL, groups, groups_of
from trialkit.results.rows import ArdRow
from trialkit.stats import friedman as friedman_test
from trialkit.stats import proportional_odds, shift_table
from trialkit.stats.ordinal import ALL_TERMS
from trialkit.stats.shift import NOT_ESTIMABLE as NO_TEST
from trialkit.stats.shift import ShiftResult

#: the short-form analyses of this module
ORDINAL_ANALYSES = ("ordinal", "shift", "friedman")
#: a scale of more categories is not analysed as ordered categories (a shift table of 16 x 16 cells reads as noise)
MAX_CATEGORIES = 15
#: how the note of a row whose value could not be computed goes on: the reason follows
NOT_ESTIMABLE = "not estimable: "
#: the ordinal model's coefficient of the baseline category
BASELINE_SCORE = Contrast.slope("baseline", "category")
#: what the ARD holds of each coefficient, and of each proportional-odds test
COEFFICIENT_STATS = ("estimate", "se", "statistic", "p_value", "ci_lower", "ci_upper", "odds_ratio",
                     "odds_ratio_ci_lower", "odds_ratio_ci_upper")
PO_STATS = (("po_statistic", "statistic"), ("po_df", "df"), ("po_p_value", "p_value"))


def categories_of(spec: Measure) -> tuple[list[int], str]:
    """The measure's categories (the whole numbers from ``min`` to ``max``), or why it has none.

    >>> categories_of(Measure(min=1, max=7))
    ([1, 2, 3, 4, 5, 6, 7], '')
    >>> categories_of(Measure(min=0, max=100))[1]
    'its range 0-100 holds 101 categories, more than 15 (not analysed as ordered categories)'
    """
    if not (float(spec.min).is_integer() and float(spec.max).is_integer()):
        return [], f"its range {spec.min:g}-{spec.max:g} is not a range of whole categories"
    levels = list(range(int(spec.min), int(spec.max) + 1))
    if len(levels) > MAX_CATEGORIES:
        return [], (f"its range {spec.min:g}-{spec.max:g} holds {len(levels)} categories, more than {MAX_CATEGORIES} "
                    "(not analysed as ordered categories)")
    return levels, ""


def _outside(values: pd.Series, levels: list[int]) -> str:
    """Why ``values`` are not categories of ``levels`` (empty when they are)."""
    bad = values[~values.isin(levels)]
    if bad.empty:
        return ""
    shown = ", ".join(f"{v:g}" for v in sorted(bad.unique())[:5])
    values = "1 value is not a category" if len(bad) == 1 else f"{len(bad)} values are not categories"
    return f"{values} of the measure's {levels[0]}-{levels[-1]} ({shown}): not ordinal"


def _of(frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    return frame[frame["measure"] == measure]


def _with_reason(row: ArdRow, reason: str) -> ArdRow:
    if not reason:
        return row
    return row._replace(note=f"{row.note}; {NOT_ESTIMABLE}{reason}" if row.note else f"{NOT_ESTIMABLE}{reason}")


def ordinal_rows(data: AnalysisData, config: StudyConfig, wanted: set) -> list[ArdRow]:
    """The rows of the analyses in :data:`ORDINAL_ANALYSES` that ``wanted`` asks for, measure by measure:
    categories, ordinal, shift, friedman."""
    rows: list[ArdRow] = []
    for measure, spec in config.measures.items():
        levels, reason = categories_of(spec)
        if {"ordinal", "shift"} & wanted and not reason:
            rows += categories(_of(data.values, measure), measure, levels, config)
        if config.has_baseline(measure):
            pairs = _pairs(_of(data.values, measure), config)
            if "ordinal" in wanted:
                rows += ordinal(pairs, measure, levels, reason, config)
            if "shift" in wanted:
                rows += shift(pairs, measure, levels, reason, config)
        if "friedman" in wanted:
            rows += friedman(_of(data.values, measure), measure, config)
    return rows


def _pairs(values: pd.DataFrame, config: StudyConfig) -> pd.DataFrame:
    """Each subject with a value of the measure at some visit, with its subgroup columns, ``base`` (the baseline
    value) and ``value`` (the endpoint value), NaN where missing: a subject without both is counted as left out."""
    visits = config.visits
    at = {visit: values[values["visit"] == visit].set_index("subject")["value"] for visit in (visits.baseline,
                                                                                               visits.endpoint)}
    subjects = values.drop_duplicates("subject").drop(columns=["visit", "measure", "value"]).reset_index(drop=True)
    return subjects.assign(base=subjects["subject"].map(at[visits.baseline]).astype(float),
                           value=subjects["subject"].map(at[visits.endpoint]).astype(float))


def categories(values: pd.DataFrame, measure: str, levels: list[int], config: StudyConfig) -> list[ArdRow]:
    """Subjects per category at each visit, per group. For a measure with values that are not its categories,
    one row (all subjects, no visit or category, stat ``n`` NaN) whose note says which values at which visits:
    the figure is not drawn, and :func:`analysis_findings` says why (the bad values may lie at a visit that the
    ordinal and shift analyses do not use)."""
    reason = _outside(values["value"], levels)
    if reason:
        bad = values.loc[~values["value"].isin(levels), "visit"]
        at = [visit for visit in config.visits.order if (bad == visit).any()]
        why = f"{reason} (at {', '.join(at)}); the figure of the categories by visit is not drawn"
        return [_with_reason(ArdRow("categories", measure, *OVERALL, "", stat="n"), why)]
    rows = []
    for group_var, group, part in groups(values, config):
        for visit in config.visits.order:
            at = part.loc[part["visit"] == visit, "value"]
            counts = at.value_counts()
            for level in levels:
                n = float(counts.get(level, 0))
                key = ArdRow("categories", measure, group_var, group, visit, category=str(level))
                rows += key.with_stats([("n", n), ("proportion", n / len(at) if len(at) else math.nan)])
    return rows


# -- ordinal ---------------------------------------------------------------------------------------------


def _description(endpoint: str, subgroup: str | None) -> str:
    terms = f"{subgroup} + baseline" if subgroup else "baseline"
    return (f"proportional-odds model {endpoint} category ~ {terms} (baseline category as a score), logit link, "
            "maximum likelihood")


def _model_rows(key: ArdRow, result, subgroup: str | None, column: str, levels: list[str], reason: str,
                counts: tuple[int, int]) -> list[ArdRow]:
    """The rows of one fitted (or not estimable) proportional-odds model; ``column`` names the subgroup in its
    formula. ``result`` is None when the model was not fitted (``reason`` says why; ``counts`` are then its
    subjects with both values and without)."""
    nan = math.nan
    findings = result.findings if result is not None else ()

    def why(prefix: str) -> str:
        return next((f for f in findings if f.startswith(prefix)), "")

    not_fitted = reason or (findings[0] if result is not None and not result.estimable and findings else "")
    po = result.po_test.set_index("term") if result is not None else pd.DataFrame()

    def po_stats(term: str) -> tuple[list[tuple[str, float]], str]:
        values = po.loc[term] if term in po.index else None
        stats = [(name, values[source] if values is not None else nan) for name, source in PO_STATS]
        missing = not_fitted or (why(f"proportional-odds test of {term}:") if values is None
                                 or not np.isfinite(values["p_value"]) else "")
        return stats, missing

    model = _with_reason(key, not_fitted)
    if result is not None:
        stats = [("n", result.n_obs), ("n_excluded", result.n_excluded), ("converged", result.converged),
                 ("estimable", result.estimable), ("loglik", result.loglik), ("aic", result.aic)]
    else:
        stats = [("n", counts[0]), ("n_excluded", counts[1]), ("converged", 0.0), ("estimable", 0.0), ("loglik", nan),
                 ("aic", nan)]
    rows = model.with_stats(stats)
    all_po, missing = po_stats(ALL_TERMS)
    rows += _with_reason(key, missing).with_stats(all_po)
    coef = result.coef.set_index("term") if result is not None else pd.DataFrame()

    def coefficient(at: ArdRow, term: str, po_term: str | None) -> list[ArdRow]:
        values = coef.loc[term] if term in coef.index else None
        stats = [(s, values[s] if values is not None else nan) for s in COEFFICIENT_STATS]
        out = _with_reason(at, not_fitted).with_stats(stats)
        if po_term is not None:
            term_po, term_missing = po_stats(po_term)
            out += _with_reason(at, term_missing).with_stats(term_po)
        return out

    if subgroup is not None:
        reference = levels[0] if levels else ""
        for level in levels[1:]:
            rows += coefficient(key._replace(group=level, contrast=Contrast.level(subgroup, level, reference)),
                                f"{column}[T.{level}]", None)
        term_po, term_missing = po_stats(column)
        rows += _with_reason(key._replace(contrast=Contrast.term(subgroup)), term_missing).with_stats(term_po)
    rows += coefficient(key._replace(contrast=BASELINE_SCORE), "baseline", "baseline")
    if result is not None:
        empty = why("categories with no observation")
        for t in result.thresholds.itertuples(index=False):
            at = key._replace(category=t.threshold)
            at = _with_reason(at, not_fitted or (empty if not np.isfinite(t.estimate) else ""))
            rows += at.with_stats([("threshold", t.estimate), ("threshold_se", t.se)])
    return rows


def _fit(frame: pd.DataFrame, formula: str, levels: list[int], config: StudyConfig):
    try:
        return proportional_odds(frame, formula, levels=levels, alpha=config.alpha), ""
    except AnalysisError as exc:
        return None, str(exc)


def _too_few(part: pd.DataFrame, subgroup: str | None, config: StudyConfig) -> str:
    """Why the subjects with both categories cannot support the model (empty when they can)."""
    complete = part[part["base"].notna() & part["value"].notna()]
    if complete.empty:
        return f"no subject has both a {config.visits.baseline} and a {config.visits.endpoint} value"
    if subgroup is not None and complete[subgroup].nunique() < 2:
        return (f"the subjects with both values are all in one level of {subgroup}: there is no level to compare "
                "with the reference")
    return ""


def ordinal(pairs: pd.DataFrame, measure: str, levels: list[int], reason: str, config: StudyConfig) -> list[ArdRow]:
    """The proportional-odds model of all subjects, then of each subgroup (see the module's docstring), of the
    subjects with both categories (``pairs``: :func:`_pairs`; the others are counted in ``n_excluded``)."""
    visit = config.visits.endpoint
    outside = reason or _outside(pd.concat([pairs["value"], pairs["base"]]).dropna(), levels)
    rows = []
    for subgroup in (None, *config.subjects.subgroups):
        part = pairs if subgroup is None else pairs[pairs[subgroup] != ""]
        key = ArdRow("ordinal", measure, *(OVERALL if subgroup is None else (subgroup, "")), visit,
                     note=_description(visit, subgroup))
        frame = pd.DataFrame({"response": part["value"].to_numpy(), "baseline": part["base"].to_numpy()})
        present = [level for _, level, _ in groups_of(part, subgroup)] if subgroup is not None else []
        # the model names the subgroup by its column where a formula can: its findings then read "SITE", not "subgroup"
        column = subgroup if subgroup and subgroup.isidentifier() and subgroup not in frame else "subgroup"
        if subgroup is not None:
            frame[column] = pd.Categorical(part[subgroup].to_numpy(), categories=present)
            complete = part[part["base"].notna() & part["value"].notna()]
            for level, n in complete[subgroup].value_counts().reindex(present, fill_value=0).items():
                rows.append(key._replace(group=level, stat="n", value=float(n)))
        formula = f"response ~ {column} + baseline" if subgroup is not None else "response ~ baseline"
        failure = outside or _too_few(part, subgroup, config)
        result, failure = (None, failure) if failure else _fit(frame, formula, levels, config)
        complete = int((part["base"].notna() & part["value"].notna()).sum())
        rows += _model_rows(key, result, subgroup, column, present, failure, (complete, len(part) - complete))
    return rows


# -- shift ------------------------------------------------------------------------------------------------


def shift(pairs: pd.DataFrame, measure: str, levels: list[int], reason: str, config: StudyConfig) -> list[ArdRow]:
    """The baseline x endpoint table and its tests, per group: a row per cell (``category`` "4 -> 3", stats
    ``n`` and ``proportion`` of the group's n), the margins (``category`` "4", stats ``n_baseline`` and
    ``n_endpoint``), then n, n_excluded (subjects without both categories) and the tests."""
    visits = config.visits
    contrast = Contrast.shift(visits.baseline, visits.endpoint)
    rows = []
    for group_var, group, part in groups(pairs, config):
        key = ArdRow("shift", measure, group_var, group, visits.endpoint, contrast)
        if reason:
            result = ShiftResult(tuple(levels), pd.DataFrame(), math.nan, math.nan, NO_TEST, NO_TEST, reason)
        else:
            pairs = pd.DataFrame({visits.baseline: part["base"].to_numpy(), visits.endpoint: part["value"].to_numpy()})
            result = shift_table(pairs, baseline=visits.baseline, endpoint=visits.endpoint, levels=levels)
        cells = result.to_frame()
        cells = cells[cells["baseline"] != ""]
        table_missing = result.reason if cells["value"].isna().any() or reason else ""
        for b, e, stat, value in cells[["baseline", "endpoint", "stat", "value"]].itertuples(index=False):
            rows.append(_with_reason(key._replace(category=f"{b} -> {e}", stat=stat, value=float(value)),
                                     table_missing if math.isnan(value) else ""))
        table = result.table.to_numpy(dtype=float)
        for k, level in enumerate(result.levels):  # the margins: subjects in the category at each visit
            for stat, value in (("n_baseline", table[k].sum()), ("n_endpoint", table[:, k].sum())):
                rows.append(_with_reason(key._replace(category=str(level), stat=stat, value=float(value)),
                                         table_missing if math.isnan(value) else ""))
        for stat, value in result.stats():
            rows.append(_with_reason(key._replace(stat=stat, value=value), result.reason if math.isnan(value) else ""))
    return rows


# -- friedman ---------------------------------------------------------------------------------------------


def friedman(values: pd.DataFrame, measure: str, config: StudyConfig) -> list[ArdRow]:
    """Friedman's test across the measure's visits (every visit; the post-baseline ones for a measure without a
    baseline), per group."""
    visits = config.visits.order if config.has_baseline(measure) else config.visits.post_baseline
    contrast = Contrast.across(visits)
    rows = []
    for group_var, group, part in groups(values, config):
        result = friedman_test(part, value="value", visit="visit", subject="subject", visits=list(visits))
        key = ArdRow("friedman", measure, group_var, group, "", contrast)
        rows += [_with_reason(key._replace(stat=stat, value=value), result.reason if math.isnan(value) else "")
                 for stat, value in result.stats()]
    return rows


# -- findings ---------------------------------------------------------------------------------------------


def analysis_findings(ard: pd.DataFrame) -> pd.DataFrame:
    """One finding (severity ``warning``, check ``not_estimable``) per result of these analyses that holds a
    value that could not be computed, with the reasons: the columns of ``data_issues.csv``. A result is a
    model (ordinal: all subjects, or one model per subgroup), a table or a test per group, or the categories
    of a measure whose values are not all categories (the figure not drawn); ``column`` and
    ``value`` name the subgroup and level (empty for all subjects; the level empty for a model of the whole
    subgroup)."""
    part = ard[ard["analysis"].isin(("categories", *ORDINAL_ANALYSES))
               & ard["note"].str.contains(NOT_ESTIMABLE, regex=False)]
    reasons: dict[tuple, dict[str, None]] = {}
    for analysis, measure, group_var, group, visit, note in part[
            ["analysis", "measure", "group_var", "group", "visit", "note"]].itertuples(index=False):
        level = "" if analysis == "ordinal" and group_var != OVERALL[0] else group
        reasons.setdefault((analysis, measure, group_var, level, visit), {})[note.split(NOT_ESTIMABLE, 1)[1]] = None
    keys = list(reasons)
    overall = [k[2] == OVERALL[0] for k in keys]
    return issues("warning", "not_estimable", len(keys), file="", row=None,
                  column=["" if o else k[2] for k, o in zip(keys, overall)],
                  value=["" if o else k[3] for k, o in zip(keys, overall)],
                  measure=[k[1] for k in keys], visit=[k[4] for k in keys],
                  message=[f"{_where(*k)}: {NOT_ESTIMABLE}{'; '.join(_merged(list(reasons[k])))}; shown as NE"
                           for k in keys])[ISSUE_COLUMNS]


def _where(analysis: str, measure: str, group_var: str, group: str, visit: str) -> str:
    """What a finding is about, as :mod:`trialkit.results.estimability` says it: "ordinal, CGI-S, SITE, Week 5"
    (a model of the whole subgroup), "shift, CGI-S, SITE 2, Week 5"; all subjects unnamed."""
    group = "" if group_var == OVERALL[0] else f"{group_var} {group}".strip()
    return ", ".join(part for part in (analysis, measure, group, visit) if part)


def _merged(reasons: list[str]) -> list[str]:
    """The proportional-odds tests of several terms that failed for one reason, said once.

    >>> _merged(["proportional-odds test of A: no fit (x)", "proportional-odds test of B: no fit (x)", "other"])
    ['proportional-odds tests of A and B: no fit (x)', 'other']
    """
    test = "proportional-odds test of "
    terms: dict[str, list[str]] = {}
    out: list[str] = []
    for reason in reasons:
        if reason.startswith(test) and ": " in reason:
            term, why = reason[len(test):].split(": ", 1)
            if why not in terms:
                out.append(why)
            terms.setdefault(why, []).append(term)
        else:
            out.append(reason)
    return [(f"proportional-odds test{'s' * (len(terms[r]) > 1)} of {_and(terms[r])}: {r}" if r in terms else r)
            for r in out]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]

