"""Responder rates with exact (Clopper-Pearson) confidence intervals, and their comparison between arms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from trialkit.errors import AnalysisError


@dataclass(frozen=True)
class ProportionResult:
    """``n_responders`` of ``n``, their proportion and its exact CI (as R ``binom.test``)."""

    n: int
    n_responders: int
    proportion: float
    ci_lower: float
    ci_upper: float
    alpha: float = 0.05
    method: str = "clopper-pearson"

    def stats(self) -> list[tuple[str, float]]:
        """``(stat, value)`` pairs: n, n_responders, proportion, ci_lower, ci_upper."""
        return [(s, float(getattr(self, s))) for s in ("n", "n_responders", "proportion", "ci_lower", "ci_upper")]

    def to_frame(self) -> pd.DataFrame:
        """Long form: columns ``stat, value``, rows as :meth:`stats`."""
        return pd.DataFrame(self.stats(), columns=["stat", "value"])


def clopper_pearson(k: int, n: int, *, alpha: float = 0.05) -> tuple[float, float]:
    """Exact two-sided CI for a binomial proportion k / n.

    Examples
    --------
    >>> clopper_pearson(0, 10)[0], clopper_pearson(10, 10)[1]
    (0.0, 1.0)
    """
    if n == 0:
        return float("nan"), float("nan")
    lower = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    upper = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lower, upper


def responder_rate(flags, *, alpha: float = 0.05) -> ProportionResult:
    """Proportion of True among the non-missing ``flags``, with a Clopper-Pearson CI."""
    a = pd.Series(flags, dtype="boolean").dropna().to_numpy(dtype=bool)
    n = int(a.size)
    k = int(a.sum())
    lo, hi = clopper_pearson(k, n, alpha=alpha)
    return ProportionResult(n, k, k / n if n else float("nan"), lo, hi, alpha)


DIFFERENCE_METHODS = ("newcombe", "miettinen-nurminen")


def _mn_statistic(delta: float, x1: int, n1: int, x2: int, n2: int) -> float:
    """Miettinen-Nurminen score statistic z^2 for H0: p1 - p2 = delta, with the restricted maximum
    likelihood estimates in closed form (the cubic of Miettinen and Nurminen 1985, Farrington and
    Manning 1990) and the N / (N - 1) variance factor; inf where the restricted variance vanishes."""
    p1, p2 = x1 / n1, x2 / n2
    theta = n2 / n1
    a = 1 + theta
    b = -(1 + theta + p1 + theta * p2 + delta * (theta + 2))
    c = delta**2 + delta * (2 * p1 + theta + 1) + p1 + theta * p2
    d = -p1 * delta * (1 + delta)
    v = b**3 / (27 * a**3) - b * c / (6 * a**2) + d / (2 * a)
    u = np.sign(v) * np.sqrt(max(b**2 / (9 * a**2) - c / (3 * a), 0.0))
    ratio = np.clip(v / u**3, -1.0, 1.0) if u != 0 else 0.0
    w = (np.pi + np.arccos(ratio)) / 3
    r1 = float(np.clip(2 * u * np.cos(w) - b / (3 * a), 0.0, 1.0))
    r2 = float(np.clip(r1 - delta, 0.0, 1.0))
    n = n1 + n2
    var = (r1 * (1 - r1) / n1 + r2 * (1 - r2) / n2) * n / (n - 1)
    gap = (p1 - p2 - delta) ** 2
    return 0.0 if gap == 0 else (gap / var if var > 0 else np.inf)


def _miettinen_nurminen(x1: int, n1: int, x2: int, n2: int, *, alpha: float) -> tuple[float, float]:
    """Miettinen-Nurminen interval for p1 - p2: the deltas whose score statistic stays below the
    chi-square quantile.

    Computed here: statsmodels 0.15 ``confint_proportions_2indep(method="score")`` fails for ordinary
    counts (21/41 vs 12/40 raises "f(a) and f(b) must have different signs"; its restricted variance turns
    negative near delta = -1). Validated against an independent R inversion (tests/reference/responder.R).
    """
    from scipy import optimize

    q = stats.chi2.ppf(1 - alpha, 1)
    d = x1 / n1 - x2 / n2
    edge = 1 - 1e-12

    def excess(delta: float) -> float:
        return _mn_statistic(delta, x1, n1, x2, n2) - q

    lower = -1.0 if d <= -edge or excess(-edge) <= 0 else optimize.brentq(excess, -edge, d, xtol=1e-15, rtol=1e-15)
    upper = 1.0 if d >= edge or excess(edge) <= 0 else optimize.brentq(excess, d, edge, xtol=1e-15, rtol=1e-15)
    return float(lower), float(upper)


@dataclass(frozen=True)
class ResponderComparison:
    """Responder rates per arm and each arm's difference from control.

    Attributes
    ----------
    response, arm, control : str
    arms : tuple of str
        Display order, control included.
    method : {"newcombe", "miettinen-nurminen"}
        CI of the differences.
    rates : DataFrame
        ``arm, n, n_responders, proportion, ci_lower, ci_upper`` (exact Clopper-Pearson CI).
    differences : DataFrame
        ``contrast, arm, reference, estimate, ci_lower, ci_upper, statistic, p_value``: proportion of the
        arm minus that of the control; statistic is the score test's z (Pearson's chi-square test with
        Newcombe's interval; Miettinen and Nurminen's score test, with its N / (N - 1) variance factor,
        with theirs).
    stratified : DataFrame
        With strata: ``contrast, statistic, df, p_value`` of the CMH test of each arm vs control (2 x 2 x K,
        no continuity correction, as SAS PROC FREQ CMH and R ``mantelhaen.test(correct = FALSE)``); else
        empty.
    notes : tuple of str
    """

    response: str
    arm: str
    control: str
    arms: tuple[str, ...]
    method: str
    alpha: float
    rates: pd.DataFrame
    differences: pd.DataFrame
    stratified: pd.DataFrame
    n_excluded: int
    notes: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """Long form: ``part, contrast, stat, value``; part ``rate`` (contrast = the arm), ``difference``
        or ``stratified`` (contrast = ``"<arm> - <control>"``)."""
        rows = []
        for part, table, key, stats_ in (
                ("rate", self.rates, "arm", ["n", "n_responders", "proportion", "ci_lower", "ci_upper"]),
                ("difference", self.differences, "contrast", ["estimate", "ci_lower", "ci_upper", "statistic", "p_value"]),
                ("stratified", self.stratified, "contrast", ["statistic", "df", "p_value"])):
            for _, r in table.iterrows():
                rows += [(part, r[key], s, float(r[s])) for s in stats_]
        return pd.DataFrame(rows, columns=["part", "contrast", "stat", "value"])


def _flags(column: pd.Series, name: str) -> pd.Series:
    """Responder flags as 1.0 / 0.0 / NaN from booleans or 0/1."""
    from trialkit.stats.arms import shown

    if pd.api.types.is_bool_dtype(column):
        return column.astype("boolean").astype("Float64").astype(float)
    values = pd.to_numeric(column, errors="coerce")
    bad = column.notna() & ~values.isin([0, 1])
    if bad.any():
        row = bad.idxmax()
        raise AnalysisError(f"responder column {name!r}: row {row} holds {shown(column[row])}; expected true/false or 1/0")
    return values.astype(float)


def responder_by_arm(data: pd.DataFrame, response: str, arm: str, *, control: str, arms=None, strata=None,
                     method: str = "newcombe", alpha: float = 0.05) -> ResponderComparison:
    """Responder rate per arm with an exact CI, and each arm minus control with a Newcombe or
    Miettinen-Nurminen CI and a score test; a CMH test of each arm vs control when strata are given.

    Parameters
    ----------
    data : DataFrame
        One row per subject.
    response : str
        Responder flag column: true/false or 1/0 (missing rows are left out and counted).
    arm : str
    control : str
    arms : sequence of str, optional
        Display order, control included (default control first, then natural order).
    strata : str or sequence of str, optional
        Stratification column(s) for the CMH test.
    method : {"newcombe", "miettinen-nurminen"}
        Newcombe's hybrid score interval (Wilson-based, method 10 of Newcombe 1998; statsmodels
        ``confint_proportions_2indep``) or Miettinen and Nurminen's score interval (statsmodels' score
        statistic, inverted here).
    alpha : float

    Returns
    -------
    ResponderComparison
        Rates by statsmodels ``proportion_confint(method="beta")`` (as R ``binom.test``).

    Examples
    --------
    >>> frame = pd.DataFrame({"resp": [1, 0, 0, 0, 1, 1, 1, 0], "arm": list("PPPPAAAA")})
    >>> responder_by_arm(frame, "resp", "arm", control="P").differences[["contrast", "estimate"]].values.tolist()
    [['A - P', 0.5]]
    """
    from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, test_proportions_2indep

    from trialkit.stats.arms import model_frame
    from trialkit.stats.cmh import cmh

    if method not in DIFFERENCE_METHODS:
        raise AnalysisError(f"method {method!r}: choose one of {', '.join(DIFFERENCE_METHODS)}")
    if response not in data.columns:
        raise AnalysisError(f"response {response!r} is not a column of the data")
    flags = data.assign(**{response: _flags(data[response], response)})
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    mf = model_frame(flags, response=response, arm=arm, control=control, arms=arms, factors=strata_cols)
    frame, order = mf.frame, mf.arms
    rates = []
    for a in order:
        y = frame.loc[frame[arm] == a, response]
        n, k = int(y.size), int(y.sum())
        lo, hi = (float(v) for v in proportion_confint(k, n, alpha=alpha, method="beta")) if n else (np.nan, np.nan)
        rates.append({"arm": a, "n": n, "n_responders": k, "proportion": k / n if n else np.nan,
                      "ci_lower": lo, "ci_upper": hi})
    rates = pd.DataFrame(rates, columns=["arm", "n", "n_responders", "proportion", "ci_lower", "ci_upper"])
    by_arm = rates.set_index("arm")
    diffs, strat = [], []
    c = by_arm.loc[control]
    for a in order:
        if a == control:
            continue
        t = by_arm.loc[a]
        row = {"contrast": f"{a} - {control}", "arm": a, "reference": control,
               **dict.fromkeys(["estimate", "ci_lower", "ci_upper", "statistic", "p_value"], np.nan)}
        if t.n and c.n:
            counts = (int(t.n_responders), int(t.n), int(c.n_responders), int(c.n))
            if method == "newcombe":
                with np.errstate(divide="ignore", invalid="ignore"):  # statsmodels also forms p1 / p2
                    lo, hi = confint_proportions_2indep(*counts, method="newcomb", compare="diff", alpha=alpha)
                    test = test_proportions_2indep(*counts, method="score", compare="diff", correction=False)
                z, p = float(test.statistic), float(test.pvalue)
            else:
                lo, hi = _miettinen_nurminen(*counts, alpha=alpha)
                q = _mn_statistic(0.0, *counts)
                z, p = float(np.sign(t.proportion - c.proportion) * np.sqrt(q)), float(stats.chi2.sf(q, 1))
            row.update(estimate=t.proportion - c.proportion, ci_lower=float(lo), ci_upper=float(hi), statistic=z,
                       p_value=p)
        diffs.append(row)
        if strata_cols:
            pair = frame[frame[arm].isin([a, control])]
            result = cmh(pair, arm, response, strata_cols, row_order=[a, control], column_order=["1", "0"])
            general = result.tests.set_index("test").loc["general_association"]
            strat.append({"contrast": f"{a} - {control}", "statistic": general.statistic, "df": general.df,
                          "p_value": general.p_value})
    notes = list(mf.notes)
    return ResponderComparison(
        response=response, arm=arm, control=control, arms=order, method=method, alpha=alpha, rates=rates,
        differences=pd.DataFrame(diffs, columns=["contrast", "arm", "reference", "estimate", "ci_lower", "ci_upper",
                                                 "statistic", "p_value"]),
        stratified=pd.DataFrame(strat, columns=["contrast", "statistic", "df", "p_value"]),
        n_excluded=mf.n_excluded, notes=tuple(notes))
