"""Patient-identifiable files are private to the account that runs longerlives (issue 12).

Everything a run writes — outputs, letters, worklists, exports, the outbox, the SQLite
run store and its state folder, the lock files — is created 0600 (files) / 0700
(folders) whatever the operator's umask: ``private_files`` sets the process umask to
077 for the length of the call and restores it afterwards. Folders and files that
already existed from an older version are tightened with ``tighten``.
"""

from __future__ import annotations

import functools
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from longerlives.paths import STATE_DIR_NAME  # noqa: E402

PRIVATE_UMASK = 0o077
# Folders a run must never change, even as root (the store or outputs may be named inside them).
SYSTEM_DIRS = frozenset(
    {
        "/",
        "/dev",
        "/dev/shm",
        "/tmp",
        "/var",
        "/var/tmp",
        "/etc",
        "/usr",
        "/run",
        "/proc",
        "/sys",
        "/home",
        "/root",
        "/work",
    }
)
FILE_MODE = 0o600
DIR_MODE = 0o700

P = ParamSpec("P")
R = TypeVar("R")
_depth = 0
_guard = threading.Lock()
_saved: int | None = None


def private_files(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with umask 077 (re-entrant; the outermost call restores the old umask)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        global _depth, _saved
        with _guard:
            if _depth == 0:
                _saved = os.umask(PRIVATE_UMASK)
            _depth += 1
        try:
            return func(*args, **kwargs)
        finally:
            with _guard:
                _depth -= 1
                if _depth == 0 and _saved is not None:
                    os.umask(_saved)
                    _saved = None

    return wrapper


def tighten(path: Path) -> None:
    """Make an existing regular file 0600 / folder 0700 when it is ours and looser; never raises.

    Never a device, socket or other special file (``--db sqlite:////dev/full`` must not make
    /dev/full private), and never a system folder."""
    try:
        st = path.lstat()
        if st.st_uid != os.getuid() or not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            return
        if stat.S_ISDIR(st.st_mode) and str(path.resolve()) in SYSTEM_DIRS:
            return
        want = DIR_MODE if stat.S_ISDIR(st.st_mode) else FILE_MODE
        if stat.S_IMODE(st.st_mode) & 0o077:
            path.chmod(want)
    except OSError:
        return


def tighten_store(db_url: str) -> None:
    """The SQLite run store, its WAL/SHM files and its folder — the folder only when it is a
    longerlives state folder (``.longerlives-state``): an operator's own folder is left alone."""
    if not db_url.startswith("sqlite") or "///" not in db_url:
        return
    db = db_url.split("///", 1)[1]
    if not db or db == ":memory:":
        return
    path = Path(db)
    if path.parent.name == STATE_DIR_NAME:
        tighten(path.parent)
    for suffix in ("", "-wal", "-shm", "-journal"):
        tighten(path.with_name(path.name + suffix))
