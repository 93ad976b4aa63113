"""Safety items: unattended urgent cancer referrals, HbA1c in the diabetes range, BP 180/120+."""

from datetime import date

from longerlives.rules.safety import safety_items
from tests.rules.conftest import AS_OF, SETTINGS


def items(reg, as_of=AS_OF) -> dict:
    out = safety_items(reg.people(as_of).lazy(), as_of, SETTINGS.rules).collect()
    assert out.columns == ["nhs_number", "safety_items"]
    return dict(out.iter_rows())


def test_recent_cancer_referral_with_no_attendance_yet_is_a_safety_item(reg):
    p = reg.person()
    reg.event(p, "usc_referral", date(2026, 6, 1))
    assert items(reg)[p] == "Urgent suspected cancer referral on 2026-06-01, no hospital attendance recorded yet"


def test_referral_older_than_eight_weeks_still_unattended_says_so(reg):
    on_boundary = reg.person()
    reg.event(on_boundary, "usc_referral", date(2026, 4, 20))  # exactly 8 weeks before the as-of date
    inside = reg.person()
    reg.event(inside, "usc_referral", date(2026, 4, 21))
    got = items(reg)
    assert got[on_boundary] == (
        "Urgent suspected cancer referral on 2026-04-20, more than 8 weeks ago, still no hospital attendance recorded"
    )
    assert got[inside].endswith("no hospital attendance recorded yet")


def test_attendance_on_or_after_the_referral_clears_it_but_an_earlier_one_does_not(reg):
    attended_2ww = reg.person()
    reg.event(attended_2ww, "usc_referral", date(2026, 5, 1))
    reg.contact(attended_2ww, "cancer_2ww", date(2026, 5, 1))
    attended_opd = reg.person()
    reg.event(attended_opd, "usc_referral", date(2026, 5, 1))
    reg.contact(attended_opd, "outpatient", date(2026, 5, 10))
    earlier_only = reg.person()
    reg.contact(earlier_only, "outpatient", date(2026, 4, 30))
    reg.event(earlier_only, "usc_referral", date(2026, 5, 1))
    dna = reg.person()
    reg.event(dna, "usc_referral", date(2026, 5, 1))
    reg.contact(dna, "cancer_2ww", date(2026, 5, 12), attended=False)
    got = items(reg)
    assert got[attended_2ww] is None and got[attended_opd] is None
    assert got[earlier_only] is not None and got[dna] is not None


def test_hba1c_in_the_diabetes_range_without_a_diagnosis_is_a_safety_item(reg):
    p = reg.person()
    reg.event(p, "hba1c", date(2026, 5, 5), 48)
    below = reg.person()
    reg.event(below, "hba1c", date(2026, 5, 5), 47)
    known = reg.person()
    reg.event(known, "hba1c", date(2026, 5, 5), 70)
    reg.event(known, "diabetes_type2", date(2015, 1, 1))
    got = items(reg)
    assert got[p] == "HbA1c 48 mmol/mol on 2026-05-05 is in the diabetes range (48 or more) with no diabetes diagnosis recorded"
    assert got[below] is None and got[known] is None


def test_severe_blood_pressure_on_either_number_is_a_safety_item(reg):
    systolic = reg.person()
    reg.bp(systolic, date(2026, 6, 1), 180, 100)
    diastolic = reg.person()
    reg.bp(diastolic, date(2026, 6, 1), 150, 120)
    below = reg.person()
    reg.bp(below, date(2026, 6, 1), 179, 119)
    got = items(reg)
    assert got[systolic] == "Blood pressure 180/100 on 2026-06-01 is 180/120 or higher and needs same-day assessment"
    assert got[diastolic] is not None and got[below] is None


def test_several_items_are_joined_with_semicolons_in_a_fixed_order(reg):
    p = reg.person()
    reg.bp(p, date(2026, 6, 1), 190, 110)
    reg.event(p, "hba1c", date(2026, 6, 1), 55)
    reg.event(p, "usc_referral", date(2026, 6, 2))
    parts = items(reg)[p].split(";")
    assert [x.split(" ")[0] for x in parts] == ["Urgent", "HbA1c", "Blood"]


def test_people_out_of_scope_have_no_safety_items(reg):
    dead = reg.person(died=date(2026, 6, 1))
    reg.bp(dead, date(2026, 5, 1), 200, 130)
    young = reg.person(born=date(2010, 1, 1))
    reg.bp(young, date(2026, 5, 1), 200, 130)
    got = items(reg)
    assert got == {dead: None, young: None}
