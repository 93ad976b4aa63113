"""Recovery of an interrupted run, done first by the next run under the locks (issue 12).

A run makes its outputs current by renaming its finished staging folder into place
(the commit point) and then records its flags and letters in the run store. A kill
between the two used to leave letters that went out but were never recorded, so the
next day sent them all again. ``recover`` closes that gap from the outputs themselves:

1. debris: outputs set aside by a swap that was killed are put back, staging folders
   of killed runs removed (``outfolder.clean_debris``);
2. if the current outputs' ``run.json`` names a run the store still shows ``running``
   (or does not know), that run is completed from its files — flag history from
   ``flags.csv``, letters from ``letters/index.csv`` — and marked ``succeeded`` with a
   note saying it was completed after an interruption;
3. every other run still ``running`` in this store was killed before its commit point:
   it is marked ``abandoned`` (its letters never reached the outputs).

It runs while both locks (store and output folder) are held, so no live run is touched.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
from sqlalchemy import select, update

from longerlives.outfolder import clean_debris, is_ours
from longerlives.store.repository import RUNS, open_store, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recovery:
    restored_outputs: int
    debris_removed: int
    completed_run: str | None
    letters_recorded: int
    abandoned: int

    def as_dict(self) -> dict[str, object]:
        return {
            "restored_outputs": self.restored_outputs,
            "debris_removed": self.debris_removed,
            "completed_run": self.completed_run,
            "letters_recorded": self.letters_recorded,
            "abandoned_runs": self.abandoned,
        }


def _read_frame(path: Path) -> pl.DataFrame | None:
    if not path.is_file():
        return None
    return pl.read_csv(path, infer_schema=False)


def _complete(out_dir: Path, db_url: str) -> tuple[str | None, int]:
    record_path = out_dir / "run.json"
    if not (out_dir.is_dir() and is_ours(out_dir) and record_path.is_file()):
        return None, 0
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        run_id, as_of = str(record["run_id"]), date.fromisoformat(record["as_of"])
    except (OSError, ValueError, KeyError, TypeError):
        return None, 0
    store = open_store(db_url)
    with store.engine.connect() as conn:
        row = conn.execute(select(RUNS.c.status).where(RUNS.c.run_id == run_id)).first()
    if row is not None and row[0] != "running":
        return None, 0
    flags = _read_frame(out_dir / "flags.csv")
    if flags is None:
        return None, 0
    flags = flags.select("nhs_number", "flag", pl.col("since").str.to_date("%Y-%m-%d", strict=False))
    index = _read_frame(out_dir / "letters" / "index.csv")
    with store.engine.begin() as conn:
        if row is None:
            conn.execute(
                RUNS.insert().values(
                    run_id=run_id,
                    as_of=as_of,
                    status="running",
                    started_at=utcnow(),
                    engine_version=str(record.get("engine_version")),
                    out_dir=str(out_dir),
                )
            )
        store.update_flag_history(conn, flags, as_of, run_id)
        letters = 0
        if index is not None and index.height:
            flags_by_letter = _letter_flags(out_dir, flags)
            letters = store.record_letters(conn, index, flags_by_letter, as_of, run_id)
        conn.execute(
            update(RUNS)
            .where(RUNS.c.run_id == run_id)
            .values(
                status="succeeded",
                finished_at=utcnow(),
                letters_issued=letters,
                open_flags=flags.height,
                error="interrupted after its outputs were in place; completed by the next run",
            )
        )
    log.warning(
        "run %s was interrupted after its outputs were in place; completed now (%d letters recorded)", run_id, letters
    )
    return run_id, letters


def _letter_flags(out_dir: Path, flags: pl.DataFrame) -> pl.DataFrame:
    """The flags each letter covered, as the interrupted run would have recorded them."""
    from longerlives.letters.ledger import cadence_flags

    plans = None
    worklists = out_dir / "worklists"
    if worklists.is_dir():
        frames = [pl.read_csv(p, infer_schema=False) for p in sorted(worklists.glob("*.csv")) if p.name != "index.csv"]
        frames = [f for f in frames if {"nhs_number", "safety"} <= set(f.columns)]
        if frames:
            w = pl.concat([f.select("nhs_number", "safety") for f in frames])
            plans = w.select("nhs_number", pl.col("safety").is_not_null().alias("has_safety"))
    return cadence_flags(flags, plans)


def _abandon(db_url: str, keep: set[str]) -> int:
    store = open_store(db_url)
    with store.engine.begin() as conn:
        running = [r[0] for r in conn.execute(select(RUNS.c.run_id).where(RUNS.c.status == "running")).all()]
        stale = [r for r in running if r not in keep]
        if stale:
            conn.execute(
                update(RUNS)
                .where(RUNS.c.run_id.in_(stale))
                .values(
                    status="abandoned",
                    finished_at=utcnow(),
                    error="killed before its outputs were in place; marked abandoned by the next run",
                )
            )
    if stale:
        log.warning("%d run(s) killed before finishing marked abandoned", len(stale))
    return len(stale)


def recover(out_dir: Path, db_url: str, current_run_id: str | None = None) -> Recovery:
    """Finish what a killed run left: debris, its letters and flags, its status. Call under both locks."""
    cleaned = clean_debris(out_dir)
    completed, letters = _complete(out_dir, db_url)
    keep = {r for r in (completed, current_run_id) if r}
    abandoned = _abandon(db_url, keep)
    return Recovery(cleaned["restored"], cleaned["removed"], completed, letters, abandoned)
