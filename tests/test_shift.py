"""Shift tables against R (tests/reference/shift.R -> shift.json): Stuart-Maxwell as coin::mh_test, Bowker as
mcnemar.test on the k x k table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from tests.conftest import EXAMPLE
from trialkit.errors import AnalysisError
from trialkit.stats import shift_table

RTOL = 1e-6  # against R for the same method


@pytest.fixture(scope="module")
def ref(reference):
    return reference("shift.json")


def subjects_of(table) -> pd.DataFrame:
    """One row per subject of a k x k count table; categories 1..k."""
    table = np.asarray(table)
    k = table.shape[0]
    i, j = np.divmod(np.repeat(np.arange(k * k), table.ravel()), k)
    return pd.DataFrame({"base": i + 1, "end": j + 1})


def _test(test) -> list[float]:
    return [test.statistic, test.df, test.p_value]


@pytest.mark.parametrize("name", ["siskel_ebert", "dense"])
def test_stuart_maxwell_and_bowker_match_r(ref, name):
    # R: coin::mh_test(as.table(tab)); mcnemar.test(tab)
    case = ref[name]
    k = len(case["table"])
    r = shift_table(subjects_of(case["table"]), baseline="base", endpoint="end", levels=range(1, k + 1))
    assert r.table.to_numpy().tolist() == case["table"]
    for test, key in ((r.stuart_maxwell, "stuart_maxwell"), (r.bowker, "bowker")):
        exp = case[key]
        assert_allclose(_test(test), [exp["statistic"], exp["df"], exp["p_value"]], rtol=RTOL)


def test_stuart_maxwell_over_unlinked_groups_of_categories_matches_coin(ref):
    # changes only 1 <-> 2 and 4 <-> 5; category 3 unchanged: statsmodels alone meets a singular covariance,
    # coin::mh_test (generalised inverse) gives 3.8 on 2 df, as the sum over the two groups does
    case = ref["split"]
    r = shift_table(subjects_of(case["table"]), baseline="base", endpoint="end", levels=range(1, 6))
    exp = case["stuart_maxwell"]
    assert_allclose(_test(r.stuart_maxwell), [exp["statistic"], exp["df"], exp["p_value"]], rtol=RTOL)


@pytest.fixture(scope="module")
def example_cgis():
    visits = pd.read_csv(EXAMPLE / "data" / "cgi_visits.csv")
    return visits[visits.PARAM == "CGI-S"].pivot(index="SUBJID", columns="VISIT", values="AVAL")


def test_example_study_full_square_and_tests(ref, example_cgis):
    # R: mh_test on the categories where someone moved (2..7); the table itself keeps all 7 categories
    r = shift_table(example_cgis, baseline="Baseline", endpoint="Week 5", levels=range(1, 8))
    exp = ref["example_cgis"]
    assert r.table.shape == (7, 7) and r.table.loc[[1, 2]].to_numpy().sum() == 0
    assert (r.n, r.n_excluded, int(r.table.to_numpy().sum())) == (exp["n"], 1, exp["n"])
    sm = exp["stuart_maxwell"]
    assert_allclose(_test(r.stuart_maxwell), [sm["statistic"], sm["df"], sm["p_value"]], rtol=RTOL)
    # Bowker by hand over the pairs with movers; the other pairs add 0 (R's mcnemar.test gives NaN for this table)
    table = r.table.to_numpy()
    by_hand = sum((table[i, j] - table[j, i]) ** 2 / (table[i, j] + table[j, i])
                  for i in range(7) for j in range(i + 1, 7) if table[i, j] + table[j, i] > 0)
    assert r.bowker.statistic == pytest.approx(by_hand, rel=1e-12)
    assert r.bowker.df == 15  # categories 2..7 are seen at baseline or endpoint: 6 x 5 / 2


def test_frame_is_long_and_full_square(example_cgis):
    r = shift_table(example_cgis, baseline="Baseline", endpoint="Week 5", levels=range(1, 8))
    frame = r.to_frame()
    assert list(frame.columns) == ["baseline", "endpoint", "stat", "value"]
    cells = frame[(frame.stat == "n") & (frame.baseline != "")]
    assert len(cells) == 49 and cells.value.sum() == r.n
    assert frame[frame.stat == "proportion"].value.sum() == pytest.approx(1.0)
    assert list(frame[frame.baseline == ""].stat) == [
        "n", "n_excluded", "stuart_maxwell_statistic", "stuart_maxwell_df", "stuart_maxwell_p_value",
        "bowker_statistic", "bowker_df", "bowker_p_value"]


def test_values_outside_the_categories_are_named_not_counted():
    df = pd.DataFrame({"b": [1, 2.5, 9, 3], "e": [1, 2, 3, np.nan]})
    r = shift_table(df, baseline="b", endpoint="e", levels=range(1, 8))
    assert r.reason == "values outside the categories [1, 2, 3, 4, 5, 6, 7]: b: 2.5 (1 subject), 9.0 (1 subject)"
    assert r.table.isna().all().all() and np.isnan(r.stuart_maxwell.p_value) and np.isnan(r.bowker.statistic)
    assert (r.n, r.n_excluded) == (3, 1)


def test_nobody_moved_is_not_estimable():
    r = shift_table(pd.DataFrame({"b": [2, 3, 3], "e": [2, 3, 3]}), baseline="b", endpoint="e", levels=range(1, 8))
    assert "no subject changed category" in r.reason and np.isnan(r.stuart_maxwell.statistic)
    assert int(r.table.loc[3, 3]) == 2
    empty = shift_table(pd.DataFrame({"b": [np.nan], "e": [2.0]}), baseline="b", endpoint="e", levels=range(1, 8))
    assert empty.n == 0 and empty.n_excluded == 1 and "no subject has both" in empty.reason


def test_wrong_arguments_are_analysis_errors():
    df = pd.DataFrame({"b": [1], "e": [2]})
    with pytest.raises(AnalysisError, match="column 'x' is not in the data"):
        shift_table(df, baseline="x", endpoint="e", levels=range(1, 8))
    with pytest.raises(AnalysisError, match="levels must be distinct"):
        shift_table(df, baseline="b", endpoint="e", levels=[1, 1, 2])
