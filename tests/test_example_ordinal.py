"""The ordinal rows that `trialkit run example_study` writes (analyses ordinal, shift, friedman, and the paired
tests' statistics from pingouin) against R on the same data (tests/reference/example_ordinal.R ->
example_ordinal.json: MASS::polr, ordinal::clm and nominal_test, coin::mh_test, friedman.test, base-R
Bayes factor and power), and against trialkit.stats called directly on the example's records.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from tests.conftest import EXAMPLE
from trialkit.stats import friedman, paired_t, proportional_odds, shift_table, wilcoxon

RTOL = 1e-6  # against R for the same method
MEASURES = ["CGI-S", "CGI-I"]
GROUPS = ["all", "1", "2", "3"]


@pytest.fixture(scope="module")
def ref(reference):
    return reference("example_ordinal.json")


@pytest.fixture(scope="module")
def records():
    """The example's records with each subject's TIER, as R reads them."""
    rec = pd.read_csv(EXAMPLE / "data" / "cgi_visits.csv").dropna(subset=["AVAL"])
    tier = pd.read_csv(EXAMPLE / "data" / "subjects.csv", dtype={"TIER": str}).set_index("SUBJID")["TIER"]
    return rec.assign(TIER=rec["SUBJID"].map(tier))


def _pairs(records, measure: str) -> pd.DataFrame:
    rec = records[records.PARAM == measure]
    wide = rec.pivot(index="SUBJID", columns="VISIT", values="AVAL")
    return wide[["Baseline", "Week 5"]].join(rec.drop_duplicates("SUBJID").set_index("SUBJID")["TIER"])


def _stats(ard, analysis, measure, **where) -> dict[str, float]:
    rows = ard[(ard["analysis"] == analysis) & (ard["measure"] == measure)]
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows), (analysis, measure, where)
    return dict(zip(rows["stat"], rows["value"]))


def _close(got: float, expected) -> None:
    assert_allclose(got, np.nan if expected is None else expected, rtol=RTOL, equal_nan=True)


COEFFICIENT = {"estimate": "estimate", "se": "se", "statistic": "z", "p_value": "p", "ci_lower": "ci_lower",
               "ci_upper": "ci_upper"}


@pytest.mark.parametrize("measure", MEASURES)
def test_ordinal_model_of_all_subjects_matches_clm_and_polr(ard, ref, measure):
    # R: clm(end ~ base) with base the baseline category as a number; polr(end ~ base, Hess = TRUE)
    clm = ref[measure]["ordinal"]["all"]["clm"]
    got = _stats(ard, "ordinal", measure, group="all", contrast="baseline (per category)")
    for stat, key in COEFFICIENT.items():
        _close(got[stat], clm[key][0])
    _close(got["odds_ratio"], math.exp(clm["estimate"][0]))
    _close(got["odds_ratio_ci_lower"], math.exp(clm["ci_lower"][0]))
    _close(got["estimate"], ref[measure]["ordinal"]["all"]["polr"]["coef"]["base"])
    model = _stats(ard, "ordinal", measure, group="all", contrast="", category="")
    assert model["n"] == ref[measure]["ordinal"]["all"]["n"] and model["n_excluded"] == 1
    _close(model["loglik"], clm["loglik"])
    for cut, theta in clm["zeta"].items():  # the thresholds of the observed categories
        _close(_stats(ard, "ordinal", measure, group="all", category=cut)["threshold"], theta)


@pytest.mark.parametrize("measure", MEASURES)
def test_ordinal_model_by_tier_matches_clm(ard, ref, measure):
    # R: clm(end ~ TIER + base), TIER a factor with level 1 the reference
    clm = ref[measure]["ordinal"]["TIER"]["clm"]
    assert clm["terms"] == ["TIER2", "TIER3", "base"]
    rows = [dict(group="2", contrast="TIER 2 vs 1"), dict(group="3", contrast="TIER 3 vs 1"),
            dict(group="", contrast="baseline (per category)")]
    for k, where in enumerate(rows):
        got = _stats(ard, "ordinal", measure, group_var="TIER", **where)
        for stat, key in COEFFICIENT.items():
            _close(got[stat], clm[key][k])
        _close(got["odds_ratio_ci_upper"], math.exp(clm["ci_upper"][k]))
    for level, n in ref[measure]["ordinal"]["TIER"]["n_by_level"].items():
        assert _stats(ard, "ordinal", measure, group_var="TIER", group=level, contrast="")["n"] == n


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("model", ["all", "TIER"])
def test_proportional_odds_tests_match_nominal_test_where_its_fit_is_valid(ard, ref, measure, model):
    # R: nominal_test(clm(...)); clm(end ~ 1, nominal = ~ terms) for all terms at once. Where the nominal fit's
    # thresholds cross at an observed value of the term (clm checks a numeric term only at 0, so it reports an
    # LRT for such a fit), trialkit's test is NE; elsewhere it is R's LRT
    tests = ref[measure]["ordinal"][model]["po_tests"]
    contrast = {"(all terms)": "", "base": "baseline (per category)", "TIER": "TIER (all levels)"}
    group_var, group = ("overall", "all") if model == "all" else ("TIER", "")
    valid = 0
    for term, expected in tests.items():
        got = _stats(ard, "ordinal", measure, group_var=group_var, group=group, contrast=contrast[term], category="")
        assert got["po_df"] == expected["df"]
        if expected["valid_at_observed"] and expected["lrt"] is not None:
            valid += 1
            _close(got["po_statistic"], expected["lrt"])
            _close(got["po_p_value"], expected["p"])
        else:
            assert math.isnan(got["po_statistic"]) and math.isnan(got["po_p_value"]), term
    assert valid == (1 if (measure, model) == ("CGI-I", "TIER") else 0)  # the TIER test of CGI-I: 9.69 on 4 df


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("group", GROUPS)
def test_shift_table_and_tests_match_r(ard, ref, measure, group):
    # R: table(base, end) over 1..7; coin::mh_test on the categories where someone moved; Bowker by its formula
    expected = ref[measure]["shift"][group]
    where = dict(group_var="overall") if group == "all" else dict(group_var="TIER", group=group)
    rows = ard[(ard["analysis"] == "shift") & (ard["measure"] == measure) & (ard["stat"] == "n")
               & (ard["category"] != "")]
    rows = rows[(rows["group_var"] == where["group_var"]) & (rows["group"] == (group if group != "all" else "all"))]
    cells = {c: v for c, v in zip(rows["category"], rows["value"])}
    table = [[cells[f"{b} -> {e}"] for e in range(1, 8)] for b in range(1, 8)]
    assert table == expected["table"]
    for k in range(7):  # the margins: R's rowSums and colSums
        margins = _stats(ard, "shift", measure, group=group, category=str(k + 1))
        assert margins == {"n_baseline": sum(expected["table"][k]),
                           "n_endpoint": sum(row[k] for row in expected["table"])}
    got = _stats(ard, "shift", measure, group=group, category="")
    assert got["n"] == expected["n"]
    for test in ("stuart_maxwell", "bowker"):
        for stat in ("statistic", "df", "p_value"):
            _close(got[f"{test}_{stat}"], expected[test][stat])


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("group", GROUPS)
def test_friedman_matches_friedman_test(ard, ref, measure, group):
    # R: friedman.test(m) on the subjects with all six visits; W = Q / (n (k - 1))
    expected = ref[measure]["friedman"][group]
    got = _stats(ard, "friedman", measure, group=group)
    assert (got["n"], got["n_excluded"], got["k"]) == (expected["n"], expected["n_excluded"], 6)
    for stat in ("statistic", "df", "p_value", "kendall_w"):
        _close(got[stat], expected[stat])


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("group", GROUPS)
def test_paired_tests_pingouin_statistics_match_r(ard, ref, measure, group):
    # R (paired_effects_lib.R): the JZS Bayes factor by integration, power.t.test(type = "paired", strict = TRUE),
    # the rank-biserial correlation and P(X > Y) + 0.5 P(X = Y) over all pairs
    expected = ref[measure]["paired"][group]
    ttest = _stats(ard, "paired_t", measure, group=group)
    assert ttest["n"] == expected["n"]
    for stat in ("bf10", "power"):
        _close(ttest[stat], expected[stat])
    wilcox = _stats(ard, "wilcoxon", measure, group=group)
    for stat in ("rank_biserial", "cles"):
        _close(wilcox[stat], expected[stat])


@pytest.mark.parametrize("measure", MEASURES)
def test_ard_values_are_trialkit_stats_called_directly(ard, records, measure):
    pairs = _pairs(records, measure).rename(columns={"Baseline": "base", "Week 5": "end"})
    complete = pairs.dropna(subset=["base", "end"])
    po = proportional_odds(pd.DataFrame({"y": complete["end"], "baseline": complete["base"]}), "y ~ baseline",
                           levels=range(1, 8))
    got = _stats(ard, "ordinal", measure, group="all", contrast="baseline (per category)")
    coef = po.coef.set_index("term").loc["baseline"]
    assert [got[s] for s in ("estimate", "se", "p_value", "odds_ratio")] == pytest.approx(
        [coef[s] for s in ("estimate", "se", "p_value", "odds_ratio")], rel=1e-12)
    shift = shift_table(pairs, baseline="base", endpoint="end", levels=range(1, 8))
    got = _stats(ard, "shift", measure, group="all", category="")
    assert (got["n"], got["n_excluded"]) == (shift.n, shift.n_excluded) == (29, 1)
    assert got["stuart_maxwell_statistic"] == pytest.approx(shift.stuart_maxwell.statistic, rel=1e-12)
    rec = records[records.PARAM == measure]
    fried = friedman(rec, value="AVAL", visit="VISIT", subject="SUBJID",
                     visits=["Baseline", "Week 1", "Week 2", "Week 3", "Week 4", "Week 5"])
    got = _stats(ard, "friedman", measure, group="all")
    assert [got[s] for s, _ in fried.stats()] == pytest.approx([v for _, v in fried.stats()], rel=1e-12)
    t, w = paired_t(complete["end"], complete["base"]), wilcoxon(complete["end"], complete["base"])
    assert _stats(ard, "paired_t", measure, group="all")["bf10"] == pytest.approx(t.bf10, rel=1e-12)
    assert _stats(ard, "wilcoxon", measure, group="all")["cles"] == pytest.approx(w.cles, rel=1e-12)


@pytest.mark.parametrize("measure", MEASURES)
def test_categories_count_the_subjects_at_each_visit(ard, records, measure):
    rec = records[records.PARAM == measure]
    for visit, part in rec.groupby("VISIT"):
        got = ard[(ard["analysis"] == "categories") & (ard["measure"] == measure) & (ard["group"] == "all")
                  & (ard["visit"] == visit)]
        n = dict(zip(got.loc[got["stat"] == "n", "category"], got.loc[got["stat"] == "n", "value"]))
        assert n == {str(c): float((part["AVAL"] == c).sum()) for c in range(1, 8)}
        shares = got.loc[got["stat"] == "proportion", "value"]
        assert shares.sum() == pytest.approx(1.0)
