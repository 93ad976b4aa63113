"""Issue 12: letters as a ledger — a safety letter under the 28-day cadence, a kill between
the swap and the store write (a same-day rerun keeping the issued batch: test_letter_batches.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from longerlives import letters
from longerlives.crashpoints import ENV, EXIT_STATUS
from longerlives.letters.ledger import SAFETY_LETTER_FLAG, cadence_flags
from longerlives.pipeline import run
from longerlives.settings import load_settings
from longerlives.store import dispose_all, open_store
from tests.security.conftest import AS_OF, REPO

PERSON = "9434765919"


def _safety_only_night(as_of: date, db: str) -> pl.DataFrame:
    """Letter decisions for one person with a safety item and no other open flag."""
    store = open_store(db)
    settings = load_settings()
    flags = pl.DataFrame(schema={"nhs_number": pl.String, "flag": pl.String, "since": pl.Date, "reason": pl.String})
    plans = pl.DataFrame(
        {"nhs_number": [PERSON], "flags": [[]], "has_safety": [True]},
        schema={"nhs_number": pl.String, "flags": pl.List(pl.String), "has_safety": pl.Boolean},
    )
    people = pl.DataFrame({"nhs_number": [PERSON], "in_scope": [True]})
    decisions = letters.decide_letters(
        plans,
        people,
        flags,
        store.last_letters(),
        as_of,
        settings.letters,
        settings.outreach.manual_needs,
        settings.operations.letter_cadence_days,
    )
    sent = decisions.filter(pl.col("send"))
    if sent.height:
        index = sent.select(
            "nhs_number",
            pl.lit("invitation").alias("letter"),
            pl.lit("en").alias("language"),
            pl.lit("standard").alias("format"),
            pl.lit("letters/x.html").alias("path"),
        )
        with store.engine.begin() as conn:
            store.record_letters(conn, index, cadence_flags(flags, plans), as_of, f"run-{as_of}")
    return decisions


def test_person_with_only_a_safety_item_gets_one_letter_per_cadence_not_one_every_night(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    open_store(db)
    assert _safety_only_night(AS_OF, db)["send"].to_list() == [True]
    tomorrow = _safety_only_night(AS_OF + timedelta(days=1), db)
    assert tomorrow["send"].to_list() == [False]
    assert "less than 28 days ago" in tomorrow["suppressed_because"][0]
    assert _safety_only_night(AS_OF + timedelta(days=27), db)["send"].to_list() == [False]
    assert _safety_only_night(AS_OF + timedelta(days=28), db)["send"].to_list() == [True]
    recorded = open_store(db).letters()
    assert recorded["flags"].to_list() == [SAFETY_LETTER_FLAG, SAFETY_LETTER_FLAG]


def test_killed_between_the_output_swap_and_the_store_write_the_next_day_repeats_no_letter(
    extract: Path, tmp_path: Path
) -> None:
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'runs.sqlite'}"
    killed = subprocess.run(
        [
            sys.executable,
            "-m",
            "longerlives",
            "run",
            "--extract",
            str(extract),
            "--out",
            str(out),
            "--as-of",
            AS_OF.isoformat(),
            "--db",
            db,
            "--allow-future-as-of",
        ],
        env={**os.environ, ENV: "store_record.start"},
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert killed.returncode == EXIT_STATUS
    went_out = set(pl.read_csv(out / "letters" / "index.csv", infer_schema=False)["nhs_number"].to_list())
    assert len(went_out) > 10

    dispose_all()
    next_day = run(extract, out, AS_OF + timedelta(days=1), db_url=db)
    again = set(pl.read_csv(out / "letters" / "index.csv", infer_schema=False)["nhs_number"].to_list())
    # exactly what two uninterrupted nights send: only people with something new due get a second letter
    control_out, control_db = tmp_path / "control", f"sqlite:///{tmp_path / 'control.sqlite'}"
    run(extract, control_out, AS_OF, db_url=control_db)
    run(extract, control_out, AS_OF + timedelta(days=1), db_url=control_db)
    control = set(pl.read_csv(control_out / "letters" / "index.csv", infer_schema=False)["nhs_number"].to_list())
    assert again == control
    assert len(went_out & again) < len(went_out) / 10, "people written to yesterday were written to again"
    ledger = open_store(db).letters()
    assert set(ledger.filter(pl.col("issued_on") == AS_OF)["nhs_number"].to_list()) == went_out
    runs = open_store(db).runs()
    killed_run = runs.filter(pl.col("run_id") != next_day.run_id)
    assert killed_run["status"].to_list() == ["succeeded"]
    assert "completed by the next run" in killed_run["error"][0]
    kept = pl.read_csv(out / "letter-batches" / killed_run["run_id"][0] / "index.csv", infer_schema=False)
    assert set(kept["nhs_number"].to_list()) == went_out  # its letters are still in the outputs until collected
    assert next_day.summary["recovery"]["letters_recorded"] == len(went_out)
    assert json.loads((out / "run.json").read_text())["summary"]["recovery"]["completed_run"] == killed_run["run_id"][0]


def test_killed_before_the_swap_the_run_is_marked_abandoned_and_its_staging_removed(
    extract: Path, tmp_path: Path
) -> None:
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'runs.sqlite'}"
    killed = subprocess.run(
        [
            sys.executable,
            "-m",
            "longerlives",
            "run",
            "--extract",
            str(extract),
            "--out",
            str(out),
            "--as-of",
            AS_OF.isoformat(),
            "--db",
            db,
            "--allow-future-as-of",
        ],
        env={**os.environ, ENV: "letters.rendered"},
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert killed.returncode == EXIT_STATUS
    assert [p.name for p in tmp_path.iterdir() if ".staging-" in p.name]  # the debris a kill leaves
    dispose_all()
    run(extract, out, AS_OF, db_url=db)
    assert [p.name for p in tmp_path.iterdir() if ".staging-" in p.name or ".old-" in p.name] == []
    statuses = sorted(open_store(db).runs()["status"].to_list())
    assert statuses == ["abandoned", "succeeded"]
