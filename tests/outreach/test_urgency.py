"""Urgency (run-outputs-v2): same_day / soon / routine, carried by every flag from its rule."""

from __future__ import annotations

import polars as pl

from longerlives.outputs.urgency import urgency_rank
from longerlives.outreach.plans import refresh_urgency, safety_and_urgency


def _flags(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"nhs_number": pl.String, "flag": pl.String, "urgency": pl.String}, orient="row")


def person_urgency(flags: pl.DataFrame) -> pl.DataFrame:
    """The plan's urgency per person (the one place it is worked out)."""
    return (
        safety_and_urgency(flags.with_columns(pl.lit("r").alias("reason")))
        .select("nhs_number", "urgency")
        .sort("nhs_number")
    )


def test_a_person_takes_the_most_urgent_of_their_flags():
    flags = _flags(
        [
            ("9990000000", "phc.bmi", "routine"),
            ("9990000000", "safety.bp_severe", "same_day"),
            ("9990000000", "safety.usc_not_attended", "soon"),
            ("9990000001", "ecg.annual", "routine"),
            ("9990000001", "safety.diabetes_range_undiagnosed", "soon"),
            ("9990000002", "ecg.annual", "routine"),
        ]
    )
    assert person_urgency(flags).rows() == [
        ("9990000000", "same_day"),
        ("9990000001", "soon"),
        ("9990000002", "routine"),
    ]


def test_urgency_sorts_same_day_before_soon_before_routine_and_unknown_last_with_routine():
    frame = pl.DataFrame({"u": ["routine", "soon", "same_day", "other"]})
    ranked = frame.with_columns(urgency_rank(pl.col("u")).alias("r")).sort("r", maintain_order=True)
    assert ranked["u"].to_list()[:2] == ["same_day", "soon"]


def test_a_plan_whose_severe_flag_was_held_by_an_outcome_is_no_longer_same_day():
    flags = _flags([("9990000000", "phc.bmi", "routine"), ("9990000000", "safety.bp_severe", "same_day")])
    plans = pl.DataFrame({"nhs_number": ["9990000000"], "urgency": ["same_day"], "lead": ["GP practice"]})
    still_open = flags.filter(pl.col("flag") == "phc.bmi").with_columns(pl.lit("r").alias("reason"))
    refreshed = refresh_urgency(plans, still_open)
    assert refreshed.rows() == [("9990000000", "routine", "GP practice")]
