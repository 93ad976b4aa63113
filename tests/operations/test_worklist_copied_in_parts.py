"""The web worklist copied into the run store a part at a time while the letters are written
(issue 16, session 15): a core team never sees a half-copied list, the web app can write while
the copy runs, an allocation a lead makes meanwhile lands on tonight's list, and a run that
fails or is killed leaves none of its rows behind. On SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import date, timedelta

import polars as pl
import pytest
from sqlalchemy import create_engine, func, select

from longerlives import store
from longerlives.store import web_snapshot
from longerlives.store.recovery import recover
from longerlives.store.web_models import Allocation, WorklistEntry, table_of
from longerlives.store.worklist import save_worklist_in_parts
from longerlives.web import data
from tests.operations.test_store_writes import _world

AS_OF = date(2026, 11, 1)
ENTRIES = table_of(WorklistEntry)
ALLOCATIONS = table_of(Allocation)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'runs.sqlite'}"
    return request.getfixturevalue("pg_url")


def _rows_of(engine, run_id: str) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).select_from(ENTRIES).where(ENTRIES.c.run_id == run_id)).scalar_one()
        )


def _shown_run(engine) -> str | None:  # noqa: ANN001
    with engine.connect() as conn:
        info = data.last_successful_run(conn, stale_hours=48)
    return None if info is None else info.run_id


def _night(db_url: str, run_id: str, as_of: date, world: dict[str, pl.DataFrame]) -> store.RunRecord:
    """A run whose worklist copy has finished (its rows made from ``world``), not yet committed."""
    run_store, _ = store.begin_run(db_url, run_id, as_of, engine_version="test", out_dir="/tmp/x", config_hash=None)
    record = store.begin_record(run_store, run_id, as_of)
    inputs: Future[int] = Future()
    rows = record.worklist_in_parts(inputs, lambda _: world["rows"], world["plans"], world["flags"], world["people"])
    inputs.set_result(0)
    assert rows.result().height == world["rows"].height  # the worklist files get the same rows
    record._copy.result()  # noqa: SLF001 - the copy is done: the state a web request meets before the commit
    return record


def test_team_sees_last_nights_list_until_tonights_run_has_succeeded(db_url):
    """While tonight's worklist is in the store but its run not yet recorded, the web app still
    shows last night's list, whole; once the run is recorded it shows tonight's, whole."""
    world = _world(1200)
    first = _night(db_url, "2026-10-31-first001", AS_OF - timedelta(days=1), world)
    first.commit({"people_in_scope": 1200}, {})
    engine = store.open_store(db_url).engine
    assert _shown_run(engine) == "2026-10-31-first001"

    tonight = _night(db_url, "2026-11-01-second01", AS_OF, world)
    assert _rows_of(engine, "2026-11-01-second01") == 1200  # copied and committed part by part ...
    assert _shown_run(engine) == "2026-10-31-first001"  # ... but not what a team sees yet
    assert _rows_of(engine, "2026-10-31-first001") == 1200

    tonight.commit({"people_in_scope": 1200}, {})
    assert _shown_run(engine) == "2026-11-01-second01"
    assert _rows_of(engine, "2026-11-01-second01") == 1200


def test_allocation_made_while_tonights_list_is_copied_is_on_tonights_list(db_url):
    """A lead moves a person to another team on last night's list after tonight's copy read the
    allocations: tonight's list has the person on that team, at the end of its list."""
    world = _world(900)
    first = _night(db_url, "2026-10-31-first002", AS_OF - timedelta(days=1), world)
    first.commit({"people_in_scope": 900}, {})
    engine = store.open_store(db_url).engine
    tonight = _night(db_url, "2026-11-01-second02", AS_OF, world)
    with engine.begin() as conn:
        person = conn.execute(
            select(ENTRIES.c.person_key, ENTRIES.c.nhs_number, ENTRIES.c.team)
            .where(ENTRIES.c.run_id == "2026-10-31-first002")
            .order_by(ENTRIES.c.id)
        ).first()
        assert person is not None
        other_team = next(t for t in ("CT01", "CT02", "CT03") if t != person.team)
        data.allocate(conn, "2026-10-31-first002", person.person_key, person.nhs_number, other_team, "lead1")

    tonight.commit({"people_in_scope": 900}, {})
    with engine.connect() as conn:
        moved = conn.execute(
            select(ENTRIES.c.team, ENTRIES.c.priority).where(
                ENTRIES.c.run_id == "2026-11-01-second02", ENTRIES.c.nhs_number == person.nhs_number
            )
        ).one()
        last = conn.execute(
            select(func.max(ENTRIES.c.priority)).where(
                ENTRIES.c.run_id == "2026-11-01-second02", ENTRIES.c.team == other_team
            )
        ).scalar_one()
    assert moved.team == other_team
    assert moved.priority == last


def test_run_failing_after_its_worklist_was_copied_leaves_none_of_its_rows(db_url):
    """The run fails before its outputs are in place: tonight's worklist rows are deleted and the
    web app keeps showing last night's list."""
    world = _world(800)
    first = _night(db_url, "2026-10-31-first003", AS_OF - timedelta(days=1), world)
    first.commit({"people_in_scope": 800}, {})
    tonight = _night(db_url, "2026-11-01-failed03", AS_OF, world)
    tonight.abort()
    engine = store.open_store(db_url).engine
    assert _rows_of(engine, "2026-11-01-failed03") == 0
    assert _rows_of(engine, "2026-10-31-first003") == 800
    assert _shown_run(engine) == "2026-10-31-first003"


def test_run_failing_before_its_letters_index_is_known_stops_the_copy_at_once(db_url):
    """The letters stage fails before the copy has its rows: abort returns (no wait for inputs
    that never come) and nothing of the run is in the store."""
    run_store, _ = store.begin_run(
        db_url, "2026-11-01-early004", AS_OF, engine_version="test", out_dir="/tmp/x", config_hash=None
    )
    record = store.begin_record(run_store, "2026-11-01-early004", AS_OF)
    world = _world(50)
    inputs: Future[int] = Future()
    rows = record.worklist_in_parts(inputs, lambda _: world["rows"], world["plans"], world["flags"], world["people"])
    record.abort()
    assert rows.done() and rows.exception() is not None
    assert _rows_of(run_store.engine, "2026-11-01-early004") == 0


def test_rows_of_a_run_killed_during_its_copy_are_removed_by_the_next_runs_recovery(db_url, tmp_path):
    """A run killed after some of its worklist parts were committed (never recorded): the next
    run's recovery marks it abandoned and deletes its rows; a succeeded run's rows stay."""
    world = _world(700)
    first = _night(db_url, "2026-10-31-first005", AS_OF - timedelta(days=1), world)
    first.commit({"people_in_scope": 700}, {})
    run_store, _ = store.begin_run(
        db_url, "2026-11-01-killed05", AS_OF, engine_version="test", out_dir="/tmp/x", config_hash=None
    )
    lazy, _ = web_snapshot(AS_OF, world["rows"], world["plans"], world["flags"], world["people"])
    save_worklist_in_parts(run_store.engine, "2026-11-01-killed05", lazy, part_rows=100)  # then "killed"
    assert _rows_of(run_store.engine, "2026-11-01-killed05") == 700

    result = recover(tmp_path / "no-outputs", db_url)
    assert result.abandoned == 1
    assert _rows_of(run_store.engine, "2026-11-01-killed05") == 0
    assert _rows_of(run_store.engine, "2026-10-31-first005") == 700


class _WebWritesBetweenParts:
    """Stands in for the copy's stop signal: before each part it makes a web app write (a
    session row) on another connection that will not wait for a lock at all."""

    def __init__(self, db_url: str) -> None:
        self.url = db_url
        self.writes = 0
        self.engine = create_engine(db_url, connect_args={"timeout": 0}) if db_url.startswith("sqlite") else None

    def is_set(self) -> bool:
        from sqlalchemy import text

        engine = self.engine or store.open_store(self.url).engine
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA busy_timeout=0")
            conn.execute(text("INSERT INTO web_keys (name, value) VALUES (:n, 'x')"), {"n": f"probe-{self.writes}"})
        self.writes += 1
        return False


def test_web_app_writes_between_the_copys_parts_without_waiting(db_url):
    """The copy holds the store's write lock for one part at a time: before every part another
    connection writes at once (no busy wait at all on SQLite), and every part still lands."""
    world = _world(1000)
    run_store, _ = store.begin_run(
        db_url, "2026-11-01-webwri06", AS_OF, engine_version="test", out_dir="/tmp/x", config_hash=None
    )
    lazy, _ = web_snapshot(AS_OF, world["rows"], world["plans"], world["flags"], world["people"])
    probe = _WebWritesBetweenParts(db_url)
    written, _ = save_worklist_in_parts(run_store.engine, "2026-11-01-webwri06", lazy, part_rows=100, stop=probe)  # type: ignore[arg-type]
    assert written == 1000
    assert probe.writes == 10  # one web write before each of the ten parts, none refused
    assert _rows_of(run_store.engine, "2026-11-01-webwri06") == 1000
