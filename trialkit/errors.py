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


class AnalysisError(TrialkitError):
    """An analysis cannot be computed from the data it was given."""


class ConvergenceError(AnalysisError):
    """An iterative fit did not reach its optimum."""


class TrialkitWarning(UserWarning):
    """Something the user should see that does not stop the run."""
