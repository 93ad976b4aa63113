"""Line-level checks of a CSV table: bad lines are quarantined, never fatal (issue 12).

A CSV line that cannot be read as one row — a byte that is not UTF-8 (a latin-1 ``é``),
more or fewer fields than the header, a stray or unbalanced double quote — used to
abort the whole file. Here every physical line is checked, vectorised, before the
table is parsed:

* the file is read once as lines (``utf8-lossy``: an invalid byte becomes U+FFFD);
* a line is well formed when it matches RFC 4180 fields (``"..."`` with ``""``
  escapes, or text without quotes or commas) separated by commas, and has as many
  fields as the header;
* bad lines go to the quarantine with their row number (1-based data row = physical
  line number minus the header) and the reason; ``column`` is ``(whole row)``.

When every line is good (the usual night) nothing is written and the table is read
from the original file. Otherwise the good lines, each prefixed with its original
row number, are written once to a private work file that is read instead, so row
numbers in ``quarantine.csv`` still point at the input file. A quoted field may
not span lines: both halves are quarantined (documented in ``docs/operations.md``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import polars as pl

ROW = "_row"
WHOLE_ROW = "(whole row)"
REPLACEMENT = "\ufffd"
_FIELD = r'(?:"(?:[^"]|"")*"|[^",]*)'
WELL_FORMED = rf"^{_FIELD}(?:,{_FIELD})*$"
QUOTED = r'"(?:[^"]|"")*"'
VALUE_CHARS = 200  # how much of a bad line the quarantine keeps (enough to find it)


@dataclass(frozen=True)
class LineCheck:
    """What the line scan found for one CSV file."""

    bad: pl.DataFrame  # table, row, column, value, reason — one row per bad line
    clean_path: Path | None  # good lines with a leading _row column; None when all lines are good


def header_fields(path: Path) -> list[str]:
    """The header row's names, parsed as CSV (quoted names allowed); BOM removed."""
    with path.open("rb") as fh:
        first = fh.readline()
    text = first.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
    return next(csv.reader(io.StringIO(text)), [])


def _scan_lines(path: Path) -> pl.LazyFrame:
    # \x1f (unit separator) never appears in an extract; a line holding one fails the
    # scan and the caller falls back to a per-line Python reader.
    return pl.scan_csv(
        path,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        infer_schema=False,
        encoding="utf8-lossy",
        new_columns=["line"],
    ).with_row_index(ROW)


def _python_lines(path: Path) -> pl.LazyFrame:
    """Slow, always-works reading of lines (used when a line holds the \\x1f byte)."""
    with path.open("rb") as fh:
        lines = [raw.rstrip(b"\n").rstrip(b"\r").decode("utf-8", errors="replace") for raw in fh]
    return (
        pl.DataFrame({"line": [ln if ln != "" else None for ln in lines]}, schema={"line": pl.String})
        .lazy()
        .with_row_index(ROW)
    )


def _problems(lines: pl.LazyFrame, n_fields: int) -> pl.DataFrame:
    """Bad lines with their reason. One cheap streaming pass keeps only suspect lines (a quote,
    an invalid byte, a comma count that does not match); the regex runs on those few only."""
    line = pl.col("line")
    suspect = (
        line.str.contains('"', literal=True)
        | line.str.contains(REPLACEMENT, literal=True)
        | (line.str.count_matches(",", literal=True) != n_fields - 1)
    )
    few = lines.filter((pl.col(ROW) > 0) & line.is_not_null() & suspect).collect()
    has_quote = line.str.contains('"', literal=True)
    well_formed = pl.when(has_quote).then(line.str.contains(WELL_FORMED)).otherwise(True)
    fields = (
        pl.when(has_quote).then(line.str.replace_all(QUOTED, "")).otherwise(line).str.count_matches(",", literal=True)
        + 1
    )
    reason = (
        pl.when(line.str.contains(REPLACEMENT, literal=True))
        .then(pl.lit("the line is not UTF-8 text (a byte such as a latin-1 accented letter); save the file as UTF-8"))
        .when(~well_formed)
        .then(pl.lit("stray or unbalanced double quote: the line cannot be split into fields"))
        .when(fields != n_fields)
        .then(pl.format("{} fields where the header has {}", fields, pl.lit(n_fields)))
    )
    return few.with_columns(reason.alias("reason")).filter(pl.col("reason").is_not_null())


def check_lines(path: Path, table: str, work_dir: Path) -> LineCheck:
    """Scan ``path`` line by line; write a clean copy into ``work_dir`` only if a line is bad."""
    n_fields = len(header_fields(path))
    try:
        lines = _scan_lines(path)
        bad = _problems(lines, n_fields)
    except pl.exceptions.PolarsError:
        lines = _python_lines(path)
        bad = _problems(lines, n_fields)
    quarantine = bad.select(
        pl.lit(table).alias("table"),
        pl.col(ROW).cast(pl.Int64).alias("row"),
        pl.lit(WHOLE_ROW).alias("column"),
        pl.col("line").str.slice(0, VALUE_CHARS).alias("value"),
        pl.col("reason"),
    )
    if bad.height == 0:
        return LineCheck(quarantine, None)
    work_dir.mkdir(parents=True, exist_ok=True)
    clean = work_dir / f"{table}.lines-ok.csv"
    empty_row = "," * (n_fields - 1)  # a blank line stays a row of empty cells, as in the original
    out = lines.join(bad.lazy().select(ROW), on=ROW, how="anti", maintain_order="left").select(
        pl.when(pl.col(ROW) == 0)
        .then(pl.lit(f"{ROW},") + pl.col("line").str.strip_chars_start("\ufeff"))
        .otherwise(pl.concat_str(pl.col(ROW).cast(pl.String), pl.lit(","), pl.col("line").fill_null(empty_row)))
        .alias("line")
    )
    out.sink_csv(clean, include_header=False, quote_style="never")
    return LineCheck(quarantine, clean)
