"""The Jinja environment and the report's HTML: the HTML report itself, and the source of the PDF.

The environment is sandboxed (a study's own templates are files someone sent, not code to trust: see
:mod:`trialkit.report.sandbox`), escapes every value, and fails on an undefined name. A study's
``templates/`` folder overrides the packaged templates file by file.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

from trialkit.errors import TrialkitError
from trialkit.report.formatting import FILTERS
from trialkit.report.monospace import monospace
from trialkit.report.sandbox import render, report_sandbox
from trialkit.report.spec import Report

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SOURCE_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
#: how the PDF's HTML names figure k (in report order); the PDF's URL fetcher serves the drawn figures
FIGURE_URL = "trialkit-figure:{}"


def packaged_templates() -> Path:
    """The templates folder: inside the installed wheel, or the repository's top-level ``templates/``."""
    for candidate in (PACKAGE_TEMPLATES, SOURCE_TEMPLATES):
        if (candidate / "report.html.j2").is_file():
            return candidate
    raise TrialkitError("trialkit's report templates are missing from the installation; reinstall trialkit")


def environment(study_templates: Path | None = None) -> jinja2.Environment:
    """The Jinja environment (:mod:`trialkit.report.sandbox`): a study's own ``templates/`` folder (resolved
    and inside the study folder: :func:`trialkit.confined.study_templates`) overrides the packaged files. One
    per folder and process, so that each template is compiled once."""
    return _environment(_folder(study_templates))


def _folder(study_templates: Path | None) -> Path | None:
    return study_templates.resolve() if study_templates is not None and study_templates.is_dir() else None


@functools.lru_cache(maxsize=16)
def _environment(study_templates: Path | None) -> jinja2.Environment:
    env = report_sandbox([folder for folder in (study_templates, packaged_templates()) if folder])
    env.add_filters({**FILTERS, "monospace": monospace})
    return env


def render_html(report: Report, *, study_templates: Path | None = None, medium: str = "html",
                svgs: list[str] | None = None) -> str:
    """The report's HTML.

    ``medium="html"``: the HTML report, with ``svgs`` (figure k's SVG text, in report order) inline and the
    tables as HTML tables. ``medium="pdf"``: the source of the PDF, each figure an image that the PDF's
    fetcher serves (:data:`FIGURE_URL`), the tables as monospaced lines.
    """
    from markupsafe import Markup

    shown = {}
    for k, figure in enumerate(report.figures):
        if figure.plot is None:
            shown[figure.number] = Markup("")
        elif medium == "html":
            shown[figure.number] = Markup((svgs or [])[k])
        else:
            shown[figure.number] = Markup(f'<img class="figure" src="{FIGURE_URL.format(k)}" alt="">')
    folder = _folder(study_templates)
    return render(_environment(folder), "report.html.j2", folder, report=report, medium=medium, figures=shown)
