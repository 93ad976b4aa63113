"""``longerlives schedule`` — run the nightly job under APScheduler (own process)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from longerlives.errors import ConfigError

log = logging.getLogger("longerlives.schedule")


def add_parser(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("schedule", help="run the nightly job every night (APScheduler, one process)")
    p.add_argument("--extract", required=True, type=Path, help="folder the nightly register extract lands in")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--config", type=Path, default=None, help="TOML file overriding config/ defaults")
    p.add_argument("--db", default=None, help="SQLAlchemy URL of the run store (default: SQLite in a state folder)")
    p.add_argument("--jobstore", default=None, help="URL of the scheduler's job store (default: the run store)")
    p.add_argument("--once-now", action="store_true", help="run the job once now through the scheduler, then exit")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from longerlives.pipeline import default_db_url
    from longerlives.scheduler import build_scheduler, next_fire_times, run_once_now
    from longerlives.settings import load_settings

    if args.config is not None and not args.config.exists():
        raise ConfigError(f"{args.config}: configuration file not found")
    settings = load_settings(args.config).operations.scheduler
    db = args.db or default_db_url(args.out)
    job_args = {
        "extract_dir": str(args.extract.resolve()),
        "out_dir": str(args.out.resolve()),
        "db_url": db,
        "config": str(args.config.resolve()) if args.config else None,
    }
    jobstore = args.jobstore or db
    if args.once_now:
        run_id = run_once_now(job_args, settings, jobstore)
        print(f"longerlives: nightly job ran once: {run_id or 'skipped, another run holds the lock'}")
        return 0 if run_id else 75
    from datetime import datetime, timezone

    nxt = next_fire_times(settings, datetime.now(timezone.utc), 1)[0]
    print(
        f"longerlives: scheduler started; nightly at {settings.hour:02d}:{settings.minute:02d} "
        f"{settings.timezone}; next run {nxt.isoformat()}. Ctrl-C to stop.",
        flush=True,
    )
    sched = build_scheduler(job_args, settings, jobstore, blocking=True)
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0
