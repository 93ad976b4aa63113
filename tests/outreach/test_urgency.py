"""Urgency (run-outputs-v2): same_day / soon / routine, from the interim safety-item function
until issue 10's registered safety.* flags carry it."""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.outputs.urgency import flags_with_urgency, interim_safety_flags, person_urgency

AS_OF = date(2025, 6, 30)


def _people(items: list[str | None]) -> pl.DataFrame:
    return pl.DataFrame({"nhs_number": [f"999000{i:04d}" for i in range(len(items))], "safety_items": items},
                        schema={"nhs_number": pl.String, "safety_items": pl.String})


def _bp(day: str) -> str:
    return f"Blood pressure 186/100 on {day} is 180/120 or higher and needs same-day assessment"


def test_severe_bp_read_29_days_ago_is_same_day_and_30_days_ago_is_soon():
    got = interim_safety_flags(_people([_bp("2025-06-01"), _bp("2025-05-31")]), AS_OF, 30)
    assert got["flag"].to_list() == ["safety.bp_severe"] * 2
    assert got["urgency"].to_list() == ["same_day", "soon"]
    assert got["since"].to_list() == [date(2025, 6, 1), date(2025, 5, 31)]


def test_cancer_referral_and_diabetes_range_items_are_soon_with_their_dates():
    usc = "Urgent suspected cancer referral on 2025-03-10, no hospital attendance recorded yet"
    hba1c = "HbA1c 52 mmol/mol on 2025-06-20 is in the diabetes range (48 or more) with no diabetes diagnosis recorded"
    got = interim_safety_flags(_people([f"{usc};{hba1c}", None]), AS_OF, 30)
    assert got.select("flag", "since", "urgency").rows() == [
        ("safety.usc_not_attended", date(2025, 3, 10), "soon"),
        ("safety.diabetes_range_undiagnosed", date(2025, 6, 20), "soon"),
    ]


def test_ordinary_flags_are_routine_and_a_person_takes_their_most_urgent_flag():
    flags = pl.DataFrame({"nhs_number": ["9990000000", "9990000001"], "flag": ["phc.bmi", "ecg.annual"],
                          "since": [None, None], "reason": ["No BMI", "No ECG"]},
                         schema={"nhs_number": pl.String, "flag": pl.String, "since": pl.Date, "reason": pl.String})
    safety = interim_safety_flags(_people([_bp("2025-06-20")]), AS_OF, 30)
    both = flags_with_urgency(flags, safety)
    assert both.filter(pl.col("flag") == "phc.bmi")["urgency"].to_list() == ["routine"]
    assert person_urgency(both).rows() == [("9990000000", "same_day"), ("9990000001", "routine")]


def test_flags_that_already_carry_urgency_are_used_as_they_are():
    v2 = pl.DataFrame({"nhs_number": ["9990000000"], "flag": ["safety.bp_severe"], "since": [None],
                       "reason": ["x"], "urgency": ["soon"]}, schema_overrides={"since": pl.Date})
    assert flags_with_urgency(v2).equals(v2)


def test_a_safety_item_that_cannot_be_recognised_stops_rather_than_vanishing():
    import pytest

    from longerlives.errors import LongerlivesError

    with pytest.raises(LongerlivesError, match="1 safety item"):  # the CLI prints it without a traceback
        interim_safety_flags(_people(["Something new that needs action"]), AS_OF, 30)
