"""phc.alcohol — alcohol consumption is one of the six annual health-check elements."""

from datetime import date

import pytest

from tests.rules.conftest import AS_OF

FLAG = "phc.alcohol"
CONCEPTS = [("alcohol_units", 4.0), ("audit_c", 2.0), ("audit", 3.0), ("alcohol_status", None)]


def test_no_alcohol_ever_recorded_is_flagged_without_a_since_date(reg):
    p = reg.smi_person()
    assert reg.flags(FLAG)[p] == {"since": None, "reason": "No alcohol consumption ever recorded"}


@pytest.mark.parametrize(("concept", "value"), CONCEPTS)
def test_each_concept_of_the_element_recorded_one_year_minus_a_day_ago_counts(reg, concept, value):
    p = reg.smi_person()
    reg.event(p, concept, date(2025, 6, 16), value)
    assert reg.flags(FLAG) == {}


def test_alcohol_recorded_exactly_one_year_ago_is_out_of_window(reg):
    p = reg.smi_person()
    reg.event(p, "alcohol_units", date(2025, 6, 15), 4.0)
    assert reg.flags(FLAG)[p] == {
        "since": AS_OF,
        "reason": "Last alcohol consumption recorded 2025-06-15, more than 12 months ago",
    }


def test_alcohol_dated_after_the_as_of_date_is_ignored(reg):
    p = reg.smi_person()
    reg.event(p, "alcohol_units", date(2026, 6, 16), 4.0)
    assert reg.flags(FLAG)[p]["reason"] == "No alcohol consumption ever recorded"


def test_people_in_remission_or_on_lithium_alone_are_not_flagged(reg):
    in_remission = reg.smi_person(smi=date(2015, 1, 1))
    reg.event(in_remission, "smi_remission", date(2016, 1, 1))
    lithium_only = reg.person()
    reg.medicine(lithium_only, "lithium", date(2026, 5, 1))
    active = reg.smi_person()
    assert set(reg.flags(FLAG)) == {active}
