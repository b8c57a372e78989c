"""Order statistics of the Walsh sums d_i + d_j (i <= j) without forming them: selection in X + Y.

The n(n+1)/2 Walsh sums of a sorted sample form a matrix whose rows and columns are sorted, so the
number of sums below any value is counted in one pass over the rows (the staircase of Johnson &
Mizoguchi, 1978; Monahan, 1984, ACM TOMS algorithm 616). :func:`walsh_sum` narrows the candidate
sums between two pivots drawn from a random sample of the remaining candidates (Floyd & Rivest's
sampling step): each round keeps about a 1/sqrt(n) share of the candidates, so three or four rounds
of O(n log n) counting bring them down to O(n), which are then selected directly. Time O(n log n),
memory O(n); the answer is exact whatever the random draws (they only decide how fast it comes).

Sums are compared as the floating-point values ``d[i] + d[j]`` themselves (addition is monotone in
each operand), so the k-th sum is bit-identical to sorting all of them.
"""

from __future__ import annotations

import numpy as np

#: candidates left when they are selected directly (a multiple of n keeps memory O(n))
DIRECT_PER_ROW = 8
#: half-width of the pivot band in standard deviations of the sample rank (a miss costs one round)
BAND = 3.0
#: smallest sample of candidates: the pivot band (2 x BAND x sqrt(size)) must leave room on both sides
MIN_SAMPLE = 1024
SEED = 20240611


def _below(d: np.ndarray, v: float, *, strict: bool) -> np.ndarray:
    """For each row i, how many j have ``d[i] + d[j] < v`` (strict) or ``<= v``, d sorted ascending."""
    n = d.size
    if v == np.inf:
        return np.full(n, n, dtype=np.int64)
    if v == -np.inf:
        return np.zeros(n, dtype=np.int64)
    pos = np.searchsorted(d, v - d, side="left" if strict else "right").astype(np.int64)
    return _settle(d, v, pos, strict=strict)[0]


def _settle(d: np.ndarray, v: float, pos: np.ndarray, *, strict: bool) -> tuple[np.ndarray, int]:
    """``pos`` (the boundaries searchsorted found for the rounded ``v - d[i]``) moved to where the rounded sums
    ``d[i] + d[j]`` themselves cross v, and the number of passes that took.

    A boundary moves past a whole run of tied values at once (equal d[j] give equal sums, so they fall on
    the same side): the passes are bounded by the few distinct values that rounding can misplace, never by
    the length of a run of ties (stepping one element at a time, 100,000 differences on a 0.1 grid took
    minutes)."""
    n = d.size
    inside = (lambda s: s < v) if strict else (lambda s: s <= v)
    passes = 0
    while True:
        back = np.flatnonzero(pos > 0)
        back = back[~inside(d[back] + d[pos[back] - 1])]
        ahead = np.flatnonzero(pos < n)
        ahead = ahead[inside(d[ahead] + d[pos[ahead]])]
        if back.size == 0 and ahead.size == 0:
            return pos, passes
        passes += 1
        pos[back] = np.searchsorted(d, d[pos[back] - 1], side="left")    # before the run of d[pos - 1]
        pos[ahead] = np.searchsorted(d, d[pos[ahead]], side="right")     # after the run of d[pos]


def _pairs_below(d: np.ndarray, v: float, *, strict: bool) -> tuple[np.ndarray, int]:
    """Per-row boundary (columns j >= i only) and the number of Walsh sums below v."""
    first = np.maximum(_below(d, v, strict=strict), np.arange(d.size))
    return first, int((first - np.arange(d.size)).sum())


def walsh_sum(d: np.ndarray, k: int, *, rng: np.random.Generator | None = None) -> float:
    """The k-th smallest (1-based) of the sums ``d[i] + d[j]``, i <= j, of a sorted finite sample.

    Examples
    --------
    >>> d = np.array([-2.0, -1.0, 0.0, 1.0])   # sums: -4 -3 -2 -2 -1 -1 0 0 1 2
    >>> [walsh_sum(d, k) for k in (1, 3, 5, 10)]
    [-4.0, -2.0, -1.0, 2.0]
    """
    n = d.size
    total = n * (n + 1) // 2
    if not 1 <= k <= total:
        raise ValueError(f"rank {k} outside 1..{total}")
    rng = rng if rng is not None else np.random.default_rng(SEED)
    rows = np.arange(n)
    low, high = -np.inf, np.inf        # the candidates are the sums strictly between low and high
    below = 0                          # sums <= low
    start, stop = rows.copy(), np.full(n, n, dtype=np.int64)  # candidate columns of row i: start..stop-1
    while True:
        width = np.maximum(stop - start, 0)
        ends = np.cumsum(width)
        count = int(ends[-1])
        rank = k - below
        if count <= DIRECT_PER_ROW * n + 64:
            row = np.repeat(rows, width)
            col = start[row] + np.arange(count) - (ends - width)[row]
            return float(np.partition(d[row] + d[col], rank - 1)[rank - 1])
        size = max(n, MIN_SAMPLE)
        draw = rng.integers(0, count, size=size)
        row = np.searchsorted(ends, draw, side="right")
        sample = np.sort(d[row] + d[start[row] + draw - (ends - width)[row]])
        centre = rank / count * size
        spread = BAND * np.sqrt(size)
        a = sample[int(centre - spread)] if centre - spread >= 0 else low
        b = sample[int(np.ceil(centre + spread))] if centre + spread < size - 1 else high
        a_first, a_less = _pairs_below(d, a, strict=True)
        a_last, a_leq = _pairs_below(d, a, strict=False)
        if a_less < k <= a_leq:
            return float(a)
        b_first, b_less = _pairs_below(d, b, strict=True)
        b_last, b_leq = _pairs_below(d, b, strict=False)
        if b_less < k <= b_leq:
            return float(b)
        if k <= a_less:                      # below a: the band missed low
            high, stop = a, a_first
        elif k > b_leq:                      # above b: the band missed high
            low, below, start = b, b_leq, b_last
        else:
            low, below, start, high, stop = a, a_leq, a_last, b, b_first
