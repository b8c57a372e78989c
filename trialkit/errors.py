"""Exceptions and warnings a user can act on.

Every error that comes from the user's input (configuration or data) is a
:class:`TrialkitError`; the command line prints its message and exits with
status 2, never a traceback.
"""

from __future__ import annotations


class TrialkitError(Exception):
    """Base class for errors caused by the study's configuration or data."""

    exit_code = 2


class ConfigError(TrialkitError):
    """study.yaml is missing, malformed or inconsistent with the data."""


class DataError(TrialkitError):
    """An input file cannot be read or holds values that make the analysis meaningless."""


class TemplateError(TrialkitError):
    """A study's own report template cannot be read or rendered: a syntax error, an undefined name, something
    the sandbox refuses, a file outside its templates folder. The message names the template file and line."""


class AnalysisError(TrialkitError):
    """An analysis cannot be computed from the data it was given."""


class ConvergenceError(AnalysisError):
    """An iterative fit did not reach its optimum."""


class TrialkitWarning(UserWarning):
    """Something the user should see that does not stop the run."""


#: how many characters of a value a message quotes before it summarises the rest
SHOWN_LIMIT = 120


def shown(value: object, *, quote: bool = False, limit: int | None = SHOWN_LIMIT) -> str:
    r"""A value from a user's file as a message shows it: control characters (an ANSI escape, a NUL, a
    carriage return, a bidi override) written as escapes such as ``\x1b``, so that nothing a data value
    holds reaches the terminal as a control sequence; a value longer than ``limit`` characters is cut.

    ``quote=True`` quotes it as ``repr`` does (``'S1'``). Newlines are escaped too: a value is one line
    of a message.

    >>> print(shown("AVAL\x1b[31m"), shown("Week 1", quote=True), shown("x" * 200, limit=3))
    AVAL\x1b[31m 'Week 1' xxx... (200 characters)
    """
    text = value if isinstance(value, str) else str(value)
    suffix = ""
    if limit is not None and len(text) > limit:
        text, suffix = text[:limit], f"... ({len(text):,} characters)"
    if quote:
        return repr(text) + suffix
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text) + suffix


def shown_message(message: str) -> str:
    """A whole multi-line message with every control character but the line breaks escaped: the command
    line passes everything it prints through this, whatever a message's author quoted."""
    return "\n".join(shown(line, limit=None) for line in message.split("\n"))
