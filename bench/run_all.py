"""`make bench`: the cost curve of a full nightly run, written to docs/benchmarks.md.

For each size (default 10,000, 100,000 and 600,000 people; override with
BENCH_SIZES=10000,100000) it builds a synthetic Parquet extract once under
bench-data/, runs the full `longerlives run` (no PDF) in a fresh process and records
wall time, peak memory and events per second. It also times the six-check stage in
Polars beside the same stage written in DuckDB SQL, the rules stage alone, and the
risk equations at 1,000,000 rows.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
AS_OF = "2026-11-01"
PY = sys.executable
LL = str(Path(sys.executable).with_name("longerlives"))


def measure(cmd: list[str]) -> dict:
    out = subprocess.run([PY, "-m", "bench.measure", "--", *cmd], capture_output=True, text=True, cwd=ROOT)
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{out.stderr[-2000:]}")
    result = json.loads(lines[-1])
    if result["exit"] != 0:
        raise SystemExit(f"benchmark command exited {result['exit']}: {' '.join(cmd)}\n{out.stderr[-2000:]}")
    return result


def ensure_extract(n: int) -> tuple[Path, dict]:
    folder = DATA / f"extract-{n}"
    if not (folder / "events.parquet").exists():
        print(f"bench: generating {n:,} synthetic people (Parquet) …", flush=True)
        gen = measure([LL, "synth", "--patients", str(n), "--seed", "7", "--out", str(folder), "--format", "parquet",
                       "--as-of", AS_OF, "--bad-rows", "0.001"])
        (DATA / f"synth-{n}.json").write_text(json.dumps(gen))
    gen = json.loads((DATA / f"synth-{n}.json").read_text()) if (DATA / f"synth-{n}.json").exists() else {}
    return folder, gen


def json_cmd(module: str, *args: str) -> dict:
    out = subprocess.run([PY, "-m", module, *args], capture_output=True, text=True, cwd=ROOT, check=True)
    return json.loads([l for l in out.stdout.splitlines() if l.startswith("{")][-1])


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000,600000").split(",") if s]
    DATA.mkdir(exist_ok=True)
    rows = []
    extras = []
    for n in sizes:
        folder, gen = ensure_extract(n)
        out = DATA / f"out-{n}"
        print(f"bench: full run on {n:,} people …", flush=True)
        m = measure([LL, "run", "--extract", str(folder), "--out", str(out), "--as-of", AS_OF,
                     "--db", f"sqlite:///{DATA / f'runs-{n}.sqlite'}"])
        record = json.loads((out / "run.json").read_text())
        events = record["rows_read"]["events"]
        peer = json_cmd("bench.peer_duckdb", str(folder), AS_OF)
        rows.append({"n": n, "events": events, **m, "stages": record["stage_seconds"], "peer": peer, "synth": gen})
        if n == 100_000 or (n == sizes[-1] and 100_000 not in sizes):
            r = measure([PY, "-m", "bench.rules_only", str(folder), AS_OF, str(DATA / "work-rules")])
            extras.append(("Rules only (validate → features → risk → rules)", n, r))
        print(f"bench: {n:,} people: {m['seconds']} s, {m['peak_rss_mb']} MB", flush=True)
    if os.environ.get("BENCH_SKIP_PARTS") != "1":
        print("bench: risk equations on 1,000,000 rows …", flush=True)
        subprocess.run([PY, "bench/bench_risk.py", "--rows", "1000000"], cwd=ROOT, check=True)
        print("bench: 50,000 HTML letters …", flush=True)
        subprocess.run([PY, "bench/bench_letters.py", "--write-doc"], cwd=ROOT, check=True)
    write_report(rows, extras)


def write_report(rows: list[dict], extras: list) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` on {date.today().isoformat()} — {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.machine()}. Synthetic Parquet extracts "
        f"(`longerlives synth`, seed 7, about 100 events a person), as-of {AS_OF}, no PDF.",
        "",
        "## Full nightly run (`longerlives run`) — the cost curve",
        "",
        "| people | events | wall time (s) | peak memory (MB) | events/s | validate | features | risk | rules | outreach | outputs |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        st = r["stages"]
        lines.append(
            f"| {r['n']:,} | {r['events']:,} | {r['seconds']} | {r['peak_rss_mb']:,} | {int(r['events'] / r['seconds']):,} | "
            + " | ".join(str(st.get(k, "")) for k in ("validate", "features", "risk", "rules", "outreach", "outputs"))
            + " |"
        )
    lines += ["", "Stage columns are seconds from `run.json` (`stage_seconds`), which also lists letters, worklists, exports and store.", ""]
    lines += ["## Six-check stage: the engine (Polars) beside an analyst's DuckDB SQL", "",
              "Same Parquet, same code lists, same 12-month window, people with at least one element counted. "
              "The last column is the engine's whole one-pass feature build (every concept's dates, counts and "
              "latest values for all rules), shown for context.", "",
              "| people | engine six-check, Polars (s) | DuckDB SQL (s) | engine full feature pass (s) |", "|---:|---:|---:|---:|"]
    for r in rows:
        p = r["peer"]
        lines.append(f"| {r['n']:,} | {p['engine_polars']} | {p['duckdb_sql']} | {p['engine_full_features']} |")
    lines += ["", "## Synthetic extract generation", "", "| people | wall time (s) | peak memory (MB) |", "|---:|---:|---:|"]
    for r in rows:
        if r["synth"]:
            lines.append(f"| {r['n']:,} | {r['synth']['seconds']} | {r['synth']['peak_rss_mb']:,} |")
    for title, n, r in extras:
        lines += ["", f"## {title}, {n:,} people", "", f"Wall {r['seconds']} s, peak memory {r['peak_rss_mb']:,} MB."]
    for frag in ("benchmarks-risk.md", "benchmarks-letters.md"):
        p = ROOT / "docs" / frag
        if p.exists():
            lines += ["", p.read_text().strip()]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines) + "\n")
    print("bench: wrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
