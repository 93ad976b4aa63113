"""The shape shared by the three ``screening.*`` rules (cervical, breast, bowel).

Per programme (the rule's own table, ``["screening.<name>"]`` in config/rules.toml,
typed by ``ScreeningProgramme``): eligible sexes, age bands
with their intervals, and the concepts for a completed test, a decline, a missed
appointment and unsuitability. The GP record does not hold the national due date, so
"overdue" is conservative (domain.md §4.1): eligible today and no completed test within
the interval for the person's age band today.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import polars as pl
from pydantic import BaseModel, Field, field_validator, model_validator

from longerlives.rules._helpers import fell_out_of_window, iso, last_date, within_months
from longerlives.rules._spec import flags
from longerlives.settings.rules import FROZEN, SEXES, RulesSettings


class ScreeningBand(BaseModel):
    """Ages (whole years on the as-of date, inclusive) screened at one interval."""

    model_config = FROZEN
    min_age: int = Field(ge=0, le=120)
    max_age: int = Field(ge=0, le=120)
    interval_months: int = Field(ge=1, le=240)


class ScreeningProgramme(BaseModel):
    """The parameters of one screening rule."""

    model_config = FROZEN
    name: str  # in words, e.g. "cervical screening"
    sexes: tuple[str, ...]
    bands: tuple[ScreeningBand, ...]
    done: tuple[str, ...]  # concepts: a completed test
    declined: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()  # did not attend / did not respond
    missed_phrase: str = "did not attend on"
    unsuitable: tuple[str, ...] = ()  # suppresses the flag unless a later test exists
    # results that need action (a repeat, further tests, referral): never count as screened (run-outputs v2)
    needs_action: tuple[str, ...] = ()
    needs_action_phrase: str = "a result that needs action"
    # "never screened" is raised only from this age (the first invitation is due by then); None = from the band start
    never_screened_from_age: int | None = Field(default=None, ge=0, le=120)
    decline_valid_months: int = Field(ge=0, le=60)
    source: str

    @field_validator("sexes")
    @classmethod
    def _known_sexes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [s for s in v if s not in SEXES]
        if bad:
            raise ValueError(f"unknown sex {bad}; expected some of {SEXES}")
        return v

    @model_validator(mode="after")
    def _bands_ordered(self) -> ScreeningProgramme:
        prev = -1
        for b in self.bands:
            if b.min_age > b.max_age or b.min_age <= prev:
                raise ValueError("screening bands must be non-overlapping, in age order, min_age <= max_age")
            prev = b.max_age
        return self

    def concepts_used(self) -> set[str]:
        return {*self.done, *self.declined, *self.missed, *self.unsuitable, *self.needs_action}

    def optional_concepts(self) -> set[str]:
        """Declines, missed appointments and unsuitability only silence or annotate the flag."""
        return {*self.declined, *self.missed, *self.unsuitable}

NO_DATE = pl.lit(None, dtype=pl.Date)


def _after_last_test(day: pl.Expr, last: pl.Expr) -> pl.Expr:
    return day.is_not_null() & (last.is_null() | (day >= last))


def _dated(concepts: tuple[str, ...]) -> pl.Expr:
    return last_date(*concepts) if concepts else NO_DATE


def programme_rule(flag_id: str, programme: str) -> Callable[[pl.LazyFrame, date, RulesSettings], pl.LazyFrame]:
    """``evaluate`` for one programme, its parameters read from ``["<flag_id>"]``."""

    def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
        p = settings.params(flag_id, ScreeningProgramme)
        age = pl.col("age")
        last = last_date(*p.done)
        declined, missed, unsuitable = _dated(p.declined), _dated(p.missed), _dated(p.unsuitable)
        # Step 1: eligible — sex on the GP record and age (whole years; from the birthday itself) in a band.
        in_band = [(age >= b.min_age) & (age <= b.max_age) for b in p.bands]
        eligible = pl.col("sex").is_in(list(p.sexes)) & pl.any_horizontal(in_band)
        # Step 2: screened within the interval for the person's band today.
        in_date = pl.any_horizontal([band & within_months(last, as_of, b.interval_months) for band, b in zip(in_band, p.bands)])
        # Step 3: exclusions — unsuitable (e.g. hysterectomy) unless a later test; a decline
        # within its validity (12 months) respects the person's informed choice.
        is_unsuitable = unsuitable.is_not_null() & (last.is_null() | (last <= unsuitable))
        decline_valid = within_months(declined, as_of, p.decline_valid_months) & _after_last_test(declined, last)
        # Step 3b (run-outputs v2): a result that needs action, on or after the last completed test,
        # means the person is not screened, however recent it is.
        action = _dated(p.needs_action)
        needs_action = _after_last_test(action, last)
        # Step 3c: "never screened" only from the age the first invitation is due by (breast: 53).
        never = last.is_null() & action.is_null()
        too_young_for_never = never & (age < p.never_screened_from_age) if p.never_screened_from_age else pl.lit(False)
        gap = people.filter(
            eligible & (~in_date | needs_action) & ~is_unsuitable & ~decline_valid & ~too_young_for_never
        )
        # Step 4: the reason — never screened, or overdue since the day the last test fell out of date,
        # then any decline or missed appointment since the last test.
        since = pl.coalesce(
            [pl.when(band).then(fell_out_of_window(last, b.interval_months)) for band, b in zip(in_band, p.bands)]
        )
        since = pl.when(needs_action).then(action).otherwise(since)
        base = (
            pl.when(needs_action)
            .then(pl.format("{} {} on {}: not counted as screened", pl.lit(p.name.capitalize()),
                            pl.lit(p.needs_action_phrase), iso(action)))
            .when(last.is_null())
            .then(pl.lit(f"Never screened: no {p.name} test recorded"))
            .otherwise(pl.format("{} overdue since {} (last test {})", pl.lit(p.name.capitalize()), iso(since), iso(last)))
        )
        extras = pl.concat_str(
            [
                pl.when(_after_last_test(declined, last)).then(pl.format("declined on {}", iso(declined))),
                pl.when(_after_last_test(missed, last)).then(pl.format("{} {}", pl.lit(p.missed_phrase), iso(missed))),
            ],
            separator="; ",
            ignore_nulls=True,
        )
        reason = pl.when(extras == "").then(base).otherwise(pl.format("{}; {}", base, extras))
        return flags(gap, flag_id, since, reason)

    evaluate.__doc__ = f"{flag_id}: eligible for {programme} screening and overdue."
    return evaluate
