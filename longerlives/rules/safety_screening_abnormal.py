"""safety.screening_abnormal — an abnormal bowel screening result (FIT or FOBT) with no hospital or screening contact since."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel, Field

from longerlives.frames import FeatureRef, feature, last_dates
from longerlives.rules._helpers import iso, months_words, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings
from longerlives.vocabulary import SERVICES


class Params(BaseModel):
    model_config = FROZEN
    abnormal: tuple[str, ...]  # concepts: an abnormal bowel screening result
    look_back_months: int = Field(ge=1, le=36)  # result within this many months
    attendance_services: tuple[str, ...]  # an attended contact with one of these on or after the result closes it
    source: str

    def concepts_used(self) -> set[str]:
        return set(self.abnormal)

    def features_used(self) -> tuple[FeatureRef, ...]:
        """Feature columns read beyond ``<concept>_last_date``: attendance by service."""
        return tuple(feature(s, "last_attended") for s in self.attendance_services)

    def model_post_init(self, _context: object) -> None:
        bad = [s for s in self.attendance_services if s not in SERVICES]
        if bad:
            raise ValueError(f"unknown service(s) {bad}; expected some of {', '.join(SERVICES)}")


RULE = RuleSpec(
    id="safety.screening_abnormal",
    title="Abnormal bowel screening result, no follow-up contact",
    why_it_matters="An abnormal FIT or FOBT needs a specialist screening practitioner assessment and usually a "
    "colonoscopy; people with SMI attend follow-up less often, and an abnormal result used to count as 'screened' "
    "and raise nothing (issue 11).",
    source="NHS bowel cancer screening programme: abnormal FIT result → specialist screening practitioner and "
    "colonoscopy (https://www.gov.uk/government/publications/bowel-cancer-screening-programme-overview); "
    "run-outputs-v2.md safety.screening_abnormal; domain.md §4.3",
    windows={
        "result": "latest abnormal bowel screening result within the 12 months to the as-of date (config look_back_months)",
        "attendance": "no attended screening, outpatient, cancer 2-week-wait or hospital contact on or after the result",
    },
    codelists=("bowel_screening_abnormal",),
    last_reviewed=date(2026, 12, 1),
    next_review=date(2027, 12, 1),
    plan_group="safety",
    plan_order=4,
    plan_words="follow up the abnormal bowel screening result (no contact since)",
    urgency="soon",
    params=Params,
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    prm = settings.params(RULE.id, Params)
    result = pl.max_horizontal(last_dates(*prm.abnormal))
    attended = pl.max_horizontal([ref.col for ref in prm.features_used()])
    # Step 1: the latest abnormal result is within the look-back.
    # Step 2: no attended screening / hospital contact on or after the result's date.
    gap = people.filter(within_months(result, as_of, prm.look_back_months) & (attended.is_null() | (attended < result)))
    reason = pl.format(
        "Abnormal bowel screening result (FIT or FOBT) on {} (in the last {}) with no screening or hospital "
        "attendance recorded since",
        iso(result),
        pl.lit(months_words(prm.look_back_months)),
    )
    return flags(gap, RULE.id, result, reason)
