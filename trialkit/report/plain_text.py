"""Labels drawn as plain text: the report shows a visit, measure, group or subject exactly as written.

:func:`trialkit.report.render_report` applies :func:`plain` to the whole report, so that its HTML, PDF, RTF
tables and figures show a control character or a bidi override (which would reorder the text after it:
"Trojan Source") from a data file or study.yaml alike, as its escape.

matplotlib reads ``$...$`` in any text as math (``"Cost $5 to $10"`` set in italics without its dollars, a
bad formula an exception); :mod:`trialkit.report.figures` turns that off (``text.parse_math``, and LaTeX).
A control character (an ANSI escape, a NUL, a bidi override) cannot be written into the SVG (XML refuses
most of them) and would draw nothing or reorder the text: :func:`plain` writes each as its escape, as
messages do (:func:`trialkit.errors.shown`); line breaks that trialkit itself puts into a label stay.
"""

from __future__ import annotations

import dataclasses
import unicodedata


def drawable(text: str) -> str:
    r"""``text`` with every control or format character but a line break written as its escape.

    >>> drawable("Week\x1b[2J 1\n(lower = better)")
    'Week\\x1b[2J 1\n(lower = better)'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == "\n" or unicodedata.category(c) == "Zs" else repr(c)[1:-1]
                   for c in text)


def plain(value):
    """``value`` (a plot of :mod:`trialkit.report.spec`, or any of its parts) with :func:`drawable` applied
    to every text in it."""
    if isinstance(value, str):
        return drawable(value)
    if isinstance(value, tuple):
        return tuple(plain(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value
