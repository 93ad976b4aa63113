"""Bad patient rows are quarantined with a reason naming the column; nothing is lost."""

from __future__ import annotations

import polars as pl
import pytest

from tests.extract.conftest import GOOD_NHS, patient, reasons


def test_nhs_number_failing_modulus_11_is_quarantined(make_extract, validate):
    ext = validate(make_extract([patient("9434765918")]))
    assert ext.patients.collect().height == 0
    assert reasons(ext, "patients", "nhs_number") == ["NHS number fails the modulus-11 check digit"]


def test_nhs_number_with_spaces_and_dashes_is_cleaned_and_accepted(make_extract, validate):
    ext = validate(make_extract([patient("943 476-5919")]))
    assert ext.patients.collect()["nhs_number"].to_list() == ["9434765919"]
    assert ext.quarantine.height == 0


def test_nine_digit_nhs_number_is_quarantined(make_extract, validate):
    ext = validate(make_extract([patient("943476591")]))
    assert "not a 10-digit NHS number" in reasons(ext, "patients", "nhs_number")


def test_duplicate_nhs_number_quarantines_every_copy(make_extract, validate):
    ext = validate(make_extract([patient(GOOD_NHS[0]), patient(GOOD_NHS[1]), patient("943 476 5919")]))
    assert ext.patients.collect()["nhs_number"].to_list() == [GOOD_NHS[1]]
    q = ext.quarantine.filter(pl.col("column") == "nhs_number")
    assert q["row"].to_list() == [1, 3]
    assert all("appears 2 times" in r for r in q["reason"])


@pytest.mark.parametrize(
    "column", ["practice_code", "given_name", "family_name", "address_line_1", "postcode", "date_of_birth", "sex"]
)
def test_missing_required_patient_value_is_quarantined(make_extract, validate, column):
    ext = validate(make_extract([patient(**{column: ""})]))
    assert reasons(ext, "patients", column) == [f"required value `{column}` is missing"]


def test_impossible_date_of_birth_31_february_is_quarantined(make_extract, validate):
    ext = validate(make_extract([patient(date_of_birth="1980-02-31")]))
    assert reasons(ext, "patients", "date_of_birth") == ["`date_of_birth` is not a valid date (expected YYYY-MM-DD)"]


def test_date_of_birth_in_british_format_is_quarantined(make_extract, validate):
    ext = validate(make_extract([patient(date_of_birth="01/05/1970")]))
    assert ext.quarantine["value"].to_list() == ["01/05/1970"]


def test_date_of_birth_after_the_as_of_date_is_quarantined(make_extract, validate):
    ext = validate(make_extract([patient(date_of_birth="2027-01-01")]))
    assert reasons(ext, "patients", "date_of_birth") == ["date of birth is after the as-of date"]


def test_unknown_sex_is_quarantined(make_extract, validate):
    ext = validate(make_extract([patient(sex="X")]))
    assert reasons(ext, "patients", "sex") == ["`sex` must be one of female, male, unknown"]


@pytest.mark.parametrize(
    "raw,expected", [("F", "female"), ("m", "male"), ("U", "unknown"), ("Female", "female"), ("MALE", "male")]
)
def test_sex_letters_and_any_case_are_accepted(make_extract, validate, raw, expected):
    ext = validate(make_extract([patient(sex=raw)]))
    assert ext.patients.collect()["sex"].to_list() == [expected]


def test_unknown_ethnic_category_is_quarantined(make_extract, validate):
    ext = validate(make_extract([patient(ethnic_category="Q")]))
    assert reasons(ext, "patients", "ethnic_category")[0].startswith("`ethnic_category` must be one of")


@pytest.mark.parametrize("decile", ["0", "11", "2.5", "ten"])
def test_imd_decile_outside_1_to_10_is_quarantined(make_extract, validate, decile):
    ext = validate(make_extract([patient(imd_decile=decile)]))
    assert ext.patients.collect().height == 0
    assert reasons(ext, "patients", "imd_decile")


@pytest.mark.parametrize("value", ["high", "25"])
def test_implausible_or_non_numeric_townsend_is_quarantined(make_extract, validate, value):
    ext = validate(make_extract([patient(townsend_score=value)]))
    assert reasons(ext, "patients", "townsend_score")


@pytest.mark.parametrize("word,expected", [("YES", False), ("n", True), ("0", True), ("True", False), ("f", True)])
def test_boolean_spellings_are_accepted(make_extract, validate, word, expected):
    ext = validate(make_extract([patient(interpreter_required=word)]))
    assert ext.patients.collect()["interpreter_required"].to_list() == [not expected]


def test_unrecognised_boolean_is_quarantined(make_extract, validate):
    ext = validate(make_extract([patient(contact_by_letter="maybe")]))
    assert reasons(ext, "patients", "contact_by_letter")[0].startswith(
        "`contact_by_letter` is not a recognised true/false"
    )


def test_contact_by_letter_defaults_to_true_and_language_to_english(make_extract, validate):
    ext = validate(make_extract([patient()]))
    row = ext.patients.collect().row(0, named=True)
    assert row["contact_by_letter"] is True
    assert row["preferred_language"] == "en"
    assert row["interpreter_required"] is False


def test_unknown_communication_need_is_quarantined(make_extract, validate):
    ext = validate(make_extract([patient(communication_needs="easy_read;semaphore")]))
    assert reasons(ext, "patients", "communication_needs")


def test_communication_needs_are_normalised(make_extract, validate):
    ext = validate(make_extract([patient(communication_needs=" Large_Print ; easy_read")]))
    assert ext.patients.collect()["communication_needs"].to_list() == ["easy_read;large_print"]


def test_registration_ending_before_it_began_is_quarantined(make_extract, validate):
    ext = validate(make_extract([patient(registered_from="2020-01-01", registered_to="2019-01-01")]))
    assert reasons(ext, "patients", "registered_to") == ["`registered_to` is before `registered_from`"]


def test_two_problems_in_one_row_give_two_quarantine_lines_for_one_row(make_extract, validate):
    ext = validate(make_extract([patient(sex="X", postcode="")]))
    assert sorted(ext.quarantine["column"].to_list()) == ["postcode", "sex"]
    assert ext.rows_quarantined["patients"] == 1


def test_date_of_birth_more_than_120_years_ago_is_quarantined(make_extract, validate):
    ext = validate(make_extract([patient(date_of_birth="1890-01-01")]))
    assert reasons(ext, "patients", "date_of_birth") == ["date of birth is more than 120 years before the as-of date"]


def test_preferred_language_that_is_not_an_iso_code_is_quarantined(make_extract, validate):
    ext = validate(make_extract([patient(preferred_language="Polish")]))
    assert reasons(ext, "patients", "preferred_language")


def test_preferred_language_code_is_kept(make_extract, validate):
    ext = validate(make_extract([patient(preferred_language="pl")]))
    assert ext.patients.collect()["preferred_language"].to_list() == ["pl"]
