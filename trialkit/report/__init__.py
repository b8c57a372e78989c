"""ARD -> context dicts -> Jinja templates -> HTML -> PDF."""

from trialkit.report.context import build_context
from trialkit.report.render import environment, fmt_ci, fmt_num, fmt_p, render_html, render_pdf

__all__ = ["build_context", "environment", "fmt_ci", "fmt_num", "fmt_p", "render_html", "render_pdf"]
