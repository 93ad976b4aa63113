"""CPU seconds per stage of one nightly run (issue 16): wall times on a shared machine are
unreliable, CPU seconds (user + system, this process and its reaped children) much less so.

Usage:
    python -m bench.stage_cpu --extract DIR --out DIR --db URL [--as-of 2026-11-01] [--pdf] [--json FILE]

Runs ``longerlives.pipeline.run`` once in this process with a progress hook that reads
``resource.getrusage`` when each stage starts and ends, and prints one line per stage:
wall seconds, CPU seconds (all threads of this process plus worker processes that ended
within the stage), and the 1-minute load average when the stage ended. Peak RSS of the
whole run is printed at the end. Synthetic data only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any


def _cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--extract", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--as-of", default="2026-11-01")
    ap.add_argument("--pdf", action="store_true")
    ap.add_argument("--json", help="also write the measurements to this file")
    args = ap.parse_args(argv)

    from longerlives.pipeline import run

    started: dict[str, tuple[float, float, float]] = {}
    rows: dict[str, dict[str, Any]] = {}

    def hook(stage: str, what: str) -> None:
        own, kids = _cpu()
        now = time.perf_counter()
        if what == "start":
            started[stage] = (now, own, kids)
            return
        t0, own0, kids0 = started[stage]
        rows[stage] = {
            "wall_s": round(now - t0, 3),
            "cpu_s": round(own - own0, 3),
            "child_cpu_s": round(kids - kids0, 3),
            "load_1m": round(os.getloadavg()[0], 2),
        }

    t0 = time.perf_counter()
    cpu0 = sum(_cpu())
    run(args.extract, args.out, date.fromisoformat(args.as_of), db_url=args.db, make_pdf=args.pdf, progress=hook)
    total = {
        "wall_s": round(time.perf_counter() - t0, 2),
        "cpu_s": round(sum(_cpu()) - cpu0, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_1m": round(os.getloadavg()[0], 2),
    }
    print(f"{'stage':<14}{'wall s':>9}{'cpu s':>9}{'child cpu s':>13}{'load':>7}")
    for stage, r in rows.items():
        print(f"{stage:<14}{r['wall_s']:>9.3f}{r['cpu_s']:>9.3f}{r['child_cpu_s']:>13.3f}{r['load_1m']:>7.2f}")
    print(f"{'run':<14}{total['wall_s']:>9.2f}{total['cpu_s']:>9.2f}{'':>13}{total['load_1m']:>7.2f}")
    print(f"peak RSS (this process) {total['peak_rss_mb']} MB")
    if args.json:
        Path(args.json).write_text(json.dumps({"stages": rows, "total": total}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
