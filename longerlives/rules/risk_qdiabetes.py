"""risk.qdiabetes — 10-year type 2 diabetes risk at or above the threshold, no diabetes diagnosis."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel, Field

from longerlives.rules._helpers import fmt, has_diagnosis, num
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings

class Params(BaseModel):
    model_config = FROZEN
    threshold_percent: float = Field(gt=0, lt=100)  # QDiabetes-2018 10-year risk at or above this
    source: str


RULE = RuleSpec(
    id="risk.qdiabetes",
    title="High risk of type 2 diabetes",
    why_it_matters="Antipsychotics and SMI roughly double the risk of type 2 diabetes; people at high risk should be "
    "offered the NHS Diabetes Prevention Programme and an annual HbA1c (seed 2.2.3: consistent QDiabetes use).",
    source="QDiabetes-2018 (Hippisley-Cox & Coupland, BMJ 2017;359:j5019, http://www.bmj.com/content/359/bmj.j5019.full); "
    "NICE PH38 high-risk pathway; run-outputs-v1.md risk.qdiabetes; domain.md §3.4, §7.4. Threshold is a local choice (VERIFY)",
    windows={"diagnosis": "no diabetes diagnosis ever (unless resolved afterwards)"},
    codelists=("diabetes", "diabetes_type1", "diabetes_type2", "diabetes_resolved"),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    params=Params,
    settings_keys=("diabetes_concepts", "diabetes_resolved_concept"),
    plan_group="appointment",
    plan_order=11,
    plan_words="discuss diabetes risk (QDiabetes at or above threshold)",
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    score = pl.col("qdiabetes")
    prm = settings.params(RULE.id, Params)
    # Step 1: a computed score (null = not computed, e.g. existing diabetes: no flag) at or above the threshold.
    # Step 2: no diabetes diagnosis (QDiabetes is for people free of diabetes).
    diabetic = has_diagnosis(settings.diabetes_concepts, settings.diabetes_resolved_concept)
    gap = people.filter(score.is_not_null() & (score >= prm.threshold_percent) & ~diabetic)
    reason = pl.format(
        "QDiabetes-2018 10-year type 2 diabetes risk {}% ({}% or more); no diabetes diagnosis recorded",
        num(score),
        pl.lit(fmt(prm.threshold_percent)),
    )
    return flags(gap, RULE.id, pl.lit(None, dtype=pl.Date), reason)
