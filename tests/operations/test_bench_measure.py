"""make bench measures a run as a child process: wall, CPU, peak memory and the memory it touched
(bench/measure.py; issue 16 session 20: memory handed back to the system and taken again counts
each time, so the figure beside the peak says how much the allocators churn)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ALLOCATE_TWICE = (
    "import gc\n"
    "for _ in range(2):\n"
    "    block = bytearray(200_000_000)\n"  # zero-filled pages, faulted in on first write
    "    block[::4096] = b'x' * len(block[::4096])\n"
    "    del block; gc.collect()\n"  # handed back to the system (an mmap this large is unmapped)
)


def _measure(*command: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.measure", "--", *command], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_memory_handed_back_and_taken_again_counts_each_time_it_is_touched():
    measured = _measure(sys.executable, "-c", ALLOCATE_TWICE)

    assert measured["exit"] == 0
    assert measured["touched_gb"] >= 0.4  # two 200 MB blocks, one after the other
    assert measured["peak_rss_mb"] < 0.75 * measured["touched_gb"] * 1000  # never both held at once


def test_a_command_that_fails_is_reported_with_its_exit_code():
    measured = _measure(sys.executable, "-c", "raise SystemExit(3)")

    assert measured["exit"] == 3
    assert {"seconds", "cpu_seconds", "peak_rss_mb", "touched_gb"} <= set(measured)
