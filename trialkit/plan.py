"""The analysis plan of study.yaml: treatment arms, analysis sets and declared analyses, as typed values.

The vocabulary is that of CDISC's Analysis Results Standard: an *analysis set* (subjects, from
subject-level flags), a *data subset* (``select``: records, from record-level columns), a *grouping*
(the arm), and a *method*. ``analyses:`` accepts today's short form (a method name, run overall and
by subgroup) and declared analyses, in one list::

    analyses:
      - descriptive
      - id: adas_ancova
        method: ancova
        measure: ACTOT
        response: change
        visits: [Week 24]
        factors: [SITEGR1]
        covariates: [baseline]
        contrasts: [vs_control, dose_response]
        analysis_set: Efficacy
        select: {ANL01FL: [Y]}

Checks that need the data (an arm, visit or column that does not exist) are made in
:mod:`trialkit.validation`; the checks here need only the file itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

if TYPE_CHECKING:
    from trialkit.config import StudyConfig

#: the short form: methods run overall and within each subgroup, as trialkit always did
SHORT_ANALYSES = ("descriptive", "paired_t", "wilcoxon", "responder", "lmm", "mmrm", "ordinal", "shift", "friedman")
METHODS = ("ancova", "anova", "mmrm", "cmh", "responder", "descriptive")
#: the names a model term may use besides data columns
BASELINE, ARM, VISIT = "baseline", "arm", "visit"
#: the ARD's own analysis names: a declared analysis's id must differ from them (its rows are found by id)
RESERVED_IDS = frozenset({"population", "disposition", "baseline", "individual", "change", *SHORT_ANALYSES})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Treatment(_Strict):
    """The randomised treatment: which column holds it, the control arm, how arms are shown."""

    #: the arm column, in the subjects file (``source: subjects``) or in the records
    arm: str = Field(min_length=1)
    source: Literal["subjects", "records"] = "subjects"
    #: the control arm: a value of the arm column
    control: str = Field(min_length=1)
    #: display order of the arms (values of the arm column); default: the control first, then natural order
    order: list[str] = []
    #: display labels by arm value; default: the value itself
    labels: dict[str, str] = {}
    #: a numeric column holding each arm's dose, for the dose-response test
    dose: str | None = None
    #: a Total column (all arms together), shown last in summary tables
    total: bool = False
    #: p-values comparing the arms in the baseline characteristics table (one-way ANOVA for a numeric
    #: characteristic, Pearson's chi-square for a categorical one), as some CSRs print them
    baseline_tests: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Treatment:
        if len(set(self.order)) != len(self.order):
            raise ValueError(f"order lists an arm twice: {self.order}")
        if self.order and self.control not in self.order:
            raise ValueError(f"control {self.control!r} is not in order {self.order}")
        unknown = [arm for arm in self.labels if self.order and arm not in self.order]
        if unknown:
            raise ValueError(f"labels name arms that are not in order: {unknown}")
        if len(set(self.labels.values())) != len(self.labels):
            raise ValueError("labels gives two arms the same label")
        return self

    def label(self, arm: str) -> str:
        return self.labels.get(arm, arm)


#: column -> the values a record (or subject) must hold in it, as text ("" = empty)
Conditions = dict[Annotated[str, Field(min_length=1)], Annotated[list[str], Field(min_length=1)]]

Contrast = Literal["vs_control", "pairwise", "dose_response"]
Multiplicity = Literal["none", "holm", "hochberg", "dunnett", "fixed_sequence"]
Covariance = Literal["us", "toep", "csh", "cs", "ar1h", "ar1"]
DfMethod = Literal["satterthwaite", "kenward-roger", "residual", "between-within"]


class DeclaredAnalysis(_Strict):
    """One analysis of the plan. The model of ``ancova``/``anova`` at each visit is
    ``response ~ arm + factors + covariates (+ interactions)``; of ``mmrm``
    ``response ~ arm * visit + factors + covariates (+ interactions)`` over the visits."""

    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    label: str = ""
    method: Literal["ancova", "anova", "mmrm", "cmh", "responder", "descriptive"]
    measure: str = Field(min_length=1)
    #: the analysed variable: the visit value or its change from baseline (default: change for models, else value)
    response: Literal["value", "change"] | None = None
    #: a visit, a list of visits, or "all" (every post-baseline visit)
    visits: list[str] | Literal["all"] = "all"
    #: categorical model terms (columns of the subjects file), besides the arm
    factors: list[str] = []
    #: continuous model terms: columns of the subjects file, or ``baseline`` (the measure's baseline value)
    covariates: list[str] = []
    #: products of terms, e.g. ``baseline*visit`` (names: arm, visit, baseline, factors, covariates)
    interactions: list[str] = []
    contrasts: list[Contrast] = ["vs_control"]
    #: LS means: proportional (SAS LSMEANS / OM, emmeans weights = "proportional") or equal weights
    weights: Literal["proportional", "equal"] = "proportional"
    analysis_set: str | None = None
    #: record-level selection for this analysis (e.g. {DTYPE: [""]} for observed cases)
    select: Conditions = {}
    multiplicity: Multiplicity = "none"
    #: mmrm only: covariance structure and degrees of freedom (default: models.mmrm)
    covariance: Covariance | None = None
    df: DfMethod | None = None
    #: mmrm only: LS means averaged over the visits as well
    visit_average: bool = False
    #: cmh and responder: the stratification factor (responder: of the CMH test of each arm vs control)
    strata: str | None = None
    #: cmh only: the scores of the response categories
    scores: Literal["table", "rank", "ridit", "modridit"] = "table"
    #: responder only: the responder threshold (default: the measure's responder_max) and the CI of the difference
    responder_max: float | None = None
    difference_ci: Literal["newcombe", "miettinen-nurminen"] = "newcombe"

    @field_validator("visits", mode="before")
    @classmethod
    def _one_visit(cls, value):
        return [value] if isinstance(value, str) and value != "all" else value

    @model_validator(mode="after")
    def _method_options(self) -> DeclaredAnalysis:
        method = self.method
        model = method in ("ancova", "anova", "mmrm")
        if method == "anova" and BASELINE in self.covariates:
            raise ValueError("an anova has no covariates; use method ancova to adjust for baseline")
        if not model and (self.factors or self.covariates or self.interactions):
            raise ValueError(f"factors, covariates and interactions belong to model methods, not {method}")
        if method != "mmrm" and (self.covariance or self.df or self.visit_average):
            raise ValueError("covariance, df and visit_average are options of method mmrm")
        if method not in ("cmh", "responder") and self.strata is not None:
            raise ValueError("strata is an option of methods cmh and responder")
        if method != "cmh" and self.scores != "table":
            raise ValueError("scores is an option of method cmh")
        if method != "responder" and (self.responder_max is not None or self.difference_ci != "newcombe"):
            raise ValueError("responder_max and difference_ci are options of method responder")
        given = [o for o in ("contrasts", "weights", "multiplicity") if o in self.model_fields_set]
        if not model and given:
            raise ValueError(f"{', '.join(given)}: options of methods ancova, anova and mmrm, not {method}")
        if method == "cmh" and self.strata is None:
            raise ValueError("method cmh needs strata (the stratification factor)")
        named = {ARM, VISIT, BASELINE, *self.factors, *self.covariates}
        for term in self.interactions:
            parts = interaction_parts(term)
            if len(parts) < 2 or any(p not in named for p in parts):
                raise ValueError(f"interaction {term!r} must join two or more of: {sorted(named)}")
            if method == "mmrm" and sorted(parts) not in ([ARM, VISIT], [BASELINE, VISIT]):
                raise ValueError(f"interaction {term!r}: an mmrm has arm*visit (always) and baseline*visit (when "
                                 "asked); other interactions are not fitted by method mmrm")
            if method in ("ancova", "anova") and VISIT in parts:
                raise ValueError(f"interaction {term!r}: an {method} is fitted at each visit apart, so visit is not "
                                 "a term of it")
        reserved = {"subject", "visit", "value", "base", "change", "response", "arm", "arm_dose"}
        taken = sorted(reserved & {*self.factors, *self.covariates, *([self.strata] if self.strata else [])})
        if taken:
            raise ValueError(f"{taken}: trialkit's own name for a column of the analysis; rename the column")
        clash = set(self.factors) & set(self.covariates)
        if clash:
            raise ValueError(f"{sorted(clash)} declared both a factor and a covariate")
        if "dose_response" in self.contrasts and method not in ("ancova", "anova"):
            raise ValueError("the dose_response contrast belongs to methods ancova and anova")
        if self.multiplicity != "none" and not {"vs_control", "pairwise"} & set(self.contrasts):
            raise ValueError(f"multiplicity {self.multiplicity} adjusts comparisons of arms, and contrasts asks for "
                             "none: add vs_control or pairwise, or use multiplicity: none")
        if self.multiplicity == "dunnett" and "pairwise" in self.contrasts:
            raise ValueError("Dunnett's adjustment is for comparisons with the control (vs_control), not pairwise")
        return self

    @property
    def title(self) -> str:
        return self.label or self.id

    @property
    def outcome(self) -> Literal["value", "change"]:
        """``response``, or its default: models (ancova, anova, mmrm) analyse the change from baseline; a CMH test,
        a responder analysis and the descriptive tables the value (the descriptive tables add the change)."""
        return self.response or ("change" if self.method in ("ancova", "anova", "mmrm") else "value")


def interaction_parts(term: str) -> list[str]:
    """The terms an interaction joins: ``"baseline * visit"`` -> ``["baseline", "visit"]``."""
    return [part.strip() for part in term.split("*")]


def _analysis_kind(value) -> str:
    return "declared" if isinstance(value, dict) or isinstance(value, DeclaredAnalysis) else "short"


#: an item of ``analyses:``: a short-form method name, or a declared analysis
AnalysisItem = Annotated[
    Annotated[Literal["descriptive", "paired_t", "wilcoxon", "responder", "lmm", "mmrm", "ordinal", "shift", "friedman"],
              Tag("short")]
    | Annotated[DeclaredAnalysis, Tag("declared")],
    Discriminator(_analysis_kind),
]


def plan_problems(config: StudyConfig) -> list[tuple[str, str]]:
    """What in the plan contradicts the rest of study.yaml, as ``(key, message)`` pairs (none: consistent)."""
    problems: list[tuple[str, str]] = []
    short = set(config.short_analyses)
    treatment = config.treatment
    if config.subjects.arm and treatment and treatment.source == "subjects" and config.subjects.arm != treatment.arm:
        problems.append(("treatment.arm", f"{treatment.arm!r} differs from subjects.arm {config.subjects.arm!r}; give one"))
    spec = config.subjects
    known = [*spec.genotype_flags, *spec.subgroups, *([spec.arm] if spec.arm else []), *spec.covariates,
             *(c for c in subject_columns(config) if c not in spec.covariates)]
    unknown = [name for name in spec.labels if name not in known]
    if unknown:
        problems.append(("subjects.labels", f"labels given for {unknown}, which are not among the genotype flags, "
                         f"subgroups, arm, covariates or columns of the plan {known}"))
    if spec.analysis_set is not None and spec.analysis_set not in config.analysis_sets:
        problems.append(("subjects.analysis_set", f"{spec.analysis_set!r} is not under analysis_sets: "
                         f"{list(config.analysis_sets)}"))
    seen: set[str] = set()
    with_baseline = [m for m in config.measures if config.has_baseline(m)]
    for k, item in enumerate(config.analyses):
        key = f"analyses.{k}"
        if not isinstance(item, DeclaredAnalysis):
            if item in ("paired_t", "wilcoxon", "lmm", "mmrm", "ordinal", "shift") and not with_baseline:
                problems.append((key, f"{item} compares visits with the baseline, and no measure has one "
                                 "(visits.baseline is null or every measure has baseline: false)"))
            continue
        if item.id in seen or item.id in short:
            problems.append((f"{key}.id", f"{item.id!r} is used twice; each analysis needs its own id"))
        elif item.id in RESERVED_IDS:
            problems.append((f"{key}.id", f"{item.id!r} is the name of rows trialkit makes itself (analysis "
                             f"{item.id} in ard.csv); choose another id"))
        seen.add(item.id)
        if item.measure not in config.measures:
            problems.append((f"{key}.measure", f"{item.measure!r} is not under measures: {list(config.measures)}"))
        if item.analysis_set is not None and item.analysis_set not in config.analysis_sets:
            problems.append((f"{key}.analysis_set",
                             f"{item.analysis_set!r} is not under analysis_sets: {list(config.analysis_sets)}"))
        if item.visits != "all":
            unknown = [v for v in item.visits if v not in config.visits.order]
            if unknown:
                problems.append((f"{key}.visits", f"{unknown} not in visits.order {config.visits.order}"))
            elif item.outcome == "change" and config.visits.baseline in item.visits:
                problems.append((f"{key}.visits", f"the change from {config.visits.baseline} is not analysed at "
                                 f"{config.visits.baseline}; use response: value or a later visit"))
        if item.measure in config.measures and not config.has_baseline(item.measure):
            if item.outcome == "change":
                problems.append((f"{key}.response", f"{item.measure} has no baseline, so no change from it: use "
                                 "response: value"))
            if BASELINE in item.covariates or any(BASELINE in interaction_parts(t) for t in item.interactions):
                problems.append((f"{key}.covariates", f"{item.measure} has no baseline value to adjust for"))
        if item.method != "descriptive" and treatment is None:
            problems.append((f"{key}.method", f"{item.method} compares arms: declare treatment (arm, control)"))
        if "dose_response" in item.contrasts and (treatment is None or treatment.dose is None):
            problems.append((f"{key}.contrasts", "dose_response needs treatment.dose (the numeric dose column)"))
        if (item.method == "responder" and item.responder_max is None
                and item.measure in config.measures and config.measures[item.measure].responder_max is None):
            problems.append((f"{key}.responder_max", f"method responder needs a threshold: responder_max here or "
                             f"under measures.{item.measure}"))
    return problems


def analysed_visits(analysis: DeclaredAnalysis, config: StudyConfig) -> list[str]:
    """The visits a declared analysis is run at, in visit order: its ``visits``, or every post-baseline visit."""
    if analysis.visits == "all":
        return list(config.visits.post_baseline)
    return [v for v in config.visits.order if v in analysis.visits]


def column_kind(config: StudyConfig, column: str) -> Literal["categorical", "continuous"] | None:
    """How a subjects-file column is treated: as ``variables`` declares it, else as the plan uses it (categorical as
    a factor or stratum of a declared analysis, continuous as a covariate, when every use agrees); None when neither
    says (the subject tables then go by the values)."""
    if column in config.variables:
        return config.variables[column]
    uses = set()
    for analysis in config.declared:
        if column in analysis.factors or column == analysis.strata:
            uses.add("categorical")
        if column in analysis.covariates:
            uses.add("continuous")
    return uses.pop() if len(uses) == 1 else None


def subject_columns(config: StudyConfig) -> dict[str, str]:
    """The subjects-file columns the plan uses, each with the study.yaml key that names it."""
    wanted: dict[str, str] = {}
    treatment = config.treatment
    if treatment is not None and treatment.source == "subjects":
        wanted[treatment.arm] = "treatment.arm"
        if treatment.dose:
            wanted[treatment.dose] = "treatment.dose"
    for name, conditions in config.analysis_sets.items():
        for column in conditions:
            wanted.setdefault(column, f"analysis_sets.{name}")
    for k, item in enumerate(config.analyses):
        if isinstance(item, DeclaredAnalysis):
            for option, columns in (("factors", item.factors), ("covariates", item.covariates),
                                    ("strata", [item.strata] if item.strata else [])):
                for column in columns:
                    if column != BASELINE:
                        wanted.setdefault(column, f"analyses.{k}.{option}")
    for column in config.variables:  # a declaration of a column the file lacks is a mistake, never ignored
        wanted.setdefault(column, f"variables.{column}")
    return wanted


def record_columns(config: StudyConfig) -> dict[str, str]:
    """The records-file columns the plan uses (record selections; the arm and dose when the records hold them),
    each with the study.yaml key that names it."""
    wanted: dict[str, str] = {}
    treatment = config.treatment
    if treatment is not None and treatment.source == "records":
        wanted[treatment.arm] = "treatment.arm"
        if treatment.dose:
            wanted[treatment.dose] = "treatment.dose"
    for k, item in enumerate(config.analyses):
        if isinstance(item, DeclaredAnalysis):
            for column in item.select:
                wanted.setdefault(column, f"analyses.{k}.select")
    return wanted
