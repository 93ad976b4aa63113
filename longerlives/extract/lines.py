"""Line-level checks of a CSV table: bad lines are quarantined, never fatal (issue 12).

A CSV line that cannot be read as one row — a byte that is not UTF-8 (a latin-1 ``é``),
more or fewer fields than the header, a stray or unbalanced double quote — used to
abort the whole file. Here every physical line is checked, vectorised, before the
table is parsed:

* the file is read once as lines (``utf8-lossy``: an invalid byte becomes U+FFFD);
* a line is well formed when it matches RFC 4180 fields (``"..."`` with ``""``
  escapes, or text without quotes or commas) separated by commas, and has as many
  fields as the header;
* a quoted field may hold line breaks (RFC 4180 2.6): a line with an odd number of
  quotes opens a field that the next such line closes; when the lines from one to the
  other (at most ``max_lines_per_row``, config/extract.toml) make one well-formed row
  they are read as ONE row. A quote that no later line closes into a well-formed row is
  a stray or unterminated quote: that line alone is quarantined and reading goes on at
  the next line;
* bad lines go to the quarantine with their row number — the 1-based data-row number
  of the input file (a row spanning lines counts once, so later rows keep the number a
  spreadsheet shows) — the reason with the physical line number, and ``column``
  ``(whole row)``.

When every line is good and no row spans lines (the usual night) nothing is written
and the table is read from the original file. Otherwise the good rows, each prefixed
with its original row number, are written once to a private work file that is read
instead, so row numbers in ``quarantine.csv`` still point at the input file.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
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
    """Suspect lines with the reason each is bad (null when it is not). One cheap streaming pass
    keeps only suspect lines (a quote, an invalid byte, a comma count that does not match); the
    regex runs on those few only."""
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
    return few.with_columns(reason.alias("reason"))


_WELL_FORMED_PY = re.compile(rf"{_FIELD}(?:,{_FIELD})*", re.DOTALL)
_QUOTED_PY = re.compile(QUOTED, re.DOTALL)


def _one_row(text: str, n_fields: int) -> bool:
    """``text`` (lines joined by newlines) is one well-formed row with ``n_fields`` fields."""
    if REPLACEMENT in text or _WELL_FORMED_PY.fullmatch(text) is None:
        return False
    return _QUOTED_PY.sub("", text).count(",") + 1 == n_fields


@dataclass(frozen=True)
class _Spans:
    """Rows whose quoted field spans lines."""

    joined: dict[int, str]  # first line (row index) -> the lines of the row joined by newlines
    continuation: list[int]  # sorted row indices of the lines that continue a row above


def _spans(lines: pl.LazyFrame, few: pl.DataFrame, n_fields: int, max_lines: int) -> _Spans:
    """Pair each line with an odd number of quotes with the next such line, when the lines
    between make one well-formed row of at most ``max_lines`` lines."""
    odd = few.filter(pl.col("line").str.count_matches('"', literal=True) % 2 == 1)[ROW].sort().to_list()
    pairs = [(a, b) for a, b in zip(odd, odd[1:]) if b - a < max_lines]
    if not pairs:
        return _Spans({}, [])
    needed = pl.DataFrame({ROW: sorted({r for a, b in pairs for r in range(a, b + 1)})}, schema={ROW: pl.Int64})
    text = dict(
        lines.with_columns(pl.col(ROW).cast(pl.Int64))
        .join(needed.lazy(), on=ROW, how="semi")
        .select(ROW, "line")
        .collect()
        .iter_rows()
    )
    joined: dict[int, str] = {}
    continuation: list[int] = []
    k = 0
    while k < len(odd):
        start = odd[k]
        if k + 1 < len(odd) and odd[k + 1] - start < max_lines:
            end = odd[k + 1]
            record = "\n".join(text.get(r) or "" for r in range(start, end + 1))
            if _one_row(record, n_fields):
                joined[start] = record
                continuation.extend(range(start + 1, end + 1))
                k += 2
                continue
        k += 1  # a quote nothing closes: this line alone is bad
    return _Spans(joined, continuation)


def check_lines(path: Path, table: str, work_dir: Path, max_lines_per_row: int) -> LineCheck:
    """Scan ``path`` line by line; write a clean copy into ``work_dir`` only if a line is bad
    or a row spans lines."""
    n_fields = len(header_fields(path))
    try:
        lines = _scan_lines(path)
        few = _problems(lines, n_fields)
    except pl.exceptions.PolarsError:
        lines = _python_lines(path)
        few = _problems(lines, n_fields)
    spans = _spans(lines, few, n_fields, max_lines_per_row)
    in_span = [*spans.joined, *spans.continuation]
    bad = few.filter(pl.col("reason").is_not_null() & ~pl.col(ROW).cast(pl.Int64).is_in(in_span))
    cont = spans.continuation
    rows = [int(r) - bisect.bisect_left(cont, int(r)) for r in bad[ROW].to_list()]  # data-row number
    quarantine = bad.select(
        pl.lit(table).alias("table"),
        pl.Series("row", rows, dtype=pl.Int64),
        pl.lit(WHOLE_ROW).alias("column"),
        pl.col("line").str.slice(0, VALUE_CHARS).alias("value"),
        pl.format("{} (line {} of the file)", pl.col("reason"), pl.col(ROW).cast(pl.Int64) + 1).alias("reason"),
    )
    if bad.height == 0 and not spans.joined:
        return LineCheck(quarantine, None)
    work_dir.mkdir(parents=True, exist_ok=True)
    clean = work_dir / f"{table}.lines-ok.csv"
    empty_row = "," * (n_fields - 1)  # a blank line stays a row of empty cells, as in the original
    joined = pl.DataFrame(
        {ROW: list(spans.joined), "_joined": list(spans.joined.values())}, schema={ROW: pl.Int64, "_joined": pl.String}
    )
    numbered = (
        lines.with_columns(pl.col(ROW).cast(pl.Int64))
        .join(pl.DataFrame({ROW: cont}, schema={ROW: pl.Int64}).lazy(), on=ROW, how="anti", maintain_order="left")
        .with_row_index("_record")  # continuation lines gone: the position is the data-row number
        .join(bad.lazy().select(pl.col(ROW).cast(pl.Int64)), on=ROW, how="anti", maintain_order="left")
        .join(joined.lazy(), on=ROW, how="left", maintain_order="left")
        .with_columns(pl.coalesce("_joined", "line").alias("line"))
    )
    out = numbered.select(
        pl.when(pl.col(ROW) == 0)
        .then(pl.lit(f"{ROW},") + pl.col("line").str.strip_chars_start("\ufeff"))
        .otherwise(pl.concat_str(pl.col("_record").cast(pl.String), pl.lit(","), pl.col("line").fill_null(empty_row)))
        .alias("line")
    )
    out.sink_csv(clean, include_header=False, quote_style="never")
    return LineCheck(quarantine, clean)
