"""patients.csv qof_mh_register (QOF MH001): SMI diagnosis ever, remission included, or lithium in 6 months not stopped."""

from datetime import date

import pytest

MH_COD = ("58214004", "13746004", "68890003")  # schizophrenia, bipolar disorder, schizoaffective disorder
MHREM_COD = ("4926007",)  # schizophrenia in remission


def _row(reg, p):
    people = reg.people()
    return people.filter(people["nhs_number"] == p).select("qof_mh_register", "health_check_cohort").row(0, named=True)


@pytest.mark.parametrize("code", MH_COD)
def test_smi_diagnosis_puts_a_person_on_the_register_and_in_the_health_check_cohort(reg, code):
    p = reg.person()
    reg.coded(p, code, date(2015, 5, 5))
    assert _row(reg, p) == {"qof_mh_register": True, "health_check_cohort": True}


def test_person_in_remission_stays_on_the_qof_register_but_leaves_the_health_check_cohort(reg):
    p = reg.person()
    reg.coded(p, MH_COD[0], date(2015, 5, 5))
    reg.coded(p, MHREM_COD[0], date(2020, 5, 5))
    assert _row(reg, p) == {"qof_mh_register": True, "health_check_cohort": False}


def test_lithium_only_person_is_on_the_qof_register_but_not_in_the_health_check_cohort(reg):
    p = reg.person()
    reg.medications.append({"nhs_number": p, "date": date(2026, 1, 20), "bnf_code": "0402030K0AAAAAA"})
    assert _row(reg, p) == {"qof_mh_register": True, "health_check_cohort": False}


def test_lithium_last_issued_exactly_6_months_ago_is_off_the_register_and_a_day_later_on(reg):
    old = reg.person()
    reg.medications.append({"nhs_number": old, "date": date(2025, 12, 15), "bnf_code": "0402030P0AAAAAA"})
    recent = reg.person()
    reg.medications.append({"nhs_number": recent, "date": date(2025, 12, 16), "bnf_code": "0402030P0AAAAAA"})
    assert _row(reg, old)["qof_mh_register"] is False
    assert _row(reg, recent)["qof_mh_register"] is True


def test_lithium_stopped_after_the_latest_issue_takes_a_lithium_only_person_off_the_register(reg):
    p = reg.person()
    reg.medications.append({"nhs_number": p, "date": date(2026, 2, 1), "bnf_code": "0402030K0AAAAAA"})
    reg.event(p, "lithium_stopped", date(2026, 2, 20))
    assert _row(reg, p)["qof_mh_register"] is False


def test_no_smi_code_and_no_lithium_is_off_the_register(reg):
    p = reg.person()
    reg.medications.append({"nhs_number": p, "date": date(2026, 2, 1), "bnf_code": "0408010H0AAAAAA"})  # lamotrigine
    assert _row(reg, p) == {"qof_mh_register": False, "health_check_cohort": False}
