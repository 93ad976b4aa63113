"""phc.lipids — cholesterol or lipid result is one of the six annual health-check elements."""

from datetime import date

import pytest

from tests.rules.conftest import AS_OF

FLAG = "phc.lipids"
CONCEPTS = [
    ("total_cholesterol", 5.0),
    ("hdl_cholesterol", 1.2),
    ("cholesterol_hdl_ratio", 4.0),
    ("ldl_cholesterol", 3.0),
    ("non_hdl_cholesterol", 3.8),
    ("triglycerides", 1.5),
]


def test_no_lipids_ever_recorded_is_flagged_without_a_since_date(reg):
    p = reg.smi_person()
    assert reg.flags(FLAG)[p] == {"since": None, "reason": "No cholesterol or lipid result ever recorded"}


@pytest.mark.parametrize(("concept", "value"), CONCEPTS)
def test_each_concept_of_the_element_recorded_one_year_minus_a_day_ago_counts(reg, concept, value):
    p = reg.smi_person()
    reg.event(p, concept, date(2025, 6, 16), value)
    assert reg.flags(FLAG) == {}


def test_lipids_recorded_exactly_one_year_ago_is_out_of_window(reg):
    p = reg.smi_person()
    reg.event(p, "total_cholesterol", date(2025, 6, 15), 5.0)
    assert reg.flags(FLAG)[p] == {
        "since": AS_OF,
        "reason": "Last cholesterol or lipid result recorded 2025-06-15, more than 12 months ago",
    }


def test_lipids_dated_after_the_as_of_date_is_ignored(reg):
    p = reg.smi_person()
    reg.event(p, "total_cholesterol", date(2026, 6, 16), 5.0)
    assert reg.flags(FLAG)[p]["reason"] == "No cholesterol or lipid result ever recorded"


def test_people_in_remission_or_on_lithium_alone_are_not_flagged(reg):
    in_remission = reg.smi_person(smi=date(2015, 1, 1))
    reg.event(in_remission, "smi_remission", date(2016, 1, 1))
    lithium_only = reg.person()
    reg.medicine(lithium_only, "lithium", date(2026, 5, 1))
    active = reg.smi_person()
    assert set(reg.flags(FLAG)) == {active}
