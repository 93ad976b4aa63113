"""``longerlives run`` — the nightly job, once."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from longerlives.errors import ConfigError
from longerlives.pipeline import STAGES  # the stage names, declared once by the pipeline

log = logging.getLogger("longerlives.run")


def parse_date(text: str) -> date:
    try:
        if not text.isascii() or len(text) != 10:
            raise ValueError(text)
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
    p.add_argument(
        "--allow-future-as-of",
        action="store_true",
        help="accept an --as-of after today (test runs only: its letters block real ones for 28 days)",
    )
    p.add_argument(
        "--adopt-out",
        action="store_true",
        help="take over an --out made by a longerlives version before the ownership marker (once)",
    )
    p.set_defaults(func=handle)


class _Progress:
    """A rich progress bar over the run's stages in a terminal; plain log lines otherwise
    (cron, the scheduler, CI). Stage names only — never patient data."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._bar = None
        if self.tty:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total} stages"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._task = self._bar.add_task("starting", total=len(STAGES))

    def __call__(self, stage: str, event: str) -> None:
        if self._bar is None:
            print(f"longerlives: stage {stage} {event}", file=sys.stderr, flush=True)
            return
        if event == "start":
            if not self._bar.live.is_started:
                self._bar.start()
            self._bar.update(self._task, description=stage)
        else:
            self._bar.advance(self._task)
            if stage == STAGES[-1]:
                self._bar.update(self._task, description="done")
                self._bar.stop()

    def close(self) -> None:
        if self._bar is not None and self._bar.live.is_started:
            self._bar.stop()


def handle(args: argparse.Namespace) -> int:
    from longerlives.asof import check_as_of
    from longerlives.pipeline import run
    from longerlives.settings import load_settings

    if args.config is not None and not args.config.exists():
        raise ConfigError(f"{args.config}: configuration file not found")
    as_of = args.as_of or date.today()
    check_as_of(as_of, date.today(), args.allow_future_as_of, load_settings(args.config).operations.safeguards)
    if args.pdf:
        from longerlives.optional import require_pdf

        require_pdf(load_settings(args.config).letters)
    progress = _Progress()
    try:
        report = run(
            args.extract,
            args.out,
            as_of,
            config=args.config,
            db_url=args.db,
            make_pdf=args.pdf,
            progress=progress,
            adopt_out=args.adopt_out,
        )
    finally:
        progress.close()
    s = report.summary
    print(
        f"longerlives run {report.run_id} as of {report.as_of}: "
        f"{s['people_in_scope']} people in scope, {s['health_check_cohort']} in the health-check cohort, "
        f"{s['open_flags']} open flags for {s['people_with_flags']} people; "
        f"{s['rows_quarantined']} input rows quarantined. Outputs in {report.out_dir}"
    )
    warning = (s.get("extract_freshness") or {}).get("warning")
    if warning:
        print(f"longerlives: warning: {warning}", file=sys.stderr)
    return 0
