"""ecg.annual — the health-check cohort, or an antipsychotic or lithium in the last 6 months, with no ECG in 12 months."""

from datetime import date

import pytest

from tests.rules.conftest import AS_OF

FLAG = "ecg.annual"


def test_on_the_register_with_no_ecg_ever_is_flagged_and_says_why(reg):
    p = reg.smi_person()
    assert reg.flags(FLAG)[p] == {"since": None, "reason": "No ECG ever recorded; on the SMI register"}


def test_lithium_alone_puts_a_person_in_the_ecg_cohort_but_not_the_health_check(reg):
    p = reg.person()
    reg.medicine(p, "lithium", date(2026, 3, 1))
    assert reg.flags(FLAG)[p]["reason"] == "No ECG ever recorded; issued lithium in the last 6 months"
    assert reg.flags("phc.blood_pressure") == {}


def test_antipsychotic_issued_exactly_six_months_ago_does_not_put_a_person_in_the_cohort(reg):
    p = reg.person()
    reg.medicine(p, "antipsychotic", date(2025, 12, 15))
    assert reg.flags(FLAG) == {}


def test_antipsychotic_issued_six_months_minus_a_day_ago_puts_a_person_in_the_cohort(reg):
    p = reg.person()
    reg.medicine(p, "antipsychotic", date(2025, 12, 16))
    assert reg.flags(FLAG)[p]["reason"] == "No ECG ever recorded; issued an antipsychotic in the last 6 months"


def test_antipsychotic_issued_after_the_as_of_date_is_ignored(reg):
    p = reg.person()
    reg.medicine(p, "antipsychotic", date(2026, 6, 16))
    assert reg.flags(FLAG) == {}


def test_ecg_recorded_exactly_one_year_ago_is_out_of_window(reg):
    p = reg.smi_person()
    reg.event(p, "ecg", date(2025, 6, 15))
    assert reg.flags(FLAG)[p] == {
        "since": AS_OF,
        "reason": "Last ECG recorded 2025-06-15, more than 12 months ago; on the SMI register",
    }


def test_ecg_recorded_one_year_minus_a_day_ago_is_in_window(reg):
    p = reg.smi_person()
    reg.event(p, "ecg", date(2025, 6, 16))
    assert reg.flags(FLAG) == {}


def test_in_remission_and_on_no_medicine_is_not_in_the_ecg_cohort(reg):
    p = reg.smi_person(smi=date(2015, 1, 1))
    reg.event(p, "smi_remission", date(2016, 1, 1))
    assert reg.flags(FLAG) == {}


def test_in_remission_but_on_an_antipsychotic_stays_in_the_ecg_cohort(reg):
    p = reg.smi_person(smi=date(2015, 1, 1))
    reg.event(p, "smi_remission", date(2016, 1, 1))
    reg.medicine(p, "antipsychotic", date(2026, 4, 1))
    assert reg.flags(FLAG)[p]["reason"] == "No ECG ever recorded; issued an antipsychotic in the last 6 months"


def test_dead_person_on_lithium_is_never_flagged(reg):
    p = reg.person(died=date(2026, 6, 1))
    reg.medicine(p, "lithium", date(2026, 3, 1))
    assert reg.flags(FLAG) == {}


# --- run-outputs v2: every mood stabiliser puts a person in the ECG cohort ---
@pytest.mark.parametrize(
    "bnf", ["0408010H0AAAAAA", "0402030Q0AAAAAA", "0408010W0BBAKA1"]
)  # lamotrigine; valproic acid; Epilim Chrono
def test_lamotrigine_or_valproate_alone_puts_a_person_in_the_ecg_cohort(reg, bnf):
    p = reg.person()
    reg.medications.append({"nhs_number": p, "date": date(2026, 3, 1), "bnf_code": bnf})
    assert reg.flags(FLAG)[p]["reason"] == "No ECG ever recorded; issued a mood stabiliser in the last 6 months"


def test_lithium_is_named_as_lithium_not_also_as_a_mood_stabiliser(reg):
    p = reg.person()
    reg.medications.append({"nhs_number": p, "date": date(2026, 3, 1), "bnf_code": "0402030P0AAAAAA"})
    assert reg.flags(FLAG)[p]["reason"] == "No ECG ever recorded; issued lithium in the last 6 months"


def test_a_mood_stabiliser_last_issued_exactly_6_months_ago_no_longer_counts(reg):
    reg.medications.append({"nhs_number": reg.person(), "date": date(2025, 12, 15), "bnf_code": "0408010H0AAAAAA"})
    assert reg.flags(FLAG) == {}
