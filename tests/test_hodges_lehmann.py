"""Hodges-Lehmann by selection (trialkit.stats.walsh) against the brute force over all Walsh averages
and against R (tests/reference/hodges_lehmann.R -> hodges_lehmann.json)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from trialkit.stats import hodges_lehmann
from trialkit.stats.paired import _signrank_lower_quantile
from trialkit.stats.walsh import walsh_sum

RTOL = 1e-6  # against R for the same method


def brute_force(d, alpha: float = 0.05) -> tuple[float, float, float]:
    """The construction trialkit used before selection: every Walsh average in memory."""
    d = np.sort(np.asarray(d, dtype=float))
    i, j = np.triu_indices(d.size)
    walsh = (d[i] + d[j]) / 2
    k = max(_signrank_lower_quantile(d.size, alpha / 2), 1)
    part = np.sort(walsh)
    return float(np.median(walsh)), float(part[k - 1]), float(part[walsh.size - k])


# CGI-like differences: few distinct values, many ties and zeros; and decimals with ties
integers = st.lists(st.integers(min_value=-6, max_value=6), min_size=1, max_size=60)
decimals = st.lists(st.integers(min_value=-300, max_value=300).map(lambda v: v / 10), min_size=1, max_size=60)
alphas = st.sampled_from([0.05, 0.01, 0.1, 0.2])


@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(d=st.one_of(integers, decimals), alpha=alphas)
def test_selection_is_identical_to_brute_force(d, alpha):
    assert hodges_lehmann(d, alpha=alpha) == brute_force(d, alpha)


@settings(max_examples=200, derandomize=True, deadline=None, database=None)
@given(d=st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_subnormal=False), min_size=1,
                  max_size=80))
def test_selection_is_identical_on_arbitrary_floats(d):
    # sums that round (1e6 + 1e-300 ...) must be ordered as the rounded values themselves
    assert hodges_lehmann(d) == brute_force(d)


@pytest.mark.parametrize("n", [401, 1500])
@pytest.mark.parametrize("kind", ["cgi", "normal"])
def test_several_selection_rounds_identical_to_brute_force(n, kind):
    # n > 400: normal-approximation critical value; thousands of candidates: several sampling rounds
    rng = np.random.default_rng(n)
    d = rng.integers(-6, 7, n).astype(float) if kind == "cgi" else rng.normal(size=n)
    assert hodges_lehmann(d) == brute_force(d)
    sums = np.sort(np.add.outer(d, d)[np.triu_indices(n)])
    s = np.sort(d)
    for k in (1, 2, 777, sums.size // 3, sums.size - 1, sums.size):
        assert walsh_sum(s, k) == sums[k - 1]


def test_matches_r_exact_ci_without_ties(reference):
    # R: wilcox.test(d, exact = TRUE, conf.int = TRUE, conf.level = 1 - alpha) for n = 5 .. 400
    for case in reference("hodges_lehmann.json")["wilcox_exact_ci"]:
        got = hodges_lehmann(case["d"], alpha=case["alpha"])
        assert_allclose(got, [case["estimate"], case["ci_lower"], case["ci_upper"]], rtol=RTOL)


def test_memory_grows_with_n_not_n_squared():
    # 50,000 differences: the Walsh averages would take 10 GB; selection keeps a few arrays of n
    d = np.random.default_rng(3).integers(-6, 7, 50_000).astype(float)
    tracemalloc.start()
    try:
        estimate, lower, upper = hodges_lehmann(d)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 * d.nbytes  # 16 MB
    assert lower <= estimate <= upper


def test_not_finite_or_empty_is_not_estimable():
    assert all(np.isnan(hodges_lehmann([1.0, np.inf])))
    assert all(np.isnan(hodges_lehmann([])))


def test_rank_outside_the_walsh_sums_is_refused():
    with pytest.raises(ValueError, match="rank 4 outside 1..3"):
        walsh_sum(np.array([1.0, 2.0]), 4)


def test_a_run_of_tied_decimals_is_crossed_in_few_passes():
    """Differences on a 0.1 grid: v - d[i] rounds off the grid, and each boundary must cross a run of ties.
    Crossed one element at a time this was quadratic (100,000 such differences: minutes); a whole run at
    a time it takes a pass or two, and the boundaries are those of the rounded sums themselves."""
    from trialkit.stats.walsh import _settle

    rng = np.random.default_rng(3)
    d = np.sort(rng.choice(np.round(np.arange(-3, 3, 0.1), 1), 3000))
    sums = d[:, None] + d[None, :]
    worst = 0
    for v in np.unique(rng.choice(sums.ravel(), 40)):
        for strict in (True, False):
            start = np.searchsorted(d, v - d, side="left" if strict else "right").astype(np.int64)
            pos, passes = _settle(d, v, start.copy(), strict=strict)
            expected = (sums < v).sum(axis=1) if strict else (sums <= v).sum(axis=1)
            assert np.array_equal(pos, expected)
            worst = max(worst, passes)
    assert 1 <= worst <= 3  # rounding did misplace boundaries, and whole runs were crossed at once
