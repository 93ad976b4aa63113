"""ecg.annual — an annual 12-lead ECG for the SMI cohort and anyone on antipsychotics or lithium."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel, Field

from longerlives.frames import feature
from longerlives.rules._helpers import fell_out_of_window, iso, months_words, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings


class Params(BaseModel):
    model_config = FROZEN
    look_back_months: int = Field(ge=1, le=36)  # no ECG within this many months
    source: str


ECG = feature("ecg", "last_date")

RULE = RuleSpec(
    id="ecg.annual",
    title="Annual ECG",
    why_it_matters="Antipsychotics and lithium can prolong the QT interval and cause dangerous heart rhythms; "
    "about half of antipsychotic prescribing is to people without an SMI diagnosis, so they are included.",
    source="Seed commitment 2.2.4 (annual 12-lead ECG incl. people on mood stabilisers or antipsychotics outside the SMI cohort); "
    "NICE CG178/CG155 baseline ECG triggers (https://nice.org.uk/guidance/cg155/chapter/supplementary-information-on-baseline-investigations-and-monitoring); "
    "NHS England (https://www.england.nhs.uk/long-read/improving-the-physical-health-of-people-living-with-severe-mental-illness/); "
    "run-outputs-v1.md ecg.annual; domain.md §1.4",
    windows={
        "look-back": "no ECG in the 12 months to the as-of date (config look_back_months)",
        "medicines": "antipsychotic or lithium issued in the last 6 months (config features.ecg_medicine_months)",
    },
    codelists=("ecg", "antipsychotic", "lithium", "smi_diagnosis", "smi_remission"),
    features=(ECG,),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    params=Params,
    settings_keys=("features.ecg_medicines", "features.ecg_medicine_months"),
    plan_group="appointment",
    plan_order=7,
    plan_words="12-lead ECG",
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    months = settings.params(RULE.id, Params).look_back_months
    last = ECG.col
    # Step 1: the ECG cohort (features): the health-check cohort, or an antipsychotic or
    # lithium issued in the last 6 months whatever the diagnosis (lithium alone counts here).
    # Step 2: no ECG code within the look-back.
    gap = people.filter(pl.col("ecg_cohort") & ~within_months(last, as_of, months))
    evidence = (
        pl.when(last.is_null())
        .then(pl.lit("No ECG ever recorded"))
        .otherwise(pl.format("Last ECG recorded {}, more than {} ago", iso(last), pl.lit(months_words(months))))
    )
    # Step 3: name why the person needs one (on the register, or which medicine).
    reason = pl.format("{}; {}", evidence, pl.col("ecg_cohort_reason"))
    return flags(gap, RULE.id, fell_out_of_window(last, months), reason)
