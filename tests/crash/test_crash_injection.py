"""Crash injection (issue 12): kill the nightly run at every stage boundary and inside every
writing stage, then run again. Afterwards the previous outputs are intact or the new ones
complete, the store is consistent, and no letter is lost or repeated.

The kill is real: ``LONGERLIVES_TEST_CRASH_AT=<point>`` makes the process ``os._exit(137)``
at that point (``longerlives/crashpoints.py``) in a subprocess, like ``kill -9``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from longerlives.crashpoints import ENV, EXIT_STATUS, INSIDE
from longerlives.outfolder import MARKER, debris
from longerlives.pipeline import STAGES, run
from longerlives.store import dispose_all, open_store
from longerlives.synth import generate

AS_OF = date(2026, 11, 1)
EARLIER = AS_OF - timedelta(days=40)  # beyond the 28-day cadence: tonight's run sends letters again
REPO = Path(__file__).resolve().parents[2]
POINTS = [f"{s}.start" for s in STAGES] + ["run_record.done", "delivery.done", *INSIDE]


@pytest.fixture(scope="module")
def last_night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An extract, and the outputs and store of a run 40 days ago."""
    base = tmp_path_factory.mktemp("crash-base")
    generate(150, 21, base / "extract", "csv", 0.0, AS_OF)
    _second_practice(base / "extract")
    run(base / "extract", base / "out", EARLIER, db_url=f"sqlite:///{base / 'state' / 'runs.sqlite'}")
    dispose_all()
    return base


def _second_practice(extract: Path) -> None:
    """Move half the people to a second practice, so delivery has a point between two practices."""
    patients = pl.read_csv(extract / "patients.csv", infer_schema=False)
    patients.with_columns(
        pl.when(pl.int_range(pl.len()) % 2 == 0)
        .then(pl.lit("Y99999"))
        .otherwise(pl.col("practice_code"))
        .alias("practice_code")
    ).write_csv(extract / "patients.csv")
    practices = pl.read_csv(extract / "practices.csv", infer_schema=False)
    extra = practices.head(1).with_columns(pl.lit("Y99999").alias("practice_code"))
    pl.concat([practices, extra]).write_csv(extract / "practices.csv")


def _ledger(db: str) -> pl.DataFrame:
    return open_store(db).letters().filter(pl.col("issued_on") == AS_OF)


def _letters_in(out: Path, as_of: date) -> list[str]:
    """NHS numbers of every letter for ``as_of`` in the output folder: tonight's ``letters/`` and
    every batch kept until collected (``letter-batches/index.csv`` lists them), duplicates kept."""
    waiting = out / "letter-batches" / "index.csv"
    if not waiting.is_file():
        return []
    batches = pl.read_csv(waiting, infer_schema=False).filter(pl.col("as_of") == as_of.isoformat())
    found: list[str] = []
    for folder in batches["folder"]:
        index = pl.read_csv(out / folder / "index.csv", infer_schema=False)
        assert all((out / p).is_file() for p in index["path"]), f"a letter listed in {folder} is missing"
        found += index["nhs_number"].to_list()
    return found


def _index(out: Path) -> set[str]:
    return set(_letters_in(out, AS_OF))


@pytest.mark.parametrize("point", POINTS)
def test_killed_run_leaves_old_or_complete_outputs_and_the_next_run_loses_and_repeats_no_letter(
    last_night: Path, tmp_path: Path, point: str
) -> None:
    shutil.copytree(last_night, tmp_path / "n", symlinks=True)
    base = tmp_path / "n"
    out, db = base / "out", f"sqlite:///{base / 'state' / 'runs.sqlite'}"
    before = json.loads((out / "run.json").read_text())["run_id"]
    before_flags = (out / "flags.csv").read_bytes()
    earlier_letters = len(_letters_in(out, EARLIER))

    killed = subprocess.run(
        [
            sys.executable,
            "-m",
            "longerlives",
            "run",
            "--extract",
            str(base / "extract"),
            "--out",
            str(out),
            "--as-of",
            AS_OF.isoformat(),
            "--db",
            db,
            "--allow-future-as-of",
        ],
        env={**os.environ, ENV: point},
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert killed.returncode == EXIT_STATUS, f"crash point {point} was not reached: {killed.stderr[-500:]}"
    assert "Traceback" not in killed.stderr

    # 1. previous outputs intact, or the new ones complete — never a half-written folder
    assert (out / MARKER).is_file()
    record = json.loads((out / "run.json").read_text())
    committed = record["run_id"] != before
    if committed:
        assert all((out / f).is_file() for f in record["files"])
        assert record["as_of"] == AS_OF.isoformat()
    else:
        assert (out / "flags.csv").read_bytes() == before_flags
    letters_out_after_crash = _index(out) if committed else set()

    # 2. the next run completes or abandons the killed one, removes its debris, and is normal
    dispose_all()
    again = run(base / "extract", out, AS_OF, db_url=db)
    dispose_all()
    assert debris(out) == []
    runs = open_store(db).runs()
    assert "running" not in runs["status"].to_list()
    killed_status = runs.filter(~pl.col("run_id").is_in([before, again.run_id]))["status"].to_list()
    assert all(s in ("abandoned", "succeeded", "failed") for s in killed_status)

    # 3. every letter tonight is in the ledger exactly once, and is in the outputs
    ledger = _ledger(db)
    assert ledger["nhs_number"].n_unique() == ledger.height, "a letter was recorded twice"
    assert set(ledger["nhs_number"].to_list()) == _index(out), "ledger and letters in the outputs differ"
    assert letters_out_after_crash <= set(ledger["nhs_number"].to_list()), "a letter that went out was lost"
    assert ledger.height > 0
    tonight = _letters_in(out, AS_OF)
    assert len(tonight) == len(set(tonight)), "a letter is in the output folder twice"
    # the batch of 40 days ago was never collected: it is still whole in the outputs
    assert len(_letters_in(out, EARLIER)) == earlier_letters > 0
