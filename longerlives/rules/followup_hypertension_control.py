"""followup.hypertension_control — diagnosed hypertension, latest clinic reading above the NICE NG136 target."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel, Field

from longerlives.frames import bp_pair
from longerlives.rules._helpers import fmt, has_diagnosis, iso, months_words, num, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings


class Params(BaseModel):
    model_config = FROZEN
    older_from_age_years: int = Field(ge=18, le=120)  # the older-age target applies from this age (whole years)
    systolic_target: float  # clinic target below this, under older_from_age_years (mmHg)
    diastolic_target: float
    older_systolic_target: float  # clinic target below this, at older_from_age_years or over
    older_diastolic_target: float
    source: str


CLINIC_BP = bp_pair("bp")  # day, systolic, diastolic of the latest clinic pair

RULE = RuleSpec(
    id="followup.hypertension_control",
    title="Hypertension not controlled to target",
    why_it_matters="Diagnosed but uncontrolled hypertension was never flagged; NICE NG136 sets a clinic target "
    "below 140/90 under 80 and below 150/90 at 80 or over, and treatment should be stepped up until it is met.",
    source="NICE NG136 1.4.20-1.4.21 (https://www.nice.org.uk/guidance/ng136/chapter/Recommendations); "
    "run-outputs-v2.md followup.hypertension_control; domain.md §3.2",
    windows={
        "result": "latest clinic systolic/diastolic pair within the 12 months to the as-of date (config followup_months)"
    },
    codelists=("systolic_bp", "diastolic_bp", "hypertension"),
    features=(*CLINIC_BP,),
    last_reviewed=date(2026, 12, 1),
    next_review=date(2027, 12, 1),
    params=Params,
    settings_keys=("followup_months", "hypertension_concepts"),
    plan_group="appointment",
    plan_order=12,
    plan_words="review hypertension treatment (clinic reading above NICE NG136 target)",
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    prm = settings.params(RULE.id, Params)
    months = settings.followup_months
    day, sys, dia = (ref.col for ref in CLINIC_BP)
    older = pl.col("age") >= prm.older_from_age_years
    sys_target = pl.when(older).then(pl.lit(prm.older_systolic_target)).otherwise(pl.lit(prm.systolic_target))
    dia_target = pl.when(older).then(pl.lit(prm.older_diastolic_target)).otherwise(pl.lit(prm.diastolic_target))
    # Step 1: a hypertension diagnosis recorded.
    # Step 2: the latest clinic pair (the lower of each on the day, as QOF does) within the window.
    # Step 3: systolic or diastolic at or above the target for the person's age (target is "below").
    gap = people.filter(
        has_diagnosis(settings.hypertension_concepts)
        & within_months(day, as_of, months)
        & ((sys >= sys_target) | (dia >= dia_target))
    )
    older_words = f"below {fmt(prm.older_systolic_target)}/{fmt(prm.older_diastolic_target)} at {prm.older_from_age_years} or over"
    younger_words = f"below {fmt(prm.systolic_target)}/{fmt(prm.diastolic_target)} under {prm.older_from_age_years}"
    target_words = pl.when(older).then(pl.lit(older_words)).otherwise(pl.lit(younger_words))
    reason = pl.format(
        "Hypertension diagnosed; clinic blood pressure {}/{} on {} (latest in the last {}) "
        "is above the NICE NG136 target ({})",
        num(sys),
        num(dia),
        iso(day),
        pl.lit(months_words(months)),
        target_words,
    )
    return flags(gap, RULE.id, day, reason)
