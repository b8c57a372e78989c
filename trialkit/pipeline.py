"""The stages of a run, in order: config -> load -> validate -> derive -> analyse -> report -> write."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trialkit.config import StudyConfig, load_config
from trialkit.derivations import derive
from trialkit.loaders import load_study
from trialkit.publish import output_folder, publish
from trialkit.report.worker import Renderers
from trialkit.results import ard_to_csv, build_ard
from trialkit.validation import ValidatedStudy, validate

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


def check_study(study: str | Path, *, progress: Progress = _quiet) -> tuple[StudyConfig, ValidatedStudy]:
    """Load the configuration and data and validate them, without stopping on fatal findings."""
    progress("reading configuration")
    config = load_config(study)
    return config, _load_and_validate(config, progress)


def _load_and_validate(config: StudyConfig, progress: Progress) -> ValidatedStudy:
    progress("loading data")
    data = load_study(config)
    progress("validating")
    return validate(data, config)


@dataclass(frozen=True)
class RunResult:
    """What a run wrote and what it found."""

    out_dir: Path
    files: dict[str, Path]
    ard: pd.DataFrame
    issues: pd.DataFrame
    #: what the PDF's URL fetcher served (the report's figures, a logo) and refused
    fetched: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()


def run_study(study: str | Path, out_dir: str | Path | None = None, *, progress: Progress = _quiet,
              renderers: Renderers | None = None) -> RunResult:
    """Run a study end to end and write ``report.pdf``, ``report.html``, ``ard.csv``, ``data_issues.csv``,
    each table as ``tables/t_14_x_y.rtf``, and ``manifest.json``.

    Parameters
    ----------
    study : str or Path
        A folder holding study.yaml, or the yaml file itself.
    out_dir : str or Path, optional
        Where to write; default ``<study folder>/output``.
    progress : callable, optional
        Called with the name of each stage as it starts.
    renderers : Renderers, optional
        Render processes started earlier (:meth:`trialkit.report.worker.Renderers.start`; the command line
        starts them before it imports the analysis libraries). By default they are started here. The run
        takes them over and stops them.

    Raises
    ------
    TrialkitError
        Bad configuration or data, or an output folder trialkit must not write (:mod:`trialkit.publish`).
        Nothing is written then: the outputs replace the folder's contents in one step only when the whole
        run has succeeded.
    """
    renderers = renderers or Renderers.start()
    try:
        progress("reading configuration")
        config = load_config(study)
        with output_folder(out_dir, config) as out:  # refused unless trialkit may write it; locked for the run
            return _run(config, _load_and_validate(config, progress), out, progress, renderers)
    finally:
        renderers.close()


def _run(config: StudyConfig, checked: ValidatedStudy, out: Path, progress: Progress,
         renderers: Renderers) -> RunResult:
    from trialkit import manifest as manifests
    from trialkit.report import build_context, figures, render, rtf

    checked.raise_for_errors()
    progress("deriving baseline and change")
    derived = derive(checked, config)
    progress("analysing")
    ard = build_ard(derived, checked.subjects, config)
    issues = checked.issues_frame()
    progress("rendering report")
    manifest = manifests.build(config)
    context = build_context(ard, issues, config, manifest)
    study_templates = config.root / "templates"
    logo = (config.root / config.study.logo).resolve() if config.study.logo else None
    specs = [figure["spec"] for measure in context["measures"] for figure in measure["figures"]]
    job = {"context": context, "study_templates": str(study_templates),
           "folders": [str(f) for f in (render.packaged_templates(), study_templates, logo) if f is not None],
           "figure_sizes": [figures.size(spec) if spec is not None else None for spec in specs]}

    def meanwhile(svgs: list[str]) -> dict[str, bytes]:  # while the PDF is made in the render process
        html = render.render_html(context, study_templates=study_templates, medium="html", svgs=svgs)
        return {
            "report.html": html.encode("utf-8"),
            "ard.csv": ard_to_csv(ard).encode("utf-8"),
            "data_issues.csv": issues.to_csv(index=False, lineterminator="\n").encode("utf-8"),
        }

    rendered, tables, contents = renderers.render(job, specs, rtf.report_tables(context), meanwhile)
    progress("writing outputs")
    contents = {"report.pdf": rendered["pdf"], **contents, **tables}
    contents["manifest.json"] = manifests.to_json(manifests.with_outputs(manifest, contents, rendered.get("environment")))
    files = publish(out, contents)
    return RunResult(out_dir=out, files=files, ard=ard, issues=issues, fetched=tuple(rendered["served"]),
                     refused=tuple(rendered["refused"]))
