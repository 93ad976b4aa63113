"""smoking.cessation_offer — a current smoker with no offer of support to stop in the last 12 months."""

from __future__ import annotations

from datetime import date
from typing import Literal

import polars as pl
from pydantic import BaseModel, Field, model_validator

from longerlives.frames import last_dates
from longerlives.rules._helpers import (
    current_smoker_date,
    fell_out_of_window,
    iso,
    last_date,
    months_words,
    within_months,
)
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings


class Params(BaseModel):
    model_config = FROZEN
    offer_months: int = Field(ge=1, le=36)  # an offer within this many months counts
    definition: Literal["qof", "strict"]  # which codes count as an offer
    offer_concepts: dict[str, tuple[str, ...]]  # per definition
    medicines: tuple[str, ...]  # a cessation medicine issued counts as an offer
    min_age_at_record_years: int = Field(ge=0, le=18)  # smoking codes recorded before this age are ignored
    source: str

    @model_validator(mode="after")
    def _both_definitions(self) -> Params:
        for needed in ("qof", "strict"):
            if needed not in self.offer_concepts:
                raise ValueError(f"offer_concepts needs a `{needed}` list")
        return self

    def concepts_used(self) -> set[str]:
        return {c for cs in self.offer_concepts.values() for c in cs} | set(self.medicines)


RULE = RuleSpec(
    id="smoking.cessation_offer",
    title="Stop-smoking support not offered",
    why_it_matters="Smoking is the largest single cause of the 15-20 year mortality gap for people with SMI; "
    "treating tobacco dependence is a Longer Lives commitment (seed 2.3) and a Core20PLUS5 theme.",
    source="QOF SMOK005 (https://nice.org.uk/indicators/ind98-smoking-support-and-treatment-for-people-with-long-term-conditions-or-smi/chapter/indicator); "
    "code list http://webjeannie.co.uk/QOF/ReadCodes/SMOK004.htm; run-outputs-v1.md smoking.cessation_offer; domain.md §3.5",
    windows={
        "status": "latest of current / ex / never smoking codes is a current-smoker code (codes before age 11 ignored)",
        "offer": "no offer in the 12 months to the as-of date (config offer_months)",
    },
    codelists=(
        "smoker",
        "smoker_light",
        "smoker_moderate",
        "smoker_heavy",
        "ex_smoker",
        "never_smoked",
        "smoking_cessation_offered",
        "smoking_cessation_referral",
        "smoking_cessation_declined",
        "smoking_cessation_drug",
    ),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    params=Params,
    plan_group="lifestyle",
    plan_order=1,
    plan_words="offer stop-smoking support",
)

# What the reason says was missing, per definition of an offer.
WHAT_COUNTS = {
    "qof": "no stop-smoking support offered, referred or declined and no stop-smoking medicine issued",
    "strict": "no referral to a stop-smoking service and no stop-smoking medicine issued",
}


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    prm = settings.params(RULE.id, Params)
    months = prm.offer_months
    definition = prm.definition
    # Step 1: the latest smoking status is a current-smoker code (same-day tie → smoker).
    smoker_since = current_smoker_date(prm.min_age_at_record_years)
    # Step 2: an offer is a code from the chosen definition, or a cessation medicine issued.
    offer = pl.max_horizontal(
        last_date(*prm.offer_concepts[definition]),
        *last_dates(*prm.medicines),
    )
    gap = people.filter(smoker_since.is_not_null() & ~within_months(offer, as_of, months))
    missing = WHAT_COUNTS[definition]
    reason = pl.format(
        "Current smoker (recorded {}); {} in the last {}",
        iso(smoker_since),
        pl.lit(missing),
        pl.lit(months_words(months)),
    )
    # The gap began when they were recorded as smoking, or when the last offer expired.
    since = pl.max_horizontal(smoker_since, fell_out_of_window(offer, months))
    return flags(gap, RULE.id, since, reason)
