"""followup.hba1c — a raised HbA1c with no diabetes diagnosis and no diabetes prevention referral."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel

from longerlives.frames import latest_value
from longerlives.rules._helpers import fmt, has_diagnosis, iso, months_words, num, recent, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings


class Params(BaseModel):
    model_config = FROZEN
    threshold: float  # HbA1c mmol/mol: non-diabetic hyperglycaemia from here
    diabetes_threshold: float  # HbA1c mmol/mol: the diabetes range from here
    fasting_threshold: float  # fasting plasma glucose mmol/L: non-diabetic hyperglycaemia from here
    fasting_diabetes_threshold: float  # fasting plasma glucose mmol/L: the diabetes range from here
    source: str


HBA1C = latest_value("hba1c")  # (value, date)
FASTING_GLUCOSE = latest_value("fasting_glucose")

RULE = RuleSpec(
    id="followup.hba1c",
    title="Raised HbA1c or fasting glucose not followed up",
    why_it_matters="HbA1c 42-47 mmol/mol or fasting glucose 5.5-6.9 mmol/L is non-diabetic hyperglycaemia (refer to the "
    "NHS Diabetes Prevention Programme); HbA1c 48 or more or fasting glucose 7.0 or more is the diabetes range and needs "
    "a confirmatory test and diagnosis — never a prevention referral, which must not silence it.",
    source="NICE PH38 (https://www.nice.org.uk/guidance/ph38/chapter/Recommendations); NHS Diabetes Prevention Programme "
    "(https://www.preventdiabetes.co.uk/?p=5258); run-outputs-v2.md followup.hba1c; domain.md §3.4",
    windows={
        "result": "latest HbA1c and latest fasting plasma glucose within the 12 months to the as-of date (config followup_months)",
        "referral": "non-diabetic range only: no diabetes prevention referral in the same 12 months",
    },
    codelists=(
        "hba1c",
        "fasting_glucose",
        "diabetes",
        "diabetes_type1",
        "diabetes_type2",
        "diabetes_resolved",
        "diabetes_prevention_referral",
    ),
    features=(*HBA1C, *FASTING_GLUCOSE),
    last_reviewed=date(2026, 12, 1),
    next_review=date(2027, 12, 1),
    params=Params,
    settings_keys=("followup_months", "diabetes_concepts"),
    plan_group="appointment",
    plan_order=9,
    plan_words="act on raised HbA1c or fasting glucose (repeat; diabetes prevention referral unless in the diabetes range)",
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    months = settings.followup_months
    prm = settings.params(RULE.id, Params)
    a1c, a1c_day = (ref.col for ref in HBA1C)
    fpg, fpg_day = (ref.col for ref in FASTING_GLUCOSE)
    a1c_in = within_months(a1c_day, as_of, months)
    fpg_in = within_months(fpg_day, as_of, months)
    a1c_raised = a1c_in & (a1c >= prm.threshold)
    fpg_raised = fpg_in & (fpg >= prm.fasting_threshold)
    a1c_dm = a1c_in & (a1c >= prm.diabetes_threshold)
    fpg_dm = fpg_in & (fpg >= prm.fasting_diabetes_threshold)
    diabetes_range = a1c_dm | fpg_dm
    # Step 1: the latest HbA1c (42 or more) or latest fasting glucose (5.5 or more) within the window.
    # Step 2: no diabetes diagnosis (unless resolved afterwards).
    # Step 3: in the non-diabetic range only, a diabetes prevention referral within the window closes it;
    # in the diabetes range nothing but a diagnosis does (run-outputs-v2.md).
    gap = people.filter(
        (a1c_raised | fpg_raised)
        & ~has_diagnosis(settings.diabetes_concepts, settings.diabetes_resolved_concept)
        & (diabetes_range | ~recent(("diabetes_prevention_referral",), as_of, months))
    )
    a1c_words = pl.when(a1c_raised).then(
        pl.format(
            "HbA1c {} mmol/mol on {} ({})",
            num(a1c),
            iso(a1c_day),
            pl.when(a1c_dm)
            .then(pl.lit(f"in the diabetes range, {fmt(prm.diabetes_threshold)} or more"))
            .otherwise(pl.lit(f"non-diabetic hyperglycaemia, {fmt(prm.threshold)} or more")),
        )
    )
    fpg_words = pl.when(fpg_raised).then(
        pl.format(
            "fasting plasma glucose {} mmol/L on {} ({})",
            num(fpg),
            iso(fpg_day),
            pl.when(fpg_dm)
            .then(pl.lit(f"in the diabetes range, {fmt(prm.fasting_diabetes_threshold)} or more"))
            .otherwise(pl.lit(f"non-diabetic hyperglycaemia, {fmt(prm.fasting_threshold)} or more")),
        )
    )
    evidence = pl.concat_str([a1c_words, fpg_words], separator=" and ", ignore_nulls=True)
    evidence = pl.concat_str([evidence.str.slice(0, 1).str.to_uppercase(), evidence.str.slice(1)])
    reason = (
        pl.when(diabetes_range)
        .then(
            pl.format(
                "{}; no diabetes diagnosis: repeat the test to confirm diabetes (a prevention referral does "
                "not close this)",
                evidence,
            )
        )
        .otherwise(
            pl.format(
                "{}; no diabetes diagnosis and no diabetes prevention referral in the last {}",
                evidence,
                pl.lit(months_words(months)),
            )
        )
    )
    since = pl.max_horizontal(pl.when(a1c_raised).then(a1c_day), pl.when(fpg_raised).then(fpg_day))
    return flags(gap, RULE.id, since, reason)
