"""Errors that stop a run, each with a plain-English message and an exit status.

Fatal errors never print a traceback: the CLI catches ``LongerlivesError``, prints
``str(exc)`` and exits with ``exc.exit_code``. Messages name files and columns,
never patient data.
"""

from __future__ import annotations


class LongerlivesError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""

    exit_code = 1


class ExtractError(LongerlivesError):
    """The register extract cannot be read (missing file/column, unparseable, ambiguous)."""

    exit_code = 2


class ConfigError(LongerlivesError):
    """A configuration value is missing or not what was expected."""

    exit_code = 3


class CodelistError(LongerlivesError):
    """A code list is missing, malformed or does not match its manifest."""

    exit_code = 4


class RunLockedError(LongerlivesError):
    """Another run already holds the lock for this state folder."""

    exit_code = 75
