"""safety.usc_not_attended: an urgent suspected cancer referral 14 days to 6 months old, not attended (as of 2026-06-30)."""

from datetime import date

ON = date(2026, 6, 30)  # the as-of date these scenarios are written for
FLAG = "safety.usc_not_attended"


def test_a_referral_14_days_old_is_overdue_and_13_days_old_is_not_yet(reg):
    day14, day13 = reg.person(), reg.person()
    reg.event(day14, "usc_referral", date(2026, 6, 16))
    reg.event(day13, "usc_referral", date(2026, 6, 17))
    got = reg.flags(FLAG, ON, with_urgency=True)
    assert day13 not in got
    assert got[day14]["urgency"] == "soon" and got[day14]["since"] == date(2026, 6, 30)
    assert got[day14]["reason"] == (
        "Urgent suspected cancer referral on 2026-06-16 (14 days ago) with no hospital or "
        "cancer clinic attendance recorded since"
    )


def test_a_referral_exactly_six_months_old_is_out_of_the_window_and_a_day_younger_is_in(reg):
    six, inside, ancient = reg.person(), reg.person(), reg.person()
    reg.event(six, "usc_referral", date(2025, 12, 30))
    reg.event(inside, "usc_referral", date(2025, 12, 31))
    reg.event(ancient, "usc_referral", date(2016, 3, 1))  # a 2016 referral no longer fires
    got = reg.flags(FLAG, ON, with_urgency=True)
    assert six not in got and ancient not in got and inside in got


def test_attendance_on_or_after_the_referral_closes_it_but_an_earlier_one_or_a_dna_does_not(reg):
    attended_2ww, attended_opd, earlier_only, dna = (reg.person() for _ in range(4))
    for p in (attended_2ww, attended_opd, earlier_only, dna):
        reg.event(p, "usc_referral", date(2026, 5, 1))
    reg.contact(attended_2ww, "cancer_2ww", date(2026, 5, 1))
    reg.contact(attended_opd, "outpatient", date(2026, 5, 10))
    reg.contact(earlier_only, "outpatient", date(2026, 4, 30))
    reg.contact(dna, "cancer_2ww", date(2026, 5, 12), attended=False)
    got = reg.flags(FLAG, ON, with_urgency=True)
    assert attended_2ww not in got and attended_opd not in got
    assert earlier_only in got and dna in got
