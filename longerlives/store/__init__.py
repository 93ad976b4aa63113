"""Run store (issue 6): runs, flag history, letters issued, outreach outcomes and an
audit trail of exports and deliveries, in SQLite by default or PostgreSQL by URL.

Only ``longerlives.pipeline`` and the commands import this package. The pipeline
uses it in four places, each a plain function of values:

* ``begin_run(...) -> (Store, History)`` — open (and migrate) the store, record the
  run as running, and read what earlier runs and teams left behind, once;
* ``record_run(...)`` — after the outputs are in place: flag history, letters issued
  and the run's totals, in one transaction;
* or, instead of ``record_run`` and ``record_worklist``: ``begin_record(...) -> RunRecord``,
  the same writes made on a thread of their own beside the output half, in one
  transaction committed at the commit point (``store/record.py``, issue 16 session 6);
* ``record_deliveries(...)`` — the audit lines of exports and deliveries;
* ``record_failure(...)`` — mark the run failed; never raises.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import polars as pl
from sqlalchemy.engine import Connection

from longerlives.crashpoints import crash_point
from longerlives.history import LAST_LETTERS_SCHEMA, OUTCOMES_SCHEMA, AuditLine, History
from longerlives.store.record import RunRecord
from longerlives.store.repository import (
    Store,
    dispose_all,
    head_revision,
    open_store,
    redact_url,
    summary_json,
)

if TYPE_CHECKING:
    from longerlives.outputs.worklist_snapshot import Details
    from longerlives.outputs.worklists import WorklistOrder

log = logging.getLogger(__name__)

__all__ = [
    "Store",
    "open_store",
    "dispose_all",
    "head_revision",
    "begin_run",
    "read_history",
    "record_run",
    "record_deliveries",
    "record_failure",
    "record_worklist",
    "worklist_writer",
    "begin_record",
    "RunRecord",
    "LAST_LETTERS_SCHEMA",
    "OUTCOMES_SCHEMA",
]


def read_history(store: Store, as_of: date) -> History:
    """What earlier runs and core teams left behind, as of the start of this run."""
    return History(
        last_letters=store.last_letters(),
        outcomes=store.latest_outcomes(as_of),
        delivered=store.delivered_on(as_of),
        coverage_trends=store.coverage_trends("all"),
        collected_batches=store.collected_batches(),
    )


def begin_run(
    db_url: str, run_id: str, as_of: date, *, engine_version: str, out_dir: str, config_hash: str | None
) -> tuple[Store, History]:
    """Open the store for this run, record it as running and read its history once."""
    store = open_store(db_url)
    store.start_run(run_id, as_of, engine_version=engine_version, out_dir=out_dir, config_hash=config_hash)
    history = read_history(store, as_of)
    log.info(
        "run store %s opened for run %s: %d people with an earlier letter, %d with an outreach outcome",
        redact_url(db_url),
        run_id,
        history.last_letters.height,
        history.outcomes.height,
    )
    return store, history


def record_run(
    store: Store,
    run_id: str,
    as_of: date,
    *,
    flags: pl.DataFrame,
    letters_index: pl.DataFrame,
    totals: Mapping[str, int | None],
    summary: Mapping[str, Any],
    status: str = "succeeded",
    coverage: pl.DataFrame | None = None,
    letter_flags: pl.DataFrame | None = None,
) -> dict[str, int]:
    """Record a finished run: flag history, letters issued, coverage counts and the run's totals
    (one transaction).

    ``letter_flags`` (``nhs_number, flag``) are what each letter covered for the cadence —
    the open flags plus ``safety.item`` (``letters.ledger.cadence_flags``); default ``flags``.
    Returns what the store counted (``flags_opened``, ``flags_closed``, ``letters_issued``)."""
    with store.engine.begin() as conn:
        opened, closed = store.update_flag_history(conn, flags, as_of, run_id)
        crash_point("store_record.in_transaction")
        letters = store.record_letters(
            conn, letters_index, flags if letter_flags is None else letter_flags, as_of, run_id
        )
        if coverage is not None:
            store.record_coverage(conn, coverage, as_of, run_id)
        counted = {"flags_opened": opened, "flags_closed": closed, "letters_issued": letters}
        values = {**totals, "open_flags": flags.height, **counted}
        store.finish_run(conn, run_id, status, summary_json=summary_json({**summary, **counted}), **values)
    log.info(
        "run %s recorded as %s: %d flags opened, %d closed, %d letters issued", run_id, status, opened, closed, letters
    )
    return counted


def record_worklist(
    store: Store,
    run_id: str,
    as_of: date,
    rows: pl.DataFrame | WorklistOrder | None,
    plans: pl.DataFrame | None,
    flags: pl.DataFrame,
    people: pl.DataFrame,
) -> int:
    """Tonight's worklist for the web app (issue 13); nothing when the run made no worklist."""
    with store.engine.begin() as conn:
        return worklist_writer(run_id, as_of, rows, plans, flags, people)(conn)


def worklist_writer(
    run_id: str,
    as_of: date,
    rows: pl.DataFrame | WorklistOrder | None,
    plans: pl.DataFrame | None,
    flags: pl.DataFrame,
    people: pl.DataFrame,
    ready: Details | None = None,
) -> Callable[[Connection], int]:
    """The web worklist's write, to run in a caller's transaction (``record_worklist``, ``RunRecord``);
    ``ready``: its per-person texts built ahead (``worklist_snapshot.details_ahead``)."""
    if rows is None:
        return lambda _conn: 0
    from longerlives.outputs.worklist_snapshot import lazy_snapshot
    from longerlives.store.worklist import save_worklist
    from longerlives.web.settings import load_web_settings

    web = load_web_settings()
    snapshot = lazy_snapshot(rows, plans, flags, people, as_of, web.same_day_bp_days, ready)  # details part by part
    return lambda conn: save_worklist(conn, run_id, snapshot, keep_runs=web.snapshot_keep_runs)


def begin_record(store: Store, run_id: str, as_of: date) -> RunRecord:
    """A run's record written beside the output half and committed at its commit point (``store/record.py``)."""
    return RunRecord(store, run_id, as_of)


def record_deliveries(store: Store, run_id: str, as_of: date, lines: Iterable[AuditLine]) -> None:
    """Write the audit lines of one run's exports and deliveries."""
    rows = [
        {
            "run_id": run_id,
            "as_of": as_of,
            "kind": a.kind,
            "practice_code": a.practice_code,
            "status": a.status,
            "rows": a.rows,
            "sha256": a.sha256,
            "channel": a.channel,
            "target": a.target,
            "message_id": a.message_id,
            "detail": a.detail,
        }
        for a in lines
    ]
    if rows:
        with store.engine.begin() as conn:
            store.add_audit_many(conn, rows)


def record_failure(
    db_url: str,
    run_id: str,
    as_of: date | None,
    exc: BaseException | None,
    *,
    engine_version: str | None = None,
    out_dir: str | None = None,
) -> None:
    """Mark a run failed in the store. Never raises: the original error matters more."""
    message = (
        "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}" if exc else "failed"
    )
    try:
        open_store(db_url).fail_run(run_id, as_of, message[:2000], engine_version=engine_version, out_dir=out_dir)
        log.warning("run %s recorded as failed (%s)", run_id, type(exc).__name__ if exc else "unknown")
    except Exception as failed:  # noqa: BLE001 - the run's own error is what the operator needs
        # one line, no traceback (issue 12): the run's own error follows and is what matters
        log.warning("could not record run %s as failed in the run store (%s)", run_id, type(failed).__name__)
