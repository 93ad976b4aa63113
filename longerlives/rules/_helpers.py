"""Verbs shared by the rules: windows, dates in words, latest-of-several."""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.dates import months_before


def within_months(col: str | pl.Expr, as_of: date, months: int) -> pl.Expr:
    """True when the date is after the same calendar day ``months`` months before ``as_of``
    (and on or before ``as_of`` — later events were removed when features were built)."""
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.is_not_null() & (expr > pl.lit(months_before(as_of, months)))


def fell_out_of_window(col: str | pl.Expr, months: int) -> pl.Expr:
    """The first as-of date on which a record dated ``col`` no longer counts as within
    ``months``: the same calendar day ``months`` later (29 February → 1 March)."""
    expr = pl.col(col) if isinstance(col, str) else col
    later = expr.dt.offset_by(f"{months}mo")
    return pl.when(later.dt.day() != expr.dt.day()).then(later.dt.offset_by("1d")).otherwise(later)


def latest(*cols: str) -> pl.Expr:
    """Latest of several date columns (nulls ignored)."""
    return pl.max_horizontal([pl.col(c) for c in cols])


def iso(expr: pl.Expr) -> pl.Expr:
    return expr.dt.strftime("%Y-%m-%d")


def months_words(months: int) -> str:
    return "12 months" if months == 12 else (f"{months // 12} years" if months % 12 == 0 else f"{months} months")
