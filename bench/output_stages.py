"""The output half's side stages alone (issue 16, session 6): outputs, exports and report (the
side thread) and worklists. Capture their inputs from one run, then time them in a fresh process.

Usage:
    python -m bench.output_stages capture --extract DIR --out DIR --db URL --inputs DIR [--as-of 2026-11-01]
    python -m bench.output_stages time --inputs DIR --out DIR [--only outputs,exports,report,worklists]

``capture`` runs the pipeline once with ``_output_half`` wrapped so that its frames (every block's
people, flags and plans, stacked) are written to ``--inputs`` (Parquet, and a small JSON of the
scalars); the run goes on as normal. ``time`` reads them back and runs each stage in turn on
one thread, printing wall seconds, CPU seconds (user + system, every thread: Polars' pool
included) and peak RSS (MB) per stage. The files go to ``--out`` (compare them with a run's
outputs). Synthetic data only.
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


def _save(frame: Any, path: Path) -> None:
    if frame is None:
        return
    frame.write_parquet(path)


def capture(args: argparse.Namespace) -> None:
    import polars as pl

    import longerlives.pipeline as pipeline

    inputs = Path(args.inputs)
    inputs.mkdir(parents=True, exist_ok=True)
    half = pipeline._output_half

    def keep_half(reached: Any, extract: Any, history: Any, s: Any, as_of: date, run_id: str, *a: Any) -> Any:
        # each block's frames wait for the output half since session 31: stacked here to be saved
        frames = [block.read() for block in reached.blocks]
        for name in ("people", "flags", "plans"):
            _save(pl.concat([f[name] for f in frames], how="vertical"), inputs / f"{name}.parquet")
        _save(extract.practices, inputs / "practices.parquet")
        _save(extract.teams, inputs / "teams.parquet")
        _save(extract.quarantine, inputs / "quarantine.parquet")
        _save(history.coverage_trends, inputs / "coverage_trends.parquet")
        _save(history.last_letters, inputs / "last_letters.parquet")
        (inputs / "call.json").write_text(json.dumps({"as_of": as_of.isoformat(), "run_id": run_id}))
        return half(reached, extract, history, s, as_of, run_id, *a)

    pipeline._output_half = keep_half  # type: ignore[assignment]
    pipeline.run(Path(args.extract), Path(args.out), date.fromisoformat(args.as_of), db_url=args.db)


def time_stages(args: argparse.Namespace) -> None:
    import polars as pl

    inputs, out = Path(args.inputs), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    call = json.loads((inputs / "call.json").read_text())
    as_of, run_id = date.fromisoformat(call["as_of"]), call["run_id"]

    def read(name: str) -> Any:
        p = inputs / f"{name}.parquet"
        return pl.read_parquet(p) if p.exists() else None

    only = set(args.only.split(","))
    results: dict[str, dict[str, float]] = {}

    def timed(name: str, fn: Any) -> Any:
        t0, c0 = time.perf_counter(), _cpu()
        value = fn()
        results[name] = {"wall_s": round(time.perf_counter() - t0, 3), "cpu_s": round(_cpu() - c0, 3)}
        print(f"{name:10s} wall {results[name]['wall_s']:6.2f} s  cpu {results[name]['cpu_s']:6.2f} s", flush=True)
        return value

    from longerlives.settings import load_settings

    s = load_settings()
    flags, people = read("flags"), read("people")
    if "outputs" in only:
        from longerlives.outputs.core import (
            write_flags,
            write_patients,
            write_quarantine,
            write_risk_disclaimer,
        )

        def outputs() -> None:
            write_flags(flags, people, out)
            write_patients(people, out)
            write_quarantine(read("quarantine"), out)
            write_risk_disclaimer(out)

        timed("outputs", outputs)
    if "exports" in only:
        from longerlives.outputs.exports import write_exports

        timed("exports", lambda: write_exports(flags, people, read("practices"), out, as_of, s.operations))
    if "report" in only:
        from longerlives.report.write import report_columns, write_report

        timed(
            "report",
            lambda: write_report(
                out,
                people.select(report_columns(s.report)).filter(people["in_scope"]),
                flags,
                read("coverage_trends"),
                as_of=as_of,
                settings=s.report,
                run_id=run_id,
            ),
        )
    if "worklists" in only:
        from longerlives.outputs.worklists import write_worklist_files

        # the letters' index and decisions are not captured (the letters are written a block at a time)
        frames = {n: read(n) for n in ["plans", "people", "index", "decisions", "last_letters", "teams"]}
        timed(
            "worklists",
            lambda: write_worklist_files(
                frames["plans"],
                frames["people"],
                frames["index"],
                frames["decisions"],
                frames["last_letters"],
                frames["teams"],
                out,
                as_of,
                run_id,
            ),
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")
    if args.json:
        Path(args.json).write_text(json.dumps({"stages": results, "peak_mb": round(peak)}, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("--extract", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--db", required=True)
    c.add_argument("--inputs", required=True)
    c.add_argument("--as-of", default="2026-11-01")
    t = sub.add_parser("time")
    t.add_argument("--inputs", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--only", default="outputs,exports,report,worklists")
    t.add_argument("--json")
    args = ap.parse_args(argv)
    capture(args) if args.cmd == "capture" else time_stages(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
