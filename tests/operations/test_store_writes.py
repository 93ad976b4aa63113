"""The run store's bulk writes (issue 16, session 5): written a chunk at a time, the
worklist's details built part by part, and the web worklist written on a second thread
while the run's own record and its delivery audit lines are written — on SQLite and on
PostgreSQL, everything lands exactly once."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime

import polars as pl
import pytest
from sqlalchemy import func, select

from longerlives import store
from longerlives.history import AuditLine
from longerlives.outputs.worklist_snapshot import _reasons, build_snapshot, flag_titles, lazy_snapshot
from longerlives.store.models import AuditEvent, FlagHistory, LetterIssued, Run
from longerlives.store.repository import bulk_insert
from longerlives.store.web_models import Allocation, WorklistEntry, table_of
from longerlives.store.worklist import save_worklist
from tests.operations.conftest import nhs

AS_OF = date(2026, 11, 1)
AT = datetime(2026, 10, 30, 9, 0, tzinfo=UTC)
TEAMS = ("T1", "T2", "T3")
FLAG_IDS = ("phc.blood_pressure", "phc.bmi", "phc.lipids", "screening.bowel")


def _world(people: int) -> dict[str, pl.DataFrame]:
    """``people`` people on three teams' lists with two to four open flags each, a plan and a risk score."""
    numbers = [nhs(i) for i in range(people)]
    flags = pl.DataFrame(
        [
            (n, f, date(2024, 1 + i % 12, 1 + i % 28) if i % 3 else None, f"Reason {f} for person {i}, 'quoted'")
            for i, n in enumerate(numbers)
            for f in FLAG_IDS[: 2 + i % 3]
        ],
        schema={"nhs_number": pl.String, "flag": pl.String, "since": pl.Date, "reason": pl.String},
        orient="row",
    )
    rows = pl.DataFrame(
        {
            "team": [TEAMS[i % 3] for i in range(people)],
            "priority": [0] * people,
            "nhs_number": numbers,
            "name": [f"Person {i}" for i in range(people)],
            "practice_code": ["A81001"] * people,
            "outreach": [i % 7 == 0 for i in range(people)],
            "flags": [";".join(FLAG_IDS[: 2 + i % 3]) for i in range(people)],
            "safety": [None if i % 11 else "Blood pressure 182/121" for i in range(people)],
            "urgency": ["same_day" if i % 11 == 0 else "soon" if i % 5 == 0 else "routine" for i in range(people)],
            "marginalisation_rank": [None if i % 13 == 0 else (i * 37) % people + 1 for i in range(people)],
            "last_letter": [date(2026, 1, 2) if i % 4 == 0 else None for i in range(people)],
        }
    )
    plans = pl.DataFrame(
        {"nhs_number": numbers, "actions": [[f"Step one for {i}", 'Step "two"'] for i in range(people)]}
    )
    people_frame = pl.DataFrame({"nhs_number": numbers, "qrisk3": [10.0 + (i % 90) / 7 for i in range(people)]})
    letters = pl.DataFrame(
        {
            "nhs_number": numbers[::2],
            "letter": ["phc_invite"] * len(numbers[::2]),
            "language": ["en"] * len(numbers[::2]),
            "format": ["standard"] * len(numbers[::2]),
            "path": [f"letters/{n}.html" for n in numbers[::2]],
        }
    )
    return {"flags": flags, "rows": rows, "plans": plans, "people": people_frame, "letters": letters}


def _count(engine, table, *where) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


def _entries(engine, run_id: str) -> list[tuple]:  # noqa: ANN001
    entries = table_of(WorklistEntry)
    cols = [c for c in entries.columns if c.name != "id"]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(*cols).where(entries.c.run_id == run_id).order_by(entries.c.id))]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'runs.sqlite'}"
    return request.getfixturevalue("pg_url")


def test_worklist_written_on_a_second_thread_while_the_run_is_recorded_and_delivered(db_url):
    """What the lead's concurrent output stages do: record_worklist on its own thread while
    record_run and the delivery audit lines are written. Every write lands, once."""
    world = _world(4000)
    run_id = "2026-11-01-conc0001"
    run_store, _ = store.begin_run(db_url, run_id, AS_OF, engine_version="test", out_dir="/tmp/x", config_hash=None)
    start = threading.Barrier(2)
    written: dict[str, int] = {}
    errors: list[BaseException] = []

    def worklist() -> None:
        try:
            start.wait()
            written["worklist"] = store.record_worklist(
                run_store, run_id, AS_OF, world["rows"], world["plans"], world["flags"], world["people"]
            )
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    thread = threading.Thread(target=worklist)
    thread.start()
    start.wait()
    counted = store.record_run(
        run_store,
        run_id,
        AS_OF,
        flags=world["flags"],
        letters_index=world["letters"],
        totals={"people_in_scope": 4000},
        summary={},
    )
    for practice in ("A81001", "B82002", "C83003"):
        line = AuditLine("delivery", practice, "ok", rows=10, sha256="0" * 64, channel="outbox", target="/tmp/o")
        store.record_deliveries(run_store, run_id, AS_OF, [line])
    thread.join(timeout=300)

    assert not errors, errors
    engine = run_store.engine
    assert written["worklist"] == 4000
    assert _count(engine, table_of(WorklistEntry), table_of(WorklistEntry).c.run_id == run_id) == 4000
    assert counted == {"flags_opened": world["flags"].height, "flags_closed": 0, "letters_issued": 2000}
    assert _count(engine, table_of(FlagHistory)) == world["flags"].height
    assert _count(engine, table_of(LetterIssued)) == 2000
    assert _count(engine, table_of(AuditEvent), table_of(AuditEvent).c.run_id == run_id) == 3
    with engine.connect() as conn:
        assert conn.execute(select(table_of(Run).c.status).where(table_of(Run).c.run_id == run_id)).scalar_one() == (
            "succeeded"
        )


def test_worklist_written_in_parts_is_the_list_written_whole_including_a_leads_allocations(db_url):
    """The lazy snapshot written 700 rows at a time stores exactly what the whole snapshot
    stores, with people a lead moved to another team renumbered in that team's list."""
    world = _world(2500)
    args = (world["rows"], world["plans"], world["flags"], world["people"], AS_OF, 30)
    run_store = store.open_store(db_url)
    with run_store.engine.begin() as conn:  # a lead moved a few people to other teams on the web
        conn.execute(
            table_of(Allocation).insert(),
            [
                {"nhs_number": nhs(i), "team": TEAMS[(i + 1) % 3], "allocated_by": "lead", "allocated_at": AT}
                for i in range(0, 2500, 9)
            ],
        )
    assert save_worklist(run_store.engine, "whole", build_snapshot(*args)) == 2500
    assert save_worklist(run_store.engine, "parts", lazy_snapshot(*args), part_rows=700) == 2500

    whole, parts = _entries(run_store.engine, "whole"), _entries(run_store.engine, "parts")
    assert [r[1:] for r in parts] == [r[1:] for r in whole]  # all but run_id
    moved = nhs(9)
    team_of = {r[3]: r[1] for r in parts}  # nhs_number -> team
    assert team_of[moved] == TEAMS[(9 + 1) % 3]


def test_a_worklist_part_that_fails_while_made_ahead_stops_the_write_and_leaves_no_rows(db_url):
    """Each part's texts are made on a helper thread while the part before is written: a part
    that cannot be made stops the whole write with its own error, and the night's transaction
    leaves no half-written list behind."""
    world = _world(2500)
    snapshot = lazy_snapshot(world["rows"], world["plans"], world["flags"], world["people"], AS_OF, 30)
    made: list[int] = []
    whole_details = snapshot.details

    def details(part: pl.DataFrame) -> pl.DataFrame:
        made.append(part.height)
        if len(made) == 3:
            raise ValueError("part three cannot be made")
        return whole_details(part)

    object.__setattr__(snapshot, "details", details)
    run_store = store.open_store(db_url)
    with pytest.raises(ValueError, match="part three"), run_store.engine.begin() as conn:
        save_worklist(conn, "broken", snapshot, part_rows=700)
    assert made == [700, 700, 700]  # nothing made after the failing part
    assert _entries(run_store.engine, "broken") == []


def test_lazy_snapshot_parts_join_up_to_the_whole_snapshot():
    world = _world(1500)
    args = (world["rows"], world["plans"], world["flags"], world["people"], AS_OF, 30)
    whole = build_snapshot(*args)
    parts = pl.concat(list(lazy_snapshot(*args).parts(400)))
    assert parts.equals(whole)
    assert whole.filter(pl.col("team") == "T1")["priority"].to_list() == list(range(1, 501))


def test_worklist_waiting_to_be_written_holds_the_list_order_not_a_sorted_copy_of_every_row():
    """While the web worklist is written part by part, the list order holds only what sorts it
    (issue 16, session 15): names, plans and contact details stay in the rows they came from, once,
    and each part takes its own; the parts still join up to the whole snapshot in list order."""
    world = _world(1200)
    lazy = lazy_snapshot(world["rows"], world["plans"], world["flags"], world["people"], AS_OF, 30)
    assert not {"name", "safety", "last_letter", "practice_code"} & set(lazy.order.columns)
    assert lazy.rest is not None and {"name", "safety", "last_letter"} <= set(lazy.rest.columns)
    whole = build_snapshot(world["rows"], world["plans"], world["flags"], world["people"], AS_OF, 30)
    first = lazy.details(lazy.order.slice(0, 10))
    assert first.equals(whole.head(10))
    assert first["name"].to_list() == whole["name"].head(10).to_list()


def test_person_page_lists_each_flag_with_its_title_reason_and_date_in_flag_order():
    """What the person page reads for each person: every open flag in flag-id order with the title a
    clinician knows it by (the id itself when a flag has no title), its reason word for word and the
    date it has been due since (null when unknown); the titles joined for the list, the kinds once each."""
    titles = flag_titles()
    flags = pl.DataFrame(
        {
            "nhs_number": [nhs(2), nhs(1), nhs(1), nhs(1), nhs(2)],
            "flag": ["phc.bmi", "phc.smoking", "ecg.annual", "x.unlisted", "phc.alcohol"],
            "reason": ['BMI "never" recorded', "Smoking status not recorded — ever", None, "Other", "Alcohol: 2024"],
            "since": [date(2025, 3, 1), None, date(2024, 1, 31), None, date(2025, 5, 9)],
        }
    )
    out = {r["nhs_number"]: r for r in _reasons(flags).iter_rows(named=True)}
    first = json.loads(out[nhs(1)]["reasons_json"])
    assert [r["flag"] for r in first] == ["ecg.annual", "phc.smoking", "x.unlisted"]
    assert [r["title"] for r in first] == [titles["ecg.annual"], titles["phc.smoking"], "x.unlisted"]
    assert [r["reason"] for r in first] == [None, "Smoking status not recorded — ever", "Other"]
    assert [r["since"] for r in first] == ["2024-01-31", None, None]
    assert out[nhs(1)]["flag_words"] == "; ".join([titles["ecg.annual"], titles["phc.smoking"], "x.unlisted"])
    assert out[nhs(1)]["kinds"] == ";ecg;phc;x;"
    second = json.loads(out[nhs(2)]["reasons_json"])
    assert [(r["flag"], r["reason"]) for r in second] == [
        ("phc.alcohol", "Alcohol: 2024"),
        ("phc.bmi", 'BMI "never" recorded'),
    ]
    assert out[nhs(2)]["kinds"] == ";phc;"


def test_bulk_insert_in_chunks_stores_what_one_plain_insert_stores(db_url):
    """Chunked inserts with constant columns (a run id with a quote, a date, a null) keep every
    value — dates, nulls, empty strings, quotes — as SQLAlchemy's own insert stores them."""
    run_store = store.open_store(db_url)
    history = table_of(FlagHistory)
    frame = pl.DataFrame(
        {
            "nhs_number": [nhs(i) for i in range(25)],
            "flag": ["phc.bmi", "", 'o\'brien "x", y'] * 8 + ["phc.lipids"],
            "since": [date(2025, 1, 1 + i) if i % 4 else None for i in range(25)],
        }
    )
    constants = {
        "first_seen": AS_OF,
        "last_seen": AS_OF,
        "resolved_on": None,
        "first_run_id": "run 'one'",
        "last_run_id": "run 'one'",
    }
    with run_store.engine.begin() as conn:
        bulk_insert(conn, history.name, frame, constants=constants, chunk_rows=4)
        conn.execute(history.insert(), [{**r, **constants, "first_run_id": "plain"} for r in frame.to_dicts()])
    cols = [c for c in history.columns if c.name not in ("id", "first_run_id")]
    with run_store.engine.connect() as conn:
        chunked = conn.execute(select(*cols).where(history.c.first_run_id == "run 'one'").order_by(history.c.id)).all()
        plain = conn.execute(select(*cols).where(history.c.first_run_id == "plain").order_by(history.c.id)).all()
    assert chunked == plain
    assert len(chunked) == 25
    assert chunked[1][1] == "" and chunked[0][2] is None and chunked[1][2] == date(2025, 1, 2)


def _night(run_store, flags: list[tuple[str, str]], as_of: date, run_id: str) -> tuple[int, int]:  # noqa: ANN001
    frame = pl.DataFrame(
        [(n, f, None) for n, f in flags],
        schema={"nhs_number": pl.String, "flag": pl.String, "since": pl.Date},
        orient="row",
    )
    with run_store.engine.begin() as conn:
        return run_store.update_flag_history(conn, frame, as_of, run_id)


def _episodes(run_store) -> dict[tuple[str, str], list[tuple]]:  # noqa: ANN001
    out: dict[tuple[str, str], list[tuple]] = {}
    for r in run_store.flag_history().iter_rows(named=True):
        out.setdefault((r["nhs_number"], r["flag"]), []).append(
            (r["first_seen"], r["last_seen"], r["resolved_on"], r["first_run_id"], r["last_run_id"])
        )
    return out


def test_nightly_flag_history_extends_what_is_still_raised_resolves_what_went_and_leaves_a_later_night_alone(db_url):
    """Session 9: still-raised episodes are extended by one condition instead of a list of ids.
    A data team checks: an episode raised again tonight is extended to tonight; one no longer
    raised is resolved tonight; one opened tonight is written once with tonight's run; a second
    run the same day extends tonight's episodes to its own run id; and an episode last seen
    by a later night (a run for an earlier as-of date, run afterwards) is neither extended
    nor resolved by it."""
    run_store = store.open_store(db_url)
    d1, d2, d3 = date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)
    bp, bmi, ecg = ("phc.blood_pressure", "phc.bmi", "ecg.annual")
    assert _night(run_store, [(nhs(1), bp), (nhs(1), bmi), (nhs(2), bp)], d1, "run-1") == (3, 0)
    assert _night(run_store, [(nhs(1), bp), (nhs(2), bp), (nhs(3), ecg)], d2, "run-2") == (1, 1)
    hist = _episodes(run_store)
    assert hist[(nhs(1), bp)] == [(d1, d2, None, "run-1", "run-2")]  # still raised: extended
    assert hist[(nhs(1), bmi)] == [(d1, d1, d2, "run-1", "run-2")]  # gone tonight: resolved tonight
    assert hist[(nhs(3), ecg)] == [(d2, d2, None, "run-2", "run-2")]  # new tonight: written once
    assert _night(run_store, [(nhs(1), bp), (nhs(2), bp), (nhs(3), ecg)], d2, "run-2b") == (0, 0)
    hist = _episodes(run_store)
    assert hist[(nhs(3), ecg)] == [(d2, d2, None, "run-2", "run-2b")]  # the same day again: its run id
    assert hist[(nhs(1), bmi)] == [(d1, d1, d2, "run-1", "run-2")]  # a resolved episode is never touched
    assert _night(run_store, [(nhs(4), bmi)], d3, "run-3") == (1, 3)
    assert _night(run_store, [(nhs(1), bp)], d2, "run-late") == (1, 0)  # d3's episode of person 4 is later
    hist = _episodes(run_store)
    assert hist[(nhs(4), bmi)] == [(d3, d3, None, "run-3", "run-3")]  # neither extended back nor resolved
    assert hist[(nhs(1), bp)][0] == (d1, d2, d3, "run-1", "run-3")
    assert hist[(nhs(1), bp)][1] == (d2, d2, None, "run-late", "run-late")
    assert {k: len(v) for k, v in hist.items()} == {  # no episode written twice, none lost
        (nhs(1), bp): 2,
        (nhs(1), bmi): 1,
        (nhs(2), bp): 1,
        (nhs(3), ecg): 1,
        (nhs(4), bmi): 1,
    }


def test_first_night_flags_out_of_order_and_repeated_open_one_episode_each_in_nhs_number_order(db_url):
    """Session 24: flags already one row a flag in NHS-number order are written as they are; any
    others are made so first. Either way a flag raised twice opens one episode, and the episodes
    are written in NHS-number, then flag, order (their ids follow it)."""
    run_store = store.open_store(db_url)
    bp, bmi = "phc.blood_pressure", "phc.bmi"
    flags = [(nhs(2), bp), (nhs(1), bmi), (nhs(1), bmi), (nhs(1), bp)]
    assert _night(run_store, flags, date(2026, 11, 1), "run-1") == (3, 0)
    written = run_store.flag_history().sort("id")
    assert list(zip(written["nhs_number"], written["flag"])) == [(nhs(1), bp), (nhs(1), bmi), (nhs(2), bp)]
    assert _night(run_store, sorted(set(flags))[:2], date(2026, 11, 2), "run-2") == (0, 1)  # person 2's resolved
    assert _episodes(run_store)[(nhs(2), bp)][0][2] == date(2026, 11, 2)


def test_flag_history_is_shaped_so_nightly_extensions_and_resolutions_touch_no_index(db_url):
    """Revision 0005: no index of flag_history holds last_seen, last_run_id or resolved_on (the
    columns each night updates), and on PostgreSQL half of each page stays free, so the new
    version of an extended episode is written beside it (a heap-only update)."""
    from sqlalchemy import inspect, text

    run_store = store.open_store(db_url)
    indexes = {i["name"]: i["column_names"] for i in inspect(run_store.engine).get_indexes("flag_history")}
    assert indexes == {"ix_flag_history_person_flag": ["nhs_number", "flag"]}
    if run_store.is_postgres:
        with run_store.engine.connect() as conn:
            options = conn.execute(text("SELECT reloptions FROM pg_class WHERE relname = 'flag_history'")).scalar_one()
        assert options == ["fillfactor=50"]


def test_no_store_index_only_repeats_the_leading_columns_of_another_so_a_night_writes_each_once(db_url):
    """Revision 0006: an index whose columns begin another index of the same table is never read
    (the longer one answers the same lookups) but is written for every letter issued and every
    outcome recorded. None is left, on either database, and a person's letters and outcomes are
    still found through an index that begins with the NHS number."""
    from sqlalchemy import inspect

    run_store = store.open_store(db_url)
    inspector = inspect(run_store.engine)
    repeated = []
    for table in inspector.get_table_names():
        keyed = [(i["name"], list(i["column_names"])) for i in inspector.get_indexes(table)]
        keyed += [(u["name"], list(u["column_names"])) for u in inspector.get_unique_constraints(table)]
        for name, columns in keyed:
            for other, longer in keyed:
                if other != name and len(longer) > len(columns) and longer[: len(columns)] == columns:
                    repeated.append((table, name, other))
    assert repeated == []
    assert ["nhs_number", "letter", "issued_on"] in [
        u["column_names"] for u in inspector.get_unique_constraints("letters_issued")
    ]
    assert ["nhs_number", "outcome_date"] in [i["column_names"] for i in inspector.get_indexes("outreach_outcomes")]


def test_a_persons_letters_and_outcomes_are_looked_up_by_an_index_not_a_scan(tmp_path):
    """SQLite's plan for the web app's and the cadence's lookups by NHS number after 0006:
    an index search on the remaining index, never a scan of the table."""
    run_store = store.open_store(f"sqlite:///{tmp_path / 'state' / 'runs.sqlite'}")
    with run_store.engine.connect() as conn:
        driver = conn.connection.driver_connection
        plans = {
            table: " ".join(
                str(row[-1])
                for row in driver.execute(f"EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE nhs_number = '9000000000'")
            )
            for table in ("letters_issued", "outreach_outcomes")
        }
    assert (
        "SEARCH letters_issued USING INDEX sqlite_autoindex_letters_issued_1 (nhs_number=?)" in plans["letters_issued"]
    )
    assert "SEARCH outreach_outcomes USING INDEX ix_outreach_outcomes_date (nhs_number=?)" in plans["outreach_outcomes"]


def test_a_large_worklist_copy_gets_a_page_cache_for_its_rows_and_gives_it_back(tmp_path, monkeypatch):
    """SQLite: the worklist copy runs with a page cache sized for its rows (the person index is
    written in hash order, so with SQLite's 2 MB default each insert read its page back), never
    more than the cap, and the connection goes back to its pool with the cache it came with."""
    from longerlives.store import worklist

    run_store = store.open_store(f"sqlite:///{tmp_path / 'state' / 'runs.sqlite'}")
    world = _world(2500)
    with run_store.engine.begin() as conn:
        driver = conn.connection.driver_connection
        before = driver.execute("PRAGMA cache_size").fetchone()[0]
        with worklist._sqlite_cache_for(conn, 500_000):
            assert driver.execute("PRAGMA cache_size").fetchone()[0] == -(500_000 * 100 // 1024)
        with worklist._sqlite_cache_for(conn, 10_000_000):
            assert driver.execute("PRAGMA cache_size").fetchone()[0] == -worklist.CACHE_KIB_MAX
        with worklist._sqlite_cache_for(conn, 2500):  # a small list keeps the default
            assert driver.execute("PRAGMA cache_size").fetchone()[0] == before
        monkeypatch.setattr(worklist, "CACHE_BYTES_PER_ROW", 100_000)  # 2,500 rows now need a large cache
        snapshot = lazy_snapshot(world["rows"], world["plans"], world["flags"], world["people"], AS_OF, 30)
        assert save_worklist(conn, "night", snapshot, part_rows=700) == 2500
        assert driver.execute("PRAGMA cache_size").fetchone()[0] == before
    assert len(_entries(run_store.engine, "night")) == 2500


def test_a_persons_web_key_is_the_same_whether_made_alone_or_with_the_whole_list():
    """The worklist copy makes every person's key from one keyed state (issue 16, session 19):
    each key is exactly the one-shot HMAC-SHA256 of that NHS number, so links and the audit
    trail name the same person from night to night."""
    import hashlib
    import hmac

    from longerlives.store.worklist import person_keys

    secret = b"a server secret of the store"
    numbers = ["9434765919", "9434765870", "9434765919", "4010232137", ""]
    keys = person_keys(secret, numbers)
    assert keys == [hmac.digest(secret, n.encode(), hashlib.sha256).hex()[:24] for n in numbers]
    assert keys[0] == keys[2] and keys[0] != keys[1]
    assert all(len(k) == 24 and "9434765919" not in k for k in keys)
    assert person_keys(b"another store's secret", numbers[:1]) != keys[:1]
