"""safety.usc_not_attended — an urgent suspected cancer referral with no attendance since."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from pydantic import BaseModel, Field

from longerlives.dates import months_before
from longerlives.frames import feature
from longerlives.rules._helpers import days_ago
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings

# Contacts that count as attending after an urgent suspected cancer referral.
ATTENDANCE = (feature("cancer_2ww", "last_attended"), feature("outpatient", "last_attended"))


class Params(BaseModel):
    model_config = FROZEN
    min_days: int = Field(ge=0, le=365)  # a referral younger than this is not yet overdue
    max_months: int = Field(ge=1, le=36)  # a referral older than this is out of the window
    source: str


REFERRAL = feature("usc_referral", "last_date")

RULE = RuleSpec(
    id="safety.usc_not_attended",
    title="Urgent suspected cancer referral not attended",
    why_it_matters="People with SMI are referred for suspected cancer later and attend less often; an urgent "
    "referral with no attendance is a cancer diagnosis that may be missed (28-day Faster Diagnosis Standard).",
    source="NHS England Faster Diagnosis Standard (https://www.england.nhs.uk/cancer/faster-diagnosis/); "
    "run-outputs-v2.md safety.usc_not_attended (made between 14 days and 6 months ago); domain.md §4.3; seed 2.5.6",
    windows={
        "referral": "made between 14 days (config min_days) and 6 months (config max_months) before the as-of date",
        "attendance": "no attended cancer 2-week-wait clinic or outpatient contact on or after the referral date",
    },
    codelists=("usc_referral",),
    features=(REFERRAL, *ATTENDANCE),
    last_reviewed=date(2026, 12, 1),
    next_review=date(2027, 12, 1),
    plan_group="safety",
    plan_order=3,
    plan_words="follow up the urgent suspected cancer referral (not attended)",
    urgency="soon",
    params=Params,
)


def usc_not_attended(referral: pl.Expr, attended: pl.Expr) -> pl.Expr:
    """An urgent suspected cancer referral with no hospital attendance on or after it.

    The one definition, shared by this safety flag and the outreach points."""
    return referral.is_not_null() & (attended.is_null() | (attended < referral))


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    prm = settings.params(RULE.id, Params)
    referral = REFERRAL.col
    attended = pl.max_horizontal([ref.col for ref in ATTENDANCE])
    # Step 1: the latest referral was made between min_days and max_months ago (after the same
    # calendar day max_months before the as-of date; on or before as-of minus min_days).
    in_window = (referral > pl.lit(months_before(as_of, prm.max_months))) & (
        referral <= pl.lit(as_of - timedelta(days=prm.min_days))
    )
    # Step 2: no attended 2-week-wait or outpatient contact on or after it.
    gap = people.filter(in_window & usc_not_attended(referral, attended))
    reason = pl.format(
        "Urgent suspected cancer referral on {} with no hospital or cancer clinic attendance recorded since",
        days_ago(referral, as_of),
    )
    return flags(gap, RULE.id, referral + pl.duration(days=prm.min_days), reason)
