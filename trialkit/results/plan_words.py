"""A declared analysis in words: the ARD's ``note`` of its model rows, the report's footnotes and its methods
section are written from here, so that they say the same thing."""

from __future__ import annotations

from trialkit.config import StudyConfig
from trialkit.plan import ARM, BASELINE, VISIT, DeclaredAnalysis, interaction_parts
from trialkit.results import words

METHOD_NAMES = {"ancova": "analysis of covariance", "anova": "analysis of variance",
                "mmrm": "mixed model for repeated measures", "cmh": "Cochran-Mantel-Haenszel tests",
                "responder": "responder analysis", "descriptive": "descriptive statistics"}
SCORES = {"table": "table scores (the ratings' values)", "rank": "rank scores", "ridit": "ridit scores",
          "modridit": "modified ridit scores"}
MULTIPLICITY = {
    "none": "p-values without adjustment for multiple comparisons",
    "holm": "p-values adjusted by Holm's step-down method across the comparisons at each visit",
    "hochberg": "p-values adjusted by Hochberg's step-up method across the comparisons at each visit",
    "dunnett": "p-values and simultaneous confidence intervals adjusted by Dunnett's method for the comparisons "
               "with the control at each visit",
    "fixed_sequence": "fixed-sequence testing in plan order at each visit: a comparison's adjusted p-value is the "
                      "largest p-value up to it",
}
CI_NAMES = {"newcombe": "Newcombe's hybrid score", "miettinen-nurminen": "Miettinen and Nurminen's score"}


def joined(names: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def column_label(config: StudyConfig, column: str) -> str:
    """A subjects-file column as the report names it mid-sentence: its label (``subjects.labels``), with a
    capital first letter made small unless the label is an abbreviation ('Site group' -> 'site group',
    'SITEGR1' stays)."""
    label = config.subjects.labels.get(column, column)
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def term(config: StudyConfig, name: str) -> str:
    """A model term in words: 'treatment', 'visit', 'baseline value', a column's label, an interaction."""
    parts = interaction_parts(name)
    if len(parts) > 1:
        return " x ".join(term(config, p) for p in parts)
    return {ARM: "treatment", VISIT: "visit", BASELINE: "baseline value"}.get(name) or column_label(config, name)


def response(analysis: DeclaredAnalysis, config: StudyConfig) -> str:
    """'the change from Baseline in CGI-S', or 'CGI-I': the measure by its label (``measures.X.label``) when it
    has one, as the table's heading names it ('ADAS Cog (11)', not the parameter code 'ACTOT')."""
    name = config.measures[analysis.measure].label or analysis.measure
    if analysis.outcome == "change":
        return f"the change from {config.visits.baseline} in {name}"
    return name


def model_terms(analysis: DeclaredAnalysis, config: StudyConfig) -> tuple[list[str], list[str]]:
    """The factors and covariates of the model in words, in model order (mmrm: treatment, visit, treatment x visit
    first). An interaction with a continuous term (the baseline value, a covariate) counts among the covariates."""
    continuous = {BASELINE, *analysis.covariates}
    factors = [ARM, *([VISIT, f"{ARM}*{VISIT}"] if analysis.method == "mmrm" else []), *analysis.factors]
    covariates = list(analysis.covariates)
    for interaction in analysis.interactions:
        parts = interaction_parts(interaction)
        if sorted(parts) == sorted([ARM, VISIT]):
            continue  # an mmrm has it anyway
        if any(p in continuous for p in parts):
            covariates += [p for p in parts if p in continuous and p not in covariates] + [interaction]
        else:
            factors.append(interaction)
    return [term(config, f) for f in factors], [term(config, c) for c in covariates]


def model(analysis: DeclaredAnalysis, config: StudyConfig, *, covariance: str | None = None,
          df: str | None = None) -> str:
    """The model of a declared analysis in words, as the ARD's ``note`` and the report's first footnote give it,
    e.g. 'Analysis of covariance of the change from Baseline in CGI-S with treatment and site group as factors
    and baseline value as a covariate; LS means with proportional weights'. ``covariance`` and ``df``: what an
    MMRM actually used (default: the plan's)."""
    method = analysis.method
    name = METHOD_NAMES[method]
    if method in ("ancova", "anova", "mmrm"):
        factors, covariates = model_terms(analysis, config)
        text = f"{name[0].upper()}{name[1:]} of {response(analysis, config)} with {joined(factors)} as factors"
        if covariates:
            text += f" and {joined(covariates)} as {'a covariate' if len(covariates) == 1 else 'covariates'}"
        if method == "mmrm":
            options = config.models.mmrm
            text += (f"; {words.covariance(covariance or analysis.covariance or options.covariance)} within "
                     f"subject, REML, {words.degrees_of_freedom(df or analysis.df or options.df)}")
        text += f"; LS means with {analysis.weights} weights"
        return text + (", covariates at their mean" if covariates else "")
    if method == "cmh":
        return (f"Cochran-Mantel-Haenszel tests of treatment x {response(analysis, config)}, stratified by "
                f"{column_label(config, analysis.strata)}, with {SCORES[analysis.scores]}")
    if method == "responder":
        text = (f"Responders: {response(analysis, config)} <= {threshold(analysis, config):g}; exact "
                f"(Clopper-Pearson) CI of each arm's rate; {CI_NAMES[analysis.difference_ci]} CI of the difference "
                "from the control with the score test")
        if analysis.strata:
            text += f"; CMH test of each arm vs the control stratified by {column_label(config, analysis.strata)}"
        return text
    return f"Descriptive statistics of {response(analysis, config)}"


def threshold(analysis: DeclaredAnalysis, config: StudyConfig) -> float:
    """The responder threshold: the analysis's ``responder_max``, else the measure's."""
    if analysis.responder_max is not None:
        return analysis.responder_max
    return config.measures[analysis.measure].responder_max


def dose_response(config: StudyConfig) -> str:
    """What the dose-response test is, for a footnote."""
    return (f"Test for a non-zero coefficient for dose ({config.treatment.dose}) as a continuous variable, in the "
            "same model with the dose in place of treatment")


def _selected(config: StudyConfig) -> bool:
    return bool(config.data.filter) or any(a.select for a in config.declared)


def records_used(config: StudyConfig) -> str:
    """Which records the analyses use, for the methods. Without a record selection they are the observed cases;
    with one (an ADaM file's analysis flag, a DTYPE) the records it keeps, which may hold values imputed before
    trialkit read them (an ADaM dataset's LOCF records): trialkit imputes none, but must not call them observed."""
    if not _selected(config):
        return "Analyses use observed cases; no value is imputed."
    kept = "; ".join(f"{column} in {', '.join(repr(v) for v in values)}" for column, values in config.data.filter.items())
    return ("No value is imputed by trialkit: the analyses use the records of the data file as recorded"
            + (f", those with {kept} (data.filter)" if kept else "")
            + (", and each analysis the records its selection keeps" if any(a.select for a in config.declared) else "")
            + "; a record imputed before (for example an ADaM record carried forward, DTYPE LOCF) is analysed as "
            "recorded.")


def records_note(config: StudyConfig) -> str:
    """The same in a table's footnote."""
    if not _selected(config):
        return "Observed cases; no value is imputed."
    return "Records as recorded in the data file (a record imputed before, e.g. LOCF, counts as recorded)."
