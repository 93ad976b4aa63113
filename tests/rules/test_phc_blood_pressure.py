"""phc.blood_pressure — also the home of the cohort scenarios every phc.* rule shares
(scope, remission, relapse, lithium alone), since they all read the same cohort."""

from datetime import date

from tests.rules.conftest import AS_OF

FLAG = "phc.blood_pressure"


def test_no_bp_ever_recorded_is_flagged_without_a_since_date(reg):
    p = reg.smi_person()
    got = reg.flags(FLAG)
    assert got[p] == {"since": None, "reason": "No blood pressure ever recorded"}


def test_bp_recorded_exactly_one_year_ago_is_out_of_window(reg):
    p = reg.smi_person()
    reg.bp(p, date(2025, 6, 15))
    got = reg.flags(FLAG)
    assert got[p] == {"since": AS_OF, "reason": "Last blood pressure recorded 2025-06-15, more than 12 months ago"}


def test_bp_recorded_one_year_minus_a_day_ago_is_in_window(reg):
    p = reg.smi_person()
    reg.bp(p, date(2025, 6, 16))
    assert reg.flags(FLAG) == {}


def test_systolic_without_a_diastolic_on_the_same_day_does_not_count(reg):
    p = reg.smi_person()
    reg.event(p, "systolic_bp", date(2026, 1, 10), 130)
    reg.event(p, "diastolic_bp", date(2026, 1, 11), 80)
    assert reg.flags(FLAG)[p]["reason"] == "No blood pressure ever recorded"


def test_bp_dated_after_the_as_of_date_is_ignored(reg):
    p = reg.smi_person()
    reg.bp(p, date(2024, 3, 2))
    reg.bp(p, date(2026, 6, 16))
    got = reg.flags(FLAG)
    assert got[p]["reason"] == "Last blood pressure recorded 2024-03-02, more than 12 months ago"
    assert got[p]["since"] == date(2025, 3, 2)


def test_declined_bp_stays_flagged_and_the_reason_names_the_decline(reg):
    p = reg.smi_person()
    reg.bp(p, date(2024, 3, 2))
    reg.event(p, "bp_declined", date(2026, 2, 1))
    got = reg.flags(FLAG)
    assert (
        got[p]["reason"] == "Last blood pressure recorded 2024-03-02, more than 12 months ago; declined on 2026-02-01"
    )


def test_bp_on_29_february_counts_until_28_february_and_falls_out_on_1_march(reg):
    p = reg.smi_person()
    reg.bp(p, date(2024, 2, 29))
    assert reg.flags(FLAG, as_of=date(2025, 2, 28)) == {}
    got = reg.flags(FLAG, as_of=date(2025, 3, 1))
    assert got[p]["since"] == date(2025, 3, 1)


def test_dead_deregistered_and_not_yet_registered_people_are_never_flagged(reg):
    alive = reg.smi_person()
    died_today = reg.smi_person(died=AS_OF)
    left_today = reg.smi_person(registered_to=AS_OF)
    joins_tomorrow = reg.smi_person(registered_from=date(2026, 6, 16))
    leaves_tomorrow = reg.smi_person(registered_to=date(2026, 6, 16))
    got = reg.flags(FLAG)
    assert set(got) == {alive, leaves_tomorrow}
    assert died_today not in got and left_today not in got and joins_tomorrow not in got


def test_under_18s_are_not_flagged_until_their_18th_birthday(reg):
    turns_18_tomorrow = reg.smi_person(born=date(2008, 6, 16))
    turns_18_today = reg.smi_person(born=date(2008, 6, 15))
    assert set(reg.flags(FLAG)) == {turns_18_today}
    assert turns_18_tomorrow not in reg.flags(FLAG)


def test_remission_after_the_diagnosis_takes_the_person_out_of_the_cohort(reg):
    p = reg.smi_person(smi=date(2015, 1, 1))
    reg.event(p, "smi_remission", date(2020, 1, 1))
    assert reg.flags(FLAG) == {}


def test_remission_on_the_same_day_as_the_diagnosis_wins_the_tie(reg):
    p = reg.smi_person(smi=date(2020, 1, 1))
    reg.event(p, "smi_remission", date(2020, 1, 1))
    assert reg.flags(FLAG) == {}


def test_a_diagnosis_after_remission_is_a_relapse_and_brings_the_person_back(reg):
    p = reg.smi_person(smi=date(2015, 1, 1))
    reg.event(p, "smi_remission", date(2020, 1, 1))
    reg.event(p, "smi_diagnosis", date(2024, 5, 1))
    assert set(reg.flags(FLAG)) == {p}


def test_a_relapse_dated_after_the_as_of_date_is_ignored(reg):
    p = reg.smi_person(smi=date(2015, 1, 1))
    reg.event(p, "smi_remission", date(2020, 1, 1))
    reg.event(p, "smi_diagnosis", date(2026, 7, 1))
    assert reg.flags(FLAG) == {}


def test_lithium_alone_does_not_put_a_person_in_the_health_check_cohort(reg):
    p = reg.person()
    reg.medicine(p, "lithium", date(2026, 5, 1))
    assert reg.flags(FLAG) == {}
