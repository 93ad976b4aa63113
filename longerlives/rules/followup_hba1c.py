"""followup.hba1c — a raised HbA1c with no diabetes diagnosis and no diabetes prevention referral."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel

from longerlives.rules._helpers import fmt, has_diagnosis, iso, months_words, num, recent, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings

class Params(BaseModel):
    model_config = FROZEN
    threshold: float  # mmol/mol: non-diabetic hyperglycaemia from here
    diabetes_threshold: float  # mmol/mol: the diabetes range from here
    source: str


RULE = RuleSpec(
    id="followup.hba1c",
    title="Raised HbA1c not followed up",
    why_it_matters="HbA1c 42-47 mmol/mol is non-diabetic hyperglycaemia (refer to the NHS Diabetes Prevention Programme); "
    "48 or more is the diabetes range and needs a repeat test and diagnosis.",
    source="NICE PH38 (https://www.nice.org.uk/guidance/ph38); NHS Diabetes Prevention Programme "
    "(https://www.preventdiabetes.co.uk/?p=5258); run-outputs-v1.md followup.hba1c; domain.md §3.4",
    windows={
        "result": "latest HbA1c within the 12 months to the as-of date (config followup_months)",
        "referral": "no diabetes prevention referral in the same 12 months",
    },
    codelists=("hba1c", "diabetes", "diabetes_type1", "diabetes_type2", "diabetes_resolved", "diabetes_prevention_referral"),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    params=Params,
    settings_keys=("followup_months", "diabetes_concepts"),
    plan_group="appointment",
    plan_order=9,
    plan_words="act on raised HbA1c (repeat; diabetes prevention referral)",
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    months = settings.followup_months
    prm = settings.params(RULE.id, Params)
    value, day = pl.col("hba1c_last_value"), pl.col("hba1c_last_value_date")
    # Step 1: the latest HbA1c, within the window, at or above 42 mmol/mol.
    # Step 2: no diabetes diagnosis (unless resolved afterwards).
    # Step 3: no diabetes prevention referral within the window (run-outputs-v1.md; a result in
    # the diabetes range is also a safety item, which no referral silences).
    gap = people.filter(
        within_months(day, as_of, months)
        & (value >= prm.threshold)
        & ~has_diagnosis(settings.diabetes_concepts, settings.diabetes_resolved_concept)
        & ~recent(("diabetes_prevention_referral",), as_of, months)
    )
    band = (
        pl.when(value >= prm.diabetes_threshold)
        .then(pl.lit(f"in the diabetes range, {fmt(prm.diabetes_threshold)} or more"))
        .otherwise(pl.lit(f"non-diabetic hyperglycaemia, {fmt(prm.threshold)} or more"))
    )
    reason = pl.format(
        "HbA1c {} mmol/mol on {} ({}); no diabetes diagnosis and no diabetes prevention referral in the last {}",
        num(value), iso(day), band, pl.lit(months_words(months)),
    )
    return flags(gap, RULE.id, day, reason)
