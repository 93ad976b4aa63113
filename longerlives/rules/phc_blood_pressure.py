"""phc.blood_pressure — blood pressure is one of the six annual health-check elements."""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.rules._helpers import fell_out_of_window, iso, months_words, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import RulesSettings

RULE = RuleSpec(
    id="phc.blood_pressure",
    title="Annual health check: blood pressure",
    why_it_matters="High blood pressure is common, silent and treatable; people with SMI die early of heart disease and stroke.",
    source="NHS England SMI physical health check, six core elements "
    "(https://www.england.nhs.uk/long-read/improving-the-physical-health-of-people-living-with-severe-mental-illness/); "
    "QOF BP_COD; run-outputs-v1.md phc.blood_pressure",
    windows={"look-back": "12 months to the as-of date (after the same calendar day a year earlier)"},
    codelists=("systolic_bp", "diastolic_bp"),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    settings_keys=("phc_months",),
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    months = settings.phc_months
    last = pl.col("bp_last_date")
    # Step 1: the national denominator — in the health-check cohort.
    # Step 2: a systolic and diastolic pair recorded on one day within the window counts as done.
    gap = people.filter(pl.col("health_check_cohort") & ~within_months(last, as_of, months))
    reason = (
        pl.when(last.is_null())
        .then(pl.lit("No blood pressure ever recorded"))
        .otherwise(pl.format("Last blood pressure recorded {}, more than {} ago", iso(last), pl.lit(months_words(months))))
    )
    return flags(gap, RULE.id, fell_out_of_window(last, months), reason)
