"""followup.blood_pressure — a raised blood pressure with no hypertension diagnosis."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel

from longerlives.rules._helpers import fmt, has_diagnosis, iso, num, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings

class Params(BaseModel):
    model_config = FROZEN
    systolic_threshold: float  # clinic systolic at or above this (mmHg)
    diastolic_threshold: float  # clinic diastolic at or above this (mmHg)
    source: str


RULE = RuleSpec(
    id="followup.blood_pressure",
    title="Raised blood pressure not followed up",
    why_it_matters="A clinic reading of 140/90 or more needs ambulatory or home monitoring to confirm hypertension; "
    "untreated hypertension is a gap the seed commits to closing (2.2.2).",
    source="NICE NG136 (http://nice.org.uk/guidance/NG136/chapter/recommendations); run-outputs-v1.md followup.blood_pressure; domain.md §3.2",
    windows={"result": "latest systolic/diastolic pair within the 12 months to the as-of date (config followup_months)"},
    codelists=("systolic_bp", "diastolic_bp", "hypertension"),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    params=Params,
    settings_keys=("followup_months", "hypertension_concepts"),
    plan_group="appointment",
    plan_order=8,
    plan_words="confirm raised blood pressure (ABPM/HBPM)",
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    day, sys, dia = pl.col("bp_last_date"), pl.col("bp_last_systolic"), pl.col("bp_last_diastolic")
    # Step 1: the latest same-day pair (lowest of each that day) is within the window.
    # Step 2: systolic >= 140 or diastolic >= 90 (thresholds in config).
    prm = settings.params(RULE.id, Params)
    raised = (sys >= prm.systolic_threshold) | (dia >= prm.diastolic_threshold)
    # Step 3: no hypertension diagnosis ever (people with one need control targets instead).
    gap = people.filter(
        within_months(day, as_of, settings.followup_months) & raised & ~has_diagnosis(settings.hypertension_concepts)
    )
    reason = pl.format(
        "Blood pressure {}/{} on {} (systolic {} or diastolic {} or more); no hypertension diagnosis recorded",
        num(sys), num(dia), iso(day), pl.lit(fmt(prm.systolic_threshold)), pl.lit(fmt(prm.diastolic_threshold)),
    )
    return flags(gap, RULE.id, day, reason)
