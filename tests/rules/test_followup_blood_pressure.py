"""followup.blood_pressure — latest BP in 12 months at or above 140/90, no hypertension diagnosis."""

from datetime import date

import pytest

FLAG = "followup.blood_pressure"


@pytest.mark.parametrize(
    ("systolic", "diastolic", "flagged"),
    [(140, 80, True), (139, 89, False), (130, 90, True), (152, 94, True)],
)
def test_each_threshold_on_its_own_is_enough(reg, systolic, diastolic, flagged):
    p = reg.person()
    reg.bp(p, date(2026, 5, 1), systolic, diastolic)
    assert (p in reg.flags(FLAG)) is flagged


def test_reason_names_the_reading_and_since_is_its_date(reg):
    p = reg.person()
    reg.bp(p, date(2026, 5, 1), 152, 94)
    assert reg.flags(FLAG)[p] == {
        "since": date(2026, 5, 1),
        "reason": "Blood pressure 152/94 on 2026-05-01 (systolic 140 or diastolic 90 or more); no hypertension diagnosis recorded",
    }


def test_hypertension_diagnosis_silences_the_flag(reg):
    p = reg.person()
    reg.bp(p, date(2026, 5, 1), 160, 100)
    reg.event(p, "hypertension", date(2019, 1, 1))
    assert reg.flags(FLAG) == {}


def test_only_the_latest_reading_counts(reg):
    p = reg.person()
    reg.bp(p, date(2026, 1, 1), 160, 100)
    reg.bp(p, date(2026, 5, 1), 125, 80)
    assert reg.flags(FLAG) == {}


def test_lowest_of_two_readings_on_the_same_day_is_used(reg):
    p = reg.person()
    reg.bp(p, date(2026, 5, 1), 150, 95)
    reg.bp(p, date(2026, 5, 1), 135, 85)
    assert reg.flags(FLAG) == {}


def test_reading_exactly_one_year_ago_is_out_of_window_and_a_day_later_is_in(reg):
    old = reg.person()
    reg.bp(old, date(2025, 6, 15), 150, 95)
    recent = reg.person()
    reg.bp(recent, date(2025, 6, 16), 150, 95)
    assert set(reg.flags(FLAG)) == {recent}


def test_reading_dated_after_the_as_of_date_is_ignored(reg):
    p = reg.person()
    reg.bp(p, date(2026, 6, 16), 170, 100)
    assert reg.flags(FLAG) == {}
