"""followup.alcohol — a positive alcohol screen with no brief intervention."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel

from longerlives.frames import latest_value
from longerlives.rules._helpers import fmt, iso, months_words, num, recent, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings


class Params(BaseModel):
    model_config = FROZEN
    audit_c_threshold: float  # AUDIT-C at or above this is a positive screen
    units_per_week_threshold: float  # flagged when MORE than this
    audit_threshold: float  # full AUDIT at or above this: increasing risk (brief intervention)
    audit_dependence_threshold: float  # full AUDIT at or above this: possible dependence (specialist referral only)
    source: str


AUDIT_C = latest_value("audit_c")  # (value, date)
AUDIT = latest_value("audit")
ALCOHOL_UNITS = latest_value("alcohol_units")

RULE = RuleSpec(
    id="followup.alcohol",
    title="Risky drinking not followed up",
    why_it_matters="An AUDIT-C of 5 or more, more than 14 units a week, or a full AUDIT of 8 or more should lead to an "
    "alcohol brief intervention; a full AUDIT of 20 or more is possible dependence and needs a referral to specialist "
    "alcohol services, which a brief intervention does not replace.",
    source="OHID clinical guidelines for alcohol treatment, identification and brief interventions "
    "(https://www.gov.uk/guidance/clinical-guidelines-for-alcohol-treatment/3-identification-and-brief-interventions); "
    "UK CMO low-risk guideline 14 units a week; run-outputs-v2.md followup.alcohol; NICE CG115 1.2.1 (https://www.nice.org.uk/guidance/cg115/chapter/Recommendations); domain.md §3.6",
    windows={
        "result": "latest AUDIT-C, latest full AUDIT and latest units a week, each within the 12 months to the as-of date "
        "(config followup_months)",
        "intervention": "no alcohol brief intervention (or specialist referral) in the same 12 months; full AUDIT 20 or more: "
        "no specialist alcohol referral in the same 12 months",
    },
    codelists=("audit_c", "audit", "alcohol_units", "alcohol_brief_intervention", "alcohol_specialist_referral"),
    features=(*AUDIT_C, *AUDIT, *ALCOHOL_UNITS),
    last_reviewed=date(2026, 12, 1),
    next_review=date(2027, 12, 1),
    params=Params,
    settings_keys=("followup_months",),
    plan_group="lifestyle",
    plan_order=2,
    plan_words="alcohol brief intervention",
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    months = settings.followup_months
    prm = settings.params(RULE.id, Params)
    audit_c, audit_c_day = (ref.col for ref in AUDIT_C)
    audit, audit_day = (ref.col for ref in AUDIT)
    units, units_day = (ref.col for ref in ALCOHOL_UNITS)
    # Step 1: latest AUDIT-C within the window 5 or more, latest full AUDIT 8 or more, or latest units a week over 14.
    audit_c_hit = within_months(audit_c_day, as_of, months) & (audit_c >= prm.audit_c_threshold)
    audit_hit = within_months(audit_day, as_of, months) & (audit >= prm.audit_threshold)
    dependence = audit_hit & (audit >= prm.audit_dependence_threshold)
    units_hit = within_months(units_day, as_of, months) & (units > prm.units_per_week_threshold)
    # Step 2: closed by a brief intervention (or a specialist referral) within the window, except that
    # possible dependence (full AUDIT 20 or more) is closed only by a specialist referral.
    referred = recent(("alcohol_specialist_referral",), as_of, months)
    intervened = recent(("alcohol_brief_intervention",), as_of, months) | referred
    gap = people.filter(
        (audit_c_hit | audit_hit | units_hit) & pl.when(dependence).then(~referred).otherwise(~intervened)
    )
    audit_c_words = pl.when(audit_c_hit).then(
        pl.format(
            "AUDIT-C score {} on {} ({} or more)", num(audit_c), iso(audit_c_day), pl.lit(fmt(prm.audit_c_threshold))
        )
    )
    audit_words = pl.when(audit_hit).then(
        pl.format(
            "full AUDIT score {} on {} ({} or more)",
            num(audit),
            iso(audit_day),
            pl.when(dependence)
            .then(pl.lit(fmt(prm.audit_dependence_threshold)))
            .otherwise(pl.lit(fmt(prm.audit_threshold))),
        )
    )
    units_words = pl.when(units_hit).then(
        pl.format(
            "{} units a week on {} (more than {})",
            num(units),
            iso(units_day),
            pl.lit(fmt(prm.units_per_week_threshold)),
        )
    )
    evidence = pl.concat_str([audit_c_words, audit_words, units_words], separator=" and ", ignore_nulls=True)
    evidence = pl.concat_str([evidence.str.slice(0, 1).str.to_uppercase(), evidence.str.slice(1)])
    reason = (
        pl.when(dependence)
        .then(
            pl.format(
                "{}; possible alcohol dependence: no referral to specialist alcohol services in the last {} "
                "(a brief intervention does not close this)",
                evidence,
                pl.lit(months_words(months)),
            )
        )
        .otherwise(
            pl.format("{}; no alcohol brief intervention in the last {}", evidence, pl.lit(months_words(months)))
        )
    )
    # The gap began with the earliest of the raised results.
    since = pl.min_horizontal(
        pl.when(audit_c_hit).then(audit_c_day), pl.when(audit_hit).then(audit_day), pl.when(units_hit).then(units_day)
    )
    return flags(gap, RULE.id, since, reason)
