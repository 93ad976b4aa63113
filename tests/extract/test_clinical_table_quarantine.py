"""Events, medicines and contacts: orphans, bad codes and implausible values are quarantined."""

from __future__ import annotations

import polars as pl
import pytest

from tests.extract.conftest import GOOD_NHS, patient, reasons


def event(code: str, value: str | None = None, date: str = "2026-06-01", nhs: str = GOOD_NHS[0]) -> dict:
    return {"nhs_number": nhs, "date": date, "code": code, "value": value, "unit": None}


def test_event_for_a_person_not_on_the_extract_is_quarantined(make_extract, validate, codelists):
    bmi = codelists["bmi"].codes[0]
    ext = validate(make_extract([patient()], [event(bmi, "25", nhs=GOOD_NHS[1])]))
    assert ext.events.collect().height == 0
    assert reasons(ext, "events", "nhs_number")[0].startswith("no valid patient row with this NHS number")


def test_events_of_a_quarantined_patient_are_quarantined_not_lost(make_extract, validate, codelists):
    bmi = codelists["bmi"].codes[0]
    ext = validate(make_extract([patient(sex="X")], [event(bmi, "25"), event(bmi, "26")]))
    assert ext.rows_quarantined == {**ext.rows_quarantined, "patients": 1, "events": 2}


def test_event_code_with_letters_is_quarantined(make_extract, validate):
    ext = validate(make_extract([patient()], [event("XaBc123")]))
    assert reasons(ext, "events", "code")


def test_event_with_unparseable_date_is_quarantined(make_extract, validate, codelists):
    ext = validate(make_extract([patient()], [event(codelists["bmi"].codes[0], "25", date="2026-13-01")]))
    assert reasons(ext, "events", "date") == ["`date` is not a valid date (expected YYYY-MM-DD)"]


def test_non_numeric_event_value_is_quarantined(make_extract, validate, codelists):
    ext = validate(make_extract([patient()], [event(codelists["bmi"].codes[0], "twenty")]))
    assert reasons(ext, "events", "value") == ["`value` is not a number"]


@pytest.mark.parametrize(
    "concept,value",
    [
        ("bmi", "250"),
        ("systolic_bp", "20"),
        ("hba1c", "900"),
        ("total_cholesterol", "45"),
        ("audit_c", "19"),
        ("alcohol_units", "900"),
    ],
)
def test_clinically_implausible_value_is_quarantined_never_used(make_extract, validate, codelists, concept, value):
    ext = validate(make_extract([patient()], [event(codelists[concept].codes[0], value)]))
    assert ext.events.collect().height == 0
    (reason,) = reasons(ext, "events", "value")
    assert "outside the plausible range" in reason and value in reason


def test_plausible_bmi_is_kept(make_extract, validate, codelists):
    ext = validate(make_extract([patient()], [event(codelists["bmi"].codes[0], "31.4")]))
    assert ext.events.collect()["value"].to_list() == [31.4]


def test_event_dated_after_the_as_of_date_is_not_an_error(make_extract, validate, codelists):
    ext = validate(make_extract([patient()], [event(codelists["bmi"].codes[0], "25", date="2030-01-01")]))
    assert ext.quarantine.height == 0


def test_medication_without_bnf_code_is_quarantined(make_extract, validate):
    meds = [{"nhs_number": GOOD_NHS[0], "date": "2026-06-01", "bnf_code": ""}]
    ext = validate(make_extract([patient()], medications=meds))
    assert reasons(ext, "medications", "bnf_code") == ["required value `bnf_code` is missing"]


def test_encounter_with_unknown_service_is_quarantined(make_extract, validate):
    enc = [{"nhs_number": GOOD_NHS[0], "date": "2026-06-01", "service": "spa", "attended": "true"}]
    ext = validate(make_extract([patient()], encounters=enc))
    assert reasons(ext, "encounters", "service")[0].startswith("`service` must be one of gp")


def test_encounter_attended_maybe_is_quarantined(make_extract, validate):
    enc = [{"nhs_number": GOOD_NHS[0], "date": "2026-06-01", "service": "gp", "attended": "maybe"}]
    ext = validate(make_extract([patient()], encounters=enc))
    assert reasons(ext, "encounters", "attended")


def test_duplicate_team_code_quarantines_both_rows(make_extract, validate):
    teams = [{"team_code": "T1", "name": "North"}, {"team_code": "T1", "name": "South"}]
    ext = validate(make_extract([patient()], teams=teams))
    assert ext.teams.height == 0
    assert ext.quarantine.filter(pl.col("table") == "teams")["row"].to_list() == [1, 2]


def test_quarantine_has_contract_columns_sorted_by_table_row_column(make_extract, validate, codelists):
    bmi = codelists["bmi"].codes[0]
    ext = validate(
        make_extract([patient(sex="X", postcode=""), patient(GOOD_NHS[1])], [event(bmi, "999", nhs=GOOD_NHS[1])])
    )
    q = ext.quarantine
    assert q.columns == ["table", "row", "column", "value", "reason"]
    assert q.rows() == q.sort("table", "row", "column").rows()
    assert q["table"].to_list() == ["events", "patients", "patients"]


def test_duplicate_practice_code_quarantines_both_rows(make_extract, validate):
    practices = [{"practice_code": "F83004", "name": "A"}, {"practice_code": "F83004", "name": "B"}]
    ext = validate(make_extract([patient()], practices=practices))
    assert ext.practices.height == 0
    assert all("appears 2 times" in r for r in reasons(ext, "practices", "practice_code"))


def test_prescription_with_unparseable_issue_date_is_quarantined(make_extract, validate):
    meds = [{"nhs_number": GOOD_NHS[0], "date": "01/06/2026", "bnf_code": "0402030K0AAAAAA"}]
    ext = validate(make_extract([patient()], medications=meds))
    assert reasons(ext, "medications", "date") == ["`date` is not a valid date (expected YYYY-MM-DD)"]


def test_prescription_for_a_person_not_on_the_extract_is_quarantined(make_extract, validate):
    meds = [{"nhs_number": GOOD_NHS[1], "date": "2026-06-01", "bnf_code": "0402030K0AAAAAA"}]
    ext = validate(make_extract([patient()], medications=meds))
    assert reasons(ext, "medications", "nhs_number")[0].startswith("no valid patient row")


def test_contact_for_a_person_not_on_the_extract_is_quarantined(make_extract, validate):
    enc = [{"nhs_number": GOOD_NHS[1], "date": "2026-06-01", "service": "gp", "attended": "true"}]
    ext = validate(make_extract([patient()], encounters=enc))
    assert reasons(ext, "encounters", "nhs_number")[0].startswith("no valid patient row")


def test_event_nhs_number_with_spaces_matches_the_patient(make_extract, validate, codelists):
    ext = validate(make_extract([patient()], [event(codelists["bmi"].codes[0], "25", nhs="943 476 5919")]))
    assert ext.events.collect()["nhs_number"].to_list() == [GOOD_NHS[0]]


def test_values_at_each_concepts_plausible_limits_are_kept_and_beyond_them_quarantined(
    make_extract, validate, codelists, settings
):
    """Every valued concept's range applies to its own codes (each code is looked up once,
    issue 16): the limits themselves are plausible, a value past the upper limit is not."""
    ranges = {c: r for c, r in settings.extract.plausible.items() if c in codelists and codelists[c].kind == "snomed"}
    owners: dict[str, set[str]] = {}
    for concept in ranges:
        for code in codelists[concept].codes:
            owners.setdefault(code, set()).add(concept)
    kept, beyond = [], []
    for concept, rng in ranges.items():
        own = [c for c in codelists[concept].codes if owners[c] == {concept}]  # codes of this concept alone
        for code in (own[0], own[-1]):
            kept += [event(code, f"{rng.min:g}"), event(code, f"{rng.max:g}")]
            beyond.append(event(code, f"{rng.max + max(1.0, abs(rng.max)):g}"))
    assert len(ranges) >= 10  # BMI, blood pressure, HbA1c, cholesterol, AUDIT-C, units, …
    ext = validate(make_extract([patient()], kept + beyond))
    assert ext.events.collect().height == len(kept)
    found = reasons(ext, "events", "value")
    assert len(found) == len(beyond) and all("outside the plausible range" in r for r in found)
