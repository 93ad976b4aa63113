"""Issue 16: the CSV writer rewrites only the text columns that hold a line break or a formula
start. What a spreadsheet user opens must be exactly what rewriting every column gives."""

from __future__ import annotations

import random
from datetime import date

import polars as pl

from longerlives.outputs.csvfile import neutralise_text, neutralised, one_line, write_csv

CELLS = [
    "plain words",
    '=HYPERLINK("http://x")',
    "-3",
    "+4.5",
    "-",
    "@SUM(1+1)",
    "\tstarts with a tab",
    "\rstarts with a return",
    "two\r\nlines",
    "one\nbreak",
    "\n=after a break",
    "cr\r\r\nmix",
    "Zoë’s reading",
    "",
    None,
]


def _every_column_rewritten(frame: pl.DataFrame) -> pl.DataFrame:
    text = [c for c, t in frame.schema.items() if t == pl.String]
    return frame.with_columns([neutralise_text(one_line(pl.col(c))).alias(c) for c in text])


def test_csv_cells_are_what_rewriting_every_column_gives_on_awkward_text(tmp_path):
    rng = random.Random(16)
    n = 500
    frame = pl.DataFrame(
        {
            "awkward": [rng.choice(CELLS) for _ in range(n)],
            "formula_only": [rng.choice(["ok", "=1+1", None]) for _ in range(n)],
            "breaks_only": [rng.choice(["ok", "a\nb", "c\r\nd", None]) for _ in range(n)],
            "clean": [f"row {i}" for i in range(n)],
            "number": list(range(n)),
            "day": [date(2026, 1, 1 + i % 28) for i in range(n)],
        }
    )
    assert neutralised(frame).equals(_every_column_rewritten(frame))
    written = write_csv(frame, tmp_path / "out.csv").read_text(encoding="utf-8")
    assert len(written.splitlines()) == n + 1  # one row per line: every break became a space
    cells = set(pl.read_csv(tmp_path / "out.csv", infer_schema=False)["awkward"].drop_nulls().to_list())
    assert {'\'=HYPERLINK("http://x")', "'@SUM(1+1)", "-3", "+4.5", "'\tstarts with a tab"} <= cells
    assert {" =after a break", "two lines", " starts with a return", "cr  mix"} <= cells


def test_a_frame_with_nothing_to_neutralise_is_written_unchanged():
    frame = pl.DataFrame({"a": ["x", "y", None], "b": [1, 2, 3]})
    assert neutralised(frame).equals(frame)
    assert neutralised(frame.clear()).equals(frame.clear())
