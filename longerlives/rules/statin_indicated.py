"""statin.indicated — NICE NG238 offers a statin without a risk score (CKD 3-5, or type 1 diabetes over 40)."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel, Field

from longerlives.frames import feature
from longerlives.rules._helpers import iso, last_date, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.rules._statin_groups import ckd_3_5, lipid_lowering_words, type1_diabetes
from longerlives.settings.rules import FROZEN, RulesSettings


class Params(BaseModel):
    model_config = FROZEN
    type1_older_than_years: int = Field(ge=18, le=120)  # type 1 diabetes: offered when age (whole years) is above this
    treatment: tuple[str, ...]  # medicine concepts that count as lipid-lowering treatment
    treatment_months: int = Field(ge=1, le=24)  # issued within this many months = treated
    source: str

    def concepts_used(self) -> set[str]:
        return set(self.treatment)


CKD = feature("ckd_3_5", "last_date")

RULE = RuleSpec(
    id="statin.indicated",
    title="Statin indicated (CKD 3-5 or type 1 diabetes), none issued",
    why_it_matters="NICE NG238 says not to use QRISK3 for people with chronic kidney disease stage 3-5 or type 1 "
    "diabetes: their risk is high enough that a statin is offered without a score. Without this rule they are "
    "never offered one (issue 11).",
    source="NICE NG238 1.6.1-1.6.3 (https://www.nice.org.uk/guidance/ng238/chapter/Recommendations); "
    "run-outputs-v2.md statin.indicated; domain.md §3.3",
    windows={
        "treatment": "no lipid-lowering medicine issued in the 6 months to the as-of date (config treatment_months)",
        "diagnosis": "a CKD stage 3-5 or type 1 diabetes code ever recorded (latest diabetes type wins)",
    },
    codelists=("ckd_3_5", "diabetes_type1", "diabetes_type2", "lipid_lowering"),
    features=(CKD,),
    last_reviewed=date(2026, 12, 1),
    next_review=date(2027, 12, 1),
    params=Params,
    plan_group="appointment",
    plan_order=13,
    plan_words="offer a statin (NICE NG238: CKD 3-5 or type 1 diabetes; no risk score needed)",
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    prm = settings.params(RULE.id, Params)
    treated_last = last_date(*prm.treatment)
    ckd = ckd_3_5()
    t1 = type1_diabetes() & (pl.col("age") > prm.type1_older_than_years)
    # Step 1: CKD stage 3-5 recorded, or type 1 diabetes (latest type) and older than 40.
    # Step 2: no lipid-lowering medicine issued within the treatment window.
    gap = people.filter((ckd | t1) & ~within_months(treated_last, as_of, prm.treatment_months))
    why = (
        pl.when(ckd & t1)
        .then(
            pl.format(
                "Chronic kidney disease stage 3-5 (coded {}) and type 1 diabetes aged {}",
                iso(CKD.col),
                pl.col("age"),
            )
        )
        .when(ckd)
        .then(pl.format("Chronic kidney disease stage 3-5 (coded {})", iso(CKD.col)))
        .otherwise(pl.format("Type 1 diabetes aged {} (over {})", pl.col("age"), pl.lit(prm.type1_older_than_years)))
    )
    treatment = lipid_lowering_words(treated_last, prm.treatment_months)
    reason = pl.format("{}: NICE NG238 offers a statin without a risk score; {}", why, treatment)
    return flags(gap, RULE.id, pl.lit(None, dtype=pl.Date), reason)
