"""screening.bowel — everyone 50-74; overdue after 30 months without a completed screen."""

from datetime import date

import pytest

from tests.rules.conftest import AS_OF

FLAG = "screening.bowel"


def test_men_women_and_unknown_sex_aged_50_to_74_are_eligible(reg):
    people = {reg.person(born=date(1960, 1, 1), sex=s) for s in ("female", "male", "unknown")}
    assert set(reg.flags(FLAG)) == people


def test_eligible_from_the_50th_birthday_until_the_day_before_the_75th(reg):
    fifty_today = reg.person(born=date(1976, 6, 15), sex="male")
    reg.person(born=date(1976, 6, 16), sex="male")
    seventy_five_tomorrow = reg.person(born=date(1951, 6, 16), sex="male")
    reg.person(born=date(1951, 6, 15), sex="male")
    assert set(reg.flags(FLAG)) == {fifty_today, seventy_five_tomorrow}


def test_completed_screen_exactly_30_months_ago_is_overdue_and_a_day_later_is_not(reg):
    overdue = reg.person(born=date(1960, 1, 1), sex="male")
    reg.event(overdue, "bowel_screening", date(2023, 12, 15))
    in_date = reg.person(born=date(1960, 1, 1), sex="male")
    reg.event(in_date, "bowel_screening", date(2023, 12, 16))
    got = reg.flags(FLAG)
    assert set(got) == {overdue}
    assert got[overdue] == {"since": AS_OF, "reason": "Bowel screening overdue since 2026-06-15 (last test 2023-12-15)"}


def test_decline_exactly_12_months_ago_has_expired(reg):
    p = reg.person(born=date(1960, 1, 1), sex="male")
    reg.event(p, "bowel_screening_declined", date(2025, 6, 15))
    q = reg.person(born=date(1960, 1, 1), sex="male")
    reg.event(q, "bowel_screening_declined", date(2025, 6, 16))
    got = reg.flags(FLAG)
    assert set(got) == {p}
    assert got[p]["reason"] == "Never screened: no bowel screening test recorded; declined on 2025-06-15"


def test_did_not_attend_is_named(reg):
    p = reg.person(born=date(1960, 1, 1), sex="male")
    reg.event(p, "bowel_screening_dna", date(2026, 2, 2))
    assert (
        reg.flags(FLAG)[p]["reason"] == "Never screened: no bowel screening test recorded; did not attend on 2026-02-02"
    )


def test_dead_person_is_never_flagged(reg):
    reg.person(born=date(1960, 1, 1), died=date(2026, 1, 1))
    assert reg.flags(FLAG) == {}


# --- run-outputs v2: an abnormal FIT/FOBT is not "screened" ---
ABNORMAL = ("1101371000000105", "375241000000109")  # liquid FIT abnormal; FOBT abnormal
NORMAL = ("1101361000000103", "375211000000108")  # liquid FIT normal; FOBT normal


@pytest.mark.parametrize("code", ABNORMAL)
def test_an_abnormal_fit_or_fobt_six_months_ago_is_not_counted_as_screened(reg, code):
    p = reg.person(born=date(1960, 1, 1), sex="male")
    reg.coded(p, code, date(2025, 12, 15))
    assert reg.flags(FLAG)[p] == {
        "since": date(2025, 12, 15),
        "reason": "Bowel screening abnormal result (FIT or FOBT) on 2025-12-15: not counted as screened",
    }


@pytest.mark.parametrize("code", NORMAL)
def test_a_normal_fit_or_fobt_counts_as_screened(reg, code):
    p = reg.person(born=date(1960, 1, 1), sex="female")
    reg.coded(p, code, date(2025, 12, 15))
    assert reg.flags(FLAG) == {}
