"""The report stage alone (issue 16): capture its inputs from one run, then time it in a fresh process.

Usage:
    python -m bench.report_stage capture --extract DIR --out DIR --db URL --inputs DIR [--as-of 2026-11-01]
    python -m bench.report_stage time --inputs DIR --out DIR [--repeat 3]

``capture`` runs the pipeline once with ``write_report`` wrapped so that its frames
(in-scope people, flags with practice, earlier coverage trends) are written to ``--inputs``
as Parquet; the run goes on as normal. ``time`` reads them back and calls
``longerlives.report.write.write_report`` (importing it is part of the timing, as in a fresh
nightly process), printing CPU seconds (user + system), wall seconds and peak RSS (MB).
To time another checkout's report code on the same inputs, put it first on ``PYTHONPATH``.
Synthetic data only.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def capture(args: argparse.Namespace) -> None:
    import longerlives.pipeline as pipeline

    inputs = Path(args.inputs)
    inputs.mkdir(parents=True, exist_ok=True)
    real = pipeline.write_report

    def keep(folder: Path, patients: Any, flags: Any, earlier: Any, **kw: Any) -> Any:
        patients.write_parquet(inputs / "patients.parquet")
        flags.write_parquet(inputs / "flags.parquet")
        earlier.write_parquet(inputs / "earlier.parquet")
        (inputs / "call.json").write_text(json.dumps({"as_of": kw["as_of"].isoformat(), "run_id": kw.get("run_id")}))
        return real(folder, patients, flags, earlier, **kw)

    pipeline.write_report = keep  # type: ignore[assignment]
    pipeline.run(Path(args.extract), Path(args.out), date.fromisoformat(args.as_of), db_url=args.db)


def time_stage(args: argparse.Namespace) -> None:
    cpu0, wall0 = _cpu(), time.perf_counter()
    import polars as pl

    from longerlives.report.write import write_report
    from longerlives.settings import load_settings

    cpu_import, wall_import = _cpu() - cpu0, time.perf_counter() - wall0
    inputs = Path(args.inputs)
    call = json.loads((inputs / "call.json").read_text())
    patients = pl.read_parquet(inputs / "patients.parquet")
    flags = pl.read_parquet(inputs / "flags.parquet")
    earlier = pl.read_parquet(inputs / "earlier.parquet")
    settings = load_settings().report
    for i in range(args.repeat):
        c, w = _cpu(), time.perf_counter()
        write_report(
            Path(args.out),
            patients,
            flags,
            earlier,
            as_of=date.fromisoformat(call["as_of"]),
            settings=settings,
            run_id=call["run_id"],
        )
        print(f"write_report #{i + 1}: {_cpu() - c:.2f} CPU-s, {time.perf_counter() - w:.2f} s wall")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"imports: {cpu_import:.2f} CPU-s, {wall_import:.2f} s wall; peak RSS {peak:.0f} MB")
    print(f"matplotlib imported: {'matplotlib' in sys.modules}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    cap = sub.add_parser("capture")
    cap.add_argument("--extract", required=True)
    cap.add_argument("--out", required=True)
    cap.add_argument("--db", required=True)
    cap.add_argument("--inputs", required=True)
    cap.add_argument("--as-of", default="2026-11-01")
    tim = sub.add_parser("time")
    tim.add_argument("--inputs", required=True)
    tim.add_argument("--out", required=True)
    tim.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    capture(args) if args.command == "capture" else time_stage(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
