"""safety.diabetes_range_undiagnosed — HbA1c or fasting plasma glucose in the diabetes range, no diagnosis."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel, Field

from longerlives.frames import latest_value
from longerlives.rules._helpers import fmt, has_diagnosis, iso, num, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings


class Params(BaseModel):
    model_config = FROZEN
    hba1c_threshold: float  # mmol/mol, at or above: the diabetes range
    fasting_glucose_threshold: float  # mmol/L, at or above: the diabetes range
    look_back_months: int = Field(ge=1, le=36)
    source: str


HBA1C = latest_value("hba1c")  # (value, date)
FASTING_GLUCOSE = latest_value("fasting_glucose")

RULE = RuleSpec(
    id="safety.diabetes_range_undiagnosed",
    title="Result in the diabetes range, no diabetes diagnosis",
    why_it_matters="An HbA1c of 48 mmol/mol or more, or a fasting plasma glucose of 7.0 mmol/L or more, is in the "
    "diabetes range; without a diagnosis the person gets no diabetes care. It needs confirming within two weeks, "
    "and no prevention referral closes it.",
    source="NICE NG28 / WHO 2011 HbA1c 48 mmol/mol (https://www.nice.org.uk/guidance/ng28); NICE PH38 fasting "
    "plasma glucose 7.0 mmol/L (https://www.nice.org.uk/guidance/ph38); run-outputs-v2.md "
    "safety.diabetes_range_undiagnosed; domain.md §3.4",
    windows={
        "result": "latest HbA1c or fasting plasma glucose within the 12 months to the as-of date (config look_back_months)"
    },
    codelists=("hba1c", "fasting_glucose", "diabetes", "diabetes_type1", "diabetes_type2", "diabetes_resolved"),
    features=(*HBA1C, *FASTING_GLUCOSE),
    last_reviewed=date(2026, 12, 1),
    next_review=date(2027, 12, 1),
    plan_group="safety",
    plan_order=2,
    plan_words="confirm diabetes (result in the diabetes range)",
    urgency="soon",
    params=Params,
    settings_keys=("diabetes_concepts", "diabetes_resolved_concept"),
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    prm = settings.params(RULE.id, Params)
    a1c, a1c_day = (ref.col for ref in HBA1C)
    fpg, fpg_day = (ref.col for ref in FASTING_GLUCOSE)
    # Step 1: the latest HbA1c, or the latest fasting plasma glucose, within the look-back and in the diabetes range.
    a1c_hit = within_months(a1c_day, as_of, prm.look_back_months) & (a1c >= prm.hba1c_threshold)
    fpg_hit = within_months(fpg_day, as_of, prm.look_back_months) & (fpg >= prm.fasting_glucose_threshold)
    # Step 2: no diabetes diagnosis (unless resolved afterwards). A prevention referral does not close it.
    gap = people.filter(
        (a1c_hit | fpg_hit) & ~has_diagnosis(settings.diabetes_concepts, settings.diabetes_resolved_concept)
    )
    evidence = pl.concat_str(
        [
            pl.when(a1c_hit).then(pl.format("HbA1c {} mmol/mol on {}", num(a1c), iso(a1c_day))),
            pl.when(fpg_hit).then(pl.format("fasting plasma glucose {} mmol/L on {}", num(fpg), iso(fpg_day))),
        ],
        separator=" and ",
        ignore_nulls=True,
    )
    reason = pl.format(
        "{} is in the diabetes range ({} mmol/mol / {} mmol/L or more) with no diabetes diagnosis recorded; "
        "confirm diabetes within two weeks",
        evidence,
        pl.lit(fmt(prm.hba1c_threshold)),
        pl.lit(fmt(prm.fasting_glucose_threshold)),
    )
    since = pl.min_horizontal(pl.when(a1c_hit).then(a1c_day), pl.when(fpg_hit).then(fpg_day))
    return flags(gap, RULE.id, since, reason)
