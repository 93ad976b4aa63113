"""The run store on a real PostgreSQL server on 127.0.0.1 (started by scripts/services.sh)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from longerlives.errors import RunLockedError
from longerlives.lock import run_lock
from longerlives.store import dispose_all, head_revision, open_store

from .conftest import default_world, mini_run, nhs

pytestmark = pytest.mark.postgres


def test_run_store_works_on_postgresql(tmp_path, pg_url):
    world = default_world()
    first = mini_run(tmp_path, date(2025, 6, 1), world, db_url=pg_url)
    store = open_store(pg_url)
    assert store.is_postgres and store.current_revision() == head_revision()
    assert store.letters().height == 3
    second = mini_run(tmp_path, date(2025, 6, 1), world, db_url=pg_url)
    assert second.letters_index.height == 0  # no duplicate letter on PostgreSQL either
    assert not second.allowed["letter_allowed"].any()
    from longerlives.cli import main

    assert (
        main(
            [
                "outcome",
                "record",
                "--db",
                pg_url,
                "--nhs-number",
                nhs(1),
                "--team",
                "T1",
                "--result",
                "moved_away",
                "--date",
                "2025-06-01",
            ]
        )
        == 0
    )
    third = mini_run(tmp_path, date(2025, 6, 2), world, db_url=pg_url)
    assert nhs(1) not in third.flags["nhs_number"].to_list()
    runs = open_store(pg_url).runs()
    assert runs["status"].to_list() == ["succeeded"] * 3
    assert runs["flags_closed"].to_list() == [0, 0, 2]
    hist = open_store(pg_url).flag_history()
    assert hist.filter(pl.col("nhs_number") == nhs(1))["resolved_on"].to_list() == [date(2025, 6, 2)] * 2
    with pytest.raises(RuntimeError):
        mini_run(tmp_path, date(2025, 6, 3), world, db_url=pg_url, fail_at="outputs")
    assert open_store(pg_url).runs()["status"].to_list()[-1] == "failed"
    assert first.run_id in runs["run_id"].to_list()


def test_older_schema_upgrades_on_postgresql(pg_url):
    from sqlalchemy import text

    old = open_store(pg_url, revision="0001")
    with old.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO runs (run_id, as_of, status, started_at, people_in_scope) "
                "VALUES ('old', '2025-01-01', 'succeeded', now(), 7)"
            )
        )
    dispose_all()
    new = open_store(pg_url)
    assert new.current_revision() == head_revision()
    assert new.runs().select("run_id", "people_in_scope").rows() == [("old", 7)]


def test_postgres_advisory_lock_stops_a_second_run(pg_url):
    import subprocess
    import sys
    import time

    code = (
        "import sys,time; from longerlives.lock import run_lock\n"
        f"with run_lock({pg_url!r}):\n print('held', flush=True); time.sleep(30)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        t0 = time.monotonic()
        with pytest.raises(RunLockedError):
            with run_lock(pg_url):
                pass
        assert time.monotonic() - t0 < 5  # refuses at once, never waits
    finally:
        holder.kill()
        holder.wait()
    with run_lock(pg_url):  # free again once the holder is gone
        pass
