"""JSON text built column-wise by Polars, byte for byte what ``json.dumps(..., ensure_ascii=False)``
writes (issue 16: no Python object per row on the output paths)."""

from __future__ import annotations

import polars as pl

# What ``json.dumps(..., ensure_ascii=False)`` escapes inside a string: the quote, the backslash
# and the control characters U+0000 to U+001F (json.encoder.ESCAPE); nothing else.
NEEDS_ESCAPE = r'[\x00-\x1f"\\]'


def json_string(expr: pl.Expr) -> pl.Expr:
    """A text column as a JSON string literal, quotes included (null as ``null``): the encoder
    of ``struct.json_encode`` escapes exactly what ``json.dumps(..., ensure_ascii=False)`` does
    (quote, backslash, control characters), which tests hold on awkward text."""
    return pl.struct(expr.alias("v")).struct.json_encode().str.slice(5).str.strip_suffix("}")


def json_string_of(column: pl.Series) -> pl.Expr:
    """``json_string(pl.col(column.name))``, cheaper when no cell needs it: a column with no null
    and no character JSON escapes is only put in quotes (the same bytes; issue 16, session 6:
    the struct encoder was most of the cost of the export bundles' per-row strings)."""
    name = column.name
    if column.null_count() or column.str.contains(NEEDS_ESCAPE).any():
        return json_string(pl.col(name))
    return pl.concat_str(pl.lit('"'), pl.col(name), pl.lit('"'))
