"""The output folder belongs to longerlives, and longerlives only ever deletes what it made (issue 12).

* Every output folder longerlives makes holds a marker file, ``.longerlives-output``.
  A run replaces an existing ``--out`` only when it holds the marker or is empty. Any
  other folder — someone's notes, the extract itself — is refused with exit status 74
  and left alone. An output folder of a version before the marker (``run.json`` with a
  ``run_id`` and ``engine_version``, no marker) is refused too, never silently taken
  because a ``run.json`` looks like ours: the operator adopts it once with
  ``--adopt-out`` (the marker is then written into it) or moves it away.
* ``--out`` may not be the extract folder or a folder that contains it.
* ``out_lock`` holds ``.<out name>.lock`` beside the output folder for the whole run:
  two runs into one ``--out`` never both deliver, even with different run stores.
* Debris of a killed run (``.<out>.staging-*``, ``.<out>.old-*`` beside the output
  folder) is removed by the next run; if a run was killed in the middle of the swap
  (output folder gone, old one set aside) the old outputs are put back first.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from longerlives.errors import OutputError, RunLockedError

log = logging.getLogger(__name__)
MARKER = ".longerlives-output"
# What a run writes at the top of its output folder: ``--adopt-out`` takes over only a folder
# holding nothing else (an extra file may be someone's and would be deleted with the folder).
OUTPUT_NAMES = frozenset(
    {
        "flags.csv",
        "patients.csv",
        "quarantine.csv",
        "run.json",
        "risk-scores-DISCLAIMER.txt",
        "worklists",
        "letters",
        "letter-batches",
        "exports",
        "report",
        ".run.json.tmp",
    }
)
MARKER_TEXT = json.dumps({"made_by": "longerlives", "what": "nightly run outputs; replaced by each run"}) + "\n"


def write_marker(folder: Path) -> None:
    (folder / MARKER).write_text(MARKER_TEXT, encoding="utf-8")


def is_ours(folder: Path) -> bool:
    """A folder longerlives made: it holds the marker."""
    return (folder / MARKER).is_file()


def looks_like_old_outputs(folder: Path) -> bool:
    """An output folder of a version before the marker: a ``run.json`` with ``run_id`` and ``engine_version``."""
    record = folder / "run.json"
    if record.is_file():
        try:
            data = json.loads(record.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(data, dict) and "run_id" in data and "engine_version" in data
    return False


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_out_dir(out_dir: Path, extract_dir: Path, adopt: bool = False) -> None:
    """Refuse an ``--out`` that is, or contains, the extract, or that longerlives did not make.

    ``adopt`` (``--adopt-out``): an output folder of a version before the marker is taken
    over — the marker is written into it — instead of refused. Nothing else is adopted."""
    out = out_dir.resolve()
    extract = extract_dir.resolve()
    if _inside(extract, out):
        raise OutputError(
            f"--out {out_dir} is the extract folder or contains it; the run replaces its output folder, "
            "so choose a separate folder for the outputs"
        )
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out_dir} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not is_ours(out):
        if looks_like_old_outputs(out):
            foreign = sorted(p.name for p in out.iterdir() if p.name not in OUTPUT_NAMES)
            if adopt and foreign:
                raise OutputError(
                    f"--out {out_dir} holds {', '.join(foreign[:5])}, which longerlives does not write; "
                    "--adopt-out takes over only a folder of longerlives outputs: move those away first"
                )
            if adopt:
                write_marker(out)
                log.warning("--out %s: adopted the outputs of an earlier version (marker written)", out_dir)
                return
            raise OutputError(
                f"--out {out_dir} has a run.json but no {MARKER} marker (outputs of an older longerlives "
                "version, or a copy); longerlives replaces only folders it marked. If these are longerlives "
                "outputs, run once with --adopt-out; otherwise move the folder away or choose a new one"
            )
        raise OutputError(
            f"--out {out_dir} already exists and was not made by longerlives (no {MARKER} marker); "
            "it would be replaced, so choose a new or empty folder"
        )


def debris(out_dir: Path) -> list[Path]:
    """Staging and set-aside folders a killed run left beside ``out_dir``."""
    parent = out_dir.parent
    if not parent.is_dir():
        return []
    prefixes = (f".{out_dir.name}.staging-", f".{out_dir.name}.old-")
    return sorted(p for p in parent.iterdir() if p.is_dir() and p.name.startswith(prefixes))


def clean_debris(out_dir: Path) -> dict[str, int]:
    """Put back outputs a killed swap set aside, then remove staging and set-aside folders."""
    found = debris(out_dir)
    restored = 0
    olds = [p for p in found if ".old-" in p.name and is_ours(p)]
    if not out_dir.exists() and olds:
        newest = max(olds, key=lambda p: p.stat().st_mtime)
        newest.rename(out_dir)
        restored = 1
        log.warning("the last run was killed while swapping outputs; the previous outputs were put back")
    removed = 0
    for p in debris(out_dir):
        if ".old-" in p.name and not is_ours(p):
            log.warning("%s: not removed (no %s marker)", p.name, MARKER)
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed += 1
    if removed:
        log.warning("removed %d folder(s) left by a killed run beside %s", removed, out_dir.name)
    return {"restored": restored, "removed": removed}


@contextmanager
def out_lock(out_dir: Path) -> Iterator[None]:
    """Hold ``.<out>.lock`` beside the output folder; ``RunLockedError`` at once if another run has it."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    path = out_dir.parent / f".{out_dir.name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLockedError(f"another run is writing to {out_dir}; not starting a second one") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


_RENAME_EXCHANGE = 2  # linux/fs.h


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported.

    With it the output folder is never absent, even for an instant: a kill at any moment
    leaves either the old outputs or the new ones in place.
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd = -100
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0
