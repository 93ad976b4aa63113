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


# --- run-outputs v2: fasting plasma glucose, and the diabetes range never closed by a prevention referral ---
FASTING = "1003141000000105"  # Plasma fasting glucose level


@pytest.mark.parametrize(("value", "flagged"), [(5.4, False), (5.5, True), (6.9, True), (8.1, True)])
def test_fasting_glucose_of_5_5_or_more_is_flagged(reg, value, flagged):
    p = reg.person()
    reg.coded(p, FASTING, date(2026, 4, 4), value)
    assert (p in reg.flags(FLAG)) is flagged


def test_fasting_glucose_8_1_says_diabetes_range_and_asks_to_confirm_diabetes(reg):
    p = reg.person()
    reg.coded(p, FASTING, date(2026, 3, 3), 8.1)
    assert reg.flags(FLAG)[p] == {
        "since": date(2026, 3, 3),
        "reason": "Fasting plasma glucose 8.1 mmol/L on 2026-03-03 (in the diabetes range, 7 or more); "
        "no diabetes diagnosis: repeat the test to confirm diabetes (a prevention referral does not close this)",
    }


@pytest.mark.parametrize(("hba1c", "fasting"), [(48, None), (52, None), (None, 7.0), (44, 7.4)])
def test_diabetes_range_is_not_closed_by_a_diabetes_prevention_referral(reg, hba1c, fasting):
    p = reg.person()
    if hba1c is not None:
        reg.event(p, "hba1c", date(2026, 4, 4), hba1c)
    if fasting is not None:
        reg.coded(p, FASTING, date(2026, 4, 5), fasting)
    reg.event(p, "diabetes_prevention_referral", date(2026, 4, 20))
    got = reg.flags(FLAG)
    assert "confirm diabetes" in got[p]["reason"]
    assert "prevention programme" not in got[p]["reason"]


def test_non_diabetic_fasting_glucose_is_closed_by_a_prevention_referral(reg):
    p = reg.person()
    reg.coded(p, FASTING, date(2026, 4, 4), 6.2)
    reg.event(p, "diabetes_prevention_referral", date(2026, 4, 20))
    assert reg.flags(FLAG) == {}


def test_raised_hba1c_and_fasting_glucose_are_both_named(reg):
    p = reg.person()
    reg.event(p, "hba1c", date(2026, 2, 2), 45)
    reg.coded(p, FASTING, date(2026, 3, 3), 6.0)
    got = reg.flags(FLAG)[p]
    assert got["since"] == date(2026, 3, 3)
    assert got["reason"].startswith(
        "HbA1c 45 mmol/mol on 2026-02-02 (non-diabetic hyperglycaemia, 42 or more) and fasting plasma glucose "
        "6 mmol/L on 2026-03-03 (non-diabetic hyperglycaemia, 5.5 or more)"
    )


def test_fasting_glucose_exactly_one_year_ago_is_out_of_window(reg):
    reg.coded(reg.person(), FASTING, date(2025, 6, 15), 7.5)
    assert reg.flags(FLAG) == {}


def test_antipsychotic_induced_diabetes_diagnosis_silences_a_diabetes_range_result(reg):
    p = reg.person()
    reg.coded(p, "5368009", date(2024, 1, 1))  # Drug-induced diabetes mellitus (DM_COD)
    reg.coded(p, FASTING, date(2026, 4, 4), 9.0)
    assert reg.flags(FLAG) == {}
