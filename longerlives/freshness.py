"""Stale extract warning (issue 12): the latest event long before the as-of date means the
nightly extract stopped refreshing, and every "overdue" flag may be wrong."""

from __future__ import annotations

import logging
from datetime import date

import polars as pl

from longerlives.settings.safeguards import SafeguardSettings

log = logging.getLogger(__name__)


def extract_freshness(events: pl.LazyFrame, as_of: date, safeguards: SafeguardSettings) -> dict[str, object]:
    """``latest_event``, ``days_before_as_of``, ``stale`` and a ``warning`` sentence (or None)."""
    latest = events.filter(pl.col("date") <= as_of).select(pl.col("date").max()).collect().item()
    return freshness(latest, as_of, safeguards)


def freshness(latest: date | None, as_of: date, safeguards: SafeguardSettings) -> dict[str, object]:
    """The same from the latest event on or before the as-of date, found during validation."""
    if latest is None:
        none_warning = "the extract has no events on or before the as-of date: check that the extract is complete"
        log.warning("stale extract: %s", none_warning)
        return {"latest_event": None, "days_before_as_of": None, "stale": True, "warning": none_warning}
    days = (as_of - latest).days
    stale = days >= safeguards.stale_extract_days
    warning: str | None = (
        f"the latest event on the extract is {latest.isoformat()}, {days} days before the as-of date "
        f"{as_of.isoformat()}: the extract may be stale, so gaps may be flagged that were closed since"
        if stale
        else None
    )
    if warning:
        log.warning("stale extract: %s", warning)
    return {"latest_event": latest.isoformat(), "days_before_as_of": days, "stale": stale, "warning": warning}
