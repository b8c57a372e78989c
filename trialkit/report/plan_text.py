"""The statistical methods and the summary of the analysis plan (treatment, analysis sets, declared analyses), in
words written from study.yaml, so that they always say what ran."""

from __future__ import annotations

from trialkit.config import StudyConfig
from trialkit.plan import DeclaredAnalysis, analysed_visits
from trialkit.results import plan_words, words

CONTRASTS = {"vs_control": "each arm vs the control", "pairwise": "every pair of arms",
             "dose_response": "the dose-response test"}
WEIGHTS = {"proportional": 'proportional weights as SAS LSMEANS / OM and emmeans weights = "proportional"',
           "equal": "equal weights as SAS LSMEANS without OM"}


def _conditions(conditions: dict[str, list[str]]) -> str:
    return " and ".join(f"{c} in [{', '.join(repr(v) if v == '' else v for v in values)}]"
                        for c, values in conditions.items())


def methods(config: StudyConfig) -> list[str]:
    """Paragraphs of the methods section on the plan: the treatment, the analysis sets, the declared variables and
    each declared analysis; none for a study without a plan."""
    treatment = config.treatment
    out = []
    if treatment is not None:
        order = ", ".join(treatment.order) if treatment.order else "the control first, then the others in natural order"
        labels = "; shown as " + ", ".join(f"{k}: {v}" for k, v in treatment.labels.items()) if treatment.labels else ""
        dose = f"; dose from column {treatment.dose} (a number per arm)" if treatment.dose else ""
        out.append(f"Treatment: column {treatment.arm} of the {treatment.source} file; control {treatment.control}; "
                   f"arms in the order {order}{labels}{dose}. Subjects without an arm of the plan are counted in "
                   "Listing 16.2.1 and left out of the analyses by arm.")
    if config.analysis_sets:
        sets = "; ".join(f"{name}: {_conditions(c)}" for name, c in config.analysis_sets.items())
        who = (f" The subject tables and short-form analyses use the {config.subjects.analysis_set} analysis set."
               if config.subjects.analysis_set else "")
        out.append(f"Analysis sets (subject-level conditions, all of which must hold): {sets}.{who}")
    if config.variables:
        kinds = {kind: [c for c, k in config.variables.items() if k == kind] for kind in ("categorical", "continuous")}
        out.append("Columns declared " + " and ".join(
            f"{kind} ({', '.join(columns)})" for kind, columns in kinds.items() if columns)
            + ": a categorical column is a factor (each value a level, never a slope) and is counted per level in "
            "the subject tables; a continuous one is a number.")
    out += [analysis_paragraph(a, config) for a in config.declared]
    return out


def analysis_paragraph(analysis: DeclaredAnalysis, config: StudyConfig) -> str:
    """One declared analysis in words: set, records, visits, model, covariance and df, LS-mean weights, contrasts,
    multiplicity."""
    conf = f"{100 * (1 - config.alpha):g}%"
    where = f"{analysis.analysis_set} analysis set" if analysis.analysis_set else "all subjects with records"
    if analysis.select:
        where += f", records with {_conditions(analysis.select)}"
    text = (f"{analysis.title} ({analysis.id}; {where}; at {', '.join(analysed_visits(analysis, config))}): "
            f"{plan_words.model(analysis, config)}.")
    method = analysis.method
    if method in ("ancova", "anova"):
        text += (f" Fitted by ordinary least squares at each visit (as R lm, SAS PROC GLM); {WEIGHTS[analysis.weights]}; "
                 f"t-based {conf} CIs.")
    elif method == "mmrm":
        options = config.models.mmrm
        chain = [analysis.covariance or options.covariance, *options.fallback]
        chain = list(dict.fromkeys(chain))
        fallback = (f" When it does not converge, {', '.join(words.COVARIANCE[s] for s in chain[1:])} are tried in "
                    "this order (the table's footnote names the structure used).") if len(chain) > 1 else ""
        gls = f" (R nlme::gls with {words.GLS[chain[0]]})" if chain[0] in words.GLS else ""
        text += (f" REML as SAS PROC MIXED with REPEATED / TYPE={words.SAS_TYPE[chain[0]]}{gls}.{fallback} "
                 f"LS means at each visit, {WEIGHTS[analysis.weights]}")
        text += ", and averaged over the visits, each visit weighted equally." if analysis.visit_average else "."
    if method in ("ancova", "anova", "mmrm"):
        contrasts = [CONTRASTS[c] for c in analysis.contrasts]
        text += f" Comparisons: {plan_words.joined(contrasts) if contrasts else 'none (LS means only)'}"
        if "dose_response" in analysis.contrasts:
            text += f" ({plan_words.dose_response(config)[0].lower()}{plan_words.dose_response(config)[1:]})"
        text += f"; {plan_words.MULTIPLICITY[analysis.multiplicity]}." if contrasts else "."
    elif method == "cmh":
        text += (" At each visit, the nonzero correlation, row mean scores differ and general association statistics "
                 "as SAS PROC FREQ CMH, with chi-square p-values; the arms in the plan's order are the rows.")
    elif method == "responder":
        text += f" At each visit; {conf} CIs; subjects without a value at the visit are not counted."
    elif method == "descriptive":
        text += " n, mean, SD, median, min and max per arm at each visit."
    return text


def summary(config: StudyConfig) -> str:
    """The declared analyses, for the report's summary; empty without any."""
    titles = [f"{a.title} ({plan_words.METHOD_NAMES[a.method]})" for a in config.declared]
    return f"Analyses of the plan: {'; '.join(titles)}." if titles else ""
