"""screening.cervical — women 25-64; 3.5 years (25-49) or 5.5 years (50-64) without a test."""

from datetime import date

import pytest

from tests.rules.conftest import AS_OF

FLAG = "screening.cervical"


def test_never_screened_woman_of_30_is_flagged_without_a_since_date(reg):
    p = reg.person(born=date(1996, 1, 1))
    assert reg.flags(FLAG)[p] == {"since": None, "reason": "Never screened: no cervical screening test recorded"}


def test_eligible_from_the_25th_birthday_not_the_day_before(reg):
    birthday_today = reg.person(born=date(2001, 6, 15))
    birthday_tomorrow = reg.person(born=date(2001, 6, 16))
    assert set(reg.flags(FLAG)) == {birthday_today}
    assert birthday_tomorrow not in reg.flags(FLAG)


def test_eligible_up_to_the_day_before_the_65th_birthday(reg):
    turns_65_tomorrow = reg.person(born=date(1961, 6, 16))
    turns_65_today = reg.person(born=date(1961, 6, 15))
    assert set(reg.flags(FLAG)) == {turns_65_tomorrow}
    assert turns_65_today not in reg.flags(FLAG)


def test_aged_25_to_49_test_exactly_42_months_ago_is_overdue(reg):
    p = reg.person(born=date(1990, 1, 1))
    reg.event(p, "cervical_screening", date(2022, 12, 15))
    assert reg.flags(FLAG)[p] == {
        "since": AS_OF,
        "reason": "Cervical screening overdue since 2026-06-15 (last test 2022-12-15)",
    }


def test_aged_25_to_49_test_42_months_minus_a_day_ago_is_in_date(reg):
    p = reg.person(born=date(1990, 1, 1))
    reg.event(p, "cervical_screening", date(2022, 12, 16))
    assert reg.flags(FLAG) == {}


def test_aged_50_to_64_test_five_years_ago_is_in_date_but_66_months_is_overdue(reg):
    five_years = reg.person(born=date(1970, 1, 1))
    reg.event(five_years, "cervical_screening", date(2021, 6, 15))
    sixty_six_months = reg.person(born=date(1970, 1, 1))
    reg.event(sixty_six_months, "cervical_screening", date(2020, 12, 15))
    got = reg.flags(FLAG)
    assert set(got) == {sixty_six_months}
    assert got[sixty_six_months]["since"] == AS_OF


def test_men_and_people_of_unknown_sex_are_not_flagged(reg):
    reg.person(born=date(1990, 1, 1), sex="male")
    reg.person(born=date(1990, 1, 1), sex="unknown")
    assert reg.flags(FLAG) == {}


def test_unsuitable_after_hysterectomy_is_not_flagged_unless_a_later_test_exists(reg):
    unsuitable = reg.person(born=date(1980, 1, 1))
    reg.event(unsuitable, "cervical_screening", date(2015, 1, 1))
    reg.event(unsuitable, "cervical_screening_unsuitable", date(2016, 1, 1))
    later_test = reg.person(born=date(1980, 1, 1))
    reg.event(later_test, "cervical_screening_unsuitable", date(2016, 1, 1))
    reg.event(later_test, "cervical_screening", date(2018, 1, 1))
    assert set(reg.flags(FLAG)) == {later_test}


def test_decline_is_respected_for_12_months_then_named_in_the_reason(reg):
    recent = reg.person(born=date(1980, 1, 1))
    reg.event(recent, "cervical_screening_declined", date(2025, 6, 16))
    expired = reg.person(born=date(1980, 1, 1))
    reg.event(expired, "cervical_screening", date(2020, 1, 1))
    reg.event(expired, "cervical_screening_declined", date(2025, 6, 15))
    got = reg.flags(FLAG)
    assert set(got) == {expired}
    assert got[expired]["reason"] == (
        "Cervical screening overdue since 2023-07-01 (last test 2020-01-01); declined on 2025-06-15"
    )


def test_no_response_to_invitations_keeps_the_flag_and_is_named(reg):
    p = reg.person(born=date(1980, 1, 1))
    reg.event(p, "cervical_screening_nonresponder", date(2026, 3, 1))
    assert reg.flags(FLAG)[p]["reason"] == (
        "Never screened: no cervical screening test recorded; recorded as not responding to invitations on 2026-03-01"
    )


def test_test_dated_after_the_as_of_date_is_ignored(reg):
    p = reg.person(born=date(1980, 1, 1))
    reg.event(p, "cervical_screening", date(2026, 6, 16))
    assert reg.flags(FLAG)[p]["reason"] == "Never screened: no cervical screening test recorded"


def test_born_on_29_february_becomes_eligible_on_1_march_in_a_common_year(reg):
    p = reg.person(born=date(2000, 2, 29))
    assert reg.flags(FLAG, as_of=date(2025, 2, 28)) == {}
    assert p in reg.flags(FLAG, as_of=date(2025, 3, 1))


def test_deregistered_woman_is_not_flagged(reg):
    reg.person(born=date(1980, 1, 1), registered_to=AS_OF)
    assert reg.flags(FLAG) == {}


# --- run-outputs v2: results that need a repeat or further tests are not "screened" ---
# inadequate, HPV technical failure, HPV positive; colposcopy needed, repeat 6 months, repeat after treatment (issue 11, R2)
NEEDS_REPEAT = ("168402006", "1128121000000109", "888111000000103", "168436000", "168433008", "168429001")
NORMAL = ("888091000000108", "1020451000000104")  # HPV negative; cervical cytology test


@pytest.mark.parametrize("code", NEEDS_REPEAT)
def test_a_recent_result_that_needs_a_repeat_is_not_counted_as_screened_and_is_named(reg, code):
    p = reg.person(born=date(1990, 1, 1))
    reg.coded(p, code, date(2026, 1, 20))
    got = reg.flags(FLAG)
    assert got[p] == {
        "since": date(2026, 1, 20),
        "reason": "Cervical screening result that needs a repeat or further tests (inadequate sample, HPV test failure, "
        "HPV positive, early recall or colposcopy) on 2026-01-20: not counted as screened",
    }


@pytest.mark.parametrize("normal", NORMAL)
def test_a_normal_test_after_an_inadequate_sample_counts_as_screened(reg, normal):
    p = reg.person(born=date(1990, 1, 1))
    reg.coded(p, NEEDS_REPEAT[0], date(2025, 11, 1))
    reg.coded(p, normal, date(2026, 2, 1))
    assert reg.flags(FLAG) == {}


def test_hpv_positive_after_an_in_date_normal_test_reopens_the_flag(reg):
    p = reg.person(born=date(1985, 1, 1))
    reg.coded(p, NORMAL[0], date(2024, 3, 1))
    reg.coded(p, NEEDS_REPEAT[2], date(2026, 3, 1))
    assert "colposcopy) on 2026-03-01" in reg.flags(FLAG)[p]["reason"]
