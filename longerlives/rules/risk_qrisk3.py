"""risk.qrisk3 — 10-year cardiovascular risk at or above the threshold and no lipid-lowering treatment."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel, Field

from longerlives.rules._helpers import fmt, last_date, num, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.rules._statin_groups import lipid_lowering_words, qrisk3_not_for_use
from longerlives.settings.rules import FROZEN, RulesSettings


class Params(BaseModel):
    model_config = FROZEN
    threshold_percent: float = Field(gt=0, lt=100)  # QRISK3-2017 10-year risk at or above this
    treatment: tuple[str, ...]  # medicine concepts that count as lipid-lowering treatment
    treatment_months: int = Field(ge=1, le=24)  # issued within this many months = treated
    source: str

    def concepts_used(self) -> set[str]:
        return set(self.treatment)


RULE = RuleSpec(
    id="risk.qrisk3",
    title="High cardiovascular risk, no lipid-lowering treatment",
    why_it_matters="People with SMI die early of heart disease; a QRISK3 of 10% or more means a statin should be "
    "discussed and offered (seed 2.2.2: everyone needing treatment for high cholesterol receives it). "
    "QRISK3 under-predicts risk with SMI, so a score below the threshold is never a reason not to act.",
    source="NICE QS100 statement 3, CG181 / NG238 (https://www.nice.org.uk/guidance/cg181/chapter/Key-priorities-for-implementation); "
    "QRISK3-2017 (Hippisley-Cox et al. BMJ 2017;357:j2099); run-outputs-v2.md risk.qrisk3; NICE NG238 1.6 (https://www.nice.org.uk/guidance/ng238/chapter/Recommendations); domain.md §3.3",
    windows={
        "treatment": "no lipid-lowering medicine issued in the 6 months to the as-of date (config treatment_months)",
        "exclusions": "never for type 1 diabetes or CKD stage 3-5 (NICE NG238: do not use QRISK3; see statin.indicated)",
    },
    codelists=("lipid_lowering", "diabetes_type1", "diabetes_type2", "ckd_3_5"),
    last_reviewed=date(2026, 12, 1),
    next_review=date(2027, 12, 1),
    params=Params,
    plan_group="appointment",
    plan_order=10,
    plan_words="discuss statin (QRISK3 at or above threshold)",
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    prm = settings.params(RULE.id, Params)
    months = prm.treatment_months
    score = pl.col("qrisk3")
    treated_last = last_date(*prm.treatment)
    # Step 1: a computed score (null = could not be computed: no flag) at or above the threshold.
    # Step 2: no lipid-lowering medicine issued within the treatment window.
    # Step 3: not where NICE NG238 says not to use QRISK3 (type 1 diabetes, CKD 3-5): those people
    # are offered a statin without a score (statin.indicated) — one flag, never both.
    gap = people.filter(
        score.is_not_null()
        & (score >= prm.threshold_percent)
        & ~within_months(treated_last, as_of, months)
        & ~qrisk3_not_for_use()
    )
    lead = pl.format(
        "QRISK3-2017 10-year cardiovascular risk {}% ({}% or more)", num(score), pl.lit(fmt(prm.threshold_percent))
    )
    reason = pl.format("{}; {}", lead, lipid_lowering_words(treated_last, months))
    return flags(gap, RULE.id, pl.lit(None, dtype=pl.Date), reason)
