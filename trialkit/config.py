"""study.yaml -> a typed, validated :class:`StudyConfig`.

Unknown keys, wrong types and inconsistent settings are :class:`ConfigError`
messages that name the key and the file. Checks that need the data (a
configured visit or measure that the data do not contain) live in
:mod:`trialkit.validation`.
"""

from __future__ import annotations

import errno
import reprlib
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from trialkit.confined import study_logo, study_templates
from trialkit.errors import ConfigError, shown
from trialkit.plan import AnalysisItem, Conditions, DeclaredAnalysis, Treatment, plan_problems

#: the default of ``analyses:`` (every short-form name is in :data:`trialkit.plan.SHORT_ANALYSES`); the ordinal
#: analyses (ordinal, shift, friedman) are asked for by name, so that a study.yaml without ``analyses:`` keeps its report
ANALYSES = ("descriptive", "paired_t", "wilcoxon", "responder", "lmm", "mmrm")
COVARIANCES = Literal["us", "toep", "csh", "cs", "ar1h", "ar1"]


class _Strict(BaseModel):
    # NaN or infinity is never a valid range bound, threshold or level (a NaN bound passes every comparison)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class StudyInfo(_Strict):
    id: str = Field(min_length=1)
    title: str = ""
    #: shown in the report footer
    data_cutoff: str = ""
    #: the report's date; if empty, SOURCE_DATE_EPOCH (when set), else the data cut-off: never the clock
    report_date: str = ""
    sponsor: str = ""
    confidentiality: str = ""
    #: an image file inside the study folder (no symbolic link out of it), shown on the title block
    logo: Path | None = None
    page_size: Literal["A4", "Letter"] = "A4"


class Columns(_Strict):
    """Role -> column name in the input files."""

    subject: str = "USUBJID"
    visit: str = "AVISIT"
    measure: str | None = None
    value: str | None = None
    dose: str | None = None


#: an Excel sheet: its name, or its position counting from 1 (``2`` is the second sheet, ``"2"`` a sheet named 2)
Sheet = str | Annotated[int, Field(ge=1, strict=True)]


class DataFiles(_Strict):
    records: Path
    subjects: Path
    layout: Literal["long", "wide"] = "long"
    columns: Columns = Columns()
    encoding: str = "utf-8"
    #: keep only records whose column holds one of the listed values (as text; "" = empty), e.g. the
    #: ADaM analysis records ``{ANL01FL: [Y]}``. Each record left out is listed as a finding.
    filter: dict[str, list[str]] = {}
    #: the sheet to read when the records file is an Excel workbook: its name, or its position counting from 1.
    #: Required when the workbook has more than one sheet.
    sheet: Sheet | None = None
    #: likewise for the subjects file
    subjects_sheet: Sheet | None = None

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
    #: the baseline visit; none when no measure is rated before treatment (e.g. a study of CIBIC+ alone)
    baseline: str | None
    endpoint: str

    @model_validator(mode="after")
    def _baseline_and_endpoint_in_order(self) -> Visits:
        if len(set(self.order)) != len(self.order):
            raise ValueError(f"visits.order lists a visit twice: {self.order}")
        for key in ("baseline", "endpoint"):
            if getattr(self, key) is not None and getattr(self, key) not in self.order:
                raise ValueError(
                    f"visits.{key} {getattr(self, key)!r} is not in visits.order {self.order}"
                )
        if self.baseline is not None and self.order.index(self.endpoint) <= self.order.index(self.baseline):
            raise ValueError("visits.endpoint must come after visits.baseline in visits.order")
        return self

    @property
    def post_baseline(self) -> list[str]:
        """The visits after baseline (every visit when there is no baseline)."""
        return self.order[self.order.index(self.baseline) + 1 :] if self.baseline is not None else list(self.order)


class Measure(_Strict):
    """A rated measure with its valid range and, optionally, a responder threshold."""

    min: float
    max: float
    responder_max: float | None = None
    label: str | None = None
    #: decimals of the recorded values; the report shows means with one more, SDs with two more
    decimals: int = Field(default=0, ge=0, le=6)
    direction: Literal["lower_better", "higher_better"] = "lower_better"
    #: rated at the baseline visit; false for a rating of change itself (CGI-I, CIBIC+), which has no baseline
    baseline: bool = True

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
    #: how the report names these columns (and the factors, covariates and strata of the plan), e.g.
    #: ``{SITEGR1: "Pooled site"}``; a column without one is named as in the file
    labels: dict[str, str] = {}
    #: the analysis set (a name under ``analysis_sets``) of the subject tables (population, disposition, baseline
    #: characteristics) and of the short-form analyses; default: every subject with records
    analysis_set: str | None = None


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

    def has_baseline(self, measure: str) -> bool:
        """Whether ``measure`` has a baseline value (so a change from baseline)."""
        return self.visits.baseline is not None and self.measures[measure].baseline

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


#: a study.yaml whose aliases (``*name``) add more than this many values to it is refused (an "alias bomb")
MAX_EXPANDED_VALUES = 100_000
#: the longest integer study.yaml may hold (a count or a level, never a 5000-digit number)
MAX_INTEGER_DIGITS = 30

#: how values are quoted in messages: long lists, deep nesting and long text are cut
_quoted = reprlib.Repr()
_quoted.maxlevel, _quoted.maxlist, _quoted.maxdict, _quoted.maxstring, _quoted.maxother = 3, 8, 8, 80, 80


class _YamlProblem(Exception):
    """Something in study.yaml that is valid YAML but not a study configuration, at a line."""

    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(f"line {node.start_mark.line + 1}: {message}")


class _StudyLoader(yaml.SafeLoader):
    """PyYAML's safe loader (no tags that run code), refusing what it would otherwise accept silently:
    a key given twice in one mapping (PyYAML keeps the last) and an integer too long to be a setting. A date or
    time (``data_cutoff: 2018-01-15`` unquoted) is read as the text written, as YAML 1.2 reads it: every
    setting that holds one is text."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        first_line: dict[object, int] = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                continue  # merged keys (<<: *base) may be overridden; complex keys are refused later
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in first_line:
                raise _YamlProblem(key_node, f"key {shown(key, quote=True)} is given twice in the same mapping "
                                   f"(first at line {first_line[key]}); keep one")
            first_line[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        digits = sum(c.isalnum() for c in node.value)  # hexadecimal digits too (0xfff...)
        if digits > MAX_INTEGER_DIGITS:
            raise _YamlProblem(node, f"a number of {digits:,} digits; study.yaml holds no setting that large")
        return super().construct_yaml_int(node)


_StudyLoader.add_constructor("tag:yaml.org,2002:map", _StudyLoader.construct_yaml_map)
_StudyLoader.add_constructor("tag:yaml.org,2002:int", _StudyLoader.construct_yaml_int)
_StudyLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)


def _expanded_size(root: yaml.Node) -> tuple[int, int]:
    """How many values the document holds once every alias is expanded (an alias reuses its anchor's node),
    and how many it holds as written."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    pending: set[int] = set()
    while stack:
        node, children_done = stack.pop()
        if id(node) in size:
            continue
        children = ([n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode)
                    else node.value if isinstance(node, yaml.SequenceNode) else [])
        if children_done:
            size[id(node)] = 1 + sum(size[id(c)] for c in children)
            pending.discard(id(node))
            continue
        if id(node) in pending:
            raise _YamlProblem(node, "an alias refers to the value that holds it (a value that contains itself)")
        pending.add(id(node))
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)
    return size[id(root)], len(size)


def _read_yaml(path: Path) -> object:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"{shown(path)}: cannot read the study configuration: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{shown(path)}: not valid YAML: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
                          f"position {exc.start}); save study.yaml as UTF-8") from None
    loader = None
    try:
        loader = _StudyLoader(text)  # refuses control characters here already
        node = loader.get_single_node()
        if node is None:
            return None
        expanded, written = _expanded_size(node)
        if expanded - written > MAX_EXPANDED_VALUES:
            raise ConfigError(f"{shown(path)}: its aliases (*name) expand it to {expanded:,} values, {expanded - written:,} more than "
                              f"it holds as written (at most {MAX_EXPANDED_VALUES:,} more are allowed); write the values out")
        return loader.construct_document(node)
    except _YamlProblem as exc:
        raise ConfigError(f"{shown(path)}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{shown(path)}: not valid YAML: {shown_yaml_error(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{shown(path)}: not valid YAML: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()


def shown_yaml_error(exc: yaml.YAMLError) -> str:
    """PyYAML's message with the file's own text escaped and cut (it quotes the offending line)."""
    return shown(str(exc).replace("\n", " "), limit=400)


def _resolved_file(config_path: Path, key: str, root: Path, value: Path | None) -> None:
    """Refuse a path study.yaml names that no file system call can take (a NUL byte, a symlink loop) or that
    is not a file."""
    if value is None:
        return
    if "\x00" in str(value):
        raise ConfigError(f"{shown(config_path)}: {key}: the path {shown(value, quote=True)} holds a NUL byte; "
                          "write the file's name")
    try:
        target = (root / value).resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP:
            raise ConfigError(f"{shown(config_path)}: {key}: {shown(root / value)} is a symbolic link that "
                              "leads back to itself (a symlink loop)") from None
        raise ConfigError(f"{shown(config_path)}: {key}: file not found: {shown(root / value)}") from None
    if not target.is_file():
        raise ConfigError(f"{shown(config_path)}: {key}: not a file: {shown(target)}")


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
        The file is missing, unreadable or malformed (including a key given twice, or aliases that expand
        it beyond :data:`MAX_EXPANDED_VALUES` values), a key is unknown or has the wrong type, or a data
        file it names does not exist.
    """
    path = Path(path)
    if "\x00" in str(path):
        raise ConfigError(f"{shown(path, quote=True)}: the path holds a NUL byte; name the study folder or its study.yaml")
    try:
        if path.is_dir():
            path = path / "study.yaml"
        is_file, is_link = path.is_file(), path.is_symlink()
    except OSError as exc:  # a name too long, an I/O error
        raise ConfigError(f"{shown(path)}: cannot read the study configuration: {exc.strerror or exc}") from None
    if not is_file:
        if is_link and not path.exists():
            raise ConfigError(f"{shown(path)}: a symbolic link that leads nowhere or back to itself; "
                              "expected a study.yaml file")
        raise ConfigError(f"{shown(path)}: no study configuration found (expected a study.yaml file)")
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{shown(path)}: expected a mapping of keys (study, data, visits, ...)")
    try:
        config = StudyConfig.model_validate({**raw, "source": path.resolve()})
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = shown(_location(err["loc"])) or "(top level)"
            if err["type"] == "extra_forbidden":
                lines.append(f"  {key}: unknown key")
            elif err["type"] == "missing":
                lines.append(f"  {key}: required key is missing")
            else:
                shown_input = f" (got {_quoted.repr(err['input'])})" if "input" in err and not isinstance(err["input"], dict) else ""
                if err["type"] == "string_type" and isinstance(err.get("input"), bool):
                    shown_input += "; YAML reads yes/no/on/off as true or false: quote the value"
                elif err["type"] == "string_type" and isinstance(err.get("input"), (int, float)):
                    shown_input += f"; YAML reads it as a number: quote it, e.g. '{err['input']}'"
                lines.append(f"  {key}: {shown(err['msg'].removeprefix('Value error, '), limit=300)}{shown_input}")
        raise ConfigError(f"{shown(path)}: invalid configuration\n" + "\n".join(lines)) from None
    if "source" in raw:
        raise ConfigError(f"{shown(path)}: source: unknown key")
    for key, value in (("data.records", config.data.records), ("data.subjects", config.data.subjects)):
        _resolved_file(path, key, config.root, value)
    if config.study.logo is not None:
        study_logo(config.root, config.study.logo, config_path=path)
    study_templates(config.root, config_path=path)
    problems = plan_problems(config)
    if problems:
        raise ConfigError(f"{shown(path)}: invalid analysis plan\n"
                          + "\n".join(f"  {key}: {shown(message, limit=300)}" for key, message in problems))
    return config
