"""``longerlives run`` — the nightly job, once."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from longerlives.errors import ConfigError

log = logging.getLogger("longerlives.run")


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def add_parser(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("run", help="run the nightly job once over a register extract")
    p.add_argument("--extract", required=True, type=Path, help="folder holding the register extract")
    p.add_argument("--out", required=True, type=Path, help="output folder (replaced only when the run completes)")
    p.add_argument("--as-of", type=parse_date, default=None, help="evaluate rules as of this date (default: today)")
    p.add_argument("--config", type=Path, default=None, help="TOML file overriding config/ defaults")
    p.add_argument("--db", default=None, help="SQLAlchemy URL of the run store (default: SQLite in a state folder)")
    p.add_argument("--pdf", action="store_true", help="also render each letter as PDF (WeasyPrint)")
    p.set_defaults(func=handle)


class _Progress:
    """Rich progress in a terminal; plain log lines otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._status = None
        if self.tty:
            from rich.console import Console

            self._console = Console(stderr=True)

    def __call__(self, stage: str, event: str) -> None:
        if self.tty:
            if event == "start":
                self._status = self._console.status(f"[bold]{stage}[/bold] …")
                self._status.start()
            elif self._status is not None:
                self._status.stop()
                self._console.log(f"{stage} done")
        else:
            print(f"longerlives: stage {stage} {event}", file=sys.stderr, flush=True)


def handle(args: argparse.Namespace) -> int:
    from longerlives.pipeline import run

    if args.config is not None and not args.config.exists():
        raise ConfigError(f"{args.config}: configuration file not found")
    as_of = args.as_of or date.today()
    report = run(
        args.extract, args.out, as_of, config=args.config, db_url=args.db, make_pdf=args.pdf, progress=_Progress()
    )
    s = report.summary
    print(f"longerlives run {report.run_id} as of {report.as_of}: "
          f"{s['people_in_scope']} people in scope, {s['health_check_cohort']} in the health-check cohort, "
          f"{s['open_flags']} open flags for {s['people_with_flags']} people; "
          f"{s['rows_quarantined']} input rows quarantined. Outputs in {report.out_dir}")
    return 0
