"""Treatment comparisons of a fitted linear model: LS means per arm, each arm minus control and every
pair of arms, with a multiplicity adjustment of the arm-vs-control family; shared by
:func:`trialkit.stats.ancova` and :func:`trialkit.stats.mmrm_by_arm`.

Also the model frame both build: every model column declared categorical (factor: its values are
text, so a site code '701' is a level, never a slope) or continuous (numeric, else an error naming the
column and value), the arm a factor whose first level is the control.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from trialkit.errors import AnalysisError
from trialkit.natural import natural_key
from trialkit.stats.multiplicity import METHODS, adjust, dunnett

INFERENCE = ["estimate", "se", "df", "statistic", "p_value", "ci_lower", "ci_upper"]
MULTIPLICITY = (*METHODS, "dunnett")
WEIGHTS = ("proportional", "equal")
_FORBIDDEN = re.compile(r"[~+*:]")


def as_text(column: pd.Series) -> pd.Series:
    """Values as text, whole numbers without '.0' (701.0 -> '701'); missing and '' stay missing."""
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return np.nan
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        text = str(v)
        return text if text.strip() != "" else np.nan
    return column.astype(object).map(one)


def shown(value) -> str:
    """A data value as a message shows it: 2 for 2.0, 'n/a' with quotes for text."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return repr(value.item() if isinstance(value, np.generic) else value)


def _numeric(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    column = data[name]
    if pd.api.types.is_bool_dtype(column):
        raise AnalysisError(f"{role} {name!r} is declared continuous but holds true/false values; declare it a factor")
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & column.notna() & (column.astype(str).str.strip() != "")
    if bad.any():
        row = bad.idxmax()
        raise AnalysisError(f"{role} {name!r} is declared continuous but row {row} holds {shown(column[row])}, not a "
                            "number; declare it a factor or correct the value")
    return values.astype(float)


def names_of(names) -> list[str]:
    if names is None:
        return []
    return [names] if isinstance(names, str) else list(names)


@dataclass(frozen=True)
class ModelFrame:
    """The rows and columns a model uses, typed as declared."""

    frame: pd.DataFrame          # model columns, complete cases only
    arms: tuple[str, ...]        # display order, control included
    n_excluded: int
    notes: tuple[str, ...]       # why rows were left out, and what could not be estimated


def model_frame(data: pd.DataFrame, *, response: str, arm: str, control: str, arms=None, factors=(),
                covariates=(), extra_factors=(), extra_numeric=(), keep=()) -> ModelFrame:
    """Type the model columns as declared and keep the complete cases.

    ``extra_factors`` (e.g. the visit) and ``extra_numeric`` (e.g. the dose, the baseline) are typed like
    factors and covariates; ``keep`` columns (e.g. the subject) are carried along as text.
    """
    factors, covariates = names_of(factors), names_of(covariates)
    roles = {response: "response", arm: "arm"}
    for role, names in (("factor", factors), ("factor", names_of(extra_factors)), ("covariate", covariates),
                        ("covariate", names_of(extra_numeric)), ("column", names_of(keep))):
        for name in names:
            if name in roles and roles[name] != role:
                raise AnalysisError(f"column {name!r} is declared both {roles[name]} and {role}")
            roles.setdefault(name, role)
    for name, role in roles.items():
        if name not in data.columns:
            raise AnalysisError(f"{role} {name!r} is not a column of the data")
        if _FORBIDDEN.search(str(name)):
            raise AnalysisError(f"{role} {name!r}: a model column's name cannot contain ~ + * or :")
    out = pd.DataFrame(index=data.index)
    out[response] = _numeric(data, response, "response")
    arm_text = as_text(data[arm])
    present = sorted(set(arm_text.dropna()), key=natural_key)
    if arms is None:
        order = [control] + [a for a in present if a != control]
    else:
        order = [str(a) for a in arms]
        if control not in order:
            raise AnalysisError(f"control arm {control!r} is not among the arms {order}")
        unknown = [a for a in present if a not in order]
        if unknown:
            raise AnalysisError(f"arm column {arm!r} holds {unknown}, which are not among the arms {order}")
    model_levels = [control] + [a for a in order if a != control]
    out[arm] = pd.Categorical(arm_text, categories=model_levels)
    for name in [*factors, *names_of(extra_factors)]:
        column = data[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            levels = [str(c) for c in as_text(pd.Series(column.cat.categories))]
        else:
            levels = sorted(set(as_text(column).dropna()), key=natural_key)
        out[name] = pd.Categorical(as_text(column), categories=levels)
    for name in [*covariates, *names_of(extra_numeric)]:
        out[name] = _numeric(data, name, "covariate")
    for name in names_of(keep):
        out[name] = as_text(data[name])
    missing = out.isna()
    complete = ~missing.any(axis=1)
    notes = []
    if not complete.all():
        counts = ", ".join(f"{name} missing ({int(n)})" for name, n in missing.sum().items() if n)
        notes.append(f"{int((~complete).sum())} rows left out: {counts}")
    frame = out[complete]
    for name in [*factors, *names_of(extra_factors)]:
        if frame[name].nunique() == 1:
            notes.append(f"factor {name!r} has one level in the rows used: it adds nothing to the model")
    for a in order:
        if not (frame[arm] == a).any():
            notes.append(f"arm {a!r} has no rows with complete data: its estimates and comparisons are not estimable")
    return ModelFrame(frame, tuple(order), int((~complete).sum()), tuple(notes))


@dataclass(frozen=True)
class ArmComparison:
    """Treatment comparisons from one model.

    Attributes
    ----------
    model : {"ancova", "mmrm"}
    description : str
        The model in words, e.g. for a footnote.
    formula : str
    response, arm, control : str
    arms : tuple of str
        Display (plan) order, control included.
    weights : {"proportional", "equal"}
        How LS means average over the other factors.
    multiplicity : str
        Adjustment of the arm-vs-control family (within each visit): none, holm, hochberg, bh,
        fixed-sequence (in ``arms`` order) or dunnett.
    alpha : float
    n : DataFrame
        ``visit, arm, n``: rows used per arm (per visit for an MMRM; the subjects of an ANCOVA).
    lsmeans : DataFrame
        ``visit, arm, estimate, se, df, statistic, p_value, ci_lower, ci_upper``.
    differences : DataFrame
        ``visit, contrast, arm, reference, family`` ("vs control" or "between arms"), the inference
        columns, ``p_adjusted`` and, with Dunnett, the simultaneous ``ci_lower_simultaneous,
        ci_upper_simultaneous``. ``contrast`` reads ``"<arm> - <reference>"``.
    averages, average_differences : DataFrame
        The same over all visits (MMRM: each visit weighted equally); empty for an ANCOVA.
    dose_response : DataFrame
        ``visit, term`` and the inference columns of the dose slope (ANCOVA with a dose); else empty.
    type3 : DataFrame
        ``term, num_df, den_df, statistic, p_value``.
    n_obs, n_excluded : int
    notes : tuple of str
        Rows left out and why; what is not estimable and why; convergence.
    fit : object
        The fitted model (:class:`~trialkit.stats.ols.OLSFit` or
        :class:`~trialkit.stats.MixedModelResult`), or None if it could not be fitted.

    Values that cannot be estimated are NaN, with the reason in ``notes``.
    """

    model: str
    description: str
    formula: str
    response: str
    arm: str
    control: str
    arms: tuple[str, ...]
    weights: str
    multiplicity: str
    alpha: float
    n: pd.DataFrame
    lsmeans: pd.DataFrame
    differences: pd.DataFrame
    averages: pd.DataFrame
    average_differences: pd.DataFrame
    dose_response: pd.DataFrame
    type3: pd.DataFrame
    n_obs: int
    n_excluded: int
    notes: tuple[str, ...]
    fit: object = field(default=None, repr=False, compare=False)

    def to_frame(self) -> pd.DataFrame:
        """Long form: ``part, visit, contrast, stat, value``.

        part is ``n``, ``lsmean``, ``difference``, ``lsmean_average``, ``difference_average``,
        ``dose_response`` or ``type3``; contrast names the arm (n, LS means), ``"<arm> - <reference>"``
        (differences), the dose column (dose response) or the model term (type3, whose stats are
        num_df, df, statistic and p_value). ``p_adjusted`` and simultaneous CI rows appear only where
        an adjustment was made.
        """
        rows: list[tuple] = []
        for r in self.n.itertuples(index=False):
            rows.append(("n", r.visit, r.arm, "n", float(r.n)))
        parts = (("lsmean", self.lsmeans, "arm"), ("difference", self.differences, "contrast"),
                 ("lsmean_average", self.averages, "arm"), ("difference_average", self.average_differences, "contrast"),
                 ("dose_response", self.dose_response, "term"))
        extra = ["p_adjusted", "ci_lower_simultaneous", "ci_upper_simultaneous"]
        for part, table, key in parts:
            for _, r in table.iterrows():
                for stat in INFERENCE + [s for s in extra if s in table.columns and not pd.isna(r[s])]:
                    rows.append((part, r["visit"], r[key], stat, float(r[stat])))
        for _, r in self.type3.iterrows():
            for stat, column in (("num_df", "num_df"), ("df", "den_df"), ("statistic", "statistic"), ("p_value", "p_value")):
                rows.append(("type3", "", r["term"], stat, float(r[column])))
        return pd.DataFrame(rows, columns=["part", "visit", "contrast", "stat", "value"])


def _nan_row() -> dict[str, float]:
    return dict.fromkeys(INFERENCE, np.nan)


def arm_rows(fit, *, arm: str, arms: tuple[str, ...], weights: str, by: str | None = None) -> dict:
    """Design rows of each arm's LS mean within each level of ``by``: {(by level or "", arm): row or None}."""
    if weights not in WEIGHTS:
        raise AnalysisError(f"weights {weights!r}: choose one of {', '.join(WEIGHTS)}")
    factors = ([by] if by else []) + [arm]
    cells, rows = fit._cell_rows(factors, weights)
    index = {(cell[0] if by else "", cell[-1]): row for cell, row in zip(cells, rows)}
    by_levels = fit.design.factors[by] if by else [""]
    return {(level, a): index.get((level, a)) for level in by_levels for a in arms}


def comparison_tables(fit, rows: dict, *, arms: tuple[str, ...], control: str,
                      multiplicity: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """LS means and differences (each arm - control, then each later - earlier arm among the others)
    from the LS-mean design rows; the arm-vs-control family adjusted within each visit."""
    if multiplicity not in MULTIPLICITY:
        raise AnalysisError(f"multiplicity {multiplicity!r}: choose one of {', '.join(MULTIPLICITY)}")
    visits = list(dict.fromkeys(level for level, _ in rows))
    ls, diffs = [], []
    others = [a for a in arms if a != control]
    for visit in visits:
        for a in arms:
            row = rows[(visit, a)]
            ls.append({"visit": visit, "arm": a, **(fit.estimate(row) if row is not None else _nan_row())})
        family = []
        for a in others:
            family.append((a, control, "vs control"))
        for i, j in ((i, j) for j in range(len(others)) for i in range(j)):
            family.append((others[j], others[i], "between arms"))
        block = []
        for a, ref, kind in family:
            ra, rr = rows[(visit, a)], rows[(visit, ref)]
            L = ra - rr if ra is not None and rr is not None else None
            block.append({"visit": visit, "contrast": f"{a} - {ref}", "arm": a, "reference": ref, "family": kind,
                          **(fit.estimate(L) if L is not None else _nan_row()), "_L": L})
        vs = [d for d in block if d["family"] == "vs control"]
        if multiplicity != "none" and vs:
            if multiplicity == "dunnett":
                usable = [d["_L"] if d["_L"] is not None and np.isfinite(d["estimate"]) else None for d in vs]
                K = np.array([L if L is not None else np.zeros(fit.beta.size) for L in usable])
                est = np.array([d["estimate"] for d in vs])
                cov = K @ fit.cov_beta @ K.T
                df = min((d["df"] for d in vs if np.isfinite(d["df"])), default=np.inf)
                result = dunnett(est, cov, df=df, alpha=fit.alpha, contrasts=[d["contrast"] for d in vs])
                for d, p, lo, hi in zip(vs, result.p_adjusted, result.ci_lower, result.ci_upper):
                    d.update(p_adjusted=p, ci_lower_simultaneous=lo, ci_upper_simultaneous=hi)
            else:
                for d, p in zip(vs, adjust([d["p_value"] for d in vs], method=multiplicity)):
                    d["p_adjusted"] = p
        diffs += block
    columns = ["visit", "contrast", "arm", "reference", "family", *INFERENCE]
    if multiplicity != "none":
        columns.append("p_adjusted")
    if multiplicity == "dunnett":
        columns += ["ci_lower_simultaneous", "ci_upper_simultaneous"]
    diff_frame = pd.DataFrame(diffs).reindex(columns=columns) if diffs else pd.DataFrame(columns=columns)
    return pd.DataFrame(ls, columns=["visit", "arm", *INFERENCE]), diff_frame


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object if c in ("visit", "arm", "contrast", "reference", "family", "term")
                                      else float) for c in columns})
