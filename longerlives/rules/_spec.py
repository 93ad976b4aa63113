"""What every rule declares about itself, and the shape of what it returns.

A rule module exports ``RULE`` (a frozen ``RuleSpec``) and ``evaluate(people,
as_of, settings)`` — a pure function from the per-person features (a LazyFrame,
one row per valid patient, see ``longerlives/features.py``) to open flags. No I/O,
no clock, no logging inside a rule: the as-of date always arrives as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import polars as pl

FLAG_COLUMNS = ("nhs_number", "flag", "since", "reason")
FLAG_SCHEMA = {"nhs_number": pl.String, "flag": pl.String, "since": pl.Date, "reason": pl.String}


@dataclass(frozen=True)
class RuleSpec:
    id: str  # the flag id in run-outputs-v1.md, e.g. "phc.blood_pressure"
    title: str  # what a clinician calls it
    why_it_matters: str
    source: str  # guideline / QOF rule / contract section, with URL
    windows: dict[str, str]  # name -> plain description, e.g. {"look-back": "12 months"}
    codelists: tuple[str, ...]  # concepts read (via features)
    last_reviewed: date
    next_review: date
    reviewed_by: str = "longerlives founding engineers (clinical sign-off pending)"
    safety: bool = False  # a safety item outreach must put first
    settings_keys: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Rule:
    spec: RuleSpec
    evaluate: Callable[..., pl.LazyFrame]
    module: str


def flags(frame: pl.LazyFrame, flag_id: str, since: pl.Expr, reason: pl.Expr) -> pl.LazyFrame:
    """Shape rows already filtered to people with the gap into FLAG_COLUMNS."""
    return frame.select(
        pl.col("nhs_number"),
        pl.lit(flag_id).alias("flag"),
        since.cast(pl.Date).alias("since"),
        reason.cast(pl.String).alias("reason"),
    )
