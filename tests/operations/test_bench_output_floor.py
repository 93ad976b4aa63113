"""make bench prices the run's output files alone: the same tree written again, with no engine
(bench/output_floor.py; issue 16 session 22), so the 15-second target can be read against what
the contract's files cost the machine."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run_outputs(root: Path) -> dict[str, bytes]:
    """A small output folder shaped like a run's: letters per practice, exports, worklists, top-level CSVs."""
    files = {
        "flags.csv": b"nhs_number,flag\n" + b"9000000009,phc.bp\n" * 50,
        "run.json": b"{}\n",
        "exports/A81001/bundle.json": b'{"resourceType":"Bundle"}' * 40,
        "exports/A81001/flags.csv": b"nhs_number,flag\n",
        "worklists/T1.csv": b"priority,nhs_number\n1,9000000009\n",
        "worklists/T1.html": b"<!DOCTYPE html><title>T1</title>",
    }
    for i in range(30):
        files[f"letters/A8100{i % 3}/90000000{i:02d}.html"] = b"<p>Dear patient</p>" * (i + 1)
    for rel, body in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(body)
    return files


def test_output_floor_writes_every_file_of_the_run_again_privately_and_counts_letters_apart(tmp_path):
    files = _run_outputs(tmp_path / "out")
    into = tmp_path / "copy"

    out = subprocess.run(
        [sys.executable, "-m", "bench.output_floor", str(tmp_path / "out"), "--into", str(into)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    measured = json.loads(out.stdout.strip().splitlines()[-1])

    letters = {rel: body for rel, body in files.items() if rel.startswith("letters/")}
    assert measured["files"] == len(files)
    assert measured["letters"]["files"] == len(letters) == 30
    assert measured["other"]["files"] == len(files) - 30
    assert measured["mb"] == round(sum(map(len, files.values())) / 1e6, 1)
    for part in ("letters", "other"):
        assert measured[part]["wall_s"] >= 0 and measured[part]["sys_s"] >= 0
    assert measured["sys_s"] == round(measured["letters"]["sys_s"] + measured["other"]["sys_s"], 3)
    for rel, body in files.items():  # the same bytes, written as private files
        part = "letters" if rel in letters else "other"
        written = into / part / rel
        assert written.read_bytes() == body
        assert stat.S_IMODE(os.stat(written).st_mode) == 0o600


def test_output_floor_without_a_target_folder_leaves_no_copy_behind_when_run_alone(tmp_path):
    _run_outputs(tmp_path / "out")
    scratch_parent = tmp_path / "tmp"
    scratch_parent.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "BENCH_TRASH"} | {"TMPDIR": str(scratch_parent)}

    out = subprocess.run(
        [sys.executable, "-m", "bench.output_floor", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )

    assert json.loads(out.stdout.strip().splitlines()[-1])["files"] == 36
    assert list(scratch_parent.iterdir()) == []  # the copy was deleted once measured


def test_benchmark_page_shows_the_output_files_cost_beside_the_run_it_came_from():
    from bench import run_all

    floor = {
        "files": 89_742,
        "mb": 1094.2,
        "wall_s": 5.1,
        "user_s": 0.6,
        "sys_s": 4.4,
        "letters": {"files": 89_159, "mb": 385.0, "wall_s": 3.0, "user_s": 0.5, "sys_s": 2.6},
        "other": {"files": 583, "mb": 709.2, "wall_s": 2.1, "user_s": 0.1, "sys_s": 1.8},
    }

    lines = run_all._floor_lines([{"n": 100_000, "cpu_seconds": 31.4, "output_floor": floor}, {"n": 10_000}])

    text = " ".join(lines)
    assert "100,000 people" in text and "10,000 people" not in text  # only sizes that were measured
    assert "89,742 files, 1,094.2 MB in 5.1 s wall, 0.6 user + 4.4 system CPU-s" in text
    assert "letters (89,159 files, 385.0 MB) 3.0 s, 2.6 system" in text
    assert "the median run's CPU-s: 31.4" in text
