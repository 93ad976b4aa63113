"""Errors that stop a run, each with a plain-English message and a documented exit status.

Fatal errors never print a traceback: the CLI catches ``LongerlivesError``, prints
``str(exc)`` and exits with ``exc.exit_code`` (``--debug`` shows the traceback).
Messages name files, rows and columns, never patient data.

Exit statuses follow BSD ``sysexits.h`` so that cron, systemd and the scheduler can
tell them apart (``docs/operations.md``):

====  ==================  ===================================================
code  name                meaning
====  ==================  ===================================================
0     ok                  the run finished (rows may have been quarantined)
64    usage               a command-line option is wrong or missing
65    bad input           the register extract cannot be used (file-level)
69    dependency          an optional dependency is not installed (PDF letters)
70    internal            a bug: please report it (traceback with ``--debug``)
74    input/output        a file or folder cannot be read or written (disk full,
                          read-only, permissions, not a folder longerlives made)
75    locked              another run holds the lock; try again later
76    store               the run store cannot be opened, reached or used
78    configuration       a configuration file or value is wrong
130   interrupted         Ctrl-C
====  ==================  ===================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_USAGE = 64
EXIT_BAD_INPUT = 65
EXIT_DEPENDENCY = 69
EXIT_INTERNAL = 70
EXIT_IO = 74
EXIT_LOCKED = 75
EXIT_STORE = 76
EXIT_CONFIG = 78
EXIT_INTERRUPTED = 130

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "ok",
    EXIT_USAGE: "usage",
    EXIT_BAD_INPUT: "bad input",
    EXIT_DEPENDENCY: "missing dependency",
    EXIT_INTERNAL: "internal error",
    EXIT_IO: "input/output",
    EXIT_LOCKED: "locked",
    EXIT_STORE: "run store",
    EXIT_CONFIG: "configuration",
    EXIT_INTERRUPTED: "interrupted",
}


class LongerlivesError(Exception):
    """Base class: a problem the user can fix, reported without a traceback."""

    exit_code = EXIT_INTERNAL


class UsageError(LongerlivesError):
    """An option given on the command line is wrong (a date out of range, a bad NHS number)."""

    exit_code = EXIT_USAGE


class ExtractError(LongerlivesError):
    """The register extract cannot be read (missing file/column, unparseable, ambiguous)."""

    exit_code = EXIT_BAD_INPUT


class ConfigError(LongerlivesError):
    """A configuration value is missing or not what was expected."""

    exit_code = EXIT_CONFIG


class CodelistError(ConfigError):
    """A code list is missing, malformed or does not match its manifest."""

    exit_code = EXIT_CONFIG


class StoreError(LongerlivesError):
    """The run store cannot be opened, reached or written (bad URL, server down, no such store)."""

    exit_code = EXIT_STORE


class OutputError(LongerlivesError):
    """A file or folder cannot be written or read (disk full, read-only, permissions, not ours)."""

    exit_code = EXIT_IO


class DependencyError(LongerlivesError):
    """An optional dependency needed for what was asked is not installed."""

    exit_code = EXIT_DEPENDENCY


class RunLockedError(LongerlivesError):
    """Another run already holds the lock for this output folder or store."""

    exit_code = EXIT_LOCKED
