"""The six-element annual physical health check: which elements count, and when each was last done.

The element → concepts mapping is configuration (``[phc_elements]`` in config/rules.toml).
``add_health_check_columns`` adds, for each element ``e``, ``phc_<e>_last`` (latest date
of any of its concepts) and ``phc_<e>_done`` (within the look-back), plus
``phc_elements_done`` (0–6) and ``phc_last_any`` (latest date of any element).
Declines are kept distinct and never count as done (domain.md §2.2): for elements
with decline concepts (``[phc_declines]``) it adds ``phc_<e>_declined_last``, and for
every element ``phc_<e>_declined`` — a decline within the look-back dated on or after
the last time the element was done (False where no decline concepts are configured).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.frames import last_dates
from longerlives.rules._helpers import last_date, with_optional_concepts, within_months
from longerlives.settings.rules import RulesSettings

ELEMENTS = ("bmi", "blood_pressure", "lipids", "glucose", "alcohol", "smoking")


def element_last_column(element: str) -> str:
    return f"phc_{element}_last"


def element_declined_column(element: str) -> str:
    return f"phc_{element}_declined_last"


def add_health_check_columns(people: pl.DataFrame, as_of: date, settings: RulesSettings) -> pl.DataFrame:
    people = with_optional_concepts(people, settings.optional_concepts())
    cols = []
    for element in ELEMENTS:
        # "bp", "abpm_day_bp", "home_bp" are systolic+diastolic pairs by setting (features.BP_SETTINGS)
        sources = last_dates(*settings.phc_elements[element])
        cols.append(pl.max_horizontal(sources).alias(element_last_column(element)))
        declines = settings.phc_declines.get(element, ())
        last_decline = last_date(*declines) if declines else pl.lit(None, dtype=pl.Date)
        cols.append(last_decline.alias(element_declined_column(element)))
    people = people.with_columns(cols)
    months = settings.phc_months
    done = [within_months(element_last_column(e), as_of, months).alias(f"phc_{e}_done") for e in ELEMENTS]
    declined = [
        (
            within_months(element_declined_column(e), as_of, months)
            & (
                pl.col(element_last_column(e)).is_null()
                | (pl.col(element_declined_column(e)) >= pl.col(element_last_column(e)))
            )
        ).alias(f"phc_{e}_declined")
        for e in ELEMENTS
    ]
    people = people.with_columns(done + declined)
    return people.with_columns(
        pl.sum_horizontal([pl.col(f"phc_{e}_done").cast(pl.Int64) for e in ELEMENTS]).alias("phc_elements_done"),
        pl.max_horizontal([pl.col(element_last_column(e)) for e in ELEMENTS]).alias("phc_last_any"),
    )
