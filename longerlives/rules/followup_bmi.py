"""followup.bmi — BMI in the obesity range for the person's ethnicity and no weight-management referral."""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.rules._helpers import fmt, iso, months_words, num, recent, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import RulesSettings

RULE = RuleSpec(
    id="followup.bmi",
    title="Obesity not followed up",
    why_it_matters="Weight gain on antipsychotics is common; a BMI in the obesity range should lead to an offer of "
    "weight-management support (seed 2.1.3: weight gain a top priority).",
    source="NICE PH46 (https://www.nice.org.uk/guidance/ph46/chapter/1-Recommendations) and LGB13: 27.5 for South Asian, "
    "Chinese, other Asian, Black African and African-Caribbean groups, 30 otherwise; run-outputs-v1.md followup.bmi; domain.md §3.1",
    windows={
        "result": "latest BMI value within the 12 months to the as-of date (config followup_months)",
        "referral": "no weight-management referral in the same 12 months",
    },
    codelists=("bmi", "weight_management_referral"),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    settings_keys=("followup_months", "bmi_obesity_threshold", "bmi_obesity_threshold_lower", "bmi_lower_threshold_ethnic_categories"),
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    months = settings.followup_months
    value, day = pl.col("bmi_last_value"), pl.col("bmi_last_value_date")
    # Step 1: the obesity threshold for the person's recorded ethnic category (PH46).
    lower = pl.col("ethnic_category").is_in(list(settings.bmi_lower_threshold_ethnic_categories)).fill_null(False)
    threshold = pl.when(lower).then(pl.lit(settings.bmi_obesity_threshold_lower)).otherwise(pl.lit(settings.bmi_obesity_threshold))
    # Step 2: the latest BMI value, within the window, at or above it.
    # Step 3: no weight-management referral within the window.
    gap = people.filter(
        within_months(day, as_of, months) & (value >= threshold) & ~recent(("weight_management_referral",), as_of, months)
    )
    which = (
        pl.when(lower)
        .then(pl.lit(f"obesity threshold {fmt(settings.bmi_obesity_threshold_lower)} for the person's ethnic group"))
        .otherwise(pl.lit(f"obesity threshold {fmt(settings.bmi_obesity_threshold)}"))
    )
    reason = pl.format(
        "BMI {} on {} ({}); no weight-management referral in the last {}", num(value), iso(day), which, pl.lit(months_words(months))
    )
    return flags(gap, RULE.id, day, reason)
