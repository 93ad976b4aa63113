"""Shared ``--db`` / ``--out`` handling for the store commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from longerlives.errors import UsageError


def add_db_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=None, help="SQLAlchemy URL of the run store")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="the run's output folder (the default store is in a state folder beside it)",
    )


def db_url(args: argparse.Namespace) -> str:
    if args.db:
        return args.db
    if args.out is not None:
        state = Path(args.out).resolve().parent / ".longerlives-state" / "runs.sqlite"
        return f"sqlite:///{state}"
    raise UsageError("say which run store: --db URL, or --out DIR for the default store beside that folder")
