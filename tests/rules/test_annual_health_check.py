"""The six-element annual check columns that phc.* rules, outreach and patients.csv read."""

from datetime import date


def test_elements_done_counts_each_element_once_within_12_months(reg):
    p = reg.smi_person()
    reg.bp(p, date(2026, 1, 1))
    reg.event(p, "weight", date(2026, 1, 1), 70)
    reg.event(p, "bmi", date(2026, 2, 1), 24)
    reg.event(p, "hba1c", date(2025, 6, 15), 40)  # exactly a year ago: not done
    reg.event(p, "never_smoked", date(2025, 6, 16))
    row = reg.people().filter(nhs_number=p).row(0, named=True)
    assert row["phc_elements_done"] == 3
    assert row["phc_bmi_last"] == date(2026, 2, 1)
    assert row["phc_glucose_done"] is False
    assert row["phc_last_any"] == date(2026, 2, 1)


def test_a_decline_is_kept_distinct_and_never_counts_as_done(reg):
    p = reg.smi_person()
    reg.event(p, "bp_declined", date(2026, 3, 1))
    row = reg.people().filter(nhs_number=p).row(0, named=True)
    assert row["phc_blood_pressure_done"] is False
    assert row["phc_blood_pressure_declined"] is True
    assert row["phc_elements_done"] == 0


def test_a_decline_before_the_element_was_done_is_not_current(reg):
    p = reg.smi_person()
    reg.event(p, "bp_declined", date(2026, 1, 1))
    reg.bp(p, date(2026, 2, 1))
    row = reg.people().filter(nhs_number=p).row(0, named=True)
    assert row["phc_blood_pressure_done"] is True
    assert row["phc_blood_pressure_declined"] is False


def test_an_optional_concept_with_no_code_list_counts_as_never_recorded(reg):
    from longerlives.rules import evaluate_all, rule_by_id
    from longerlives.rules.annual_health_check import add_health_check_columns
    from tests.rules.conftest import AS_OF, SETTINGS

    p = reg.smi_person()
    reg.event(p, "bp_declined", date(2026, 3, 1))
    people = reg.people().drop("bp_declined_last_date", "bp_declined_first_date", "bp_declined_n_12m")
    people = add_health_check_columns(
        people.drop([c for c in people.columns if c.startswith("phc_")]), AS_OF, SETTINGS.rules
    )
    got = evaluate_all(people.lazy(), AS_OF, SETTINGS.rules, rules=[rule_by_id("phc.blood_pressure")])
    assert got["reason"].to_list() == ["No blood pressure ever recorded"]


def test_a_required_concept_with_no_code_list_stops_the_run_with_a_plain_message(reg):
    import pytest

    from longerlives.errors import CodelistError
    from longerlives.rules import evaluate_all
    from tests.rules.conftest import AS_OF, SETTINGS

    reg.smi_person()
    people = reg.people().drop("ecg_last_date")
    with pytest.raises(CodelistError, match="ecg"):
        evaluate_all(people.lazy(), AS_OF, SETTINGS.rules)
