"""The six-element annual physical health check: which elements count, and when each was last done.

The element → concepts mapping is configuration (``[phc_elements]`` in config/rules.toml).
``add_health_check_columns`` adds, for each element ``e``, ``phc_<e>_last`` (latest date
of any of its concepts) and ``phc_<e>_done`` (within the look-back), plus
``phc_elements_done`` (0–6) and ``phc_last_any`` (latest date of any element).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.rules._helpers import within_months
from longerlives.settings.rules import RulesSettings

ELEMENTS = ("bmi", "blood_pressure", "lipids", "glucose", "alcohol", "smoking")


def element_last_column(element: str) -> str:
    return f"phc_{element}_last"


def add_health_check_columns(people: pl.DataFrame, as_of: date, settings: RulesSettings) -> pl.DataFrame:
    cols = []
    for element in ELEMENTS:
        sources = [f"{c}_last_date" if c != "bp" else "bp_last_date" for c in settings.phc_elements[element]]
        cols.append(pl.max_horizontal([pl.col(s) for s in sources]).alias(element_last_column(element)))
    people = people.with_columns(cols)
    done = [within_months(element_last_column(e), as_of, settings.phc_months).alias(f"phc_{e}_done") for e in ELEMENTS]
    people = people.with_columns(done)
    return people.with_columns(
        pl.sum_horizontal([pl.col(f"phc_{e}_done").cast(pl.Int64) for e in ELEMENTS]).alias("phc_elements_done"),
        pl.max_horizontal([pl.col(element_last_column(e)) for e in ELEMENTS]).alias("phc_last_any"),
    )
