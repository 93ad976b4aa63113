"""A run's record written beside the output half, committed at the commit point (issue 16, session 6).

``store_record`` used to do all of a run's store writes after the outputs were in place:
flag history, letters issued, coverage, the web worklist — 7 s at 100,000 people on
SQLite, with nothing else running. ``RunRecord`` does the same writes on a thread of its
own, on a connection of its own, **in one transaction**, as soon as each one's inputs
exist, and commits only when ``commit`` is called once the outputs are in place:

* flag history — needs only the flags (known when outreach ends);
* letters issued — needs the letters index (after the letters stage);
* coverage — needs the report's counts (the output half's second thread);
* the web worklist — needs the worklist rows, whose ``last_letter`` / ``letter_this_run``
  columns come from the letters: submitted as soon as the worklists stage knows them, while
  it writes the worklist files (session 12; its texts are made a part ahead, ``store/worklist.py``).

The crash guarantees are those of ``record_run``: nothing is committed before the outputs
are in place (a run killed before its commit point leaves nothing in the store and is
marked abandoned by the next run), and a run killed after it but before ``commit`` is
completed from its outputs by the next run (``store/recovery.py``). On SQLite the
transaction holds the store's write lock from its first write to ``commit``: submit the
writes late enough that the window is short (after the letters stage, not at the start of
the output half) — the web app's own writes wait for it (busy timeout 60 s). On PostgreSQL
nothing the web app writes is locked by it.

Calls return at once; the writes run in order on the record's thread. ``commit`` waits for
them, records the run's totals and commits; ``abort`` rolls back (call it before
``record_failure``, which otherwise waits for the SQLite lock).

On SQLite the record's connection makes no checkpoint inside its commit (``wal_autocheckpoint``
is 0 on that connection only, and back to SQLite's default before it returns to the pool):
copying the run's ~250 MB of WAL into the database took 1.3 s of the 100,000-person
``store_record`` (session 8). ``commit`` starts a PASSIVE checkpoint on another thread and
connection instead — it never blocks a writer, and the delivery's audit lines are written
meanwhile — and ``settle`` waits for it. The record is durable at ``commit`` either way (the
WAL is the database until it is checkpointed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

import polars as pl
from sqlalchemy.engine import Connection, RootTransaction

from longerlives.crashpoints import crash_point
from longerlives.outputs.worklist_snapshot import Details
from longerlives.store.repository import Store, summary_json

if TYPE_CHECKING:
    from longerlives.outputs.worklist_snapshot import LazySnapshot
    from longerlives.outputs.worklists import WorklistOrder
    from longerlives.store.worklist import WorklistInBlocks

log = logging.getLogger(__name__)
T = TypeVar("T")
WAL_AUTOCHECKPOINT = 1000  # SQLite's default (pages): what every other connection of the store keeps


class RunRecord:
    """One run's store writes, made on a thread and connection of their own, committed together."""

    def __init__(self, store: Store, run_id: str, as_of: date) -> None:
        self.store, self.run_id, self.as_of = store, run_id, as_of
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="longerlives-store")
        self._ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="longerlives-store-ahead")
        self._details: Future[Details] | None = None
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None
        self._pending: list[Future[Any]] = []
        self._counted: dict[str, int] = {"flags_opened": 0, "flags_closed": 0, "letters_issued": 0}
        self._open_flags = 0
        self._done = False
        self._sqlite = store.engine.dialect.name == "sqlite"

    # -- on the record's thread ----------------------------------------------------
    def _connection(self) -> Connection:
        if self._conn is None:
            self._conn = self.store.engine.connect()
            if self._sqlite:
                # no checkpoint inside the commit: ``_checkpoint`` copies the WAL into the database on
                # another thread while the run delivers, ``settle`` waits for it (1.3 s at 100,000 people; session 8)
                self._driver().execute("PRAGMA wal_autocheckpoint=0")
            self._tx = self._conn.begin()
        return self._conn

    def _driver(self) -> Any:
        assert self._conn is not None
        return self._conn.connection.driver_connection

    def _submit(self, work: Callable[[Connection], T]) -> Future[T]:
        if self._done:
            raise RuntimeError(f"run record of {self.run_id} already committed or aborted")
        future = self._thread.submit(lambda: work(self._connection()))
        self._pending.append(future)
        return future

    def _flags(self, conn: Connection, flags: pl.DataFrame) -> None:
        opened, closed = self.store.update_flag_history(conn, flags, self.as_of, self.run_id)
        self._counted.update(flags_opened=opened, flags_closed=closed)
        self._open_flags = flags.height

    def _letters(self, conn: Connection, letters_index: pl.DataFrame, letter_flags: pl.DataFrame) -> None:
        # a block of people's letters at a time (issue 16, session 31): each call counts its own
        self._counted["letters_issued"] += self.store.record_letters(
            conn, letters_index, letter_flags, self.as_of, self.run_id
        )

    def _close(self, commit: bool) -> None:
        try:
            if self._tx is not None:
                self._tx.commit() if commit else self._tx.rollback()
        finally:
            if self._conn is not None:
                try:
                    if self._sqlite and not self._conn.invalidated:
                        self._driver().execute(
                            f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT}"
                        )  # back to the pool as it came
                finally:
                    self._conn.close()
            self._conn, self._tx = None, None

    def _checkpoint(self) -> None:
        """Copy the committed WAL into the database file (SQLite; PASSIVE: never blocks a writer)."""
        try:
            with self.store.engine.connect() as conn:
                conn.connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - the record is committed; the next commit checkpoints instead
            log.warning("run store checkpoint after run %s did not complete (%s)", self.run_id, type(exc).__name__)

    # -- called by the pipeline ------------------------------------------------------
    def flags(self, flags: pl.DataFrame) -> Future[None]:
        """Flag history: open new episodes, extend the ones still raised, resolve the ones gone."""
        return self._submit(lambda conn: self._flags(conn, flags))

    def flags_of(self, made: Callable[[], pl.DataFrame]) -> Future[None]:
        """``flags`` of the frame ``made`` returns, made on the record's thread when its turn comes (the
        pipeline's flags' keys are read back from the work folder there; issue 16, session 33)."""
        return self._submit(lambda conn: self._flags(conn, made()))

    def letters(self, letters_index: pl.DataFrame, letter_flags: pl.DataFrame) -> Future[None]:
        """Letters issued (``letter_flags``: what each letter covered, ``letters.ledger.cadence_flags``)."""
        return self._submit(lambda conn: self._letters(conn, letters_index, letter_flags))

    def letters_of(self, made: Callable[[], tuple[pl.DataFrame, pl.DataFrame]]) -> Future[None]:
        """``letters`` of the index and covered flags ``made`` returns, made on the record's thread when
        its turn comes (the pipeline's blocks of people are read back from the work folder there)."""
        return self._submit(lambda conn: self._letters(conn, *made()))

    def coverage(self, coverage: pl.DataFrame) -> Future[int]:
        """The run's coverage counts (kept for the report's trends)."""
        return self._submit(lambda conn: self.store.record_coverage(conn, coverage, self.as_of, self.run_id))

    def worklist_details(self, plans: pl.DataFrame | None, flags: pl.DataFrame, people: pl.DataFrame) -> None:
        """Build the web worklist's per-person texts (reasons, plan, risk) now, on a thread of
        their own — they need no letters — so ``worklist`` only joins them (pass the same
        frames to both). Not called by the pipeline: measured +150 MB peak at 100,000 people
        (1,130 MB against 980; the texts of everyone with a flag held through the worklists
        stage), over the 1.0 GB target (docs/benchmarks-output.md, "Session 6, S")."""
        from longerlives.outputs.worklist_snapshot import details_ahead

        self._details = self._ahead.submit(details_ahead, plans, flags, people)

    def worklist(
        self,
        rows: pl.DataFrame | WorklistOrder | None,
        plans: pl.DataFrame | None,
        flags: pl.DataFrame,
        people: pl.DataFrame,
    ) -> Future[int]:
        """Tonight's worklist for the web app (nothing when the run made no worklist)."""
        from longerlives.store import worklist_writer

        ahead = self._details

        def write(conn: Connection) -> int:
            ready = ahead.result() if ahead is not None else None
            return worklist_writer(self.run_id, self.as_of, rows, plans, flags, people, ready)(conn)

        return self._submit(write)

    def worklist_in_blocks(self, order: Callable[[], pl.DataFrame], keep_runs: int) -> WorklistBlocks:
        """Tonight's web worklist written a block of people at a time (``store.worklist.WorklistInBlocks``):
        ``order`` makes every row's ``outputs.worklist_snapshot.web_list_order``, on the record's thread when
        the worklist's turn comes (issue 16, session 35: not held by the caller through the letters)."""
        from longerlives.store.worklist import WorklistInBlocks

        writer = WorklistInBlocks(self.run_id, keep_runs)
        self._submit(lambda conn: writer.begin(conn, order()))
        return WorklistBlocks(self, writer)

    def commit(self, totals: Mapping[str, int | None], summary: Mapping[str, Any], status: str = "succeeded") -> dict:
        """Wait for every write, record the run's totals and status, commit. Returns what the
        store counted (``flags_opened``, ``flags_closed``, ``letters_issued``). Call once the
        outputs are in place."""

        def finish(conn: Connection) -> None:
            crash_point("store_record.in_transaction")
            values = {**totals, "open_flags": self._open_flags, **self._counted}
            self.store.finish_run(
                conn, self.run_id, status, summary_json=summary_json({**summary, **self._counted}), **values
            )
            self._close(commit=True)

        try:
            for future in self._pending:
                future.result()  # a failed write raises here, before anything is committed
            self._submit(finish).result()
        except BaseException:
            self.abort()
            raise
        self._done = True
        self._thread.shutdown(wait=True)
        if self._sqlite:
            self._ahead.submit(self._checkpoint)  # waited for by ``settle``
        log.info(
            "run %s recorded as %s: %d flags opened, %d closed, %d letters issued",
            self.run_id,
            status,
            self._counted["flags_opened"],
            self._counted["flags_closed"],
            self._counted["letters_issued"],
        )
        return dict(self._counted)

    def settle(self) -> None:
        """Wait for the work left after ``commit`` (SQLite: the checkpoint). Call before the run ends."""
        self._ahead.shutdown(wait=True)

    def abort(self) -> None:
        """Roll back every write of this record (the run failed before its commit point). Never raises."""
        if self._done:
            return
        self._done = True
        try:
            self._thread.submit(self._close, False).result()
        except Exception as exc:  # noqa: BLE001 - the run's own error is what matters
            log.warning("run record of %s could not be rolled back cleanly (%s)", self.run_id, type(exc).__name__)
        finally:
            self._thread.shutdown(wait=True)
            self._ahead.shutdown(wait=True)


class WorklistBlocks:
    """The web worklist's writes in a run's record, a block of people at a time (``RunRecord.worklist_in_blocks``)."""

    def __init__(self, record: RunRecord, writer: WorklistInBlocks) -> None:
        self._record, self._writer = record, writer

    def block(self, snapshot: Callable[[], LazySnapshot]) -> Future[None]:
        """A block's rows: ``snapshot`` makes its ``LazySnapshot`` on the record's thread."""
        return self._record._submit(lambda conn: self._writer.block(conn, snapshot()))

    def end(self) -> Future[int]:
        return self._record._submit(self._writer.end)
