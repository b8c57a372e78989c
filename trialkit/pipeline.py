"""The stages of a run, in order: load, validate, derive, analyse (the ARD), render the report, manifest, publish."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trialkit.config import StudyConfig, load_config
from trialkit.derivations import derive
from trialkit.findings import issues_to_csv
from trialkit.loaders import load_study
from trialkit.publish import output_folder, publish
from trialkit.report import render_report
from trialkit.results import ard_to_csv, build_ard
from trialkit.results.estimability import not_estimable
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


def findings_of(checked: ValidatedStudy, ard: pd.DataFrame, model_findings=()) -> pd.DataFrame:
    """``data_issues.csv``: the data findings, what the declared analyses' models said (``model_findings``,
    collected by :func:`trialkit.results.build_ard`), then what the analyses could not estimate (check
    ``not_estimable``, :func:`trialkit.results.estimability.not_estimable`)."""
    return pd.concat([checked.issues_frame(), *model_findings, not_estimable(ard)], ignore_index=True)


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
              executor=None) -> RunResult:
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
    executor : optional
        Renders the report (see :func:`trialkit.report.render_report`): by default in this process. The
        command line passes a render process it started before importing the analysis libraries
        (:func:`trialkit.report.processes.start_executor`). The run closes it when it ends.

    Raises
    ------
    TrialkitError
        Bad configuration or data, or an output folder trialkit must not write (:mod:`trialkit.publish`).
        Nothing is written then: the outputs replace the folder's contents in one step only when the whole
        run has succeeded.
    """
    from trialkit.report.render import InProcessExecutor

    executor = executor or InProcessExecutor()
    try:
        progress("reading configuration")
        config = load_config(study)
        with output_folder(out_dir, config) as out:  # refused unless trialkit may write it; locked for the run
            return _run(config, _load_and_validate(config, progress), out, progress, executor)
    finally:
        executor.close()


def _run(config: StudyConfig, checked: ValidatedStudy, out: Path, progress: Progress, executor) -> RunResult:
    from trialkit import manifest as manifests

    checked.raise_for_errors()
    progress("deriving baseline and change")
    derived = derive(checked, config)
    progress("analysing")
    model_findings: list[pd.DataFrame] = []
    ard = build_ard(derived, checked.subjects, config, findings=model_findings)
    issues = findings_of(checked, ard, model_findings)
    manifest = manifests.build(config)
    progress("rendering report")
    report = render_report(ard, issues, config, manifest, executor=executor)
    progress("writing outputs")
    contents = {
        "report.pdf": report.files["report.pdf"],
        "report.html": report.files["report.html"],
        "ard.csv": ard_to_csv(ard).encode("utf-8"),
        "data_issues.csv": issues_to_csv(issues).encode("utf-8"),
        **report.files,
    }
    contents["manifest.json"] = manifests.to_json(manifests.with_outputs(manifest, contents, report.environment))
    files = publish(out, contents)
    return RunResult(out_dir=out, files=files, ard=ard, issues=issues, fetched=report.fetched, refused=report.refused)
