"""Safety items: findings a core team must act on first, whatever the person's rank.

``safety_items(people, as_of, settings)`` returns one row per person passed in —
``nhs_number, safety_items`` — where ``safety_items`` is a ``;``-separated list of
plain-English items (null when none; always null for people out of scope):

1. an urgent suspected cancer referral with no hospital attendance (2-week-wait
   clinic or outpatients) on or after the referral date — within the window
   ("not attended yet") and older than it ("still no attendance");
2. HbA1c in the diabetes range with no diabetes diagnosis;
3. blood pressure 180/120 or higher (either number).

Sources: domain.md §4.3, §5.2 B, §3.2 (NICE NG136), §3.4; config/rules.toml.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from longerlives.rules._helpers import fmt, has_diagnosis, iso, num, within_months
from longerlives.settings.rules import RulesSettings

SAFETY_SCHEMA = {"nhs_number": pl.String, "safety_items": pl.String}
ATTENDANCE_COLUMNS = ("cancer_2ww_last_attended", "outpatient_last_attended")


def usc_not_attended(referral: pl.Expr, attended: pl.Expr) -> pl.Expr:
    """An urgent suspected cancer referral with no hospital attendance on or after it.

    The one definition, shared by the safety item here and the outreach points."""
    return referral.is_not_null() & (attended.is_null() | (attended < referral))


def _usc_item(as_of: date, s: RulesSettings) -> pl.Expr:
    referral = pl.col("usc_referral_last_date")
    attended = pl.max_horizontal([pl.col(c) for c in ATTENDANCE_COLUMNS])
    not_attended = usc_not_attended(referral, attended)
    window_start = as_of - timedelta(weeks=s.usc_window_weeks)
    weeks = f"{s.usc_window_weeks} weeks"
    return (
        pl.when(not_attended & (referral > window_start))
        .then(pl.format("Urgent suspected cancer referral on {}, no hospital attendance recorded yet", iso(referral)))
        .when(not_attended)
        .then(pl.format("Urgent suspected cancer referral on {}, more than {} ago, still no hospital attendance recorded", iso(referral), pl.lit(weeks)))
    )


def _hba1c_item(as_of: date, s: RulesSettings) -> pl.Expr:
    value, day = pl.col("hba1c_last_value"), pl.col("hba1c_last_value_date")
    hit = (
        within_months(day, as_of, s.safety_months)
        & (value >= s.safety_hba1c_threshold)
        & ~has_diagnosis(s.diabetes_concepts, s.diabetes_resolved_concept)
    )
    return pl.when(hit).then(
        pl.format(
            "HbA1c {} mmol/mol on {} is in the diabetes range ({} or more) with no diabetes diagnosis recorded",
            num(value), iso(day), pl.lit(fmt(s.safety_hba1c_threshold)),
        )
    )


def _bp_item(as_of: date, s: RulesSettings) -> pl.Expr:
    day, sys, dia = pl.col("bp_last_date"), pl.col("bp_last_systolic"), pl.col("bp_last_diastolic")
    hit = within_months(day, as_of, s.safety_months) & ((sys >= s.safety_bp_systolic) | (dia >= s.safety_bp_diastolic))
    return pl.when(hit).then(
        pl.format(
            "Blood pressure {}/{} on {} is {}/{} or higher and needs same-day assessment",
            num(sys), num(dia), iso(day), pl.lit(fmt(s.safety_bp_systolic)), pl.lit(fmt(s.safety_bp_diastolic)),
        )
    )


def safety_items(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    items = pl.concat_str(
        [_usc_item(as_of, settings), _hba1c_item(as_of, settings), _bp_item(as_of, settings)],
        separator=";",
        ignore_nulls=True,
    )
    items = pl.when(pl.col("in_scope") & (items != "")).then(items).otherwise(None)
    return people.select(pl.col("nhs_number"), items.cast(pl.String).alias("safety_items")).sort("nhs_number")
