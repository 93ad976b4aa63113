"""The ``longerlives`` command as the data team starts it (``python -m longerlives``, the installed
script): its exit status is the run's, and a run that ends quickly (``cli.console`` freezes the
collector before the interpreter shuts down; issue 16, session 11) has written everything first."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from contextlib import closing

from longerlives.errors import EXIT_BAD_INPUT
from tests.extract.conftest import patient, write_table


def _command(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "longerlives", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_a_run_started_as_a_command_has_written_its_outputs_and_store_when_the_command_exits(tmp_path):
    extract = tmp_path / "extract"
    extract.mkdir()
    write_table(extract, "patients", [patient()])
    write_table(
        extract, "events", [{"nhs_number": "9434765919", "date": "2026-01-01", "code": "60621009", "value": "25"}]
    )
    out, db = tmp_path / "out", tmp_path / "runs.sqlite"
    done = _command(
        "run", "--extract", str(extract), "--out", str(out), "--as-of", "2026-11-01", "--db", f"sqlite:///{db}",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["finished_at"] and record["summary"]["people_on_extract"] == 1
    assert "delivery" in record["stage_seconds"]  # the last write of the run, after the store's commit
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("select status from runs where run_id = ?", (record["run_id"],)).fetchone() == (
            "succeeded",
        )


def test_a_command_that_fails_exits_with_its_documented_status_and_no_traceback(tmp_path):
    done = _command(
        "run", "--extract", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"), "--as-of", "2026-11-01",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == EXIT_BAD_INPUT
    assert "Traceback" not in done.stderr
    assert "extract folder not found" in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_command_hands_back_mains_status_with_the_collector_frozen_only_after_main():
    probe = (
        "import gc, longerlives.cli as cli\n"
        "seen = []\n"
        "cli.main = lambda argv=None: seen.append(gc.get_freeze_count()) or 3\n"
        "code = cli.console()\n"
        "print(code, seen[0], gc.get_freeze_count() > 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "0", "True"]
