"""Rendering a built report: the steps, and the in-process executor that runs them one after another.

A :class:`RenderJob` is plain, picklable data (the typed report, the folder its study's templates come from
and the logo file). Its steps: draw the figures (matplotlib), make the PDF (Jinja and WeasyPrint, showing the figures),
make the HTML report (the figures inline) and the RTF tables. :class:`InProcessExecutor` is the reference;
:mod:`trialkit.report.processes` runs the same steps in a second process, with the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from trialkit.report.spec import Report


@dataclass(frozen=True)
class RenderJob:
    report: Report
    #: the study's own templates folder, resolved and inside the study folder (:mod:`trialkit.confined`), if any
    study_templates: Path | None = None
    #: the study's logo file, resolved and inside the study folder, if any: the one file besides stylesheets and
    #: fonts of the template folders that the PDF may fetch
    logo: Path | None = None


@dataclass(frozen=True)
class PdfResult:
    pdf: bytes
    #: the URLs the PDF's fetcher served (the report's figures, a logo) and refused
    served: tuple[str, ...]
    refused: tuple[str, ...]
    #: what of the process that made the PDF shaped its bytes (:func:`trialkit.report.pdf_fonts.environment`)
    environment: dict | None = None


@dataclass(frozen=True)
class ReportOutputs:
    """What the report made: ``files`` by name (``report.pdf``, ``report.html``, ``tables/t_14_1_1.rtf``, ...),
    what the PDF's fetcher served and refused, and the libraries and fonts the PDF was made with (for the
    manifest)."""

    files: dict[str, bytes] = field(default_factory=dict)
    fetched: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()
    environment: dict | None = None


def draw_figures(job: RenderJob) -> list[str]:
    """SVG text of each figure, in report order ("" for a figure not drawn)."""
    from trialkit.report.figures import draw

    return [draw(figure.plot) if figure.plot is not None else "" for figure in job.report.figures]


def make_pdf(job: RenderJob, svgs: list[str]) -> PdfResult:
    """The PDF, showing the drawn figures."""
    from trialkit.report import pdf_fonts
    from trialkit.report.fetcher import ConfinedFetcher
    from trialkit.report.pdf import render_pdf
    from trialkit.report.templates import FIGURE_URL, packaged_templates, render_html

    html = render_html(job.report, study_templates=job.study_templates, medium="pdf")
    fetcher = ConfinedFetcher(packaged_templates(), job.study_templates, files=[job.logo], figures=svgs)
    # every figure drawn must show; a study's own templates may leave some out (then those they show must)
    shown = [k for k, svg in enumerate(svgs) if svg and (job.study_templates is None
                                                         or f'src="{FIGURE_URL.format(k)}"' in html)]
    pdf = render_pdf(html, fetcher=fetcher, figures=len(shown))
    return PdfResult(pdf, tuple(fetcher.served), tuple(fetcher.refused), pdf_fonts.environment())


def make_html(job: RenderJob, svgs: list[str]) -> bytes:
    """The HTML report, its figures inline."""
    from trialkit.report.templates import render_html

    return render_html(job.report, study_templates=job.study_templates, medium="html", svgs=svgs).encode("utf-8")


def make_rtf(job: RenderJob) -> dict[str, bytes]:
    """Each table as an RTF file."""
    from trialkit.report.rtf import tables_to_rtf

    return tables_to_rtf(job.report)


def outputs(pdf: PdfResult, html: bytes, rtf: dict[str, bytes]) -> ReportOutputs:
    return ReportOutputs({"report.pdf": pdf.pdf, "report.html": html, **rtf}, pdf.served, pdf.refused, pdf.environment)


class InProcessExecutor:
    """Renders a job in this process, step after step: the reference."""

    def render(self, job: RenderJob) -> ReportOutputs:
        svgs = draw_figures(job)
        return outputs(make_pdf(job, svgs), make_html(job, svgs), make_rtf(job))

    def close(self) -> None:
        """Nothing to stop."""
