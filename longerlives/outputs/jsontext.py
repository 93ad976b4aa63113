"""JSON text built column-wise by Polars, byte for byte what ``json.dumps(..., ensure_ascii=False)``
writes (issue 16: no Python object per row on the output paths)."""

from __future__ import annotations

import polars as pl


def json_string(expr: pl.Expr) -> pl.Expr:
    """A text column as a JSON string literal, quotes included (null as ``null``): the encoder
    of ``struct.json_encode`` escapes exactly what ``json.dumps(..., ensure_ascii=False)`` does
    (quote, backslash, control characters), which tests hold on awkward text."""
    return pl.struct(expr.alias("v")).struct.json_encode().str.slice(5).str.strip_suffix("}")
