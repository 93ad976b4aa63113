"""``longerlives history`` — past runs and trends."""

from __future__ import annotations

import argparse
import sys

from longerlives.commands._store_args import add_db_args, db_url

HEADERS = {
    "as_of": "as of",
    "status": "status",
    "people_in_scope": "in scope",
    "health_check_cohort": "cohort",
    "phc_six_pct": "6 checks %",
    "open_flags": "open flags",
    "flags_opened": "opened",
    "flags_closed": "closed",
    "letters_issued": "letters",
    "outcomes_recorded": "outcomes",
    "flags_held_by_outcomes": "held",
    "deliveries_ok": "delivered",
    "deliveries_failed": "deliv. failed",
    "run_id": "run",
}


def _positive(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of runs (1 or more)")
    return int(text)


def add_parser(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("history", help="show past runs and trends")
    add_db_args(p)
    p.add_argument("--limit", type=_positive, default=30, help="show the last N runs (default 30)")
    p.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from longerlives.store.existing import open_existing_store
    from longerlives.store.history import history_frame

    frame = history_frame(open_existing_store(db_url(args)), limit=args.limit)  # never creates a store
    if args.csv:
        sys.stdout.write(frame.write_csv(date_format="%Y-%m-%d"))
        return 0
    if frame.height == 0:
        print("longerlives: no runs recorded in this store yet")
        return 0
    cols = list(HEADERS)
    cells = [[("" if v is None else str(v)) for v in row] for row in frame.select(cols).iter_rows()]
    widths = [max(len(HEADERS[c]), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
    print("  ".join(HEADERS[c].ljust(w) for c, w in zip(cols, widths)))
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)))
    return 0
