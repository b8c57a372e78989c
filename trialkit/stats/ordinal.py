"""Proportional-odds (cumulative-logit) model of an ordinal rating, on statsmodels' ``OrderedModel``.

    logit P(Y <= j | x) = theta_j - x' beta,   j = 1 .. J-1

as R's ``MASS::polr`` and ``ordinal::clm`` write it: a positive coefficient moves subjects towards higher
categories, and exp(beta) is the odds ratio of a higher category (any cut point). statsmodels estimates the
model; the standard errors come from the analytic observed information at its estimates (statsmodels'
numerical Hessian agrees with R to about 1e-6 only, the analytic one to 1e-8). The assumption that one
beta serves every cut point is tested by likelihood ratio against the model with threshold-specific
(nominal) effects, as ``ordinal::nominal_test`` does (:mod:`trialkit.stats.cumulative_logit`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from trialkit.errors import AnalysisError
from trialkit.stats import cumulative_logit
from trialkit.stats.mixed.design import build

COEF_COLUMNS = ["term", "estimate", "se", "statistic", "p_value", "ci_lower", "ci_upper", "odds_ratio",
                "odds_ratio_ci_lower", "odds_ratio_ci_upper"]
THRESHOLD_COLUMNS = ["threshold", "estimate", "se", "ci_lower", "ci_upper"]
TEST_COLUMNS = ["term", "statistic", "df", "p_value", "loglik_nominal"]
#: the proportional-odds test of all terms at once (first row of ``po_test``)
ALL_TERMS = "(all terms)"
#: a standard error above this on the log-odds scale means the estimate runs off to infinity (separation)
SEPARATION_SE = 100.0


@dataclass(frozen=True, eq=False)
class ProportionalOddsResult:
    """A fitted proportional-odds model.

    Attributes
    ----------
    formula : str
    levels : tuple
        The response's categories, in order (the measure's, when given).
    coef : DataFrame
        ``term, estimate, se, statistic, p_value, ci_lower, ci_upper, odds_ratio, odds_ratio_ci_lower,
        odds_ratio_ci_upper``: log-odds coefficients with Wald z tests and CIs (R ``confint.default``;
        polr's and clm's ``confint`` profile the likelihood instead), odds ratios exp(estimate) and exp(CI).
        Terms are named as patsy names them (``ARM[T.TRT]``, ``base``).
    thresholds : DataFrame
        ``threshold, estimate, se, ci_lower, ci_upper``, one row per pair of adjacent categories
        (``"1|2"``): theta_j with its SE (as polr's Intercepts). NaN where a category of the pair has no
        observation and lies below or above all observed ones; an empty category between two observed ones
        (2 and 4) gives one threshold ``"2|4"`` in place of ``"2|3"`` and ``"3|4"``, as ``clm`` names it.
    po_test : DataFrame
        ``term, statistic, df, p_value, loglik_nominal``: likelihood-ratio tests of proportional odds,
        first for all terms at once (term ``"(all terms)"``), then for each term alone
        (``ordinal::nominal_test``). NaN where the nominal model cannot be fitted.
    n_obs, n_excluded : int
        Observations used; rows left out for a missing response or covariate.
    loglik, aic : float
    converged : bool
    estimable : bool
        False when the data cannot support the model: every number is then NaN and ``findings`` says why.
    findings : tuple of str
        What the user must know: why the model is not estimable, empty categories, excluded rows.
    alpha : float
    """

    formula: str
    levels: tuple
    coef: pd.DataFrame
    thresholds: pd.DataFrame
    po_test: pd.DataFrame
    n_obs: int
    n_excluded: int
    loglik: float
    aic: float
    converged: bool
    estimable: bool
    findings: tuple[str, ...]
    alpha: float = 0.05

    def to_frame(self) -> pd.DataFrame:
        """Long form: columns ``part, term, stat, value``. part ``coefficient`` (stats as :attr:`coef`),
        ``threshold`` (as :attr:`thresholds`), ``proportional_odds_test`` (as :attr:`po_test`), and
        ``model`` (term ``""``; n_obs, n_excluded, loglik, aic, converged, estimable)."""
        parts = []
        for part, frame, key in (("coefficient", self.coef, "term"), ("threshold", self.thresholds, "threshold"),
                                 ("proportional_odds_test", self.po_test, "term")):
            long = frame.rename(columns={key: "term"}).melt(id_vars="term", var_name="stat", value_name="value")
            order = {term: k for k, term in enumerate(frame[key])}
            long = long.sort_values("term", key=lambda s: s.map(order), kind="stable")
            parts.append(long.assign(part=part))
        model = [("n_obs", self.n_obs), ("n_excluded", self.n_excluded), ("loglik", self.loglik), ("aic", self.aic),
                 ("converged", self.converged), ("estimable", self.estimable)]
        parts.append(pd.DataFrame([("model", "", s, float(v)) for s, v in model], columns=["part", "term", "stat", "value"]))
        out = pd.concat(parts, ignore_index=True)[["part", "term", "stat", "value"]]
        out["value"] = out["value"].astype(float)
        return out


def _natural(values) -> list:
    """Sorted, numbers before text, whole floats as ints (so a level reads 4, not 4.0)."""
    def tidy(v):
        return int(v) if isinstance(v, (float, np.floating)) and float(v).is_integer() else v

    values = [tidy(v.item() if isinstance(v, np.generic) else v) for v in values]
    return sorted(values, key=lambda v: (0, float(v), "") if isinstance(v, (int, float)) else (1, 0.0, str(v)))


def _declare_categorical(data: pd.DataFrame, categorical) -> pd.DataFrame:
    """Columns named in ``categorical`` become pandas Categoricals (levels in natural order, so 2 before 10
    and the lowest level the reference): a numeric code is then a factor, never a slope."""
    out = data.copy()
    for name in categorical:
        if name not in data.columns:
            raise AnalysisError(f"proportional_odds: categorical column {name!r} is not in the data")
        column = data[name]
        if not isinstance(column.dtype, pd.CategoricalDtype):
            out[name] = pd.Categorical(column, categories=_natural(column.dropna().unique()))
    return out


def _threshold_labels(levels, observed=None) -> list[str]:
    """``"a|b"`` for each pair of adjacent categories of ``levels``; with ``observed``, an empty category
    between two observed ones joins its neighbours into one threshold, named as ``clm`` names it after
    dropping the empty level (observed 2, 4, 5 of 1-7: ``1|2, 2|4, 4|5, 5|6, 6|7``)."""
    if observed is None:
        return [f"{a}|{b}" for a, b in zip(levels[:-1], levels[1:])]
    seen = [float(v) for v in observed]
    inner = [v for v in levels if seen[0] <= float(v) <= seen[-1] and float(v) in seen]
    below = [v for v in levels if float(v) < seen[0]]
    above = [v for v in levels if float(v) > seen[-1]]
    return _threshold_labels([*below, inner[0]]) + _threshold_labels(inner) + _threshold_labels([inner[-1], *above])


def _not_estimable(formula, levels, terms, po_terms, n_obs, n_excluded, findings, alpha) -> ProportionalOddsResult:
    nan = np.nan
    coef = pd.DataFrame([[t] + [nan] * (len(COEF_COLUMNS) - 1) for t in terms], columns=COEF_COLUMNS)
    thresholds = pd.DataFrame([[t] + [nan] * 4 for t in _threshold_labels(levels)], columns=THRESHOLD_COLUMNS)
    po = pd.DataFrame([[t] + [nan] * 4 for t in [ALL_TERMS, *po_terms]], columns=TEST_COLUMNS)
    return ProportionalOddsResult(formula, tuple(levels), coef, thresholds, po, n_obs, n_excluded, nan, nan, False, False,
                                  tuple(findings), alpha)


def _response_problem(y: pd.Series, levels) -> str:
    """Why the numeric response is not an ordinal rating on ``levels`` (empty when it is)."""
    values = y.to_numpy(dtype=float)
    fractional = values[values != np.round(values)]
    if fractional.size:
        shown = ", ".join(repr(float(v)) for v in _natural(np.unique(fractional))[:5])
        return f"the response is not ordinal: {fractional.size} values are not whole category numbers ({shown})"
    if levels is not None:
        outside = np.unique(values[~np.isin(values, np.asarray(levels, dtype=float))])
        if outside.size:
            shown = ", ".join(f"{v:g} ({int((values == v).sum())} rows)" for v in outside[:5])
            return f"response values outside the measure's categories {list(levels)!r}: {shown}"
    return ""


def proportional_odds(data: pd.DataFrame, formula: str, *, levels=None, categorical=(),
                      alpha: float = 0.05) -> ProportionalOddsResult:
    """Proportional-odds (cumulative-logit) model of an ordinal response, as R ``MASS::polr``.

    Parameters
    ----------
    data : DataFrame
    formula : str
        ``response ~ terms`` with ``a * b`` for ``a + b + a:b``; no intercept term (the thresholds are the
        intercepts). The response holds whole category numbers (e.g. CGI-S 1-7).
    levels : sequence of int, optional
        The measure's categories in order (e.g. ``range(1, 8)``); the observed ones otherwise. Thresholds
        are reported for every adjacent pair of them.
    categorical : sequence of str
        Columns to treat as factors whatever their type (a baseline category coded 1-7 is a factor, not
        a slope). Text columns and pandas Categoricals are factors anyway; other numeric columns are
        slopes. The lowest level is the reference.
    alpha : float
        1 - confidence level of the CIs.

    Returns
    -------
    ProportionalOddsResult
        Not estimable (NaN values, ``estimable`` False, the reason in ``findings``) when the response is
        not ordinal (non-numeric, fractional values, categories outside ``levels``), when fewer than two
        categories are observed, when the design is rank deficient, when the fit does not converge, or
        when an estimate runs off to infinity (separation). A category of ``levels`` with no observation
        is a finding: the model is fitted to the observed categories (as clm after dropping the unused
        level) and the thresholds next to the empty category are NaN.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1, 2, 2, 3, 3, 3, 2, 1, 3, 2], "arm": ["A"] * 5 + ["B"] * 5})
    >>> r = proportional_odds(df, "y ~ arm", levels=[1, 2, 3])
    >>> r.coef.term.tolist(), r.thresholds.threshold.tolist()
    (['arm[T.B]'], ['1|2', '2|3'])
    """
    if "~" not in formula:
        raise AnalysisError(f"formula {formula!r} needs a response: 'response ~ terms'")
    response = formula.split("~", 1)[0].strip()
    if response not in data.columns:
        raise AnalysisError(f"formula: response {response!r} is not a column of the data")
    if levels is not None:
        levels = list(levels)
        if len(set(levels)) != len(levels) or len(levels) < 2:
            raise AnalysisError(f"proportional_odds: levels must be at least 2 distinct categories, got {levels!r}")
    frame = _declare_categorical(data, categorical)
    column = frame[response]
    if not pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        reason = f"the response is not numeric (dtype {column.dtype}): an ordinal rating needs its category numbers"
        return _not_estimable(formula, levels or [], [], [], int(column.notna().sum()), 0, [reason], alpha)
    try:
        y, X, design, used = build(frame, formula)
        problem = ""
    except AnalysisError as exc:  # rank deficiency is a property of the data: report it, do not stop
        if "not estimable" not in str(exc):
            raise
        y, X, design, used, problem = None, None, None, frame[response].notna(), str(exc)
    n_excluded = int((~used).sum())
    findings = [f"{n_excluded} rows left out: missing response or covariate"] if n_excluded else []
    terms = design.columns[1:] if design is not None else []
    po_terms = list(design.term_columns) if design is not None else []
    observed_y = frame.loc[used, response]
    shown_levels = levels if levels is not None else _natural(observed_y.dropna().unique())

    def fail(reason: str) -> ProportionalOddsResult:
        return _not_estimable(formula, shown_levels, terms, po_terms, int(used.sum()), n_excluded,
                              [reason, *findings], alpha)

    reason = _response_problem(observed_y, levels)
    if reason:
        return fail(reason)
    if problem:
        return fail(problem)
    seen = set(np.unique(y).tolist())
    if levels is None:
        levels = _natural(seen)
    observed = [v for v in levels if float(v) in seen]  # in the measure's order and spelling
    empty = [v for v in levels if float(v) not in seen]
    if empty:
        inside = [v for v in empty if float(observed[0]) < float(v) < float(observed[-1])] if observed else []
        joined = (f"; the threshold across an empty category inside the observed range joins its neighbours "
                  f"({', '.join(t for t in _threshold_labels(levels, observed) if t not in _threshold_labels(levels))})"
                  if inside else "")
        findings.append(f"categories with no observation: {', '.join(map(str, empty))}; the model is fitted to the "
                        f"{len(observed)} observed categories and the thresholds next to an empty one are not estimable"
                        f"{joined}")
    if len(observed) < 2:
        return fail(f"only {len(observed)} category observed: at least 2 are needed")
    codes = pd.Index(np.asarray(observed, dtype=float)).get_indexer(y)  # the order of levels is the scale's
    X = X[:, 1:]  # the thresholds take the intercept's place
    return _fit(formula, levels, observed, codes, X, design, n_excluded, findings, alpha)


def _ordered_logit(codes: np.ndarray, X: np.ndarray, J: int):
    """statsmodels' OrderedModel (logit) with the analytic score: its own score is by finite differences,
    p + J evaluations of the likelihood per step (10 s for 100,000 subjects, 0.5 s with this)."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    patterns = cumulative_logit.Patterns.of(codes, X, np.zeros((codes.size, 0)), J)
    p = X.shape[1]

    class OrderedLogit(OrderedModel):
        def score(self, params):
            params = np.asarray(params, dtype=float)
            theta = np.asarray(self.transform_threshold_params(params), dtype=float)[1:-1]
            with np.errstate(all="ignore"):
                g = patterns.derivatives(np.r_[theta, params[:p]])[0]
            jac = np.tril(np.ones((J - 1, J - 1))) * np.r_[1.0, np.exp(params[p + 1:])]  # d theta / d params
            return np.r_[g[J - 1:], jac.T @ g[:J - 1]]

    return OrderedLogit(codes, X, distr="logit"), patterns


def _fit(formula, levels, observed, codes, X, design, n_excluded, findings, alpha) -> ProportionalOddsResult:
    J = len(observed)
    terms = design.columns[1:]
    po_terms = list(design.term_columns)
    model, patterns = _ordered_logit(codes, X, J)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="ignore"):
            res = model.fit(method="bfgs", disp=False, maxiter=2000, gtol=1e-8, skip_hessian=True)
    p = X.shape[1]
    params = np.asarray(res.params, dtype=float)
    beta = params[:p]
    theta = np.asarray(model.transform_threshold_params(params), dtype=float)[1:-1]
    # covariance of (theta, beta) from the analytic information at statsmodels' estimates: its numerical
    # Hessian is good to about 1e-6 only
    with np.errstate(all="ignore"):
        info = -patterns.derivatives(np.r_[theta, beta])[1]
        try:
            cov = np.linalg.inv(info)
        except np.linalg.LinAlgError:
            cov = np.full_like(info, np.nan)
        variances = np.diag(cov)
        se = np.sqrt(np.where(variances > 0, variances, np.nan))
    se_theta, se_beta = se[:J - 1], se[J - 1:]
    converged = bool(res.mle_retvals.get("converged", False))
    n_obs = int(codes.size)
    messages = sorted({str(w.message) for w in caught})
    reason = ""
    if not converged:
        reason = "the proportional-odds model did not converge" + (f" ({'; '.join(messages)})" if messages else "")
    elif not (np.all(np.isfinite(se_beta)) and np.all(np.isfinite(se_theta))):
        reason = "the information matrix cannot be inverted: the estimates are not identified by these data"
    else:
        runaway = [t for t, s in zip(terms, se_beta) if s > SEPARATION_SE]
        if runaway:
            reason = (f"the estimates of {', '.join(runaway)} run off to infinity (standard error above "
                      f"{SEPARATION_SE:g} on the log-odds scale): a group whose responses all lie at one end (separation)")
    if reason:
        return _not_estimable(formula, levels, terms, po_terms, n_obs, n_excluded, [reason, *findings], alpha)
    z = stats.norm.ppf(1 - alpha / 2)
    statistic = beta / se_beta
    lo, hi = beta - z * se_beta, beta + z * se_beta
    coef = pd.DataFrame({"term": terms, "estimate": beta, "se": se_beta, "statistic": statistic,
                         "p_value": 2 * stats.norm.sf(np.abs(statistic)), "ci_lower": lo, "ci_upper": hi,
                         "odds_ratio": np.exp(beta), "odds_ratio_ci_lower": np.exp(lo), "odds_ratio_ci_upper": np.exp(hi)},
                        columns=COEF_COLUMNS)
    by_pair = {f"{a}|{b}": (t, s) for a, b, t, s in zip(observed[:-1], observed[1:], theta, se_theta)}
    rows = []
    for label in _threshold_labels(levels, observed):
        t, s = by_pair.get(label, (np.nan, np.nan))
        rows.append([label, t, s, t - z * s, t + z * s])
    thresholds = pd.DataFrame(rows, columns=THRESHOLD_COLUMNS)
    loglik = float(res.llf)
    po_test = _po_tests(codes, X, design, J, theta, beta, loglik, findings)
    return ProportionalOddsResult(formula, tuple(levels), coef, thresholds, po_test, n_obs, n_excluded, loglik,
                                  -2 * loglik + 2 * (p + J - 1), True, True, tuple(findings), alpha)


def _po_tests(codes, X, design, J, theta, beta, loglik, findings: list[str]) -> pd.DataFrame:
    """Likelihood-ratio tests of proportional odds: all terms nominal, then each term alone."""
    term_columns = {name: [c - 1 for c in columns] for name, columns in design.term_columns.items()}
    rows = []
    for name, nominal in [(ALL_TERMS, list(range(X.shape[1]))), *term_columns.items()]:
        kept = [c for c in range(X.shape[1]) if c not in nominal]
        start = np.r_[theta, np.tile(-beta[nominal], J - 1), beta[kept]]
        with np.errstate(all="ignore"):
            nom = cumulative_logit.fit(codes, X[:, kept], X[:, nominal], J, start)
        df = float(len(nominal) * (J - 2))
        valid = nom.converged and cumulative_logit.thresholds_increase(nom.params, X[:, nominal], J)
        if not valid or df == 0:
            why = ("the term has no columns in these data" if not nominal else "only two categories" if df == 0
                   else nom.message if not nom.converged else
                   "its thresholds cross within the observed values of the term, so a category would get a negative "
                   "probability: the fit is invalid")
            findings.append(f"proportional-odds test of {name}: the model with threshold-specific effects cannot be "
                            f"fitted ({why})")
            rows.append([name, np.nan, df, np.nan, np.nan])
            continue
        lr = max(2 * (nom.loglik - loglik), 0.0)
        rows.append([name, lr, df, float(stats.chi2.sf(lr, df)), nom.loglik])
    return pd.DataFrame(rows, columns=TEST_COLUMNS)
