"""Benchmark: the store's bulk writes (flag history, letters issued) on SQLite and PostgreSQL.

Usage: python -m bench.bench_store RUN_OUT_DIR [--pg URL]
Replays one run's flags.csv and letters/index.csv into a fresh store three nights running:
night 1 opens every episode and records every letter, night 2 sees the same flags (episodes
extended), night 3 sees half of them (the rest resolved). Prints JSON with seconds per
night and database; the PostgreSQL database is created and dropped by the benchmark.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from longerlives.store import dispose_all, open_store

AS_OF = date(2026, 11, 1)


def _nights(url: str, flags: pl.DataFrame, letters: pl.DataFrame) -> dict[str, float]:
    store = open_store(url)
    out: dict[str, float] = {}
    half = flags.filter(pl.int_range(pl.len()) % 2 == 0)
    for night, (frame, index) in enumerate(((flags, letters), (flags, letters.head(0)), (half, letters.head(0))), 1):
        as_of = AS_OF + timedelta(days=night - 1)
        t0 = time.perf_counter()
        with store.engine.begin() as conn:
            store.update_flag_history(conn, frame, as_of, f"bench-{night}")
            store.record_letters(conn, index, frame, as_of, f"bench-{night}")
        out[f"night_{night}"] = round(time.perf_counter() - t0, 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_out")
    parser.add_argument("--pg", default=None, help="PostgreSQL admin URL (a scratch database is created)")
    args = parser.parse_args()
    run_out = Path(args.run_out)
    flags = pl.read_csv(run_out / "flags.csv", infer_schema=False).with_columns(pl.col("since").str.to_date())
    letters = pl.read_csv(run_out / "letters" / "index.csv", infer_schema=False)
    result: dict[str, object] = {"flags": flags.height, "letters": letters.height}
    with tempfile.TemporaryDirectory() as tmp:
        result["sqlite"] = _nights(f"sqlite:///{tmp}/bench.sqlite", flags, letters)
    if args.pg:
        name = f"ll_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(args.pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            result["postgresql"] = _nights(
                make_url(args.pg).set(database=name).render_as_string(hide_password=False), flags, letters
            )
        finally:
            dispose_all()
            _drop(admin, name)
            admin.dispose()
    print(json.dumps(result))


def _drop(admin: Engine, name: str, tries: int = 30) -> None:
    """Drop the scratch database. After millions of rows PostgreSQL's autovacuum may still be
    working in it, and ``WITH (FORCE)`` cannot end a superuser's worker for the benchmark's role
    (InsufficientPrivilege — the 600,000-person failure of sessions 6 and 7): wait for it and
    try again; if it never ends, say which database to drop by hand instead of losing the
    measurements."""
    for attempt in range(tries):
        try:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError as exc:
            if attempt == tries - 1:
                print(f"bench_store: could not drop scratch database {name}: {exc.orig}", file=sys.stderr)
                return
            time.sleep(2)


if __name__ == "__main__":
    main()
