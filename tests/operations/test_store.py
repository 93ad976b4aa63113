"""Run store: migrations on open, upgrades from an older schema, flag history."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from longerlives.store import dispose_all, head_revision, open_store
from longerlives.store.models import SQLModel

from .conftest import default_world, flags_frame, mini_run, nhs


def test_store_is_migrated_to_head_when_opened(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'state' / 'runs.sqlite'}")
    assert store.current_revision() == head_revision()


def test_migrations_build_exactly_the_models(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), SQLModel.metadata)
    assert diff == []


def test_store_made_by_older_schema_upgrades_without_losing_runs(tmp_path):
    url = f"sqlite:///{tmp_path / 'state' / 'runs.sqlite'}"
    old = open_store(url, revision="0001")
    assert old.current_revision() == "0001"
    with old.engine.begin() as conn:
        for i, d in enumerate([date(2025, 1, 1), date(2025, 1, 2)]):
            conn.execute(
                text(
                    "INSERT INTO runs (run_id, as_of, status, started_at, finished_at, engine_version, "
                    "out_dir, people_in_scope, open_flags) VALUES (:r, :d, 'succeeded', :t, :t, '0.0.9', "
                    "'/out', :n, :f)"
                ),
                {"r": f"old-{i}", "d": d, "t": datetime(2025, 1, 1 + i, 2, 30), "n": 100 + i, "f": 40 + i},
            )
        conn.execute(
            text(
                "INSERT INTO letters_issued (run_id, nhs_number, issued_on, letter, flags) "
                "VALUES ('old-1', :n, :d, 'phc_invite', 'phc.bmi')"
            ),
            {"n": nhs(1), "d": date(2025, 1, 2)},
        )
        conn.execute(
            text(
                "INSERT INTO flag_history (nhs_number, flag, first_seen, last_seen, first_run_id, "
                "last_run_id) VALUES (:n, 'phc.bmi', :d, :d, 'old-0', 'old-1')"
            ),
            {"n": nhs(1), "d": date(2025, 1, 2)},
        )
    dispose_all()

    new = open_store(url)
    assert new.current_revision() == head_revision()
    runs = new.runs()
    assert runs["run_id"].to_list() == ["old-0", "old-1"]
    assert runs["people_in_scope"].to_list() == [100, 101]
    assert runs["open_flags"].to_list() == [40, 41]
    assert runs["flags_opened"].null_count() == 2  # new trend columns empty for old runs
    assert new.last_letters().row(0) == (nhs(1), date(2025, 1, 2), "phc.bmi")
    assert new.flag_history().height == 1
    assert new.outcomes().height == 0 and new.audit().height == 0  # new tables exist

    # and the upgraded store carries on: a run on top keeps the old history
    mini_run(tmp_path, date(2025, 2, 1), default_world(), db_url=url)
    assert new.runs().height == 3


def test_flag_history_records_first_seen_last_seen_and_resolved_on(tmp_path):
    world = default_world()
    url = f"sqlite:///{tmp_path / 'state' / 'runs.sqlite'}"
    mini_run(tmp_path, date(2025, 6, 1), world, db_url=url, letters=False)
    mini_run(tmp_path, date(2025, 6, 2), world, db_url=url, letters=False)
    fewer = world.flags.filter(~((pl.col("nhs_number") == nhs(1)) & (pl.col("flag") == "phc.bmi")))
    world.flags = pl.concat([fewer, flags_frame([(nhs(2), "phc.glucose", None, "No HbA1c ever recorded")])])
    ctx = mini_run(tmp_path, date(2025, 6, 3), world, db_url=url, letters=False)
    hist = open_store(url).flag_history()
    bmi = hist.filter((pl.col("nhs_number") == nhs(1)) & (pl.col("flag") == "phc.bmi")).row(0, named=True)
    assert (bmi["first_seen"], bmi["last_seen"], bmi["resolved_on"]) == (
        date(2025, 6, 1),
        date(2025, 6, 2),
        date(2025, 6, 3),
    )
    bp = hist.filter((pl.col("nhs_number") == nhs(1)) & (pl.col("flag") == "phc.blood_pressure")).row(0, named=True)
    assert (bp["first_seen"], bp["last_seen"], bp["resolved_on"]) == (date(2025, 6, 1), date(2025, 6, 3), None)
    assert bp["since"] == date(2024, 3, 3)
    run = open_store(url).runs().filter(pl.col("run_id") == ctx.run_id).row(0, named=True)
    assert (run["flags_opened"], run["flags_closed"], run["open_flags"]) == (1, 1, 5)


def test_the_head_a_nightly_run_trusts_without_loading_alembic_is_alembics_own_head():
    """A store already at HEAD_REVISION is opened without reading the migration scripts; a new
    migration that did not move HEAD_REVISION would leave every existing store un-upgraded."""
    from longerlives.store.repository import HEAD_REVISION

    assert HEAD_REVISION == head_revision()


def test_a_store_already_at_head_opens_without_loading_the_migration_scripts(tmp_path):
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    assert open_store(url).current_revision() == head_revision()
    dispose_all()
    probe = (
        "import sys\n"
        "from longerlives.store import open_store\n"
        f"print(open_store({url!r}).current_revision())\n"
        "print(sorted(m for m in sys.modules if m == 'alembic' or m.startswith('alembic.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == head_revision()
    assert out[1] == "[]"  # nothing of Alembic loaded for a store with nothing to upgrade


def test_a_new_sqlite_store_has_pages_big_enough_for_several_worklist_rows(tmp_path):
    import sqlite3

    from longerlives.store.repository import SQLITE_PAGE_SIZE

    path = tmp_path / "state" / "runs.sqlite"
    open_store(f"sqlite:///{path}")
    dispose_all()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == SQLITE_PAGE_SIZE == 8192


def test_an_existing_store_with_small_pages_keeps_them_and_still_opens_and_records(tmp_path):
    """Nobody's store is rewritten behind their back: a store made with 4 KiB pages keeps them
    (docs/operations.md says how to move it with VACUUM in a quiet hour) and works as before."""
    import sqlite3

    path = tmp_path / "state" / "runs.sqlite"
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA page_size=4096")
        conn.execute("CREATE TABLE earlier (x INTEGER)")  # the file now has 4 KiB pages
    store = open_store(f"sqlite:///{path}")
    assert store.current_revision() == head_revision()
    ctx = mini_run(tmp_path, date(2025, 6, 1), default_world(), db_url=f"sqlite:///{path}")
    assert ctx.summary["flags_opened"] > 0
    dispose_all()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == 4096
