"""Scratch folders of the benchmarks, deleted only once every measurement is over (issue 16, session 8).

Why: on ext4 without a journal (this machine's root file system: no ``jbd2``, see
``/proc/fs/ext4/*/options``), the kernel will not reuse an inode deleted less than 60 seconds ago,
or 300 seconds if its inode-table block is dirty again (``fs/ext4/ialloc.c``,
``recently_deleted``), and checks every such free inode one by one while it looks for a free one.
After the 90,000 letter files of one 100,000-person run were deleted, creating the next run's
letters cost up to 30 CPU-s of system time instead of 3 (``perf``: ``find_inode_bit`` →
``recently_deleted`` → ``find_get_block_common``). A benchmark that deletes one run's outputs
just before the next run measured that, not the engine: the 15-33 CPU-s of system time that
varied from run to run in sessions 6 and 7.

So ``make bench`` (``run_all.py``) sets ``BENCH_TRASH`` to a folder of its own. With it set,
``scratch`` makes folders inside it and ``discard`` moves a folder into it (a rename: no inode is
freed), and ``run_all`` deletes the whole folder at the very end. Without it (a script run
alone), ``scratch`` is ``tempfile.mkdtemp`` and ``discard`` deletes at once.

A nightly run is not affected: it deletes the previous night's outputs at its end, a day before
the next night's letters are written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

TRASH_ENV = "BENCH_TRASH"


def trash() -> Path | None:
    value = os.environ.get(TRASH_ENV)
    return Path(value) if value else None


def scratch(prefix: str) -> Path:
    """A new empty folder: inside the bench's trash when there is one (deleted at the bench's end)."""
    folder = trash()
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=folder))


def discard(path: Path) -> None:
    """Delete ``path`` — later, with the bench's trash, when there is one; now otherwise."""
    if not path.exists():
        return
    folder = trash()
    if folder is None:
        _delete_now(path)
        return
    if folder.resolve() in path.resolve().parents:
        return  # already in the trash
    folder.mkdir(parents=True, exist_ok=True)
    try:
        path.rename(folder / f"{path.name}-{uuid.uuid4().hex[:8]}")
    except OSError:  # another file system: deleted now
        _delete_now(path)


def _delete_now(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def empty_trash() -> None:
    folder = trash()
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
