"""Letter batches: letters are kept in the output folder until they are collected (issue 12).

Each run's letters are one *batch*, named by the run id. Tonight's batch is ``letters/``
(run-outputs-v2: ``letters/index.csv``, paths relative to the output folder). Every
night the output folder is replaced, so a batch the print/post operator has not yet
collected is carried into the new outputs, under ``letter-batches/<batch>/``:

* ``keep_uncollected`` — run inside the letters stage, into the staging folder: the
  current outputs' ``letters/`` (the previous run's batch) and every
  ``letter-batches/<batch>/`` not recorded as collected are linked (hard links; a copy
  where the file system cannot link) into the staging folder. The carried batch's
  ``index.csv`` keeps the contract columns with ``path`` rewritten relative to the
  output folder (``letter-batches/<batch>/<practice>/<file>``). Because the carried
  batches ride in the staging folder, the atomic swap that makes a run's outputs
  current makes them current too: a kill leaves either the old folder with every batch
  or the new one with every batch, never one without.
* ``write_batch_index`` — ``letter-batches/index.csv`` (``batch, as_of, letters,
  folder``): every batch in the output folder that is waiting to be collected,
  tonight's included (folder ``letters``). It is the operator's checklist.
* ``longerlives letters collected --out DIR --batch ID`` records in the run store
  that a batch was printed and posted (``commands/letters.py``); the next run does not
  carry it, so it leaves the output folder then and never before.

A same-day rerun keeps the issued batch: the letters of the first run move to
``letter-batches/<first run>/`` and the cadence (a letter already went today) keeps the
rerun from writing them again, so each letter is in the output folder exactly once.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from longerlives.outfolder import is_ours
from longerlives.outputs.csvfile import write_csv

log = logging.getLogger(__name__)
BATCHES_DIR = "letter-batches"
LETTERS_DIR = "letters"
BATCH_RECORD = "batch.json"
BATCH_INDEX = f"{BATCHES_DIR}/index.csv"
BATCH_INDEX_SCHEMA = {"batch": pl.String, "as_of": pl.String, "letters": pl.Int64, "folder": pl.String}


@dataclass(frozen=True)
class Batch:
    """One run's letters, waiting in the output folder to be collected."""

    batch: str  # the run id of the run that wrote it
    as_of: str  # that run's as-of date (ISO)
    letters: int
    folder: str  # relative to the output folder: ``letters`` or ``letter-batches/<batch>``


@dataclass(frozen=True)
class KeptBatches:
    """What ``keep_uncollected`` carried into the new outputs."""

    batches: tuple[Batch, ...]
    files: tuple[str, ...]  # relative paths of the carried index files
    collected_removed: tuple[str, ...]  # batches in the previous outputs recorded as collected

    def summary(self) -> dict[str, Any]:
        return {
            "batches_kept": len(self.batches),
            "letters_kept": sum(b.letters for b in self.batches),
            "batches_collected_removed": len(self.collected_removed),
        }


def _link_tree(src: Path, dst: Path) -> None:
    """Hard-link every file of ``src`` under ``dst`` (a copy where linking is impossible)."""
    for path in sorted(src.rglob("*")):
        if path.is_symlink():
            continue  # never follow a link out of the output folder
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)


def _index_rows(index_path: Path) -> pl.DataFrame | None:
    if not index_path.is_file():
        return None
    frame = pl.read_csv(index_path, infer_schema=False)
    return frame if {"nhs_number", "path"} <= set(frame.columns) else None


def _read_record(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / BATCH_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("batch"), str):
        return None
    return data


def _write_record(folder: Path, batch: Batch) -> None:
    record = {"batch": batch.batch, "as_of": batch.as_of, "letters": batch.letters}
    (folder / BATCH_RECORD).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _previous_run(out_dir: Path) -> tuple[str, str] | None:
    try:
        record = json.loads((out_dir / "run.json").read_text(encoding="utf-8"))
        return str(record["run_id"]), str(record["as_of"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def keep_uncollected(out_dir: Path, staging: Path, collected: frozenset[str]) -> KeptBatches:
    """Carry every batch of the current outputs that is not collected into ``staging``."""
    kept: list[Batch] = []
    files: list[str] = []
    removed: list[str] = []
    if not (out_dir.is_dir() and is_ours(out_dir)):
        return KeptBatches((), (), ())
    previous = _previous_run(out_dir)
    index = _index_rows(out_dir / LETTERS_DIR / "index.csv")
    if previous is not None and index is not None and index.height:
        batch_id, as_of = previous
        if batch_id in collected:
            removed.append(batch_id)
        else:
            folder = f"{BATCHES_DIR}/{batch_id}"
            dst = staging / folder
            _link_tree(out_dir / LETTERS_DIR, dst)
            (dst / "index.csv").unlink()  # a link to the old index: rewritten below, never changed in place
            moved = index.with_columns(
                pl.when(pl.col("path").str.starts_with(f"{LETTERS_DIR}/"))
                .then(pl.lit(f"{folder}/") + pl.col("path").str.slice(len(LETTERS_DIR) + 1))
                .otherwise(pl.col("path"))
                .alias("path")
            )
            write_csv(moved, dst / "index.csv")
            batch = Batch(batch_id, as_of, index.height, folder)
            _write_record(dst, batch)
            kept.append(batch)
            files.append(f"{folder}/index.csv")
    old_batches = out_dir / BATCHES_DIR
    if old_batches.is_dir():
        for folder_path in sorted(p for p in old_batches.iterdir() if p.is_dir() and not p.is_symlink()):
            record = _read_record(folder_path)
            if record is None or record["batch"] != folder_path.name:
                log.warning("%s/%s: not a letter batch (no %s); not kept", BATCHES_DIR, folder_path.name, BATCH_RECORD)
                continue
            if folder_path.name in collected:
                removed.append(folder_path.name)
                continue
            folder = f"{BATCHES_DIR}/{folder_path.name}"
            _link_tree(folder_path, staging / folder)
            kept.append(Batch(folder_path.name, str(record.get("as_of", "")), int(record.get("letters", 0)), folder))
            files.append(f"{folder}/index.csv")
    if kept:
        log.warning(
            "letters: %d earlier batch(es) with %d letter(s) not yet collected are kept in %s/",
            len(kept),
            sum(b.letters for b in kept),
            BATCHES_DIR,
        )
    return KeptBatches(tuple(kept), tuple(files), tuple(removed))


def write_batch_index(staging: Path, run_id: str, as_of: date, letters_tonight: int, kept: KeptBatches) -> str:
    """``letter-batches/index.csv``: every batch waiting to be collected, tonight's included."""
    rows = [(b.batch, b.as_of, b.letters, b.folder) for b in kept.batches]
    if letters_tonight:
        rows.append((run_id, as_of.isoformat(), letters_tonight, LETTERS_DIR))
    frame = pl.DataFrame(rows, schema=BATCH_INDEX_SCHEMA, orient="row").sort("as_of", "batch")
    write_csv(frame, staging / BATCH_INDEX)
    return BATCH_INDEX


def waiting_batches(out_dir: Path) -> list[Batch]:
    """The batches an output folder says are waiting to be collected (``letter-batches/index.csv``)."""
    path = out_dir / BATCH_INDEX
    if not path.is_file():
        return []
    frame = pl.read_csv(path, schema=BATCH_INDEX_SCHEMA)
    return [Batch(r["batch"], r["as_of"], r["letters"], r["folder"]) for r in frame.iter_rows(named=True)]
