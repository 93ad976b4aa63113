"""followup.hypertension_control — diagnosed hypertension, latest clinic reading in 12 months above the NG136 target."""

from datetime import date

import pytest

FLAG = "followup.hypertension_control"
SYSTOLIC = ("271649006", "72313002", "100151000000109")  # SYSBP_COD / clinic systolic members
DIASTOLIC = ("271650006", "174255007")
HYP_COD = ("59621000", "38341003", "843821000000102", "10725009")  # essential, systemic, stage 1 (NICE 2011), benign


def _hypertensive(reg, hyp_code: str = HYP_COD[0], **kw) -> str:
    p = reg.person(**kw)
    reg.coded(p, hyp_code, date(2019, 3, 1))
    return p


def _reading(reg, p, on, systolic, diastolic, s_code=SYSTOLIC[0], d_code=DIASTOLIC[0]):
    reg.coded(p, s_code, on, systolic)
    reg.coded(p, d_code, on, diastolic)


@pytest.mark.parametrize("hyp_code", HYP_COD)
def test_diagnosed_hypertension_with_a_clinic_reading_of_140_over_85_under_80_is_flagged(reg, hyp_code):
    p = _hypertensive(reg, hyp_code)
    _reading(reg, p, date(2026, 5, 2), 140, 85)
    got = reg.flags(FLAG)
    assert got[p] == {
        "since": date(2026, 5, 2),
        "reason": "Hypertension diagnosed; clinic blood pressure 140/85 on 2026-05-02 (latest in the last 12 months) "
        "is above the NICE NG136 target (below 140/90 under 80)",
    }


@pytest.mark.parametrize(("systolic", "diastolic", "flagged"), [(139, 89, False), (139, 90, True), (141, 70, True)])
def test_target_below_140_over_90_under_80_is_met_at_139_over_89(reg, systolic, diastolic, flagged):
    p = _hypertensive(reg, born=date(1960, 1, 1))
    _reading(reg, p, date(2026, 5, 2), systolic, diastolic, SYSTOLIC[1], DIASTOLIC[1])
    assert (p in reg.flags(FLAG)) is flagged


def test_at_80_the_target_is_below_150_over_90_from_the_birthday(reg):
    eighty_today = _hypertensive(reg, born=date(1946, 6, 15))
    _reading(reg, eighty_today, date(2026, 5, 2), 148, 80)
    seventy_nine = _hypertensive(reg, born=date(1946, 6, 16))
    _reading(reg, seventy_nine, date(2026, 5, 2), 148, 80)
    eighty_raised = _hypertensive(reg, born=date(1940, 1, 1))
    _reading(reg, eighty_raised, date(2026, 5, 2), 150, 80)
    got = reg.flags(FLAG)
    assert set(got) == {seventy_nine, eighty_raised}
    assert got[eighty_raised]["reason"].endswith("(below 150/90 at 80 or over)")


def test_a_controlled_latest_reading_after_a_raised_one_closes_it(reg):
    p = _hypertensive(reg)
    _reading(reg, p, date(2026, 1, 10), 162, 98)
    _reading(reg, p, date(2026, 4, 10), 132, 82, SYSTOLIC[2], DIASTOLIC[1])
    assert reg.flags(FLAG) == {}


def test_two_clinic_readings_on_one_day_the_lower_counts_as_qof_does(reg):
    p = _hypertensive(reg)
    _reading(reg, p, date(2026, 4, 10), 156, 94)
    _reading(reg, p, date(2026, 4, 10), 136, 84, SYSTOLIC[1], DIASTOLIC[1])
    assert reg.flags(FLAG) == {}


def test_raised_reading_exactly_one_year_ago_is_out_of_window_and_a_day_later_is_in(reg):
    old = _hypertensive(reg)
    _reading(reg, old, date(2025, 6, 15), 170, 100)
    recent = _hypertensive(reg)
    _reading(reg, recent, date(2025, 6, 16), 170, 100)
    assert set(reg.flags(FLAG)) == {recent}


def test_raised_reading_without_a_hypertension_diagnosis_is_left_to_followup_blood_pressure(reg):
    p = reg.person()
    _reading(reg, p, date(2026, 5, 2), 165, 99)
    assert reg.flags(FLAG) == {}
    assert p in reg.flags("followup.blood_pressure")


def test_home_average_above_target_is_not_a_clinic_reading(reg):
    p = _hypertensive(reg)
    reg.event(p, "home_systolic", date(2026, 5, 2), 150)
    reg.event(p, "home_diastolic", date(2026, 5, 2), 95)
    assert reg.flags(FLAG) == {}
