"""Each night's worklist in the run store, for the web app (issue 13).

``save_worklist(target, run_id, snapshot)`` bulk-inserts the rows built by
``longerlives.outputs.worklist_snapshot.build_snapshot`` (bulk:
``COPY`` on PostgreSQL, executemany of plain tuples on SQLite, a chunk at a time). Before it does, a lead's
allocation of a person to a team (``allocations``) overrides the extract's core
team, so an allocation made on the web survives the next run; priorities are
renumbered within each team afterwards.

Every row gets an opaque ``person_key`` — a keyed hash (HMAC-SHA256) of the NHS
number under a secret kept in ``web_keys`` — so URLs and access logs never carry
an NHS number, and the same person keeps the same key from one night to the next.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import TypeVar, cast

import polars as pl
from sqlalchemy import delete, func, select, text
from sqlalchemy.engine import Connection, Engine

from longerlives.outputs.worklist_snapshot import LazySnapshot, in_list_order
from longerlives.store.repository import bulk_insert, insert_tuples, sqlite_tuples
from longerlives.store.web_models import Allocation, WebKey, WorklistEntry, table_of

ENTRIES = table_of(WorklistEntry)
ALLOCATIONS = table_of(Allocation)
KEYS = table_of(WebKey)
PERSON_KEY_SECRET = "person_key"
T = TypeVar("T")
PART_ROWS = 5_000  # worklist rows whose details are built and written at a time (issue 16; 10,000 until session 34)
# SQLite page cache while the worklist is copied: enough for the person index's pages (about 60 bytes
# a row, inserted in random order) to stay cached, instead of SQLite's 2 MB default; scaled by the
# rows so a small run's peak memory does not grow (issue 16, session 13).
CACHE_BYTES_PER_ROW = 100
CACHE_KIB_MAX = 65_536


def person_key_secret(conn: Connection) -> bytes:
    """The server secret behind person keys (made once, on first use)."""
    row = conn.execute(select(KEYS.c.value).where(KEYS.c.name == PERSON_KEY_SECRET)).first()
    if row is None:
        value = secrets.token_hex(32)
        conn.execute(KEYS.insert().values(name=PERSON_KEY_SECRET, value=value))
        return value.encode()
    return str(row[0]).encode()


def person_keys(secret: bytes, nhs_numbers: list[str]) -> list[str]:
    """Each number's ``person_key``: the first 24 hex digits of HMAC-SHA256(secret, NHS number).
    The keyed state is made once and copied per number (OpenSSL's HMAC copy), not the key hashed
    again for every one — 0.35 against 0.6 s a 92,000 numbers with one-shot HMACs (issue 16,
    session 19); a test holds the keys to the one-shot HMAC's."""
    keyed = hmac.new(secret, digestmod=hashlib.sha256)
    out = []
    for number in nhs_numbers:
        h = keyed.copy()
        h.update(number.encode())
        out.append(h.hexdigest()[:24])
    return out


def latest_allocations(conn: Connection) -> pl.DataFrame:
    """``nhs_number, team``: each person's latest allocation by a lead."""
    rows = conn.execute(select(ALLOCATIONS.c.id, ALLOCATIONS.c.nhs_number, ALLOCATIONS.c.team)).all()
    frame = pl.DataFrame(rows, schema={"id": pl.Int64, "nhs_number": pl.String, "team": pl.String}, orient="row")
    return frame.sort("id").group_by("nhs_number", maintain_order=True).last().select("nhs_number", "team")


def _apply_allocations(snapshot: pl.DataFrame, allocations: pl.DataFrame) -> pl.DataFrame:
    if allocations.height == 0:
        return snapshot
    out = snapshot.join(allocations.rename({"team": "_allocated"}), on="nhs_number", how="left")
    return in_list_order(out.with_columns(pl.coalesce("_allocated", "team").alias("team")).drop("_allocated"))


def save_worklist(
    target: Engine | Connection,
    run_id: str,
    snapshot: pl.DataFrame | LazySnapshot,
    *,
    keep_runs: int = 14,
    part_rows: int = PART_ROWS,
) -> int:
    """Write one run's worklist (replacing any rows already there for ``run_id``); returns rows written.

    A ``LazySnapshot`` is written ``part_rows`` rows at a time, each part's details built
    just before it is written (issue 16). Snapshots of all but the latest ``keep_runs`` runs
    are deleted (outcomes, allocations and the audit trail are kept for ever)."""
    if isinstance(target, Engine):
        with target.begin() as conn:
            return save_worklist(conn, run_id, snapshot, keep_runs=keep_runs, part_rows=part_rows)
    conn = target
    secret = person_key_secret(conn)
    lazy = snapshot if isinstance(snapshot, LazySnapshot) else None
    order = lazy.order if lazy is not None else cast(pl.DataFrame, snapshot)
    order = _apply_allocations(order.with_columns(pl.col("nhs_number").cast(pl.String)), latest_allocations(conn))
    conn.execute(delete(ENTRIES).where(ENTRIES.c.run_id == run_id))
    with _sqlite_cache_for(conn, order.height):
        _insert(conn, run_id, secret, order, lazy, part_rows)
    _end_snapshot(conn, run_id, keep_runs)
    return order.height


def _insert(
    conn: Connection,
    run_id: str,
    secret: bytes,
    order: pl.DataFrame,
    lazy: LazySnapshot | None,
    part_rows: int,
) -> None:
    """``order``'s rows (with their details when ``lazy``), ``part_rows`` at a time (SQLite's page cache
    sized by the caller for the whole list: ``_sqlite_cache_for``)."""
    columns = [c.name for c in ENTRIES.columns if c.name not in ("id", "run_id")]

    def part_at(offset: int) -> pl.DataFrame:
        part = order.slice(offset, part_rows)
        if lazy is not None:
            part = lazy.details(part)
        keys = person_keys(secret, part["nhs_number"].to_list())
        return part.with_columns(pl.Series("person_key", keys, dtype=pl.String)).select(columns)

    parts = (part_at(offset) for offset in range(0, order.height, part_rows))
    if conn.dialect.name == "sqlite":
        # executemany of tuples (not JSON: long texts cost twice the CPU through json_each; session 6),
        # each part's texts, keys and tuples made on a helper thread while the part before is inserted
        # (sqlite3 releases the interpreter while SQLite inserts; issue 16, session 12)
        tuples = _one_ahead(sqlite_tuples(part) for part in parts)
        insert_tuples(conn, ENTRIES.name, columns, tuples, constants={"run_id": run_id})
    else:  # COPY on PostgreSQL, a chunk at a time (issue 16)
        for part in _one_ahead(parts):
            bulk_insert(conn, ENTRIES.name, part, constants={"run_id": run_id})


class WorklistInBlocks:
    """``save_worklist`` for a list whose rows' details come a block of people at a time (the
    pipeline's output half; issue 16, session 31): ``begin`` with every row's order (``web_list_order``:
    the allocations applied and the priorities numbered in the whole list, as ``save_worklist`` does),
    ``block`` for each block's ``LazySnapshot`` (its rows, in NHS-number order, numbered as in the whole
    list), ``end`` once all are in. The same rows as ``save_worklist``'s, inserted in NHS-number order."""

    def __init__(self, run_id: str, keep_runs: int, part_rows: int = PART_ROWS) -> None:
        self.run_id, self.keep_runs, self.part_rows = run_id, keep_runs, part_rows
        self._order: pl.DataFrame | None = None
        self._secret = b""
        self._rows = 0
        self._cache = ExitStack()

    def begin(self, conn: Connection, order: pl.DataFrame) -> None:
        self._secret = person_key_secret(conn)
        self._order = _apply_allocations(
            order.with_columns(pl.col("nhs_number").cast(pl.String)), latest_allocations(conn)
        )
        conn.execute(delete(ENTRIES).where(ENTRIES.c.run_id == self.run_id))
        # SQLite's page cache sized once for the whole list, until ``end``: set back after every block,
        # each block began with the person index's pages gone from it (issue 16, session 32: 20 blocks
        # of 30,000 people wrote the 600,000-person list about 10 s slower)
        self._cache.enter_context(_sqlite_cache_for(conn, self._order.height))

    def block(self, conn: Connection, snapshot: LazySnapshot) -> None:
        if self._order is None:
            raise RuntimeError("the web worklist's blocks come after its begin")
        from longerlives.outputs.worklist_snapshot import ROW

        own = snapshot.order.select(pl.col("nhs_number").cast(pl.String), ROW)
        mine = own.join(self._order, on="nhs_number", how="left").sort("nhs_number")
        if mine["priority"].null_count():
            raise RuntimeError("a block's worklist row is not in the list's order")
        _insert(conn, self.run_id, self._secret, mine, snapshot, self.part_rows)
        self._rows += mine.height

    def end(self, conn: Connection) -> int:
        self._cache.close()  # SQLite's page cache as it was
        _end_snapshot(conn, self.run_id, self.keep_runs)
        if self._order is not None and self._rows != self._order.height:
            raise RuntimeError(f"web worklist: {self._rows} rows written of {self._order.height}")
        return self._rows


@contextmanager
def _sqlite_cache_for(conn: Connection, rows: int) -> Iterator[None]:
    """SQLite's page cache on this connection sized for inserting ``rows`` worklist rows, and back
    as it was afterwards. The person index is keyed by a hash, so its pages are written in random
    order: with the 2 MB default each insert read its leaf page back (554,371 rows: 11.5 s against
    6.2–7.6 s with 48–64 MB; 92,000 rows: 1.2 against 1.0 s with 8 MB; session 13). Nothing on another
    database."""
    if conn.dialect.name != "sqlite":
        yield
        return
    kib = min(CACHE_KIB_MAX, rows * CACHE_BYTES_PER_ROW // 1024)
    driver = conn.connection.driver_connection
    before = int(driver.execute("PRAGMA cache_size").fetchone()[0])  # type: ignore[union-attr]
    page = int(driver.execute("PRAGMA page_size").fetchone()[0])  # type: ignore[union-attr]
    # a negative cache_size is KiB, a positive one pages: compare like with like
    if (-before if before < 0 else before * page // 1024) >= kib:
        yield
        return
    driver.execute(f"PRAGMA cache_size=-{kib}")  # type: ignore[union-attr]
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size={before}")  # type: ignore[union-attr]


_END = object()


def _one_ahead(items: Iterator[T]) -> Iterator[T]:
    """``items`` in order, the next one made on a helper thread while the caller uses this one."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="longerlives-worklist-ahead") as helper:
        coming = helper.submit(next, items, _END)
        while (item := coming.result()) is not _END:
            coming = helper.submit(next, items, _END)
            yield cast(T, item)


def _end_snapshot(conn: Connection, run_id: str, keep_runs: int) -> None:
    """Once a run's rows are in: older snapshots pruned, and on PostgreSQL fresh statistics (the list
    query then uses its index at once)."""
    _prune(conn, run_id, keep_runs)
    if conn.dialect.name == "postgresql":
        conn.execute(text("ANALYZE worklist_entries"))


def _prune(conn: Connection, run_id: str, keep_runs: int) -> None:
    runs = conn.execute(
        select(ENTRIES.c.run_id, func.min(ENTRIES.c.id).label("first")).group_by(ENTRIES.c.run_id)
    ).all()
    ordered = [r for r, _ in sorted(runs, key=lambda r: r[1], reverse=True)]
    for old in ordered[max(keep_runs, 1) :]:
        if old != run_id:
            conn.execute(delete(ENTRIES).where(ENTRIES.c.run_id == old))
