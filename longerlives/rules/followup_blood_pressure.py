"""followup.blood_pressure — a raised blood pressure with no hypertension diagnosis."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel

from longerlives.frames import bp_pair
from longerlives.rules._helpers import fmt, has_diagnosis, iso, num, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings


class Params(BaseModel):
    model_config = FROZEN
    systolic_threshold: float  # clinic systolic at or above this (mmHg)
    diastolic_threshold: float  # clinic diastolic at or above this (mmHg)
    out_of_clinic_systolic_threshold: float  # ABPM daytime / home average systolic at or above this confirms
    out_of_clinic_diastolic_threshold: float  # ABPM daytime / home average diastolic at or above this confirms
    source: str


CLINIC_BP = bp_pair("bp")  # day, systolic, diastolic of the latest pair of each setting
ABPM_BP = bp_pair("abpm_day_bp")
HOME_BP = bp_pair("home_bp")

RULE = RuleSpec(
    id="followup.blood_pressure",
    title="Raised blood pressure not followed up",
    why_it_matters="A clinic reading of 140/90 or more needs ambulatory or home monitoring to confirm hypertension; "
    "untreated hypertension is a gap the seed commits to closing (2.2.2).",
    source="NICE NG136 (http://nice.org.uk/guidance/NG136/chapter/recommendations); run-outputs-v1.md followup.blood_pressure; domain.md §3.2",
    windows={
        "result": "latest clinic pair, and latest ambulatory daytime / home average pair, within the 12 months to the as-of date (config followup_months)"
    },
    codelists=(
        "systolic_bp",
        "diastolic_bp",
        "abpm_day_systolic",
        "abpm_day_diastolic",
        "home_systolic",
        "home_diastolic",
        "hypertension",
    ),
    features=(*CLINIC_BP, *ABPM_BP, *HOME_BP),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    params=Params,
    settings_keys=("followup_months", "hypertension_concepts"),
    plan_group="appointment",
    plan_order=8,
    plan_words="confirm raised blood pressure (ABPM/HBPM)",
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    # Readings by setting (issue 11, run-outputs v2): clinic pairs and out-of-clinic averages
    # (ABPM daytime or home) are never mixed; no minimum, maximum or night value is a reading.
    day, sys, dia = (ref.col for ref in CLINIC_BP)
    prm = settings.params(RULE.id, Params)
    ooc = out_of_clinic_latest()
    o_day, o_sys, o_dia, o_kind = ooc["date"], ooc["systolic"], ooc["diastolic"], ooc["kind"]
    months = settings.followup_months
    clinic_raised = within_months(day, as_of, months) & (
        (sys >= prm.systolic_threshold) | (dia >= prm.diastolic_threshold)
    )
    ooc_in_window = within_months(o_day, as_of, months)
    ooc_raised = ooc_in_window & (
        (o_sys >= prm.out_of_clinic_systolic_threshold) | (o_dia >= prm.out_of_clinic_diastolic_threshold)
    )
    # A normal out-of-clinic average on or after the raised clinic reading answers it.
    answered = ooc_in_window & ~ooc_raised & (o_day >= day)
    confirmed = ooc_raised
    unconfirmed = clinic_raised & ~answered & ~confirmed
    gap = people.filter((confirmed | unconfirmed) & ~has_diagnosis(settings.hypertension_concepts))
    reason = (
        pl.when(confirmed)
        .then(
            pl.format(
                "{} average {}/{} on {} ({}/{} or more confirms hypertension); no hypertension diagnosis recorded: diagnose and treat",
                o_kind,
                num(o_sys),
                num(o_dia),
                iso(o_day),
                pl.lit(fmt(prm.out_of_clinic_systolic_threshold)),
                pl.lit(fmt(prm.out_of_clinic_diastolic_threshold)),
            )
        )
        .otherwise(
            pl.format(
                "Blood pressure {}/{} on {} (systolic {} or diastolic {} or more); no hypertension diagnosis recorded",
                num(sys),
                num(dia),
                iso(day),
                pl.lit(fmt(prm.systolic_threshold)),
                pl.lit(fmt(prm.diastolic_threshold)),
            )
        )
    )
    since = pl.when(confirmed).then(o_day).otherwise(day)
    return flags(gap, RULE.id, since, reason)


def out_of_clinic_latest() -> dict[str, pl.Expr]:
    """The latest out-of-clinic average pair: ambulatory daytime or home (ambulatory on a tie)."""
    a, h = ABPM_BP[0].col, HOME_BP[0].col
    use_home = h.is_not_null() & (a.is_null() | (h > a))
    pick = lambda abpm, home: pl.when(use_home).then(home.col).otherwise(abpm.col)  # noqa: E731
    return {
        "date": pick(ABPM_BP[0], HOME_BP[0]),
        "systolic": pick(ABPM_BP[1], HOME_BP[1]),
        "diastolic": pick(ABPM_BP[2], HOME_BP[2]),
        "kind": pl.when(use_home)
        .then(pl.lit("Home blood pressure"))
        .otherwise(pl.lit("Ambulatory daytime blood pressure")),
    }
