"""ARD -> context dicts -> Jinja templates -> HTML -> PDF.

Names are imported on first use, so that the render process (:mod:`trialkit.report.worker`) can import
this package without pandas.
"""

from __future__ import annotations

import importlib

_NAMES = {"build_context": "trialkit.report.context", **{
    name: "trialkit.report.render" for name in ("environment", "fmt_ci", "fmt_num", "fmt_p", "render_html",
                                               "render_pdf")}}

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
