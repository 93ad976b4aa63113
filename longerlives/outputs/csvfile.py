"""Deterministic CSV: UTF-8, header row, ISO dates, true/false, fixed float format."""

from __future__ import annotations

from pathlib import Path

import polars as pl


def write_csv(frame: pl.DataFrame, path: Path, float_precision: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(path, include_header=True, date_format="%Y-%m-%d", float_precision=float_precision, line_terminator="\n")
    return path
