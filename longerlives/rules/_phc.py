"""The one shape shared by the six ``phc.*`` rules: an element of the annual check
not recorded in the look-back, for people in the health-check cohort.

Each ``phc_<element>.py`` module declares its own ``RULE`` and gets ``evaluate`` from
``element_rule``; the element's concepts come from ``[phc_elements]`` in config/rules.toml.
"""

from __future__ import annotations

from datetime import date
from typing import Callable

import polars as pl

from longerlives.rules._helpers import fell_out_of_window, iso, months_words
from longerlives.rules._spec import flags
from longerlives.rules.annual_health_check import element_declined_column, element_last_column
from longerlives.settings.rules import RulesSettings

PHC_SOURCE = (
    "NHS England SMI physical health check, six core elements "
    "(https://www.england.nhs.uk/long-read/improving-the-physical-health-of-people-living-with-severe-mental-illness/); "
    "QOF MH indicators (https://help.hippolabs.co.uk/en/articles/12742257-mental-health-indicators-qof)"
)
PHC_WINDOW = {
    "look-back": "12 months to the as-of date (after the same calendar day a year earlier); config phc_months"
}


def element_rule(flag_id: str, element: str, noun: str) -> Callable[[pl.LazyFrame, date, RulesSettings], pl.LazyFrame]:
    """``evaluate`` for one element: ``noun`` names it in the reason ("blood pressure")."""

    def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
        months = settings.phc_months
        last = pl.col(element_last_column(element))
        declined = pl.col(element_declined_column(element))
        # Step 1: the national denominator — in the health-check cohort (in scope, SMI
        # diagnosis, not in remission; lithium alone does not count).
        # Step 2: any of the element's concepts within the look-back counts as done;
        # a decline does not (domain.md §2.2) but is named in the reason.
        gap = people.filter(pl.col("health_check_cohort") & ~pl.col(f"phc_{element}_done"))
        base = (
            pl.when(last.is_null())
            .then(pl.lit(f"No {noun} ever recorded"))
            .otherwise(
                pl.format(
                    "Last {} recorded {}, more than {} ago", pl.lit(noun), iso(last), pl.lit(months_words(months))
                )
            )
        )
        reason = (
            pl.when(pl.col(f"phc_{element}_declined"))
            .then(pl.format("{}; declined on {}", base, iso(declined)))
            .otherwise(base)
        )
        return flags(gap, flag_id, fell_out_of_window(last, months), reason)

    evaluate.__doc__ = f"{flag_id}: in the health-check cohort and no {noun} recorded in the look-back."
    return evaluate
