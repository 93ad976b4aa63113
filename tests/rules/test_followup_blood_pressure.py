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


# --- issue 11 / run-outputs v2: blood pressure by setting -----------------------------


def _abpm(reg, p, on, s, d, codes=("314446007", "314461008")):
    reg.coded(p, codes[0], on, s)
    reg.coded(p, codes[1], on, d)


@pytest.mark.parametrize("codes", [("314446007", "314461008"), ("198081000000101", "198091000000104")])
def test_abpm_day_146_91_with_night_124_72_is_confirmed_hypertension(reg, codes):
    p = reg.person()
    _abpm(reg, p, date(2026, 5, 1), 146, 91, codes)
    reg.coded(p, "314445006", date(2026, 5, 1), 124)  # average night interval systolic
    reg.coded(p, "314460009", date(2026, 5, 1), 72)  # average night interval diastolic
    got = reg.flags(FLAG)[p]
    assert got["since"] == date(2026, 5, 1)
    assert got["reason"].startswith("Ambulatory daytime blood pressure average 146/91 on 2026-05-01")
    assert "diagnose and treat" in got["reason"]


@pytest.mark.parametrize(("systolic", "diastolic", "flagged"), [(135, 80, True), (134, 84, False), (120, 85, True)])
def test_home_average_threshold_is_135_85(reg, systolic, diastolic, flagged):
    p = reg.person()
    reg.coded(p, "413606001", date(2026, 5, 1), systolic)
    reg.coded(p, "413605002", date(2026, 5, 1), diastolic)
    assert (p in reg.flags(FLAG)) is flagged


def test_normal_ambulatory_average_after_a_raised_clinic_reading_closes_it(reg):
    p = reg.person()
    reg.bp(p, date(2026, 4, 1), 150, 92)
    _abpm(reg, p, date(2026, 4, 20), 128, 80)
    assert reg.flags(FLAG) == {}


def test_normal_ambulatory_average_before_a_new_raised_clinic_reading_does_not_close_it(reg):
    p = reg.person()
    _abpm(reg, p, date(2026, 1, 20), 128, 80)
    reg.bp(p, date(2026, 4, 1), 150, 92)
    assert reg.flags(FLAG)[p]["since"] == date(2026, 4, 1)


def test_minimum_and_night_values_never_stand_for_a_reading(reg):
    p = reg.person()
    reg.coded(p, "314438006", date(2026, 5, 1), 150)  # minimum systolic
    reg.coded(p, "314451001", date(2026, 5, 1), 95)  # minimum diastolic
    reg.coded(p, "314442009", date(2026, 5, 1), 150)  # minimum night interval systolic
    assert reg.flags(FLAG) == {}


def test_hypertension_diagnosis_silences_a_confirmed_ambulatory_reading(reg):
    p = reg.person()
    _abpm(reg, p, date(2026, 5, 1), 150, 95)
    reg.event(p, "hypertension", date(2026, 5, 10))
    assert reg.flags(FLAG) == {}


def test_ambulatory_average_exactly_one_year_ago_is_out_of_window(reg):
    p = reg.person()
    _abpm(reg, p, date(2025, 6, 15), 150, 95)
    q = reg.person()
    _abpm(reg, q, date(2025, 6, 16), 150, 95)
    assert set(reg.flags(FLAG)) == {q}
