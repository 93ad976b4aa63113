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
            from longerlives.extract.lines import header_fields

            names = header_fields(path)
            check_header_names(path, names)
            return {name: pl.String() for name in names}
        schema = pl.scan_parquet(path).collect_schema()
        return dict(schema)
    except ExtractError:
        raise
    except OSError as exc:  # permission denied, an input/output error: the file, not its content (exit 74)
        from longerlives.failures import explain

        raise (explain(exc) or ExtractError(f"{path}: cannot be read ({exc.strerror})")) from None
    except Exception as exc:  # polars raises several types for unreadable files
        kind = "CSV" if fmt == "csv" else "Parquet"
        raise ExtractError(f"{path}: cannot be read as {kind} ({type(exc).__name__})") from None


def _normal(name: str) -> str:
    """A column name with case, spaces, underscores, hyphens and a BOM ignored."""
    return "".join(ch for ch in name.lower() if ch not in " _-\t\ufeff\u00a0")


def check_header_names(path: Path, names: list[str]) -> None:
    """Header problems are fatal, with a hint: an empty or duplicate column name."""
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        if name in seen:
            raise ExtractError(
                f"{path}: column `{name}` appears twice in the header (columns {seen[name]} and {i}); "
                "keep exactly one, so no value is taken from the wrong column"
            )
        seen[name] = i


def near_misses(path: Path, header: list[str], schema: TableSchema) -> None:
    """A known column spelled differently (case, spaces, underscores, hyphens) is fatal:
    ignoring `Date_of_death` or `contact_by_letter ` would write to the dead and to people who opted out."""
    known = {_normal(c): c for c in schema.names}
    for name in header:
        if name in schema.names:
            continue
        meant = known.get(_normal(name))
        if meant is not None:
            if meant in header:
                raise ExtractError(f"{path}: columns `{meant}` and `{name}` both look like `{meant}`; keep exactly one")
            raise ExtractError(
                f"{path}: column `{name}` looks like the contract column `{meant}`; rename it to `{meant}` "
                "(names are lower case, no spaces)"
            )


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
    near_misses(path, list(header), schema)
    missing = [c for c in schema.required_names if c not in header]
    if missing:
        hints = []
        for m in missing:
            close = difflib.get_close_matches(m, list(header), n=1, cutoff=0.6) or [h for h in header if h.lower() == m]
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
    dtypes = {c: header[c] for c in present}
    return RawTable(
        schema.name, path, fmt, contract_frame(lf.with_row_index(ROW, offset=1), schema, header), dtypes, extra
    )


def contract_frame(lf: pl.LazyFrame, schema: TableSchema, header: dict[str, pl.DataType] | list[str]) -> pl.LazyFrame:
    """Every contract column (absent optional ones as nulls) plus ``_row``."""
    present = [c for c in schema.names if c in header]
    lf = lf.select(pl.col(ROW), *present)
    absent = [c for c in schema.names if c not in header]
    if absent:
        lf = lf.with_columns([pl.lit(None, dtype=pl.String).alias(c) for c in absent])
    return lf


def with_clean_lines(raw: RawTable, clean_path: Path) -> RawTable:
    """The same table read from a clean copy whose first column is the original row number."""
    lf = pl.scan_csv(clean_path, infer_schema=False).with_columns(pl.col(ROW).cast(pl.UInt32))
    schema = SCHEMAS[raw.name]
    header = [c for c in schema.names if c in raw.source_dtypes]
    return RawTable(
        raw.name, raw.path, raw.format, contract_frame(lf, schema, header), raw.source_dtypes, raw.extra_columns
    )


def read_extract(extract_dir: Path | str) -> dict[str, RawTable]:
    """Open all six tables; raise ExtractError for anything that stops the run."""
    extract_dir = Path(extract_dir)
    if not extract_dir.is_dir():
        raise ExtractError(f"{extract_dir}: extract folder not found")
    return {name: open_table(extract_dir, schema) for name, schema in SCHEMAS.items()}
