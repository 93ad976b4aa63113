"""safety.screening_abnormal — abnormal FIT/FOBT in 12 months, no attended screening or hospital contact since; soon."""

from datetime import date

import pytest

FLAG = "safety.screening_abnormal"
ABNORMAL = ("1101371000000105", "375241000000109")  # BCSP liquid FIT abnormal; BCSP FOBT abnormal
NORMAL = ("1101361000000103", "375211000000108")


@pytest.mark.parametrize("code", ABNORMAL)
def test_abnormal_fit_six_months_ago_with_no_contact_is_a_soon_safety_flag(reg, code):
    p = reg.person(born=date(1962, 3, 3), sex="male")
    reg.coded(p, code, date(2025, 12, 15))
    got = reg.flags(FLAG, with_urgency=True)
    assert got[p] == {
        "since": date(2025, 12, 15),
        "urgency": "soon",
        "reason": "Abnormal bowel screening result (FIT or FOBT) on 2025-12-15 (in the last 12 months) with no "
        "screening or hospital attendance recorded since",
    }


@pytest.mark.parametrize("service", ["screening", "outpatient", "cancer_2ww", "inpatient_physical"])
def test_an_attended_screening_or_hospital_contact_on_or_after_the_result_closes_it(reg, service):
    p = reg.person(born=date(1962, 3, 3))
    reg.coded(p, ABNORMAL[0], date(2026, 2, 1))
    reg.contact(p, service, date(2026, 2, 1))
    assert reg.flags(FLAG) == {}


def test_a_missed_appointment_or_an_earlier_contact_or_a_gp_visit_does_not_close_it(reg):
    dna, earlier, gp = reg.person(), reg.person(), reg.person()
    for p in (dna, earlier, gp):
        reg.coded(p, ABNORMAL[1], date(2026, 2, 1))
    reg.contact(dna, "screening", date(2026, 2, 20), attended=False)
    reg.contact(earlier, "outpatient", date(2026, 1, 31))
    reg.contact(gp, "gp", date(2026, 3, 1))
    assert set(reg.flags(FLAG)) == {dna, earlier, gp}


def test_abnormal_result_exactly_one_year_ago_is_out_of_window_and_a_day_later_is_in(reg):
    old, inside = reg.person(), reg.person()
    reg.coded(old, ABNORMAL[0], date(2025, 6, 15))
    reg.coded(inside, ABNORMAL[0], date(2025, 6, 16))
    assert set(reg.flags(FLAG)) == {inside}


@pytest.mark.parametrize("code", NORMAL)
def test_a_normal_result_raises_nothing(reg, code):
    reg.coded(reg.person(), code, date(2026, 2, 1))
    assert reg.flags(FLAG) == {}
