"""Smoking status for QRISK3/QDiabetes (``smoke_cat`` 0..4) from the features frame.

ClinRisk coding: 0 non-smoker, 1 ex-smoker, 2 light (< 10 a day), 3 moderate
(10-19 a day), 4 heavy (20 or more a day).

* The latest-dated smoking code decides current / ex / never. A current-smoker
  code on the same day as an ex or never code counts as current (the higher risk).
* "Never smoked" recorded after any current or ex-smoker code means ex-smoker
  (``never_after_smoker_is_ex``): someone who has smoked cannot become a never-smoker.
* For a current smoker the amount comes from the latest of: a light / moderate /
  heavy smoker code, or the cigarettes-a-day value on a smoker code (thresholds
  from settings). Same day: the heavier category. No amount at all:
  ``amount_unknown_category``.
* No smoking code at all gives null (a missing input, reported by the caller).
"""

from __future__ import annotations

import polars as pl

from longerlives.frames import FeatureRef, feature, last_dates
from longerlives.settings.risk import SmokingSettings

CURRENT_CODES = ("smoker", "smoker_light", "smoker_moderate", "smoker_heavy")
CIGARETTES = (feature("smoker", "last_value"), feature("smoker", "last_value_date"))
FEATURES: tuple[FeatureRef, ...] = (
    *(feature(c, "last_date") for c in (*CURRENT_CODES, "ex_smoker", "never_smoked")),
    *CIGARETTES,
)


def cigarettes_to_category(per_day: pl.Expr, s: SmokingSettings) -> pl.Expr:
    """Cigarettes a day -> 2 light, 3 moderate, 4 heavy (null for <= 0 or null)."""
    return (
        pl.when(per_day.is_null() | (per_day <= 0))
        .then(pl.lit(None, dtype=pl.Int64))
        .when(per_day < s.light_below)
        .then(2)
        .when(per_day < s.heavy_from)
        .then(3)
        .otherwise(4)
    )


def smoke_cat_expr(s: SmokingSettings) -> pl.Expr:
    current = pl.max_horizontal(last_dates(*CURRENT_CODES))
    ex, never = last_dates("ex_smoker", "never_smoked")
    latest = pl.max_horizontal(current, ex, never)

    amounts = [
        *zip(last_dates("smoker_light", "smoker_moderate", "smoker_heavy"), (pl.lit(2), pl.lit(3), pl.lit(4))),
        (CIGARETTES[1].col, cigarettes_to_category(CIGARETTES[0].col, s)),
    ]
    amount_latest = pl.max_horizontal([pl.when(cat.is_not_null()).then(day) for day, cat in amounts])
    amount = pl.max_horizontal([pl.when(day == amount_latest).then(cat) for day, cat in amounts]).fill_null(
        s.amount_unknown_category
    )

    ever_smoked = current.is_not_null() | ex.is_not_null()
    never_is_ex = pl.lit(s.never_after_smoker_is_ex) & ever_smoked
    return (
        pl.when(latest.is_null())
        .then(pl.lit(None, dtype=pl.Int64))
        .when(current == latest)
        .then(amount)
        .when(ex == latest)
        .then(1)
        .when(never_is_ex)
        .then(1)
        .otherwise(0)
        .cast(pl.Int64)
    )
