"""safety.bp_severe — a clinic blood pressure of 180/120 or more not followed by a lower reading."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from pydantic import BaseModel, Field

from longerlives.frames import bp_pair
from longerlives.rules._helpers import days_ago, fmt, num, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings


class Params(BaseModel):
    model_config = FROZEN
    systolic_threshold: float  # mmHg, at or above
    diastolic_threshold: float  # mmHg, at or above
    look_back_months: int = Field(ge=1, le=36)  # the reading must be within this many months
    same_day_days: int = Field(ge=0, le=365)  # a reading this recent needs same-day assessment; older: soon
    source: str


CLINIC_BP = bp_pair("bp")  # day, systolic, diastolic of the latest clinic pair

RULE = RuleSpec(
    id="safety.bp_severe",
    title="Severely raised blood pressure (180/120 or more)",
    why_it_matters="A clinic blood pressure of 180/120 or more needs same-day assessment for hypertensive emergency "
    "(NICE NG136 1.5); it must reach someone today whatever the person's place on the worklist.",
    source="NICE NG136 1.5.1-1.5.4 (http://nice.org.uk/guidance/NG136/chapter/recommendations); "
    "run-outputs-v2.md safety.bp_severe; domain.md §3.2",
    windows={
        "reading": "latest clinic systolic/diastolic pair within the 12 months to the as-of date (config look_back_months)",
        "urgency": "same_day when the reading is within the last 30 days (config same_day_days), else soon",
    },
    codelists=("systolic_bp", "diastolic_bp"),
    features=(*CLINIC_BP,),
    last_reviewed=date(2026, 12, 1),
    next_review=date(2027, 12, 1),
    plan_group="safety",
    plan_order=1,
    plan_words="same-day blood pressure assessment (180/120 or more)",
    urgency="same_day",
    params=Params,
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    prm = settings.params(RULE.id, Params)
    day, sys, dia = (ref.col for ref in CLINIC_BP)
    # Step 1: the latest clinic pair (the lower of each on its day) is within the look-back, so no
    # lower reading follows it; Step 2: systolic 180+ or diastolic 120+.
    severe = (sys >= prm.systolic_threshold) | (dia >= prm.diastolic_threshold)
    gap = people.filter(within_months(day, as_of, prm.look_back_months) & severe)
    # Step 3: urgency by the reading's age, and the reason says how old it is.
    recent = day >= pl.lit(as_of - timedelta(days=prm.same_day_days))
    threshold = f"{fmt(prm.systolic_threshold)}/{fmt(prm.diastolic_threshold)}"
    reason = pl.format(
        "Clinic blood pressure {}/{} on {} is {} or higher and no lower reading has followed; {}",
        num(sys),
        num(dia),
        days_ago(day, as_of),
        pl.lit(threshold),
        pl.when(recent)
        .then(pl.lit("needs same-day assessment"))
        .otherwise(pl.lit("needs assessment within two weeks")),
    )
    urgency = pl.when(recent).then(pl.lit("same_day")).otherwise(pl.lit("soon"))
    return flags(gap, RULE.id, day, reason, urgency)
