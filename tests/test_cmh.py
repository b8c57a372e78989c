"""CMH statistics against R: vcdExtra::CMHtest and mantelhaen.test on a 3 x 4 x 3 table with every score type
(tests/reference/cmh.R -> cmh.json), and coin / mantelhaen.test on CIBIC+ by visit stratified by site group
(tests/reference/cdiscpilot.R). rtol 1e-10: the same formula, agreement to about 1e-14."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from tests.cdiscpilot import ARMS, cibic
from trialkit.errors import AnalysisError
from trialkit.stats import cmh

RTOL = 1e-10
TESTS = ["correlation", "row_mean_scores", "general_association"]


@pytest.fixture(scope="module")
def ref(reference):
    return reference("cmh.json")


@pytest.fixture(scope="module")
def table(ref):
    rows, k = [], 0
    for stratum in ("s1", "s2", "s3"):
        for arm in "ABC":
            for y in (1, 2, 4, 7):
                rows += [{"arm": arm, "y": y, "s": stratum}] * ref["counts"][k]
                k += 1
    return pd.DataFrame(rows)


@pytest.mark.parametrize("scores", ["table", "rank", "ridit", "modridit"])
def test_matches_vcdextra(table, ref, scores):
    # R: CMHtest(tab, rscores = 1:3, cscores = c(1, 2, 4, 7), overall = TRUE)$ALL (table); "midrank" (modridit);
    # rank and ridit: vcdExtra:::CMHtest2 per stratum with those scores, pooled by vcdExtra:::CMHtest3
    r = cmh(table, "arm", "y", "s", scores=scores)
    assert r.tests.test.tolist() == TESTS
    assert r.tests.label.tolist() == ["Nonzero correlation", "Row mean scores differ", "General association"]
    for stat in ("statistic", "df", "p_value"):
        assert_allclose(r.tests[stat], ref[scores][stat], rtol=RTOL, err_msg=stat)
    assert (r.n, r.n_strata, r.n_strata_used) == (sum(ref["counts"]), 3, 3)


def test_general_association_is_mantelhaen(table, ref):
    # R: mantelhaen.test(tab) (generalised CMH, df (R - 1)(C - 1))
    r = cmh(table, "arm", "y", "s").tests.set_index("test").loc["general_association"]
    assert_allclose([r.statistic, r.df, r.p_value], [ref["mantelhaen"][k] for k in ("statistic", "df", "p_value")], rtol=RTOL)


def test_unstratified(table, ref):
    # R: CMHtest(tab[, , 1], rscores = 1:3, cscores = c(1, 2, 4, 7))
    r = cmh(table[table.s == "s1"], "arm", "y")
    assert_allclose(r.tests.statistic, ref["unstratified"]["statistic"], rtol=RTOL)


@pytest.mark.parametrize("week", [8, 16, 24])
def test_cibic_by_visit_stratified_by_site_group(shared_data, reference, week):
    # R: mantelhaen.test(TRTP, factor(AVAL), SITEGR1); coin cmh_test / lbl_test with the ratings as scores.
    # Several site groups lack a rating or an arm: vcdExtra (which tests each stratum first) cannot run here.
    expected = reference("cdiscpilot.json")[f"cibic_week{week}"]["cmh"]
    data = cibic(shared_data)
    r = cmh(data[data.AVISITN == week], "TRTP", "AVAL", "SITEGR1", row_order=ARMS)
    tests = r.tests.set_index("test")
    for name in TESTS:
        assert_allclose(tests.loc[name, ["statistic", "df", "p_value"]].astype(float),
                        [expected[name][k] for k in ("statistic", "df", "p_value")], rtol=1e-9, err_msg=name)
    assert_allclose(tests.loc["general_association", "statistic"], expected["mantelhaen"]["statistic"], rtol=1e-9)
    counts = r.counts[r.counts.column != ""].set_index(["row", "column"]).n
    for arm, rating, n in zip(*(expected["counts"][k] for k in ("TRTP", "AVAL", "Freq"))):
        assert counts[(arm, f"{float(rating):g}")] == n


def test_counts_and_long_form():
    frame = pd.DataFrame({"arm": list("AAAABBBB"), "y": [1, 2, 2, 3, 2, 3, 3, None], "s": list("xyxyxyxy")})
    r = cmh(frame, "arm", "y", "s")
    assert r.n_excluded == 1 and r.n == 7
    c = r.counts.set_index(["row", "column"])
    assert c.loc[("A", "2"), "n"] == 2 and c.loc[("A", "2"), "percent"] == pytest.approx(50.0)
    assert c.loc[("B", ""), "n"] == 3
    long = r.to_frame()
    assert list(long.columns) == ["part", "row", "column", "stat", "value"]
    assert set(long.part) == {"test", "count"}


def test_degenerate_tables_give_nan_with_a_reason():
    one_arm = pd.DataFrame({"arm": ["A"] * 4, "y": [1, 2, 2, 3]})
    r = cmh(one_arm, "arm", "y")
    assert r.tests.statistic.isna().all() and any("needs at least 2" in n for n in r.notes)
    singletons = pd.DataFrame({"arm": ["A", "B", "A", "B"], "y": [1, 2, 2, 1], "s": ["1", "2", "3", "4"]})
    r = cmh(singletons, "arm", "y", "s")
    assert r.n_strata_used == 0 and r.tests.statistic.isna().all()
    with pytest.raises(AnalysisError, match="scores 'wilcoxon'"):
        cmh(one_arm, "arm", "y", scores="wilcoxon")
    with pytest.raises(AnalysisError, match="column 'zz' is not in the data"):
        cmh(one_arm, "arm", "zz")
