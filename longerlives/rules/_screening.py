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
from typing import NamedTuple

import polars as pl

from longerlives.rules._helpers import fell_out_of_window, iso, last_date, within_months
from longerlives.rules._screening_params import ScreeningProgramme
from longerlives.rules._spec import flags
from longerlives.settings.rules import RulesSettings

NO_DATE = pl.lit(None, dtype=pl.Date)


def _after_last_test(day: pl.Expr, last: pl.Expr) -> pl.Expr:
    return day.is_not_null() & (last.is_null() | (day >= last))


def _dated(concepts: tuple[str, ...]) -> pl.Expr:
    return last_date(*concepts) if concepts else NO_DATE


def programme_status(programme: str, as_of: date, settings: RulesSettings) -> pl.Expr:
    """Each person's standing for one programme, from the same steps as the rule: null when
    not eligible today, else ``screened`` (in date), ``ceased`` (unsuitable), ``declined``
    (an informed decline still valid) or ``overdue`` (exactly the people the rule flags)."""
    st = _state(settings.params(f"screening.{programme}", ScreeningProgramme), as_of)
    return (
        pl.when(~st.eligible | st.first_invitation_not_due)
        .then(pl.lit(None, dtype=pl.String))
        .when(st.in_date & ~st.needs_action)
        .then(pl.lit("screened"))
        .when(st.unsuitable)
        .then(pl.lit("ceased"))
        .when(st.decline_valid)
        .then(pl.lit("declined"))
        .otherwise(pl.lit("overdue"))
    )


class _State(NamedTuple):
    in_band: list[pl.Expr]
    eligible: pl.Expr
    in_date: pl.Expr
    unsuitable: pl.Expr
    decline_valid: pl.Expr
    action: pl.Expr  # date of the latest result needing action (repeat, abnormal)
    needs_action: pl.Expr  # such a result on or after the last completed test
    first_invitation_not_due: pl.Expr  # never screened and younger than the age a first invitation is due by
    overdue: pl.Expr  # exactly the people the rule flags


def _state(p: ScreeningProgramme, as_of: date) -> _State:
    age = pl.col("age")
    last = last_date(*p.done)
    declined, unsuitable = _dated(p.declined), _dated(p.unsuitable)
    # Step 1: eligible — sex on the GP record and age (whole years; from the birthday itself) in a band.
    in_band = [(age >= b.min_age_years) & (age <= b.max_age_years) for b in p.bands]
    eligible = pl.col("sex").is_in(list(p.sexes)) & pl.any_horizontal(in_band)
    # Step 2: screened within the interval for the person's band today.
    in_date = pl.any_horizontal(
        [band & within_months(last, as_of, b.interval_months) for band, b in zip(in_band, p.bands)]
    )
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
    not_due = never & (age < p.never_screened_from_age_years) if p.never_screened_from_age_years else pl.lit(False)
    overdue = eligible & (~in_date | needs_action) & ~is_unsuitable & ~decline_valid & ~not_due
    return _State(in_band, eligible, in_date, is_unsuitable, decline_valid, action, needs_action, not_due, overdue)


def programme_rule(flag_id: str, programme: str) -> Callable[[pl.LazyFrame, date, RulesSettings], pl.LazyFrame]:
    """``evaluate`` for one programme, its parameters read from ``["<flag_id>"]``."""

    def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
        p = settings.params(flag_id, ScreeningProgramme)
        last = last_date(*p.done)
        declined, missed = _dated(p.declined), _dated(p.missed)
        # Steps 1-3c (eligible, in date, exclusions, results needing action, first invitation due)
        # are shared with the coverage report (``programme_status``), so "overdue" means the same there.
        st = _state(p, as_of)
        in_band, action, needs_action = st.in_band, st.action, st.needs_action
        gap = people.filter(st.overdue)
        # Step 4: the reason — never screened, or overdue since the day the last test fell out of date,
        # then any decline or missed appointment since the last test.
        since = pl.coalesce(
            [pl.when(band).then(fell_out_of_window(last, b.interval_months)) for band, b in zip(in_band, p.bands)]
        )
        since = pl.when(needs_action).then(action).otherwise(since)
        base = (
            pl.when(needs_action)
            .then(
                pl.format(
                    "{} {} on {}: not counted as screened",
                    pl.lit(p.name.capitalize()),
                    pl.lit(p.needs_action_phrase),
                    iso(action),
                )
            )
            .when(last.is_null())
            .then(pl.lit(f"Never screened: no {p.name} test recorded"))
            .otherwise(
                pl.format("{} overdue since {} (last test {})", pl.lit(p.name.capitalize()), iso(since), iso(last))
            )
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
