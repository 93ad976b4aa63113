"""Turn an unexpected exception into one clear, patient-data-free sentence and an exit code.

The CLI calls ``explain(exc)`` for anything that is not already a ``LongerlivesError``:
disk full, read-only disk, permissions, an unreachable or mistyped database, a missing
optional dependency. Whatever is left is an internal error (exit 70) and says to rerun
with ``--debug`` for the traceback. Ten-digit numbers (NHS numbers in letter paths) are
masked in every message.
"""

from __future__ import annotations

import errno
import re

from longerlives.errors import (
    ConfigError,
    DependencyError,
    LongerlivesError,
    OutputError,
    StoreError,
)

_NHS_LIKE = re.compile(r"(?<![0-9])[0-9]{10}(?![0-9])")
_IO_HINTS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a path component is not a folder",
    errno.EISDIR: "is a folder, not a file",
    errno.EIO: "a hardware input/output error",
}


def io_hint(code: int | None, default: str) -> str:
    """The plain words for a system error number (``default`` for one not listed)."""
    return _IO_HINTS.get(code or -1, default)


def mask(text: str) -> str:
    """Mask anything that looks like an NHS number."""
    return _NHS_LIKE.sub("<nhs-number>", text)


def _store_error(exc: BaseException) -> LongerlivesError | None:
    try:
        import sqlalchemy.exc as sa_exc
    except ImportError:  # pragma: no cover - sqlalchemy is a dependency
        return None
    if isinstance(exc, sa_exc.ArgumentError):
        return StoreError(
            f"the run store URL is not valid ({mask(str(exc).splitlines()[0][:160])}); "
            "expected e.g. sqlite:////path/runs.sqlite or postgresql+psycopg://user@host/db"
        )
    if isinstance(exc, sa_exc.NoSuchModuleError):
        return StoreError(
            "the run store URL names a database driver that is not installed; "
            "use sqlite:///... or postgresql+psycopg://..."
        )
    if isinstance(exc, sa_exc.OperationalError):
        first = str(getattr(exc, "orig", exc)).strip().splitlines()
        detail = mask(first[0][:200]) if first else type(exc).__name__
        if "readonly" in detail or "read-only" in detail:
            return OutputError(f"the run store cannot be written: {detail}")
        if "disk" in detail and "full" in detail:
            return OutputError(f"the run store cannot be written: {detail}")
        return StoreError(f"the run store cannot be reached or used: {detail}")
    if isinstance(exc, sa_exc.SQLAlchemyError):
        return StoreError(f"the run store failed ({type(exc).__name__}); rerun with --debug for details")
    return None


def explain(exc: BaseException) -> LongerlivesError | None:
    """A ``LongerlivesError`` describing ``exc`` (None when we cannot say more than "internal error")."""
    if isinstance(exc, LongerlivesError):
        return exc
    store = _store_error(exc)
    if store is not None:
        return store
    if isinstance(exc, (ModuleNotFoundError, ImportError)):
        name = getattr(exc, "name", None) or "a module"
        if name.split(".")[0] in {"weasyprint", "pydyf", "tinycss2", "cffi"} or "weasyprint" in str(exc).lower():
            return DependencyError(
                "PDF letters need WeasyPrint and its system libraries: "
                "pip install 'longerlives[pdf]' (and apt-get install libpango-1.0-0), "
                "or run without --pdf"
            )
        return DependencyError(f"a required module is missing ({name}); reinstall longerlives")
    if isinstance(exc, OSError):
        # OSError before UnicodeError checks: file problems are input/output, whatever the call.
        hint = _IO_HINTS.get(exc.errno or -1, exc.strerror or type(exc).__name__)
        where = f" ({mask(str(exc.filename))})" if exc.filename else ""
        return OutputError(f"cannot read or write a file: {hint}{where}")
    if isinstance(exc, UnicodeDecodeError):
        return ConfigError(f"a text file is not UTF-8 ({exc.reason} at byte {exc.start})")
    if isinstance(exc, MemoryError):
        return OutputError("the machine ran out of memory")
    return None
