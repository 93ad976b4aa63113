"""followup.bmi — BMI in the obesity range for the person's ethnicity and no weight-management referral."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel, field_validator

from longerlives.frames import latest_value
from longerlives.rules._helpers import fmt, iso, months_words, num, recent, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import ETHNIC_CATEGORIES, FROZEN, RulesSettings


class Params(BaseModel):
    model_config = FROZEN
    obesity_threshold: float  # kg/m2
    obesity_threshold_lower: float  # kg/m2, for the ethnic categories below
    lower_threshold_ethnic_categories: tuple[str, ...]  # NHS Data Dictionary ethnic category codes
    source: str

    @field_validator("lower_threshold_ethnic_categories")
    @classmethod
    def _known_categories(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [c for c in v if c not in ETHNIC_CATEGORIES]
        if bad:
            raise ValueError(f"unknown ethnic category {bad}; expected NHS Data Dictionary codes {ETHNIC_CATEGORIES}")
        return v


BMI = latest_value("bmi")  # (value, date)

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
    features=(*BMI,),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    params=Params,
    settings_keys=("followup_months",),
    plan_group="lifestyle",
    plan_order=3,
    plan_words="offer weight management",
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    months = settings.followup_months
    prm = settings.params(RULE.id, Params)
    value, day = (ref.col for ref in BMI)
    # Step 1: the obesity threshold for the person's recorded ethnic category (PH46).
    lower = pl.col("ethnic_category").is_in(list(prm.lower_threshold_ethnic_categories)).fill_null(False)
    threshold = pl.when(lower).then(pl.lit(prm.obesity_threshold_lower)).otherwise(pl.lit(prm.obesity_threshold))
    # Step 2: the latest BMI value, within the window, at or above it.
    # Step 3: no weight-management referral within the window.
    gap = people.filter(
        within_months(day, as_of, months)
        & (value >= threshold)
        & ~recent(("weight_management_referral",), as_of, months)
    )
    which = (
        pl.when(lower)
        .then(pl.lit(f"obesity threshold {fmt(prm.obesity_threshold_lower)} for the person's ethnic group"))
        .otherwise(pl.lit(f"obesity threshold {fmt(prm.obesity_threshold)}"))
    )
    reason = pl.format(
        "BMI {} on {} ({}); no weight-management referral in the last {}",
        num(value),
        iso(day),
        which,
        pl.lit(months_words(months)),
    )
    return flags(gap, RULE.id, day, reason)
