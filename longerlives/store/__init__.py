"""Run store (issue 6): runs, flag history, letters issued, outreach outcomes and an
audit trail of exports and deliveries, in SQLite by default or PostgreSQL by URL.

Pipeline stage functions:

* ``stage_open(ctx)`` — open (and migrate) the store, record the run as running,
  load ``ctx.last_letters`` and ``ctx.outcomes``.
* ``stage_record(ctx, status)`` — after the outputs are in place: flag history,
  letters issued, run totals, in one transaction.
* ``record_failure(ctx, exc)`` — mark the run failed; never raises.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from longerlives.crashpoints import crash_point
from longerlives.store.cadence import letters_allowed
from longerlives.store.repository import (
    LAST_LETTERS_SCHEMA,
    OUTCOMES_SCHEMA,
    Store,
    dispose_all,
    head_revision,
    open_store,
    redact_url,
    summary_json,
)

log = logging.getLogger(__name__)


def state_dir_for(db_url: str, out_dir: Any) -> Path:
    """The state folder: beside a SQLite store, else ``<out parent>/.longerlives-state``."""
    if db_url.startswith("sqlite") and "///" in db_url:
        db = db_url.split("///", 1)[1]
        if db and db != ":memory:":
            return Path(db).resolve().parent
    state = Path(out_dir).resolve().parent / ".longerlives-state"
    state.mkdir(parents=True, exist_ok=True)
    return state

__all__ = [
    "Store",
    "open_store",
    "dispose_all",
    "head_revision",
    "stage_open",
    "stage_record",
    "record_failure",
    "letters_allowed",
    "state_dir_for",
    "LAST_LETTERS_SCHEMA",
    "OUTCOMES_SCHEMA",
]


def stage_open(ctx: Any) -> Store:
    """Open the store for this run; load what earlier runs and teams left behind."""
    store = open_store(ctx.db_url)
    config_hash = None
    try:
        config_hash = ctx.settings.digest()
    except Exception:  # noqa: BLE001 - a hand-built settings object in tests
        pass
    store.start_run(ctx.run_id, ctx.as_of, engine_version=getattr(ctx, "engine_version", None),
                    out_dir=str(ctx.out_dir), config_hash=config_hash)
    ctx.last_letters = store.last_letters()
    ctx.outcomes = store.latest_outcomes(ctx.as_of)
    log.info("run store %s opened for run %s: %d people with an earlier letter, %d with an outreach outcome",
             redact_url(ctx.db_url), ctx.run_id, ctx.last_letters.height, ctx.outcomes.height)
    return store


def _phc_six_complete(people: pl.DataFrame | None) -> int | None:
    if people is None or not {"health_check_cohort", "phc_elements_done"} <= set(people.columns):
        return None
    cohort = people.filter(pl.col("health_check_cohort").fill_null(False))
    if "in_scope" in people.columns:
        cohort = cohort.filter(pl.col("in_scope").fill_null(False))
    return int(cohort.filter(pl.col("phc_elements_done") >= 6).height)


def _team_codes(ctx: Any) -> list[str]:
    codes: set[str] = set()
    people = getattr(ctx, "people", None)
    if people is not None and "core_team" in people.columns:
        codes |= {str(c) for c in people["core_team"].drop_nulls().unique().to_list()}
    teams = getattr(getattr(ctx, "extract", None), "teams", None)
    if teams is not None and "team_code" in teams.columns:
        codes |= {str(c) for c in teams["team_code"].drop_nulls().unique().to_list()}
    return sorted(codes)


def stage_record(ctx: Any, status: str = "succeeded") -> dict[str, int]:
    """Record a finished run: flag history, letters issued and the run's totals (one transaction)."""
    store = open_store(ctx.db_url)
    flags = ctx.flags if ctx.flags is not None else pl.DataFrame(
        schema={"nhs_number": pl.String, "flag": pl.String, "since": pl.Date, "reason": pl.String})
    s = ctx.summary
    with store.engine.begin() as conn:
        opened, closed = store.update_flag_history(conn, flags, ctx.as_of, ctx.run_id)
        crash_point("store_record.in_transaction")
        from longerlives.letters.ledger import cadence_flags

        covered = cadence_flags(flags, getattr(ctx, "plans", None))  # safety letters count for the cadence
        letters = store.record_letters(conn, ctx.letters_index, covered, ctx.as_of, ctx.run_id)
        totals = {
            "people_in_scope": s.get("people_in_scope"),
            "health_check_cohort": s.get("health_check_cohort"),
            "phc_six_complete": _phc_six_complete(ctx.people),
            "open_flags": flags.height,
            "flags_opened": opened,
            "flags_closed": closed,
            "letters_issued": letters,
            "outcomes_applied": s.get("flags_held_by_outcomes"),
        }
        s.update({k: v for k, v in totals.items() if k in ("flags_opened", "flags_closed", "letters_issued",
                                                            "phc_six_complete")})
        s["team_codes"] = _team_codes(ctx)  # what `outcome record --team` accepts
        store.finish_run(conn, ctx.run_id, status, summary_json=summary_json(s), **totals)
    log.info("run %s recorded as %s: %d flags opened, %d closed, %d letters issued",
             ctx.run_id, status, opened, closed, letters)
    return {k: v for k, v in totals.items() if isinstance(v, int)}


def record_failure(ctx: Any = None, exc: BaseException | None = None, *, db_url: str | None = None,
                   run_id: str | None = None, as_of: date | None = None) -> None:
    """Mark a run failed in the store. Never raises: the original error matters more."""
    db_url = db_url or getattr(ctx, "db_url", None)
    run_id = run_id or getattr(ctx, "run_id", None)
    as_of = as_of or getattr(ctx, "as_of", None)
    if not db_url or not run_id:
        return
    message = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}" if exc else "failed"
    try:
        open_store(db_url).fail_run(run_id, as_of, message[:2000],
                                    engine_version=getattr(ctx, "engine_version", None),
                                    out_dir=str(getattr(ctx, "out_dir", "") or "") or None)
        log.warning("run %s recorded as failed (%s)", run_id, type(exc).__name__ if exc else "unknown")
    except Exception:  # noqa: BLE001
        log.exception("could not record run %s as failed in the run store", run_id)
