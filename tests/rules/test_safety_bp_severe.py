"""safety.bp_severe: a clinic reading of 180/120 or more, not followed by a lower one (as of 2026-06-30)."""

from datetime import date

ON = date(2026, 6, 30)  # the as-of date these scenarios are written for
FLAG = "safety.bp_severe"


def test_systolic_180_exactly_is_severe_and_179_is_not(reg):
    severe, below = reg.person(), reg.person()
    reg.bp(severe, date(2026, 6, 20), 180, 100)
    reg.bp(below, date(2026, 6, 20), 179, 119)
    got = reg.flags(FLAG, ON, with_urgency=True)
    assert severe in got and below not in got


def test_diastolic_120_alone_is_severe(reg):
    p = reg.person()
    reg.bp(p, date(2026, 6, 20), 150, 120)
    assert p in reg.flags(FLAG, ON, with_urgency=True)


def test_a_reading_within_30_days_needs_same_day_assessment_and_an_older_one_within_two_weeks(reg):
    fresh, day_30, day_31 = reg.person(), reg.person(), reg.person()
    reg.bp(fresh, date(2026, 6, 29), 190, 100)
    reg.bp(day_30, date(2026, 5, 31), 190, 100)  # 30 days before the as-of date
    reg.bp(day_31, date(2026, 5, 30), 190, 100)
    got = reg.flags(FLAG, ON, with_urgency=True)
    assert got[fresh]["urgency"] == "same_day" and got[day_30]["urgency"] == "same_day"
    assert got[day_31]["urgency"] == "soon"
    assert got[fresh]["reason"] == (
        "Clinic blood pressure 190/100 on 2026-06-29 (1 days ago) is 180/120 or higher and "
        "no lower reading has followed; needs same-day assessment"
    )
    assert got[day_31]["reason"].endswith(
        "(31 days ago) is 180/120 or higher and no lower reading has followed; needs assessment within two weeks"
    )
    assert got[fresh]["since"] == date(2026, 6, 29)


def test_a_lower_reading_afterwards_closes_it(reg):
    p = reg.person()
    reg.bp(p, date(2026, 5, 1), 200, 110)
    reg.bp(p, date(2026, 5, 8), 150, 90)
    assert p not in reg.flags(FLAG, ON, with_urgency=True)


def test_a_severe_reading_exactly_one_year_ago_is_out_of_the_window(reg):
    old, inside = reg.person(), reg.person()
    reg.bp(old, date(2025, 6, 30), 200, 130)
    reg.bp(inside, date(2025, 7, 1), 200, 130)
    got = reg.flags(FLAG, ON, with_urgency=True)
    assert old not in got and got[inside]["urgency"] == "soon"


def test_people_out_of_scope_never_get_it(reg):
    dead = reg.person(died=date(2026, 6, 1))
    reg.bp(dead, date(2026, 5, 1), 200, 130)
    young = reg.person(born=date(2010, 1, 1))
    reg.bp(young, date(2026, 5, 1), 200, 130)
    assert reg.flags(FLAG, ON, with_urgency=True) == {}
