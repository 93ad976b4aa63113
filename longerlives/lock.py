"""A cross-process lock so two runs against one store never overlap.

``run_lock(target)`` takes a state folder, a SQLite URL (locks ``run.lock`` in the
folder holding the database file) or a PostgreSQL URL (``pg_try_advisory_lock`` on
a dedicated connection held for the whole run). It never waits: if another process
holds the lock it raises ``RunLockedError`` at once.

Only ``longerlives.pipeline.run`` takes it (the scheduler and the CLI call ``run``).
A second attempt from another thread of the same process is refused like another
process would be (``flock`` locks belong to the open file, so each attempt opens its own).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from longerlives.errors import OutputError, RunLockedError

log = logging.getLogger(__name__)
LOCK_FILE = "run.lock"


def _is_url(target: str) -> bool:
    return "://" in target


def lock_key(target: str | os.PathLike[str]) -> str:
    """A stable identity for what is being locked (a lock file path or a database)."""
    t = str(target)
    if _is_url(t):
        if t.startswith("sqlite"):
            db = t.split("///", 1)[1] if "///" in t else ""
            if not db or db == ":memory:":
                raise ValueError("an in-memory SQLite store cannot be locked across processes")
            return str(Path(db).resolve().parent / LOCK_FILE)
        from sqlalchemy.engine import make_url

        u = make_url(t)
        return f"pg:{u.host}:{u.port or 5432}/{u.database}"
    return str(Path(t).resolve() / LOCK_FILE)


def advisory_key(db_key: str) -> int:
    """A signed 64-bit key for pg_try_advisory_lock, stable across processes."""
    return int.from_bytes(hashlib.sha256(f"longerlives-run:{db_key}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a+")  # noqa: SIM115
    except PermissionError:
        raise OutputError(
            f"the run store's folder {path.parent} cannot be written (permission denied on {path.name}); "
            "run longerlives as the account that owns the run store"
        ) from None
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLockedError(f"another run holds the lock {path}; not starting a second one") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()


@contextmanager
def _pg_lock(url: str, key: str) -> Iterator[None]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    k = advisory_key(key)
    try:
        with engine.connect() as conn:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": k}).scalar()
            conn.commit()
            if not got:
                raise RunLockedError("another run holds the run store's advisory lock; not starting a second one")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": k})
                conn.commit()
    finally:
        engine.dispose()


@contextmanager
def run_lock(target: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the run lock for ``target`` (state folder or store URL) or raise RunLockedError."""
    t = str(target)
    key = lock_key(t)
    cm = _pg_lock(t, key) if key.startswith("pg:") else _file_lock(Path(key))
    with cm:
        log.info("run lock acquired")
        try:
            yield
        finally:
            log.info("run lock released")
