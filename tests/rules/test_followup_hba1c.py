"""followup.hba1c — latest HbA1c in 12 months 42 or more, no diabetes diagnosis, no DPP referral."""

from datetime import date

import pytest

FLAG = "followup.hba1c"


@pytest.mark.parametrize(("value", "flagged"), [(41, False), (42, True), (47, True), (48, True)])
def test_threshold_is_42_mmol_per_mol(reg, value, flagged):
    p = reg.person()
    reg.event(p, "hba1c", date(2026, 4, 4), value)
    assert (p in reg.flags(FLAG)) is flagged


def test_reason_distinguishes_non_diabetic_hyperglycaemia_from_the_diabetes_range(reg):
    ndh = reg.person()
    reg.event(ndh, "hba1c", date(2026, 4, 4), 44)
    dm = reg.person()
    reg.event(dm, "hba1c", date(2026, 4, 4), 53)
    got = reg.flags(FLAG)
    assert got[ndh] == {
        "since": date(2026, 4, 4),
        "reason": "HbA1c 44 mmol/mol on 2026-04-04 (non-diabetic hyperglycaemia, 42 or more); "
        "no diabetes diagnosis and no diabetes prevention referral in the last 12 months",
    }
    assert got[dm]["reason"].startswith("HbA1c 53 mmol/mol on 2026-04-04 (in the diabetes range, 48 or more)")


def test_diabetes_diagnosis_silences_the_flag(reg):
    p = reg.person()
    reg.event(p, "hba1c", date(2026, 4, 4), 60)
    reg.event(p, "diabetes_type1", date(2001, 1, 1))
    assert reg.flags(FLAG) == {}


def test_diabetes_prevention_referral_within_12_months_silences_the_flag(reg):
    referred = reg.person()
    reg.event(referred, "hba1c", date(2026, 4, 4), 44)
    reg.event(referred, "diabetes_prevention_referral", date(2025, 6, 16))
    stale = reg.person()
    reg.event(stale, "hba1c", date(2026, 4, 4), 44)
    reg.event(stale, "diabetes_prevention_referral", date(2025, 6, 15))
    assert set(reg.flags(FLAG)) == {stale}


def test_result_exactly_one_year_ago_is_out_of_window_and_a_day_later_is_in(reg):
    old = reg.person()
    reg.event(old, "hba1c", date(2025, 6, 15), 45)
    recent = reg.person()
    reg.event(recent, "hba1c", date(2025, 6, 16), 45)
    assert set(reg.flags(FLAG)) == {recent}


def test_result_dated_after_the_as_of_date_is_ignored(reg):
    p = reg.person()
    reg.event(p, "hba1c", date(2026, 6, 16), 50)
    assert reg.flags(FLAG) == {}
