"""``longerlives synth`` — write a deterministic synthetic register extract."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path


def add_parser(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("synth", help="generate a synthetic register extract (synthetic data only)")
    p.add_argument("--patients", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--bad-rows", type=float, default=0.002, help="share of rows made deliberately bad (default 0.002)")
    p.add_argument("--as-of", type=date.fromisoformat, default=None, help="reference date of the histories")
    p.set_defaults(func=handle)


def handle(args: argparse.Namespace) -> int:
    from longerlives.synth import generate

    summary = generate(args.patients, args.seed, args.out, args.format, args.bad_rows, args.as_of)
    print(f"longerlives synth: wrote {args.patients} synthetic people to {args.out} ({args.format})")
    for table, n in sorted(summary.get("rows", {}).items()):
        print(f"  {table}: {n} rows")
    return 0
