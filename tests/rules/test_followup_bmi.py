"""followup.bmi — BMI at or above 30 (27.5 for some ethnic groups), no weight-management referral."""

from datetime import date

import pytest

FLAG = "followup.bmi"


@pytest.mark.parametrize(
    ("ethnic_category", "bmi", "flagged"),
    [
        ("A", 30.0, True),
        ("A", 29.9, False),
        (None, 29.9, False),
        ("H", 27.5, True),
        ("R", 27.5, True),
        ("N", 27.4, False),
        ("A", 27.5, False),
        ("Z", 27.5, False),
    ],
)
def test_obesity_threshold_depends_on_recorded_ethnic_category(reg, ethnic_category, bmi, flagged):
    p = reg.person(ethnic_category=ethnic_category)
    reg.event(p, "bmi", date(2026, 3, 3), bmi)
    assert (p in reg.flags(FLAG)) is flagged


def test_reason_names_the_value_threshold_and_date(reg):
    white = reg.person(ethnic_category="A")
    reg.event(white, "bmi", date(2026, 3, 3), 31.24)
    asian = reg.person(ethnic_category="J")
    reg.event(asian, "bmi", date(2026, 3, 3), 28)
    got = reg.flags(FLAG)
    assert got[white] == {
        "since": date(2026, 3, 3),
        "reason": "BMI 31.2 on 2026-03-03 (obesity threshold 30); no weight-management referral in the last 12 months",
    }
    assert got[asian]["reason"] == (
        "BMI 28 on 2026-03-03 (obesity threshold 27.5 for the person's ethnic group); "
        "no weight-management referral in the last 12 months"
    )


def test_referral_in_the_last_12_months_silences_the_flag_but_not_one_exactly_a_year_ago(reg):
    referred = reg.person()
    reg.event(referred, "bmi", date(2026, 3, 3), 35)
    reg.event(referred, "weight_management_referral", date(2025, 6, 16))
    stale = reg.person()
    reg.event(stale, "bmi", date(2026, 3, 3), 35)
    reg.event(stale, "weight_management_referral", date(2025, 6, 15))
    assert set(reg.flags(FLAG)) == {stale}


def test_bmi_exactly_one_year_ago_is_out_of_window(reg):
    p = reg.person()
    reg.event(p, "bmi", date(2025, 6, 15), 40)
    assert reg.flags(FLAG) == {}


def test_bmi_dated_after_the_as_of_date_is_ignored(reg):
    p = reg.person()
    reg.event(p, "bmi", date(2026, 1, 1), 25)
    reg.event(p, "bmi", date(2026, 6, 16), 40)
    assert reg.flags(FLAG) == {}
