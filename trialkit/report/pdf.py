"""HTML -> PDF with WeasyPrint: the one place the report calls ``write_pdf``."""

from __future__ import annotations

import contextlib
import logging

import weasyprint

from trialkit.report import pdf_fonts
from trialkit.report.fetcher import ConfinedFetcher
from trialkit.report.templates import FIGURE_URL


@pdf_fonts.deterministic  # the same font bytes whatever optional libraries are installed
def render_pdf(html: str, *, fetcher: ConfinedFetcher | None = None, figures: int = 0) -> bytes:
    """PDF bytes from the report's HTML. Resources come only through ``fetcher`` (by default one that serves
    nothing); the document has no base URL, so a relative link resolves to nothing.

    ``figures``: how many of the report's figures the HTML shows. WeasyPrint leaves out an image it cannot
    show and only logs it; a report never goes out with a blank figure, so that raises here.
    """
    fetcher = fetcher or ConfinedFetcher()
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None)
    with _figure_errors() as failed:
        pdf = document.write_pdf()
    shown = {url for url in fetcher.served if url.startswith(FIGURE_URL.format(""))}
    if failed or len(shown) < figures:
        raise RuntimeError(f"WeasyPrint could not show the report's figures ({len(shown)} of {figures} fetched): "
                           f"{failed}")
    return pdf


@contextlib.contextmanager
def _figure_errors():
    """WeasyPrint's errors about the report's figures, logged while it renders."""
    failed: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR and FIGURE_URL.format("") in record.getMessage():
                failed.append(record.getMessage())

    logger, handler = logging.getLogger("weasyprint"), _Collect()
    logger.addHandler(handler)
    try:
        yield failed
    finally:
        logger.removeHandler(handler)
