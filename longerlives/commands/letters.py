"""``longerlives letters list|collected`` — letter batches waiting in the output folder (issue 12).

Each night's letters are a batch named by the run id. A batch stays in the output
folder (tonight's in ``letters/``, earlier ones in ``letter-batches/<batch>/``) until
the print/post operator says it was collected::

    longerlives letters list --out /data/out
    longerlives letters collected --out /data/out --batch 2026-11-01-3f2c9e0d

``collected`` records the collection in the run store (``audit_events``, kind
``collected``); the next run then leaves the batch out of the new outputs. It never
deletes anything itself and never creates a store.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from longerlives.commands._store_args import db_url
from longerlives.errors import OutputError, UsageError


def add_parser(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("letters", help="letter batches waiting to be collected")
    lsubs = p.add_subparsers(dest="letters_command", required=True)
    ls = lsubs.add_parser("list", help="list the letter batches in an output folder waiting to be collected")
    ls.add_argument("--out", required=True, type=Path, help="the run's output folder")
    ls.set_defaults(func=handle_list)
    c = lsubs.add_parser("collected", help="record that letter batches were printed and posted")
    c.add_argument("--out", required=True, type=Path, help="the run's output folder")
    c.add_argument("--db", default=None, help="SQLAlchemy URL of the run store (default: beside --out)")
    c.add_argument("--batch", required=True, action="append", help="batch id (repeat for several)")
    c.set_defaults(func=handle_collected)


def _batches(out: Path) -> dict[str, tuple[str, int, str]]:
    from longerlives.letters.batches import waiting_batches
    from longerlives.outfolder import is_ours

    if not out.is_dir() or not is_ours(out):
        raise OutputError(f"--out {out} is not an output folder longerlives made")
    return {b.batch: (b.as_of, b.letters, b.folder) for b in waiting_batches(out)}


def handle_list(args: argparse.Namespace) -> int:
    batches = _batches(args.out)
    if not batches:
        print(f"longerlives: no letter batches waiting in {args.out}")
        return 0
    print("batch,as_of,letters,folder")
    for batch, (as_of, letters, folder) in sorted(batches.items(), key=lambda kv: (kv[1][0], kv[0])):
        print(f"{batch},{as_of},{letters},{folder}")
    return 0


def mark_collected(db: str, out: Path, batch_ids: list[str]) -> list[str]:
    """Record each batch as collected; returns the ones newly recorded. Unknown batches are refused first."""
    from longerlives.store.existing import open_existing_store

    batches = _batches(out)
    unknown = [b for b in batch_ids if b not in batches]
    if unknown:
        waiting = ", ".join(sorted(batches)) or "none"
        raise UsageError(
            f"batch {unknown[0][:64]} is not waiting in {out} (waiting: {waiting}); "
            "see `longerlives letters list --out DIR`"
        )
    store = open_existing_store(db)  # never creates a store
    recorded = []
    for b in batch_ids:
        as_of, letters, _folder = batches[b]
        if store.record_collected(b, date.fromisoformat(as_of), letters, str(out.resolve())):
            recorded.append(b)
    return recorded


def handle_collected(args: argparse.Namespace) -> int:
    recorded = mark_collected(db_url(args), args.out, list(dict.fromkeys(args.batch)))
    for b in args.batch:
        state = "recorded as collected" if b in recorded else "was already recorded as collected"
        print(f"longerlives: letter batch {b} {state}; the next run removes it from {args.out}")
    return 0
