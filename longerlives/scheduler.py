"""``longerlives schedule``: the nightly job under APScheduler 3.x.

* One process, a BlockingScheduler (never inside web workers).
* Persistent ``SQLAlchemyJobStore`` (table ``apscheduler_jobs``) in the run store's
  database, so a missed night is known after a restart; job id ``nightly`` is
  replaced at start-up.
* ``coalesce=True`` (a backlog of missed nights runs once), ``max_instances=1``, a
  misfire grace period (default 6 h).
* A cron time safe across clock changes: 02:30 Europe/London by default (01:xx
  happens twice on the autumn fall-back day).
* The job body calls ``longerlives.pipeline.run`` exactly as ``longerlives run`` does
  (the pipeline takes the cross-process run lock, the one place it is taken); if
  another run holds the lock it logs "busy" and skips.

Log lines carry run ids, dates and counts only, never patient data.
"""

from __future__ import annotations

import logging
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from longerlives.errors import RunLockedError
from longerlives.settings.operations import SchedulerSettings

log = logging.getLogger(__name__)
JOB_ID = "nightly"
JOBS_TABLE = "apscheduler_jobs"


def nightly_job(
    extract_dir: str, out_dir: str, db_url: str, config: str | None = None, timezone: str = "Europe/London"
) -> str | None:
    """The scheduled job (module-level so APScheduler can pickle a reference to it).

    Returns the run id, or None when skipped because another run holds the lock.
    """
    from longerlives.pipeline import run

    as_of = datetime.now(ZoneInfo(timezone)).date()
    try:
        report = run(Path(extract_dir), Path(out_dir), as_of, config=config, db_url=db_url)
    except RunLockedError:
        log.warning("nightly run as of %s skipped: another run is in progress", as_of)
        return None
    except Exception as exc:
        log.error("nightly run as of %s failed: %s", as_of, type(exc).__name__)
        raise
    s = report.summary
    log.info(
        "nightly run %s as of %s done: %s people in scope, %s open flags",
        report.run_id,
        as_of,
        s.get("people_in_scope"),
        s.get("open_flags"),
    )
    return report.run_id


def job_defaults(settings: SchedulerSettings) -> dict[str, Any]:
    return {"coalesce": True, "max_instances": 1, "misfire_grace_time": settings.misfire_grace_seconds}


def build_scheduler(job_args: dict[str, Any], settings: SchedulerSettings, jobstore_url: str, blocking: bool = True):  # noqa: ANN201
    """A configured (not started) scheduler with the nightly job registered."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    cls = BlockingScheduler if blocking else BackgroundScheduler
    if jobstore_url.startswith("sqlite") and "///" in jobstore_url:
        db = jobstore_url.split("///", 1)[1]
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
    tz = ZoneInfo(settings.timezone)
    sched = cls(
        jobstores={"default": SQLAlchemyJobStore(url=jobstore_url, tablename=JOBS_TABLE)},
        job_defaults=job_defaults(settings),
        timezone=tz,
    )
    sched.add_job(
        nightly_job,
        trigger=CronTrigger(hour=settings.hour, minute=settings.minute, timezone=tz),
        id=JOB_ID,
        name="Longer Lives nightly run",
        kwargs={**job_args, "timezone": settings.timezone},
        replace_existing=True,
    )
    return sched


def run_once_now(
    job_args: dict[str, Any], settings: SchedulerSettings, jobstore_url: str, timeout: float = 3600
) -> str | None:
    """Register the nightly schedule, then run the job once now through the scheduler and stop.

    For testing and for an operator's "run tonight's job now". Returns the run id
    (None if skipped because another run holds the lock); re-raises the job's error.
    """
    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED

    sched = build_scheduler(job_args, settings, jobstore_url, blocking=False)
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def _listener(event) -> None:  # noqa: ANN001
        if event.job_id != "once-now":
            return
        outcome["exception"] = getattr(event, "exception", None)
        outcome["retval"] = getattr(event, "retval", None)
        outcome["missed"] = event.code == EVENT_JOB_MISSED
        done.set()

    sched.add_listener(_listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    sched.add_jobstore("memory", alias="once")
    sched.add_job(
        nightly_job, trigger="date", id="once-now", jobstore="once", kwargs={**job_args, "timezone": settings.timezone}
    )
    sched.start()
    try:
        if not done.wait(timeout):
            raise TimeoutError("the nightly job did not finish in time")
    finally:
        sched.shutdown(wait=True)
    if outcome.get("exception") is not None:
        raise outcome["exception"]
    return outcome.get("retval")


def next_fire_times(settings: SchedulerSettings, start: datetime, n: int = 3) -> list[datetime]:
    """The next ``n`` fire times of the nightly trigger after ``start`` (for docs and tests)."""
    from apscheduler.triggers.cron import CronTrigger

    trig = CronTrigger(hour=settings.hour, minute=settings.minute, timezone=ZoneInfo(settings.timezone))
    out, prev, now = [], None, start
    for _ in range(n):
        nxt = trig.get_next_fire_time(prev, now)
        out.append(nxt)
        prev, now = nxt, nxt
    return out


def today_in(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()
