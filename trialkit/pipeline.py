"""The stages of a run, in order: config -> load -> validate -> derive -> analyse -> report -> write."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from trialkit.config import StudyConfig, load_config
from trialkit.derivations import derive
from trialkit.loaders import load_study
from trialkit.results import ard_to_csv, build_ard
from trialkit.validation import ValidatedStudy, validate

Progress = Callable[[str], None]
OUTPUT_FILES = ("report.pdf", "report.html", "ard.csv", "data_issues.csv", "manifest.json")


def _quiet(message: str) -> None:
    pass


def check_study(study: str | Path, *, progress: Progress = _quiet) -> tuple[StudyConfig, ValidatedStudy]:
    """Load the configuration and data and validate them, without stopping on fatal findings."""
    progress("reading configuration")
    config = load_config(study)
    progress("loading data")
    data = load_study(config)
    progress("validating")
    return config, validate(data, config)


@dataclass(frozen=True)
class RunResult:
    """What a run wrote and what it found."""

    out_dir: Path
    files: dict[str, Path]
    ard: pd.DataFrame
    issues: pd.DataFrame


def _write_atomically(out_dir: Path, contents: dict[str, bytes]) -> dict[str, Path]:
    """Write every file to a temporary name first, then move them all into place."""
    out_dir.mkdir(parents=True, exist_ok=True)
    umask = os.umask(0)
    os.umask(umask)
    staged = {}
    try:
        for name, data in contents.items():
            target = out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; outputs get the usual permissions
            staged[name] = Path(tmp)
    except BaseException:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        raise
    written = {}
    for name, tmp in staged.items():
        os.replace(tmp, out_dir / name)
        written[name] = out_dir / name
    return written


def run_study(study: str | Path, out_dir: str | Path | None = None, *, progress: Progress = _quiet) -> RunResult:
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

    Raises
    ------
    TrialkitError
        Bad configuration or data. Nothing is written in that case.
    """
    from trialkit import manifest as manifests
    from trialkit.report import build_context, render, render_html, render_pdf
    from trialkit.report.rtf import tables_to_rtf

    config, checked = check_study(study, progress=progress)
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
    html = render_html(context, study_templates=study_templates)
    pdf = render_pdf(html, fetcher=render.ConfinedFetcher(render.packaged_templates(), study_templates))
    progress("writing outputs")
    out = Path(out_dir) if out_dir is not None else config.root / "output"
    contents = {
        "report.pdf": pdf,
        "report.html": html.encode("utf-8"),
        "ard.csv": ard_to_csv(ard).encode("utf-8"),
        "data_issues.csv": issues.to_csv(index=False, lineterminator="\n").encode("utf-8"),
        **tables_to_rtf(context),
    }
    contents["manifest.json"] = manifests.to_json(manifests.with_outputs(manifest, contents))
    files = _write_atomically(out, contents)
    return RunResult(out_dir=out, files=files, ard=ard, issues=issues)
