"""A run's record written beside the output half (issue 16, session 6): flag history, letters
issued, coverage and the web worklist written on the record's own thread and connection while
other writes of the same run go on, committed together once the outputs are in place — and
nothing at all in the store if the run fails before then. On SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import polars as pl
import pytest
from sqlalchemy import func, select

from longerlives import store
from longerlives.history import AuditLine
from longerlives.outputs.worklist_snapshot import build_snapshot, details_ahead, lazy_snapshot
from longerlives.store.models import AuditEvent, CoverageRow, FlagHistory, LetterIssued, Run
from longerlives.store.web_models import WorklistEntry, table_of
from tests.operations.test_store_writes import _world

AS_OF = date(2026, 11, 1)
COVERAGE = pl.DataFrame(
    {
        "measure": ["phc.bmi", "phc.bmi", "phc.lipids"],
        "group_by": ["all", "practice", "all"],
        "group": ["all", "A81001", "all"],
        "numerator": [120, 40, 77],
        "denominator": [400, 90, 400],
    }
)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'runs.sqlite'}"
    return request.getfixturevalue("pg_url")


def _count(engine, table, *where) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _status(engine, run_id: str) -> str:  # noqa: ANN001
    runs = table_of(Run)
    with engine.connect() as conn:
        return str(conn.execute(select(runs.c.status).where(runs.c.run_id == run_id)).scalar_one())


def _rows(engine, table, drop: set[str]) -> list[tuple]:  # noqa: ANN001
    cols = [c for c in table.columns if c.name not in drop]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*cols).order_by(table.c.id))]


def test_record_written_beside_while_the_runs_audit_lines_are_written_lands_everything_once(db_url):
    """The record's writes run on its thread while another thread writes the same run's audit
    lines; after commit every flag episode, letter, coverage count, worklist row and audit line
    is there once, and the run is succeeded with the counts the store made."""
    world = _world(3000)
    run_id = "2026-11-01-beside01"
    run_store, _ = store.begin_run(db_url, run_id, AS_OF, engine_version="test", out_dir="/tmp/x", config_hash=None)
    record = store.begin_record(run_store, run_id, AS_OF)
    record.flags(world["flags"])
    record.letters(world["letters"], world["flags"])
    record.coverage(COVERAGE)
    record.worklist(world["rows"], world["plans"], world["flags"], world["people"])
    errors: list[BaseException] = []

    def audit() -> None:
        try:
            for practice in ("A81001", "B82002"):
                line = AuditLine("export", practice, "ok", rows=5, sha256="1" * 64, channel="outbox", target="/tmp/o")
                store.record_deliveries(run_store, run_id, AS_OF, [line])
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    other = threading.Thread(target=audit)
    other.start()
    counted = record.commit({"people_in_scope": 3000}, {"note": "beside"})
    other.join(timeout=120)

    assert not errors, errors
    engine = run_store.engine
    assert counted == {"flags_opened": world["flags"].height, "flags_closed": 0, "letters_issued": 1500}
    assert _count(engine, table_of(FlagHistory)) == world["flags"].height
    assert _count(engine, table_of(LetterIssued), table_of(LetterIssued).c.run_id == run_id) == 1500
    assert _count(engine, table_of(CoverageRow), table_of(CoverageRow).c.run_id == run_id) == 3
    assert _count(engine, table_of(WorklistEntry), table_of(WorklistEntry).c.run_id == run_id) == 3000
    assert _count(engine, table_of(AuditEvent), table_of(AuditEvent).c.run_id == run_id) == 2
    assert _status(engine, run_id) == "succeeded"
    runs = table_of(Run)
    with engine.connect() as conn:
        row = conn.execute(select(runs).where(runs.c.run_id == run_id)).mappings().one()
    assert (row["open_flags"], row["letters_issued"], row["people_in_scope"]) == (world["flags"].height, 1500, 3000)


def test_record_written_beside_stores_what_record_run_and_record_worklist_store(tmp_path):
    """Same inputs, two stores: the beside record and the one-after-another writes keep the
    same flag episodes, letters, coverage and worklist rows (run ids and person keys aside)."""
    world = _world(1200)
    stores = {}
    for way in ("after", "beside"):
        url = f"sqlite:///{tmp_path / way / 'runs.sqlite'}"
        run_store, _ = store.begin_run(url, f"run-{way}", AS_OF, engine_version="t", out_dir="/x", config_hash=None)
        if way == "after":
            store.record_run(
                run_store,
                f"run-{way}",
                AS_OF,
                flags=world["flags"],
                letters_index=world["letters"],
                totals={},
                summary={},
                coverage=COVERAGE,
            )
            store.record_worklist(
                run_store, f"run-{way}", AS_OF, world["rows"], world["plans"], world["flags"], world["people"]
            )
        else:
            record = store.begin_record(run_store, f"run-{way}", AS_OF)
            record.worklist_details(world["plans"], world["flags"], world["people"])  # built before the list
            record.worklist(world["rows"], world["plans"], world["flags"], world["people"])
            record.coverage(COVERAGE)
            record.letters(world["letters"], world["flags"])
            record.flags(world["flags"])
            record.commit({}, {})
        stores[way] = run_store.engine
    runs = {"run_id", "first_run_id", "last_run_id", "person_key", "id"}
    for table in (table_of(FlagHistory), table_of(LetterIssued), table_of(CoverageRow), table_of(WorklistEntry)):
        after, beside = _rows(stores["after"], table, runs), _rows(stores["beside"], table, runs)
        assert beside == after, table.name
        assert after, table.name


def test_a_run_failing_before_its_outputs_are_in_place_leaves_nothing_of_its_record(db_url):
    """Writes made beside the output half, then the run fails: abort rolls them back, the run
    is recorded as failed at once (no wait for a lock), and no letter counts as issued."""
    world = _world(800)
    run_id = "2026-11-01-failed01"
    run_store, _ = store.begin_run(db_url, run_id, AS_OF, engine_version="test", out_dir="/tmp/x", config_hash=None)
    record = store.begin_record(run_store, run_id, AS_OF)
    record.flags(world["flags"])
    record.letters(world["letters"], world["flags"])
    record.worklist(world["rows"], world["plans"], world["flags"], world["people"]).result()
    engine = run_store.engine
    assert _count(engine, table_of(LetterIssued)) == 0  # not visible before the commit point

    record.abort()
    store.record_failure(db_url, run_id, AS_OF, RuntimeError("exports failed"))

    assert _status(engine, run_id) == "failed"
    assert _count(engine, table_of(FlagHistory)) == 0
    assert _count(engine, table_of(LetterIssued)) == 0
    assert _count(engine, table_of(WorklistEntry)) == 0
    assert store.open_store(db_url).last_letters().height == 0


def test_flag_history_of_more_episodes_than_postgresql_binds_in_one_statement(pg_url):
    """70,000 open episodes (PostgreSQL takes at most 65,535 bind parameters a statement):
    opened, all extended the next night, half resolved the night after — every count right."""
    people = 35_000
    flags = pl.DataFrame(
        {
            "nhs_number": [f"9{i:09d}" for i in range(people) for _ in range(2)],
            "flag": ["phc.bmi", "phc.lipids"] * people,
            "since": [date(2025, 3, 1)] * (2 * people),
        }
    )
    run_store = store.open_store(pg_url)
    history = table_of(FlagHistory)
    half = flags.filter(pl.col("flag") == "phc.bmi")
    for night, frame in enumerate((flags, flags, half)):
        with run_store.engine.begin() as conn:
            opened, closed = run_store.update_flag_history(conn, frame, AS_OF + timedelta(days=night), f"n{night}")
        assert (opened, closed) == [(70_000, 0), (0, 0), (0, 35_000)][night]
    engine = run_store.engine
    assert _count(engine, history) == 70_000
    assert _count(engine, history, history.c.resolved_on == AS_OF + timedelta(days=2)) == 35_000
    assert _count(engine, history, history.c.last_seen == AS_OF + timedelta(days=2)) == 35_000


def test_letters_recorded_on_sqlite_keep_every_character_of_their_paths_and_languages(tmp_path):
    """SQLite's bulk insert goes through JSON now: Welsh and Polish letters, backslashes,
    quotes, tabs and newlines in a path come back exactly as written."""
    paths = ["letters/A81001/ŵŷ-Łódź.html", 'letters/B\\82002/"quoted" name.html', "letters/C/tab\tnew\nline.html"]
    index = pl.DataFrame(
        {
            "nhs_number": ["9000000001", "9000000002", "9000000003"],
            "letter": ["phc_invite"] * 3,
            "language": ["cy", "pl", None],
            "format": ["standard", "large_print", ""],
            "path": paths,
        }
    )
    run_store = store.open_store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    with run_store.engine.begin() as conn:
        assert run_store.record_letters(conn, index, None, AS_OF, "run-1") == 3
    stored = run_store.letters().sort("nhs_number")
    assert stored["path"].to_list() == paths
    assert stored["language"].to_list() == ["cy", "pl", None]
    assert stored["format"].to_list() == ["standard", "large_print", ""]
    assert stored["issued_on"].to_list() == [AS_OF] * 3


def test_worklist_texts_built_before_the_list_is_known_are_the_texts_built_with_it():
    """Reasons, plan and risk built for everyone with a flag before the letters are written,
    then joined to the list: the same snapshot, row for row, as building them with the list."""
    world = _world(1500)
    args = (world["rows"], world["plans"], world["flags"], world["people"], AS_OF, 30)
    ahead = details_ahead(world["plans"], world["flags"], world["people"])
    whole = build_snapshot(*args)
    joined = pl.concat(list(lazy_snapshot(*args, ready=ahead).parts(400)))
    assert joined.equals(whole)
    assert joined["reasons_json"].null_count() == 0 and joined["plan_json"].null_count() == 0


def test_sqlite_record_is_in_the_database_file_after_settle_and_its_connection_checkpoints_again(tmp_path):
    """Session 8: the record's commit makes no checkpoint itself; ``settle`` waits for the one made
    on another thread. Afterwards the whole record is in the database file (the WAL holds nothing
    left to copy), a reader sees every row, and the connection the record used went back to the
    pool with SQLite's automatic checkpoint on again."""
    world = _world(3000)
    url = f"sqlite:///{tmp_path / 'state' / 'runs.sqlite'}"
    run_id = "2026-11-01-settle01"
    run_store, _ = store.begin_run(url, run_id, AS_OF, engine_version="test", out_dir="/tmp/x", config_hash=None)
    record = store.begin_record(run_store, run_id, AS_OF)
    record.flags(world["flags"])
    record.worklist(world["rows"], world["plans"], world["flags"], world["people"])
    record.commit({"people_in_scope": 3000}, {"note": "settle"})
    record.settle()

    engine = run_store.engine
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        pages = driver.execute("PRAGMA page_count").fetchone()[0] * driver.execute("PRAGMA page_size").fetchone()[0]
        pooled = [driver.execute("PRAGMA wal_autocheckpoint").fetchone()[0]]
    assert (tmp_path / "state" / "runs.sqlite").stat().st_size == pages  # every page copied out of the WAL
    assert pages > 500_000  # (the record's rows, not just the schema)
    assert pooled == [1000]
    assert _count(engine, table_of(FlagHistory)) == world["flags"].height
    assert _count(engine, table_of(WorklistEntry), table_of(WorklistEntry).c.run_id == run_id) == 3000
    assert _status(engine, run_id) == "succeeded"
