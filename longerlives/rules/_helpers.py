"""Verbs shared by the rules: windows, dates in words, latest-of-several."""

from __future__ import annotations

import logging
from datetime import date
from typing import TypeVar

import polars as pl

from longerlives.dates import months_before
from longerlives.frames import feature, last_dates

log = logging.getLogger(__name__)
Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


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


def days_ago(day: pl.Expr, as_of: date) -> pl.Expr:
    """A date and its age in words for a reason: "2026-10-02 (30 days ago)"."""
    return pl.format("{} ({} days ago)", iso(day), (pl.lit(as_of) - day).dt.total_days())


def months_words(months: int) -> str:
    return "12 months" if months == 12 else (f"{months // 12} years" if months % 12 == 0 else f"{months} months")


def last_date(*concepts: str) -> pl.Expr:
    """Latest ``<concept>_last_date`` over several concepts (null when none recorded)."""
    return pl.max_horizontal(last_dates(*concepts))


def has_diagnosis(concepts: tuple[str, ...], resolved: str | None = None) -> pl.Expr:
    """A diagnosis code ever recorded, not followed (on or after) by a resolved code."""
    dx = last_date(*concepts)
    present = dx.is_not_null()
    if resolved:
        res = feature(resolved, "last_date").col
        present = present & (res.is_null() | (res < dx))
    return present


def recent(concepts: tuple[str, ...], as_of: date, months: int) -> pl.Expr:
    """Any of the concepts recorded within ``months`` (False when none)."""
    return within_months(last_date(*concepts), as_of, months)


def recent_medicine(medicines: tuple[str, ...], as_of: date, months: int) -> pl.Expr:
    """Any issue of the medicine concepts within ``months``."""
    return within_months(pl.max_horizontal(last_dates(*medicines)), as_of, months)


def num(expr: pl.Expr) -> pl.Expr:
    """A value in words: whole numbers without ``.0``, otherwise one decimal place."""
    rounded = expr.round(1)
    return (
        pl.when(rounded == rounded.round(0))
        .then(rounded.cast(pl.Int64).cast(pl.String))
        .otherwise(rounded.cast(pl.String))
    )


def fmt(value: float) -> str:
    """A configured threshold in words (30.0 → "30", 27.5 → "27.5")."""
    return str(int(value)) if float(value).is_integer() else str(value)


def current_smoker_date(min_age_at_record: int) -> pl.Expr:
    """Date of the latest current-smoker code when it is the latest smoking status
    (a same-day ex/never code loses to it: the higher risk), else null. A latest code
    recorded before ``min_age_at_record`` is usually a parent's smoking and is ignored."""
    current = last_date("smoker", "smoker_light", "smoker_moderate", "smoker_heavy")
    latest = pl.max_horizontal(current, *last_dates("ex_smoker", "never_smoked"))
    old_enough = current >= pl.col("date_of_birth").dt.offset_by(f"{min_age_at_record}y")
    return pl.when((current == latest) & old_enough).then(current).otherwise(None)


def with_optional_concepts(frame: Frame, optional: set[str]) -> Frame:
    """Add ``<c>_last_date`` as null for optional concepts with no code list loaded
    (e.g. BPDEC_COD while its refset is pending), naming them once in the log."""
    names = frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns
    missing = sorted(c for c in optional if feature(c, "last_date").name not in names)
    if not missing:
        return frame
    log.warning("rules: no code list for %s; treated as never recorded", ", ".join(missing))
    return frame.with_columns([pl.lit(None, dtype=pl.Date).alias(feature(c, "last_date").name) for c in missing])
