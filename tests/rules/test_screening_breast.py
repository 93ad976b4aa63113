"""screening.breast — women 50 up to the 71st birthday; overdue after 36 months."""

from datetime import date

from tests.rules.conftest import AS_OF

FLAG = "screening.breast"


def test_eligible_from_the_50th_birthday_not_the_day_before(reg):
    # screened once before 50 (e.g. family history), now overdue: eligible from the 50th birthday itself
    birthday_today = reg.person(born=date(1976, 6, 15))
    reg.event(birthday_today, "breast_screening", date(2022, 1, 10))
    day_before = reg.person(born=date(1976, 6, 16))
    reg.event(day_before, "breast_screening", date(2022, 1, 10))
    assert set(reg.flags(FLAG)) == {birthday_today}


def test_never_screened_is_raised_only_from_the_53rd_birthday(reg):
    fifty_three_today = reg.person(born=date(1973, 6, 15))
    reg.person(born=date(1973, 6, 16))  # 52: first invitation may not have been sent yet
    reg.person(born=date(1976, 6, 15))  # 50 today
    got = reg.flags(FLAG)
    assert set(got) == {fifty_three_today}
    assert got[fifty_three_today]["reason"] == "Never screened: no breast screening test recorded"


def test_eligible_until_the_day_before_the_71st_birthday(reg):
    turns_71_tomorrow = reg.person(born=date(1955, 6, 16))
    reg.person(born=date(1955, 6, 15))
    assert set(reg.flags(FLAG)) == {turns_71_tomorrow}


def test_screen_exactly_36_months_ago_is_overdue_and_36_months_minus_a_day_is_not(reg):
    overdue = reg.person(born=date(1960, 1, 1))
    reg.event(overdue, "breast_screening", date(2023, 6, 15))
    in_date = reg.person(born=date(1960, 1, 1))
    reg.event(in_date, "breast_screening", date(2023, 6, 16))
    got = reg.flags(FLAG)
    assert set(got) == {overdue}
    assert got[overdue] == {
        "since": AS_OF,
        "reason": "Breast screening overdue since 2026-06-15 (last test 2023-06-15)",
    }


def test_missed_appointment_is_named_and_does_not_silence_the_flag(reg):
    p = reg.person(born=date(1960, 1, 1))
    reg.event(p, "breast_screening", date(2020, 2, 1))
    reg.event(p, "breast_screening_dna", date(2026, 1, 10))
    assert reg.flags(FLAG)[p]["reason"] == (
        "Breast screening overdue since 2023-02-01 (last test 2020-02-01); did not attend on 2026-01-10"
    )


def test_decline_within_12_months_silences_the_flag(reg):
    p = reg.person(born=date(1960, 1, 1))
    reg.event(p, "breast_screening_declined", date(2026, 1, 10))
    assert reg.flags(FLAG) == {}


def test_men_and_people_of_unknown_sex_are_not_flagged(reg):
    reg.person(born=date(1960, 1, 1), sex="male")
    reg.person(born=date(1960, 1, 1), sex="unknown")
    assert reg.flags(FLAG) == {}
