"""study.yaml -> a typed, validated :class:`StudyConfig`.

Unknown keys, wrong types and inconsistent settings are :class:`ConfigError`
messages that name the key and the file. Checks that need the data (a
configured visit or measure that the data do not contain) live in
:mod:`trialkit.validation`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from trialkit.errors import ConfigError
from trialkit.plan import AnalysisItem, Conditions, DeclaredAnalysis, Treatment, plan_problems

ANALYSES = ("descriptive", "paired_t", "wilcoxon", "responder", "lmm", "mmrm")
COVARIANCES = Literal["us", "toep", "csh", "cs", "ar1h", "ar1"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StudyInfo(_Strict):
    id: str = Field(min_length=1)
    title: str = ""
    #: shown in the report footer
    data_cutoff: str = ""
    #: the report's date; if empty, SOURCE_DATE_EPOCH (when set), else the data cut-off: never the clock
    report_date: str = ""
    sponsor: str = ""
    confidentiality: str = ""
    #: an image inside the study folder, shown on the title block
    logo: Path | None = None
    page_size: Literal["A4", "Letter"] = "A4"


class Columns(_Strict):
    """Role -> column name in the input files."""

    subject: str = "USUBJID"
    visit: str = "AVISIT"
    measure: str | None = None
    value: str | None = None
    dose: str | None = None


class DataFiles(_Strict):
    records: Path
    subjects: Path
    layout: Literal["long", "wide"] = "long"
    columns: Columns = Columns()
    encoding: str = "utf-8"
    #: keep only records whose column holds one of the listed values (as text; "" = empty), e.g. the
    #: ADaM analysis records ``{ANL01FL: [Y]}``. Each record left out is listed as a finding.
    filter: dict[str, list[str]] = {}

    @model_validator(mode="after")
    def _long_needs_measure_and_value(self) -> DataFiles:
        if self.layout == "long":
            missing = [r for r in ("measure", "value") if getattr(self.columns, r) is None]
            if missing:
                raise ValueError(
                    "layout 'long' needs data.columns."
                    + " and data.columns.".join(missing)
                    + " (the column holding the measure name and the one holding its value)"
                )
        return self


class Visits(_Strict):
    order: list[str] = Field(min_length=2)
    baseline: str
    endpoint: str

    @model_validator(mode="after")
    def _baseline_and_endpoint_in_order(self) -> Visits:
        if len(set(self.order)) != len(self.order):
            raise ValueError(f"visits.order lists a visit twice: {self.order}")
        for key in ("baseline", "endpoint"):
            if getattr(self, key) not in self.order:
                raise ValueError(
                    f"visits.{key} {getattr(self, key)!r} is not in visits.order {self.order}"
                )
        if self.order.index(self.endpoint) <= self.order.index(self.baseline):
            raise ValueError("visits.endpoint must come after visits.baseline in visits.order")
        return self

    @property
    def post_baseline(self) -> list[str]:
        return self.order[self.order.index(self.baseline) + 1 :]


class Measure(_Strict):
    """A rated measure with its valid range and, optionally, a responder threshold."""

    min: float
    max: float
    responder_max: float | None = None
    label: str | None = None
    #: decimals of the recorded values; the report shows means with one more, SDs with two more
    decimals: int = Field(default=0, ge=0, le=6)
    direction: Literal["lower_better", "higher_better"] = "lower_better"

    @model_validator(mode="after")
    def _range_is_ordered(self) -> Measure:
        if self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        if self.responder_max is not None and not self.min <= self.responder_max <= self.max:
            raise ValueError(
                f"responder_max ({self.responder_max}) must lie within [{self.min}, {self.max}]"
            )
        return self


class SubjectsSpec(_Strict):
    genotype_flags: list[str] = []
    subgroups: list[str] = []
    arm: str | None = None
    covariates: list[str] = []


class MmrmOptions(_Strict):
    """``change ~ baseline + visit`` per measure at post-baseline visits."""

    covariance: COVARIANCES = "us"
    #: tried in order when the covariance above does not converge
    fallback: list[COVARIANCES] = ["toep", "ar1", "cs"]
    df: Literal["satterthwaite", "kenward-roger", "residual", "between-within"] = "satterthwaite"


class LmmOptions(_Strict):
    """``value ~ visit + (1 | subject)`` per measure over all visits."""

    df: Literal["satterthwaite", "residual", "between-within"] = "satterthwaite"


class Models(_Strict):
    mmrm: MmrmOptions = MmrmOptions()
    lmm: LmmOptions = LmmOptions()


class StudyConfig(_Strict):
    """The whole of a study.yaml, with paths resolved against its folder."""

    study: StudyInfo
    data: DataFiles
    visits: Visits
    measures: dict[str, Measure] = Field(min_length=1)
    subjects: SubjectsSpec = SubjectsSpec()
    #: the short-form names (run overall and by subgroup) and declared analyses (:mod:`trialkit.plan`)
    analyses: list[AnalysisItem] = list(ANALYSES)
    models: Models = Models()
    alpha: float = Field(default=0.05, gt=0, lt=1)
    #: the randomised treatment; absent for a single-arm study
    treatment: Treatment | None = None
    #: named analysis sets: subject-level conditions, e.g. ``{Efficacy: {EFFFL: [Y]}}``
    analysis_sets: dict[str, Conditions] = {}
    #: how a subjects-file column is treated wherever it is used: categorical or continuous
    variables: dict[str, Literal["categorical", "continuous"]] = {}

    #: the study.yaml this was read from; set by :func:`load_config`
    source: Path | None = None

    @property
    def short_analyses(self) -> list[str]:
        """The short-form analyses (run overall and within each subgroup)."""
        return [a for a in self.analyses if isinstance(a, str)]

    @property
    def declared(self) -> list[DeclaredAnalysis]:
        """The declared analyses of the plan, in plan order."""
        return [a for a in self.analyses if isinstance(a, DeclaredAnalysis)]

    @property
    def root(self) -> Path:
        return self.source.parent if self.source is not None else Path.cwd()

    @property
    def records_path(self) -> Path:
        return (self.root / self.data.records).resolve()

    @property
    def subjects_path(self) -> Path:
        return (self.root / self.data.subjects).resolve()


#: the tags pydantic puts into an error's location for the two forms of an ``analyses`` item
_UNION_TAGS = ("short", "declared")


def _location(loc: tuple) -> str:
    return ".".join(str(part) for part in loc if not str(part).startswith("function-") and part not in _UNION_TAGS)


def load_config(path: str | Path) -> StudyConfig:
    """Read and validate a study configuration.

    Parameters
    ----------
    path : str or Path
        A study.yaml file, or a folder holding one.

    Returns
    -------
    StudyConfig

    Raises
    ------
    ConfigError
        The file is missing or malformed, a key is unknown or has the wrong type,
        or a data file it names does not exist.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "study.yaml"
    if not path.is_file():
        raise ConfigError(f"{path}: no study configuration found (expected a study.yaml file)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of keys (study, data, visits, ...)")
    try:
        config = StudyConfig.model_validate({**raw, "source": path.resolve()})
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = _location(err["loc"]) or "(top level)"
            if err["type"] == "extra_forbidden":
                lines.append(f"  {key}: unknown key")
            elif err["type"] == "missing":
                lines.append(f"  {key}: required key is missing")
            else:
                shown = f" (got {err['input']!r})" if "input" in err and not isinstance(err["input"], dict) else ""
                lines.append(f"  {key}: {err['msg'].removeprefix('Value error, ')}{shown}")
        raise ConfigError(f"{path}: invalid configuration\n" + "\n".join(lines)) from None
    if "source" in raw:
        raise ConfigError(f"{path}: source: unknown key")
    problems = plan_problems(config)
    if problems:
        raise ConfigError(f"{path}: invalid analysis plan\n" + "\n".join(f"  {key}: {message}" for key, message in problems))
    for key, file in (("data.records", config.records_path), ("data.subjects", config.subjects_path)):
        if not file.is_file():
            raise ConfigError(f"{path}: {key}: file not found: {file}")
    return config
