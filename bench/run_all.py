"""`make bench`: the cost curve of a full nightly run, written to docs/benchmarks.md.

For each size (default 10,000, 100,000 and 600,000 people; override with
BENCH_SIZES=10000,100000) it builds a synthetic Parquet extract once under
bench-data/, runs the full `longerlives run` (no PDF) BENCH_RUNS times (default 3),
each in a fresh process, and reports the run with the median wall time: wall time,
peak memory, events per second and every stage's seconds from its run.json. It also
times, in the same benchmark run, the engine's per-person event features beside the
same features written as DuckDB SQL (and the six-check stage both ways), the store's
bulk writes (SQLite, and PostgreSQL when LONGERLIVES_TEST_PG_URL or scripts/services.sh
names one), the rules stage alone, the risk equations at 1,000,000 rows, and the
100,000-person run's output files written again with no engine (bench/output_floor.py:
what the contract's files alone cost this machine).

Every number is a benchmark, never a test assertion. The machine's load average is
recorded beside each figure: on a shared machine other work slows every stage.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from bench.scratch import TRASH_ENV, discard, empty_trash

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
AS_OF = "2026-11-01"
PY = sys.executable
LL = str(Path(sys.executable).with_name("longerlives"))
STAGES = (
    "validate",
    "features",
    "risk",
    "rules",
    "outreach",
    "outputs",
    "letters",
    "worklists",
    "exports",
    "report",
    "plans_json",
    "store_record",
    "delivery",
)
TARGETS = {100_000: (15.0, 1000.0), 600_000: (120.0, 5000.0)}  # issue 16: seconds, peak MB


def measure(cmd: list[str]) -> dict[str, Any]:
    os.sync()  # the previous run's outputs written back first: each run starts on a quiet disk
    load_before = round(os.getloadavg()[0], 1)
    out = subprocess.run([PY, "-m", "bench.measure", "--", *cmd], capture_output=True, text=True, cwd=ROOT, check=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    if result["exit"] != 0:
        raise SystemExit(f"benchmark command exited {result['exit']}: {' '.join(cmd)}\n{out.stderr[-2000:]}")
    result["load_avg"] = round(os.getloadavg()[0], 1)
    result["load_before"] = load_before
    return result


def given_extracts() -> dict[int, Path]:
    """BENCH_EXTRACTS=100000=/path,600000=/path: use extracts made earlier (same generator, seed 7)."""
    pairs = [item.split("=", 1) for item in os.environ.get("BENCH_EXTRACTS", "").split(",") if "=" in item]
    return {int(n): Path(p) for n, p in pairs}


def ensure_extract(n: int) -> tuple[Path, dict[str, Any]]:
    given = given_extracts().get(n)
    if given is not None and (given / "events.parquet").exists():
        return given, {}
    folder = DATA / f"extract-{n}"
    if not (folder / "events.parquet").exists():
        print(f"bench: generating {n:,} synthetic people (Parquet) …", flush=True)
        gen = measure(
            [
                LL,
                "synth",
                "--patients",
                str(n),
                "--seed",
                "7",
                "--out",
                str(folder),
                "--format",
                "parquet",
                "--as-of",
                AS_OF,
                "--bad-rows",
                "0.001",
            ]
        )
        (DATA / f"synth-{n}.json").write_text(json.dumps(gen))
    gen = json.loads((DATA / f"synth-{n}.json").read_text()) if (DATA / f"synth-{n}.json").exists() else {}
    return folder, gen


def json_cmd(module: str, *args: str) -> dict[str, Any]:
    out = subprocess.run([PY, "-m", module, *args], capture_output=True, text=True, cwd=ROOT, check=True)
    result: dict[str, Any] = json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])
    return result


def pg_admin_url() -> str | None:
    url = os.environ.get("LONGERLIVES_TEST_PG_URL")
    if url:
        return url
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "services.sh"), "env"], capture_output=True, text=True, check=False
    )
    env = dict(line.split("=", 1) for line in out.stdout.split() if "=" in line)
    return env.get("LONGERLIVES_TEST_PG_URL")


def full_runs(n: int, folder: Path, runs: int) -> dict[str, Any]:
    """BENCH_RUNS full runs, each a fresh process on a fresh store; the median run by wall time."""
    results = []
    for i in range(runs):
        out, db = DATA / f"out-{n}", DATA / f"runs-{n}.sqlite"
        discard(out)  # moved aside, deleted after the last measurement (bench/scratch.py)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        print(f"bench: full run {i + 1}/{runs} on {n:,} people …", flush=True)
        m = measure(
            [LL, "run", "--extract", str(folder), "--out", str(out), "--as-of", AS_OF, "--db", f"sqlite:///{db}"]
        )
        record = json.loads((out / "run.json").read_text())
        m |= {
            "events": record["rows_read"]["events"],
            "stages": record["stage_seconds"],
            "stages_cpu": record.get("stage_cpu_seconds", {}),
            "stages_peak_mb": record.get("peak_memory_mb_after_stage", {}),
            "overlapped": record.get("overlapped_output_stages", {}),
        }
        results.append(m)
        print(
            f"bench: {n:,} people: {m['seconds']} s wall, {m['cpu_seconds']} CPU-s, {m['peak_rss_mb']} MB "
            f"(load {m['load_before']} → {m['load_avg']})",
            flush=True,
        )
    ordered = sorted(results, key=lambda r: r["seconds"])
    median = ordered[len(ordered) // 2]
    return median | {
        "all_seconds": [r["seconds"] for r in results],
        "all_cpu_seconds": [r["cpu_seconds"] for r in results],
        "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in results),
        "median_peak_mb": statistics.median(r["peak_rss_mb"] for r in results),
        "all_loads": [r["load_avg"] for r in results],
    }


def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000,600000").split(",") if s]
    # BENCH_RUNS: runs per size, one number for all or a comma list aligned with BENCH_SIZES (e.g. "3,3,1")
    run_list = [int(r) for r in os.environ.get("BENCH_RUNS", "3").split(",") if r]
    runs_for = {n: run_list[min(i, len(run_list) - 1)] for i, n in enumerate(sizes)}
    DATA.mkdir(exist_ok=True)
    # Nothing is deleted while anything is measured: on ext4 without a journal, files created just
    # after many were deleted cost up to ten times the system time (bench/scratch.py).
    os.environ[TRASH_ENV] = str(DATA / "trash")
    rows = []
    extras = []
    pg = pg_admin_url()
    print("bench: this host's speed (bench/host_speed.py) …", flush=True)
    host = json_cmd("bench.host_speed")  # beside every figure below: a slower host, or slower code?
    # The parts first, on a machine with nothing left over from a full run: measured after the
    # 600,000-person run and its PostgreSQL store nights (session 6), the PDF rate fell from
    # about 100 to 14-18 letters/s, and the same measurement alone gave 55-110/s (docs/scaling.md).
    parts = {
        "risk": ("risk equations on 1,000,000 rows", ["bench/bench_risk.py", "--rows", "1000000"]),
        "letters": ("50,000 HTML letters", ["bench/bench_letters.py", "--write-doc"]),
    }
    wanted = (
        [] if os.environ.get("BENCH_SKIP_PARTS") == "1" else os.environ.get("BENCH_PARTS", "risk,letters").split(",")
    )
    if wanted:
        for label, script in (parts[p] for p in wanted if p in parts):
            print(f"bench: {label} …", flush=True)
            os.sync()  # no earlier benchmark's files still being written back
            if subprocess.run([PY, *script], cwd=ROOT, check=False).returncode != 0:  # report the rest anyway
                print(f"bench: {label} FAILED; its section in docs/benchmarks.md is from an earlier run", flush=True)
    for n in sizes:
        folder, gen = ensure_extract(n)
        m = full_runs(n, folder, runs_for[n])
        print(f"bench: {n:,} people: engine features beside DuckDB SQL …", flush=True)
        peer = json_cmd("bench.peer_duckdb", str(folder), AS_OF)
        print(f"bench: {n:,} people: store bulk writes …", flush=True)
        store_args = [str(DATA / f"out-{n}")] + (["--pg", pg] if pg else [])
        try:
            store = json_cmd("bench.bench_store", *store_args)
        except subprocess.CalledProcessError as exc:  # PostgreSQL down: SQLite only, and say so
            print(f"bench: store benchmark with PostgreSQL failed ({exc.stderr.strip().splitlines()[-1][:200]})")
            store = json_cmd("bench.bench_store", str(DATA / f"out-{n}")) | {"postgresql_error": True}
        rows.append({"n": n, **m, "peer": peer, "store": store, "synth": gen})
        (DATA / "bench-results.json").write_text(json.dumps({"rows": rows}, indent=1, default=str))
        if n == 100_000 or (n == sizes[-1] and 100_000 not in sizes):
            r = measure([PY, "-m", "bench.rules_only", str(folder), AS_OF, str(DATA / "work-rules")])
            extras.append(("Rules only (validate → features → risk → rules)", n, r))
            half = json_cmd("bench.input_half", str(folder), AS_OF, str(DATA / "work-input"))
            rows[-1]["input_half"] = half
            print(f"bench: {n:,} people: the run's output files written again with no engine …", flush=True)
            os.sync()
            rows[-1]["output_floor"] = json_cmd("bench.output_floor", str(DATA / f"out-{n}"))
    if "letters" in wanted and sizes:  # the same PDF rate again after the full runs (the session-6 puzzle)
        os.sync()
        again = subprocess.run(
            [PY, "bench/bench_letters.py", "--people", "20000", "--pdf", "10", "--engine-letters", "600"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        line = next((x for x in again.stdout.splitlines() if "run's `--pdf` engine" in x), "(failed)")
        print(f"bench: PDF rate after the full runs: {line}", flush=True)
        extras.append(("PDF rate after the full runs", 20000, {"line": line}))
    write_report(rows, extras, host)
    (DATA / "bench-results.json").write_text(
        json.dumps({"rows": rows, "extras": extras, "host_speed": host}, indent=1, default=str)
    )
    print("bench: deleting the scratch folders (after every measurement) …", flush=True)
    empty_trash()


def _target(n: int, seconds: float, peak: float) -> str:
    if n not in TARGETS:
        return "—"
    s, mb = TARGETS[n]
    return f"≤ {s:.0f} s, ≤ {mb / 1000:.0f} GB — " + ("met" if seconds <= s and peak <= mb else "**not met**")


def host_line(host: dict[str, Any]) -> str:
    """The benchmark page's sentence on this host's speed (``bench/host_speed.py``)."""
    return (
        f"This host's speed (`bench/host_speed.py`, best of 3, lower is faster): "
        f"Python loop {host['python_loop_s']} s, Polars group-by {host['polars_group_by_s']} s, "
        f"SHA-256 of 256 MiB {host['sha256_s']} s"
        + (
            f", 10,000 letter-sized files created {host['file_create_s']} s"
            if "file_create_s" in host  # benches before session 14 did not measure it
            else ""
        )
        + (f", 1 GiB of new memory first written {host['first_touch_gib_s']} s" if "first_touch_gib_s" in host else "")
        + (f"; processor {host['cpu']}" if "cpu" in host else "")
        + ". The same VM type runs 1.5–2× slower on some days: "
        "compare these with an earlier bench's before comparing the engine's figures."
    )


def _floor_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The cost of the run's output files alone (``bench/output_floor.py``), under the cost curve."""
    out = []
    for r in (r for r in rows if r.get("output_floor")):
        f = r["output_floor"]
        letters, other = f["letters"], f["other"]
        out += [
            "",
            (
                f"**The output files alone, {r['n']:,} people** (`bench/output_floor.py`: the last run's output "
                f"folder read into memory, then written again as new private files by one thread, no engine): "
                f"{f['files']:,} files, {f['mb']:,} MB in {f['wall_s']} s wall, {f['user_s']} user + "
                f"{f['sys_s']} system CPU-s — the letters ({letters['files']:,} files, {letters['mb']} MB) "
                f"{letters['wall_s']} s, {letters['sys_s']} system; everything else ({other['files']:,} files, "
                f"{other['mb']} MB) {other['wall_s']} s, {other['sys_s']} system. The contract fixes these files; "
                "this is what creating them costs this machine whatever the engine does "
                f"(the median run's CPU-s: {r.get('cpu_seconds', '?')})."
            ),
        ]
    return out


def write_report(rows: list[dict[str, Any]], extras: list[Any], host: dict[str, Any] | None = None) -> None:
    lines = [
        "# Benchmarks",
        "",
        (
            f"Measured by `make bench` on {date.today().isoformat()} — {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {platform.machine()}. Synthetic Parquet extracts "
            f"(`longerlives synth`, seed 7, about 100 events a person), as-of {AS_OF}, no PDF. "
            "Each full run is a fresh process on a fresh store; the table shows the median run by wall time "
            "(every run's time is listed). "
            "`load` is the machine's 1-minute load average when the run ended: this is a shared 2-core machine, "
            "and a load above 2 means other work was taking CPU from the benchmark."
        ),
        "",
        *([host_line(host), ""] if host else []),
        "## Full nightly run (`longerlives run`) — the cost curve",
        "",
        (
            "| people | events | wall time (s) | runs (s) | CPU-s (median run) | runs (CPU-s) | peak memory (MB) | "
            "memory touched (GB) | events/s | load before → after | target (issue 16) |"
        ),
        "|---:|---:|---:|---|---:|---|---:|---:|---:|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['events']:,} | {r['seconds']} | {', '.join(str(s) for s in r['all_seconds'])} | "
            f"{r.get('cpu_seconds', '')} | {', '.join(str(s) for s in r.get('all_cpu_seconds', []))} | "
            f"{r['peak_rss_mb']:,} | {r.get('touched_gb', '')} | {int(r['events'] / r['seconds']):,} | "
            f"{r.get('load_before', '')} → {r['load_avg']} | {_target(r['n'], r['seconds'], r['peak_rss_mb'])} |"
        )
    lines += _floor_lines(rows)
    lines += [
        "",
        "### Stage table (the median run's `run.json`: wall seconds / CPU seconds / peak MB after the stage)",
        "",
        (
            "CPU seconds are user + system time of the run's process (all its threads, and worker processes "
            "once finished): unlike wall time they hardly grow when other work shares the machine. On an idle "
            "2-core machine a stage's wall time is about its CPU seconds divided by how well it uses both cores. "
            "The output half runs on two threads: letters then worklists on one, outputs, exports and report on "
            "the other; for those five stages the CPU seconds are their own thread's (not Polars' pool nor "
            "worker processes), and the column *output half* gives the whole overlapped block's wall and CPU "
            "seconds."
        ),
        "",
        "| people | " + " | ".join(STAGES) + " | output half |",
        "|---:|" + "---:|" * (len(STAGES) + 1),
    ]
    for r in rows:
        cells = [
            f"{r['stages'].get(k, '')} / {r.get('stages_cpu', {}).get(k, '')} / {r.get('stages_peak_mb', {}).get(k, '')}"
            for k in STAGES
        ]
        half = r.get("overlapped") or {}
        cells.append(f"{half.get('seconds', '')} / {half.get('cpu_seconds', '')}")
        lines.append(f"| {r['n']:,} | " + " | ".join(cells) + " |")
    halves = [r for r in rows if r.get("input_half")]
    if halves:
        lines += [
            "",
            "### The input half alone (`bench/input_half.py`: read → validate → features → risk → rules → outreach)",
            "",
            "One process, no outputs, no store: wall s / CPU s / peak MB after each stage.",
            "",
            "| people | read | validate | features | risk | rules | outreach | CPU total | peak MB | load |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in halves:
            h = r["input_half"]
            st = h["stages"]
            cells = [f"{st[k]['wall']} / {st[k]['cpu']} / {st[k]['peak_mb']}" for k in st]
            loads = ", ".join(str(x) for x in h["load_avg"])
            lines.append(f"| {r['n']:,} | " + " | ".join(cells) + f" | {h['cpu_total']} | {h['peak_mb']} | {loads} |")
    lines += [
        "",
        "## Per-person features: the engine (Polars) beside an analyst's DuckDB SQL",
        "",
        (
            "Same Parquet, same code lists, in the same benchmark run, best of 3 each. *Full features* is the "
            "engine's whole event feature pass (first/last date and 12-month count of every SNOMED concept, "
            "latest values, 5-year systolic SD, latest BP pair) beside DuckDB SQL computing the same table, "
            "pivoted to one row per person; the two tables are compared cell by cell (`identical`). Target: "
            "engine at most 0.8 × DuckDB. The six-check columns answer the narrower health-check question "
            "both ways."
        ),
        "",
        (
            "| people | engine full features (s) | DuckDB full features (s) | engine ÷ DuckDB | "
            "engine CPU-s | DuckDB CPU-s | CPU ratio | identical | engine six-check (s) | DuckDB six-check (s) |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in (r for r in rows if r.get("peer")):
        p = r["peer"]
        lines.append(
            f"| {r['n']:,} | {p['engine_full_features']} | {p['duckdb_full_features']} | "
            f"{p['features_ratio']} | {p.get('engine_full_features_cpu', '')} | "
            f"{p.get('duckdb_full_features_cpu', '')} | {p.get('features_cpu_ratio', '')} | "
            f"{'yes' if p['features_identical'] else '**no**'} | {p['engine_polars']} | {p['duckdb_sql']} |"
        )
    lines += [
        "",
        "## Store bulk writes (bench/bench_store.py)",
        "",
        (
            "One run's flags and letters replayed into a fresh store: night 1 opens every episode and records "
            "every letter, night 2 extends them all, night 3 resolves half. Seconds per night."
        ),
        "",
        "| people | flags | letters | SQLite nights 1 / 2 / 3 | PostgreSQL nights 1 / 2 / 3 |",
        "|---:|---:|---:|---|---|",
    ]
    for r in (r for r in rows if r.get("store")):
        st = r["store"]
        nights = [
            " / ".join(str(st[db][f"night_{i}"]) for i in (1, 2, 3)) if db in st else "not measured"
            for db in ("sqlite", "postgresql")
        ]
        lines.append(f"| {r['n']:,} | {st['flags']:,} | {st['letters']:,} | {nights[0]} | {nights[1]} |")
    if any(r.get("synth") for r in rows):
        lines += [
            "",
            "## Synthetic extract generation",
            "",
            "| people | wall time (s) | peak memory (MB) |",
            "|---:|---:|---:|",
        ]
        lines += [
            f"| {r['n']:,} | {r['synth']['seconds']} | {r['synth']['peak_rss_mb']:,} |" for r in rows if r.get("synth")
        ]
    for title, n, r in extras:
        if "line" in r:  # a measurement that reports itself in one line
            lines += ["", f"## {title}, {n:,} people", "", r["line"].removeprefix("- ")]
            continue
        lines += [
            "",
            f"## {title}, {n:,} people",
            "",
            f"Wall {r['seconds']} s, {r.get('cpu_seconds', '?')} CPU-s, peak memory {r['peak_rss_mb']:,} MB "
            f"(load {r.get('load_before', '?')} → {r['load_avg']}).",
        ]
    for frag in ("benchmarks-risk.md", "benchmarks-letters.md", "benchmarks-output.md"):
        p = ROOT / "docs" / frag
        if p.exists():
            lines += ["", p.read_text().strip()]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines) + "\n")
    print("bench: wrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
