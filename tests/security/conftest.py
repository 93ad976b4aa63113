"""Shared pieces for the issue-12 security tests: a small synthetic extract and the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from longerlives.synth import generate

AS_OF = date(2026, 11, 1)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def small_extract_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sec-synth") / "extract"
    generate(200, 12, folder, "csv", 0.0, AS_OF)
    return folder


@pytest.fixture
def extract(small_extract_master: Path, tmp_path: Path) -> Path:
    """A private copy of the small extract this test may change."""
    folder = tmp_path / "extract"
    shutil.copytree(small_extract_master, folder)
    return folder


def cli(*args: str, env: dict[str, str] | None = None, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m longerlives`` in a real process (as cron or systemd would)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "longerlives", *args],
        check=False,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=REPO,
        timeout=600,
        preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
    )


def run_args(extract: Path, out: Path, db: Path, as_of: date = AS_OF) -> list[str]:
    return [
        "run",
        "--extract",
        str(extract),
        "--out",
        str(out),
        "--as-of",
        as_of.isoformat(),
        "--db",
        f"sqlite:///{db}",
        "--allow-future-as-of",
    ]


def rewrite_csv_column(path: Path, column: str, values: dict[int, str]) -> None:
    """Set ``column`` on the given 1-based data rows of a CSV (header parsed plainly; synth CSVs are simple)."""
    import polars as pl

    frame = pl.read_csv(path, infer_schema=False)
    col = frame[column].to_list()
    for row, value in values.items():
        col[row - 1] = value
    frame.with_columns(pl.Series(column, col, dtype=pl.String)).write_csv(path)
