"""Find and open the tables of a register extract, lazily.

An extract is a folder holding ``<table>.csv`` or ``<table>.parquet`` per table.
This module only opens files and checks their headers; it decides nothing about
rows (that is ``validate.py``). Problems that make a table unreadable raise
``ExtractError`` naming the file: nothing has been written at that point.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from longerlives.errors import ExtractError
from longerlives.extract.schemas import SCHEMAS, TableSchema

log = logging.getLogger(__name__)
ROW = "_row"  # 1-based data-row number in the input file


@dataclass(frozen=True)
class RawTable:
    name: str
    path: Path | None  # None: optional table absent
    format: str  # "csv" | "parquet" | "absent"
    frame: pl.LazyFrame  # every contract column present, plus _row
    source_dtypes: dict[str, pl.DataType]
    extra_columns: tuple[str, ...] = ()


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _empty_frame(schema: TableSchema) -> pl.LazyFrame:
    cols = {c.name: pl.Series(c.name, [], dtype=pl.String) for c in schema.columns}
    return pl.DataFrame(cols).lazy().with_row_index(ROW, offset=1)


def _header(path: Path, fmt: str) -> dict[str, pl.DataType]:
    try:
        if fmt == "csv":
            with path.open("rb") as fh:
                first = fh.readline()
            if not first.strip():
                raise ExtractError(f"{path}: the file is empty; a header row is required")
            try:
                first.decode("utf-8")
            except UnicodeDecodeError:
                raise ExtractError(f"{path}: the header row is not UTF-8 text; save the file as UTF-8 CSV") from None
            return dict(pl.read_csv(path, n_rows=0, infer_schema=False).schema)
        return dict(pl.scan_parquet(path).collect_schema())
    except ExtractError:
        raise
    except Exception as exc:  # polars raises several types for unreadable files
        kind = "CSV" if fmt == "csv" else "Parquet"
        raise ExtractError(f"{path}: cannot be read as {kind} ({type(exc).__name__})") from None


def open_table(extract_dir: Path, schema: TableSchema) -> RawTable:
    csv_path = extract_dir / f"{schema.name}.csv"
    pq_path = extract_dir / f"{schema.name}.parquet"
    if csv_path.exists() and pq_path.exists():
        raise ExtractError(
            f"{extract_dir}: both {csv_path.name} and {pq_path.name} exist; keep exactly one file per table"
        )
    if not csv_path.exists() and not pq_path.exists():
        if schema.required:
            raise ExtractError(
                f"{extract_dir}: required table `{schema.name}` is missing (expected {csv_path.name} or {pq_path.name})"
            )
        return RawTable(schema.name, None, "absent", _empty_frame(schema), {})
    path, fmt = (csv_path, "csv") if csv_path.exists() else (pq_path, "parquet")
    header = _header(path, fmt)
    missing = [c for c in schema.required_names if c not in header]
    if missing:
        hints = []
        for m in missing:
            close = difflib.get_close_matches(m, list(header), n=1, cutoff=0.6) or [
                h for h in header if h.lower() == m
            ]
            hints.append(f"`{m}`" + (f" (found `{close[0]}`: rename it)" if close else ""))
        raise ExtractError(f"{path}: required column(s) missing: {', '.join(hints)}")
    extra = tuple(sorted(set(header) - set(schema.names)))
    if extra:
        log.warning("%s: ignoring %d unknown column(s): %s", path.name, len(extra), ", ".join(extra))
    if fmt == "csv":
        lf = pl.scan_csv(path, infer_schema=False)
    else:
        lf = pl.scan_parquet(path)
    present = [c for c in schema.names if c in header]
    lf = lf.select(present).with_row_index(ROW, offset=1)
    absent = [c for c in schema.names if c not in header]
    if absent:
        lf = lf.with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in absent])
    dtypes = {c: header[c] for c in present}
    return RawTable(schema.name, path, fmt, lf, dtypes, extra)


def read_extract(extract_dir: Path | str) -> dict[str, RawTable]:
    """Open all six tables; raise ExtractError for anything that stops the run."""
    extract_dir = Path(extract_dir)
    if not extract_dir.is_dir():
        raise ExtractError(f"{extract_dir}: extract folder not found")
    return {name: open_table(extract_dir, schema) for name, schema in SCHEMAS.items()}
