"""followup.alcohol — a positive alcohol screen with no brief intervention."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel

from longerlives.rules._helpers import fmt, iso, months_words, num, recent, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings

class Params(BaseModel):
    model_config = FROZEN
    audit_c_threshold: float  # AUDIT-C at or above this is a positive screen
    units_per_week_threshold: float  # flagged when MORE than this
    source: str


RULE = RuleSpec(
    id="followup.alcohol",
    title="Risky drinking not followed up",
    why_it_matters="An AUDIT-C of 5 or more, or more than 14 units a week, should lead to an alcohol brief intervention "
    "(or specialist assessment if dependence is possible).",
    source="OHID clinical guidelines for alcohol treatment, identification and brief interventions "
    "(https://www.gov.uk/guidance/clinical-guidelines-for-alcohol-treatment/3-identification-and-brief-interventions); "
    "UK CMO low-risk guideline 14 units a week; run-outputs-v1.md followup.alcohol; domain.md §3.6",
    windows={
        "result": "latest AUDIT-C and latest units a week, each within the 12 months to the as-of date (config followup_months)",
        "intervention": "no alcohol brief intervention in the same 12 months",
    },
    codelists=("audit_c", "alcohol_units", "alcohol_brief_intervention"),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    params=Params,
    settings_keys=("followup_months",),
    plan_group="lifestyle",
    plan_order=2,
    plan_words="alcohol brief intervention",
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    months = settings.followup_months
    prm = settings.params(RULE.id, Params)
    audit, audit_day = pl.col("audit_c_last_value"), pl.col("audit_c_last_value_date")
    units, units_day = pl.col("alcohol_units_last_value"), pl.col("alcohol_units_last_value_date")
    # Step 1: latest AUDIT-C within the window is 5 or more, or latest units a week is over 14.
    audit_hit = within_months(audit_day, as_of, months) & (audit >= prm.audit_c_threshold)
    units_hit = within_months(units_day, as_of, months) & (units > prm.units_per_week_threshold)
    # Step 2: no alcohol brief intervention within the window.
    gap = people.filter((audit_hit | units_hit) & ~recent(("alcohol_brief_intervention",), as_of, months))
    audit_words = pl.when(audit_hit).then(
        pl.format("AUDIT-C score {} on {} ({} or more)", num(audit), iso(audit_day), pl.lit(fmt(prm.audit_c_threshold)))
    )
    units_words = pl.when(units_hit).then(
        pl.format("{} units a week on {} (more than {})", num(units), iso(units_day), pl.lit(fmt(prm.units_per_week_threshold)))
    )
    evidence = pl.concat_str([audit_words, units_words], separator=" and ", ignore_nulls=True)
    reason = pl.format("{}; no alcohol brief intervention in the last {}", evidence, pl.lit(months_words(months)))
    # The gap began with the earlier of the raised results.
    since = pl.min_horizontal(pl.when(audit_hit).then(audit_day), pl.when(units_hit).then(units_day))
    return flags(gap, RULE.id, since, reason)
