"""What writing a run's output files costs this machine, with no engine at all (issue 16, session 22).

``python -m bench.output_floor OUT_DIR [--into FOLDER]`` reads every file of a finished run's
output folder into memory (not timed), then creates the same tree of private files (0600,
folders 0700) in a new folder with one thread — one ``os.open`` / ``os.write`` / ``os.close``
a file, the way the letter writer does — and prints one JSON line: ``files``, ``mb``, ``wall_s``,
``user_s``, ``sys_s``, and the same split for ``letters/`` and for everything else.

Why: the contract fixes what a run writes (at 100,000 people about 1.1 GB in 90,000 files:
a file per letter, a FHIR bundle and a CSV per practice, a CSV and an HTML worklist per team).
On this VM a page of new file data costs a fault in the hypervisor, and a new file an inode
search, so these bytes and files have a price in system time that no change to the engine can
lower. ``make bench`` prints it beside the full runs, so the 15-second target can be read
against it. Without ``--into`` the copy is made in a scratch folder and discarded
(``bench/scratch.py``: under ``make bench`` only at its end, so no later run meets freed inodes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path
from typing import Any

from bench.scratch import discard, scratch

FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def read_tree(root: Path) -> list[tuple[str, bytes]]:
    """Every regular file under ``root`` (relative path, bytes), folders before their files."""
    files = []
    for folder, _dirs, names in os.walk(root):
        for name in sorted(names):
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                files.append((str(path.relative_to(root)), path.read_bytes()))
    return files


def _cpu() -> tuple[float, float]:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime, u.ru_stime


def write_tree(files: list[tuple[str, bytes]], into: Path) -> dict[str, float]:
    """Create ``files`` under ``into`` (which must not hold them yet); wall, user and system seconds."""
    t0, (u0, s0) = time.perf_counter(), _cpu()
    made: set[str] = set()
    for rel, body in files:
        parent = os.path.dirname(rel)
        if parent not in made:
            os.makedirs(into / parent, mode=0o700, exist_ok=True)
            made.add(parent)
        fd = os.open(into / rel, FLAGS, 0o600)
        try:
            view = memoryview(body)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
    (u1, s1) = _cpu()
    return {
        "wall_s": round(time.perf_counter() - t0, 3),
        "user_s": round(u1 - u0, 3),
        "sys_s": round(s1 - s0, 3),
    }


def measure(out_dir: Path, into: Path) -> dict[str, Any]:
    """The letters first, then every other file, each part into its own new folder under ``into``."""
    files = read_tree(out_dir)
    parts = {
        "letters": [f for f in files if f[0].startswith("letters" + os.sep)],
        "other": [f for f in files if not f[0].startswith("letters" + os.sep)],
    }
    result: dict[str, Any] = {"files": len(files), "mb": round(sum(len(b) for _, b in files) / 1e6, 1)}
    for name, part in parts.items():
        timed = write_tree(part, into / name)
        result[name] = {"files": len(part), "mb": round(sum(len(b) for _, b in part) / 1e6, 1), **timed}
    for key in ("wall_s", "user_s", "sys_s"):
        result[key] = round(sum(result[name][key] for name in parts), 3)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="a finished run's output folder")
    parser.add_argument("--into", type=Path, help="where to write the copy (default: a new scratch folder)")
    args = parser.parse_args(argv)
    into = args.into if args.into is not None else scratch("output-floor-")
    try:
        print(json.dumps(measure(args.out_dir, into)))
    finally:
        if args.into is None:
            discard(into)  # into the bench's trash (deleted at its end), or now when run alone


if __name__ == "__main__":
    main()
