"""Outbox delivery: a folder per practice that an operator (or another system)
collects from. Each delivery is written to a temporary folder and renamed into
place, so a half-written delivery never appears.

The files are hard links to the run's export files when the outbox is on the same
file system (else copies): a run never changes an output file once written (the
next run writes a new staging folder and swaps it in), so a link delivers the same
bytes and permissions without copying them (issue 16: copying 150 practices' exports,
600 MB at 100,000 people, was most of the delivery stage's second)."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import date
from pathlib import Path

EXPORT_FILES = ("flags.csv", "bundle.json")


def deliver_to_outbox(src: Path, outbox: Path, practice: str, as_of: date, run_id: str) -> Path:
    """Copy ``src/{flags.csv,bundle.json}`` to ``outbox/<practice>/<as_of>_<run_id>/``."""
    final = outbox / practice / f"{as_of.isoformat()}_{run_id}"
    tmp = final.with_name(f".{final.name}.tmp-{uuid.uuid4().hex[:8]}")
    tmp.mkdir(parents=True)
    try:
        for name in EXPORT_FILES:
            _link_or_copy(src / name, tmp / name)
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _link_or_copy(src: Path, dst: Path) -> None:
    """``dst`` the same file as ``src`` (a hard link), or a copy where a link cannot be made
    (another file system, a file system without hard links, a link limit)."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
