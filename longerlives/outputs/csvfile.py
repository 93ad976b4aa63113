"""The one CSV writer for every CSV a person may open (flags, patients, quarantine,
worklists, practice exports, letters index): UTF-8, header row, ISO dates,
true/false, fixed float format — and cells that a spreadsheet would run as a formula
neutralised.

CSV injection (OWASP, "CSV Injection"): a text cell beginning with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is run as a formula by Excel, LibreOffice
and Google Sheets. Such a cell is written with a leading apostrophe (``'=HYPERLINK(...)``),
which spreadsheets show as text. Plain numbers (``-3``, ``+4.5``) are left as they
are, so a negative value stays a number; numeric, date and boolean columns are
never touched. Text inside list columns is joined before writing by the callers.

A line break inside a text cell (an address typed over two lines reaches the engine since
multi-line quoted input fields are read as one row) is written as a space, so every CSV
keeps one row per line as run-outputs-v2 says.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import polars as pl

FORMULA_START = r"^[=+\-@\t\r]"
PLAIN_NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def neutralise_text(expr: pl.Expr) -> pl.Expr:
    """Prefix an apostrophe to text a spreadsheet would treat as a formula."""
    risky = expr.str.contains(FORMULA_START) & ~expr.str.contains(PLAIN_NUMBER)
    return pl.when(risky.fill_null(False)).then(pl.lit("'") + expr).otherwise(expr)


LINE_BREAK = r"\r\n|\r|\n"


def one_line(expr: pl.Expr) -> pl.Expr:
    """A line break inside a cell becomes a space: every output CSV has one row per line
    (run-outputs-v2), even when an input field held a line break (RFC 4180, issue 12)."""
    return expr.str.replace_all(LINE_BREAK, " ")


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every text column on one line and neutralised (other columns unchanged).

    One cheap pass first finds which text columns hold a line break or begin a cell with a
    formula character at all; only those are rewritten (issue 16: most columns hold neither,
    and rewriting every cell of every column was most of the CSV cost). The result is what
    ``neutralise_text(one_line(...))`` gives on every column: a line break becomes a space,
    which never starts a formula, so a column with no formula start before has none after."""
    text = [c for c, t in frame.schema.items() if t == pl.String]
    if not text or frame.height == 0:
        return frame
    probe = frame.select(
        *[pl.col(c).str.contains(r"[\r\n]").any().alias(f"b{i}") for i, c in enumerate(text)],
        *[pl.col(c).str.contains(FORMULA_START).any().alias(f"f{i}") for i, c in enumerate(text)],
    ).row(0)
    rewrite = []
    for i, c in enumerate(text):
        expr = pl.col(c)
        if probe[i]:
            expr = one_line(expr)
        if probe[len(text) + i]:
            expr = neutralise_text(expr)
        if probe[i] or probe[len(text) + i]:
            rewrite.append(expr.alias(c))
    return frame.with_columns(rewrite) if rewrite else frame


def _write(prepared: pl.DataFrame, target: Any, float_precision: int | None, header: bool = True) -> str | None:
    """The one place the CSV format is set: ISO dates, ``\n`` line ends, the header when asked."""
    return prepared.write_csv(
        target, include_header=header, date_format="%Y-%m-%d", float_precision=float_precision, line_terminator="\n"
    )


def csv_bytes(prepared: pl.DataFrame, float_precision: int | None = None) -> bytes:
    """The CSV bytes ``write_csv`` writes, for a frame already passed through ``neutralised``
    (exports neutralise all practices' rows in one pass, then cut the text per practice)."""
    return str(_write(prepared, None, float_precision)).encode()


def write_csv(frame: pl.DataFrame, path: Path, float_precision: int | None = None) -> Path:
    return write_prepared_csv(neutralised(frame), path, float_precision)


def write_prepared_csv(prepared: pl.DataFrame, path: Path, float_precision: int | None = None) -> Path:
    """``write_csv`` for a frame already passed through ``neutralised`` (the worklists neutralise
    every team's rows in one pass, then write each team's part)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(prepared, path, float_precision)
    return path


def write_csv_blocks(blocks: Iterable[pl.DataFrame], path: Path, float_precision: int | None = None) -> Path:
    """``write_csv`` of the blocks' rows one after another (the header once, from the first block):
    the same bytes as ``write_csv`` of their concatenation, without holding every row at once.
    Each block is neutralised alone, which rewrites exactly the cells the whole frame's would."""
    with CsvBlocks(path, float_precision) as out:
        for block in blocks:
            out.add(block)
    return path


class CsvBlocks:
    """``write_csv_blocks`` for blocks given one call at a time (``add``), as the pipeline's output
    half makes them a block of people at a time (issue 16, session 31). The first block gives the
    header: give at least one, empty when there are no rows."""

    def __init__(self, path: Path, float_precision: int | None = None) -> None:
        self.path, self.float_precision = path, float_precision
        self._out: Any = None
        self._blocks = 0

    def open(self) -> CsvBlocks:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._out = self.path.open("wb")
        return self

    def add(self, block: pl.DataFrame) -> None:
        _write(neutralised(block), self._out, self.float_precision, header=self._blocks == 0)
        self._blocks += 1

    def close(self) -> None:
        self._out.close()

    def __enter__(self) -> CsvBlocks:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()
