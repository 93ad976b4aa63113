"""safety.diabetes_range_undiagnosed: HbA1c 48+ or fasting glucose 7.0+ with no diabetes diagnosis (as of 2026-06-30)."""

from datetime import date

ON = date(2026, 6, 30)  # the as-of date these scenarios are written for
FLAG = "safety.diabetes_range_undiagnosed"


def test_hba1c_48_is_the_diabetes_range_and_47_is_not(reg):
    p, below = reg.person(), reg.person()
    reg.event(p, "hba1c", date(2026, 5, 5), 48)
    reg.event(below, "hba1c", date(2026, 5, 5), 47)
    got = reg.flags(FLAG, ON, with_urgency=True)
    assert below not in got
    assert got[p]["urgency"] == "soon" and got[p]["since"] == date(2026, 5, 5)
    assert got[p]["reason"] == (
        "HbA1c 48 mmol/mol on 2026-05-05 is in the diabetes range (48 mmol/mol / 7 mmol/L or more) "
        "with no diabetes diagnosis recorded; confirm diabetes within two weeks"
    )


def test_fasting_plasma_glucose_of_7_is_the_diabetes_range_and_6_9_is_not(reg):
    p, below = reg.person(), reg.person()
    reg.event(p, "fasting_glucose", date(2026, 6, 1), 7.0)
    reg.event(below, "fasting_glucose", date(2026, 6, 1), 6.9)
    got = reg.flags(FLAG, ON, with_urgency=True)
    assert below not in got
    assert got[p]["reason"].startswith("fasting plasma glucose 7 mmol/L on 2026-06-01 is in the diabetes range")


def test_a_diabetes_diagnosis_closes_it_and_a_prevention_referral_does_not(reg):
    known, referred = reg.person(), reg.person()
    reg.event(known, "hba1c", date(2026, 5, 5), 70)
    reg.event(known, "diabetes_type2", date(2015, 1, 1))
    reg.event(referred, "hba1c", date(2026, 5, 5), 55)
    reg.event(referred, "diabetes_prevention_referral", date(2026, 5, 20))
    got = reg.flags(FLAG, ON, with_urgency=True)
    assert known not in got and referred in got


def test_a_result_exactly_one_year_ago_is_out_of_the_window(reg):
    old = reg.person()
    reg.event(old, "hba1c", date(2025, 6, 30), 60)
    assert old not in reg.flags(FLAG, ON, with_urgency=True)
