"""Issue 12 on PostgreSQL: the recovery of an interrupted run and the letter ledger with the
run store in a real PostgreSQL database (127.0.0.1, a throwaway database per test — the
fixtures of tests/operations). The kills are real (``LONGERLIVES_TEST_CRASH_AT``)."""

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

from longerlives.crashpoints import ENV, EXIT_STATUS
from longerlives.outfolder import debris
from longerlives.pipeline import run
from longerlives.store import dispose_all, open_store
from longerlives.synth import generate

pytestmark = pytest.mark.postgres
AS_OF = date(2026, 11, 1)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def extract_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pg-crash") / "extract"
    generate(150, 21, folder, "csv", 0.0, AS_OF)
    return folder


@pytest.fixture
def extract(extract_master: Path, tmp_path: Path) -> Path:
    shutil.copytree(extract_master, tmp_path / "extract")
    return tmp_path / "extract"


def _killed_run(extract: Path, out: Path, db: str, point: str, as_of: date = AS_OF) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "longerlives", "run", "--extract", str(extract), "--out", str(out)]
        + ["--as-of", as_of.isoformat(), "--db", db, "--allow-future-as-of"],
        env={**os.environ, ENV: point},
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert proc.returncode == EXIT_STATUS, proc.stderr[-800:]
    assert "Traceback" not in proc.stderr
    dispose_all()


def _run_id(out: Path) -> str:
    return str(json.loads((out / "run.json").read_text())["run_id"])


def _index(folder: Path) -> set[str]:
    return set(pl.read_csv(folder / "index.csv", infer_schema=False)["nhs_number"].to_list())


@pytest.mark.parametrize("point", ["store_record.start", "store_record.in_transaction", "delivery.start"])
def test_killed_after_the_outputs_were_in_place_the_postgres_store_is_completed_and_no_letter_repeats(
    extract: Path, tmp_path: Path, pg_url: str, point: str
) -> None:
    out = tmp_path / "out"
    _killed_run(extract, out, pg_url, point)
    went_out = _index(out / "letters")
    assert len(went_out) > 10
    killed_id = _run_id(out)

    next_day = run(extract, out, AS_OF + timedelta(days=1), db_url=pg_url)
    store = open_store(pg_url)
    runs = store.runs()
    assert runs.filter(pl.col("run_id") == killed_id)["status"].to_list() == ["succeeded"]
    assert "running" not in runs["status"].to_list()
    ledger = store.letters()
    today = ledger.filter(pl.col("issued_on") == AS_OF)
    assert set(today["nhs_number"].to_list()) == went_out
    assert today.height == len(went_out), "a letter was recorded twice"
    again = _index(out / "letters")
    assert len(again & went_out) < len(went_out) / 10, "people written to yesterday were written to again"
    assert _index(out / "letter-batches" / killed_id) == went_out  # not collected: still in the outputs
    if point != "delivery.start":  # killed before its own store write: completed by the next run
        assert next_day.summary["recovery"]["completed_run"] == killed_id
        assert next_day.summary["recovery"]["letters_recorded"] == len(went_out)


def test_killed_before_the_swap_the_postgres_store_marks_it_abandoned_and_nothing_was_issued(
    extract: Path, tmp_path: Path, pg_url: str
) -> None:
    out = tmp_path / "out"
    _killed_run(extract, out, pg_url, "letters.batches_kept")
    assert not out.exists()
    again = run(extract, out, AS_OF, db_url=pg_url)
    assert debris(out) == []
    runs = open_store(pg_url).runs()
    assert sorted(runs["status"].to_list()) == ["abandoned", "succeeded"]
    assert again.summary["recovery"]["abandoned_runs"] == 1
    ledger = open_store(pg_url).letters()
    assert set(ledger["run_id"].to_list()) == {again.run_id}  # only letters that reached the outputs
    assert set(ledger["nhs_number"].to_list()) == _index(out / "letters")


def test_letter_ledger_on_postgres_cadence_same_day_rerun_and_collected_batches(
    extract: Path, tmp_path: Path, pg_url: str
) -> None:
    out = tmp_path / "out"
    first = run(extract, out, AS_OF, db_url=pg_url)
    first_letters = _index(out / "letters")
    recorded = open_store(pg_url).letters().height
    assert recorded == len(first_letters) > 10

    rerun = run(extract, out, AS_OF, db_url=pg_url)  # same day: the issued batch is kept, nothing new
    assert _index(out / "letter-batches" / first.run_id) == first_letters
    assert _index(out / "letters") == set()
    assert rerun.summary["letters"]["written"] == 0
    assert open_store(pg_url).letters().height == recorded

    run(extract, out, AS_OF + timedelta(days=1), db_url=pg_url)  # the next night, inside the 28-day cadence
    assert len(_index(out / "letters") & first_letters) < len(first_letters) / 10
    assert _index(out / "letter-batches" / first.run_id) == first_letters  # still kept: not collected

    dispose_all()
    done = subprocess.run(
        [sys.executable, "-m", "longerlives", "letters", "collected", "--out", str(out), "--db", pg_url]
        + ["--batch", first.run_id],
        check=False,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert (out / "letter-batches" / first.run_id).is_dir()
    run(extract, out, AS_OF + timedelta(days=28), db_url=pg_url)
    assert not (out / "letter-batches" / first.run_id).exists()
    assert open_store(pg_url).collected_batches() == frozenset({first.run_id})
