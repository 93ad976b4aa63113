"""Outbox delivery: a folder per practice that an operator (or another system)
collects from. Each delivery is written to a temporary folder and renamed into
place, so a half-written delivery never appears."""

from __future__ import annotations

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
            shutil.copy2(src / name, tmp / name)
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
