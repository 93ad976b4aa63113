"""Large bundles: every Flag gets our value checks; a spread sample goes through the FHIR models."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from longerlives.outputs.fhir import FhirExportError, check_values, model_sample, plain_bundle

CODE_SYSTEM = "https://longerlives.nhs.uk/CodeSystem/flag"


def _rows(n: int, practice: str = "F83004") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "nhs_number": [f"{9000000000 + i:010d}" for i in range(n)],
            "practice_code": [practice] * n,
            "core_team": [None] * n,
            "flag": ["phc.bmi"] * n,
            "since": [date(2026, 1, 1)] * n,
            "reason": ["No BMI ever recorded"] * n,
        }
    )


def test_sample_keeps_first_and_last_flag_and_the_requested_number():
    data = plain_bundle(_rows(1000), "F83004", date(2026, 11, 1), CODE_SYSTEM)
    sample = model_sample(data, 50)
    ids = [e["resource"]["subject"]["identifier"]["value"] for e in sample["entry"]]
    assert len(ids) == 50
    assert ids[0] == "9000000000" and ids[-1] == "9000000999"


def test_sample_of_zero_means_every_flag_is_model_validated():
    data = plain_bundle(_rows(20), "F83004", date(2026, 11, 1), CODE_SYSTEM)
    assert model_sample(data, 0) is data


def test_value_checks_catch_a_flag_for_another_practice_anywhere_in_the_bundle():
    data = plain_bundle(_rows(300), "F83004", date(2026, 11, 1), CODE_SYSTEM)
    data["entry"][157]["resource"]["author"]["identifier"]["value"] = "Y12345"
    with pytest.raises(FhirExportError, match="author"):
        check_values(data, "F83004")


def test_value_checks_catch_a_malformed_nhs_number_anywhere_in_the_bundle():
    data = plain_bundle(_rows(300), "F83004", date(2026, 11, 1), CODE_SYSTEM)
    data["entry"][201]["resource"]["subject"]["identifier"]["value"] = "12345"
    with pytest.raises(FhirExportError, match="NHS number"):
        check_values(data, "F83004")


def test_column_wise_bundle_is_byte_identical_to_the_reference_encoder():
    from longerlives.outputs.fhir import bundle_json, bundle_text

    rows = pl.DataFrame(
        {
            "nhs_number": ["9000000009", "9000000017", "9000000025"],
            "practice_code": ["F83004"] * 3,
            "core_team": [None, "T1", None],
            "flag": ["phc.bmi", "screening.cervical", "followup.blood_pressure"],
            "since": [date(2026, 1, 1), None, date(2025, 2, 28)],
            "reason": ['No BMI "ever" recorded', "", "Blood pressure 152/94 — Zoë’s reading; no diagnosis"],
        }
    )
    reference = bundle_json(plain_bundle(rows, "F83004", date(2026, 11, 1), CODE_SYSTEM))
    assert bundle_text(rows, "F83004", date(2026, 11, 1), CODE_SYSTEM) == reference
    with_urgency = pl.concat(
        [
            rows.with_columns(pl.lit("routine").alias("urgency")),
            pl.DataFrame(
                {
                    "nhs_number": ["9000000033"],
                    "practice_code": ["F83004"],
                    "core_team": [None],
                    "flag": ["safety.bp_severe"],
                    "since": [date(2026, 10, 30)],
                    "reason": ["Blood pressure 190/100 on 2026-10-30."],
                    "urgency": ["same_day"],
                },
                schema_overrides={"core_team": pl.String},
            ),
        ]
    )
    reference = bundle_json(plain_bundle(with_urgency, "F83004", date(2026, 11, 1), CODE_SYSTEM))
    assert bundle_text(with_urgency, "F83004", date(2026, 11, 1), CODE_SYSTEM) == reference
    from longerlives.rules import rule_by_id

    spec = rule_by_id("safety.bp_severe").spec  # the label and plan words the rule declares
    assert f"{spec.title} (same day): Blood pressure 190/100 on 2026-10-30. Plan: {spec.plan_words}" in reference
    empty = rows.head(0)
    assert bundle_text(empty, "F83004", date(2026, 11, 1), CODE_SYSTEM) == bundle_json(
        plain_bundle(empty, "F83004", date(2026, 11, 1), CODE_SYSTEM)
    )


def test_sampled_bundle_parses_only_the_sampled_entries_and_keeps_the_envelope():
    from longerlives.outputs.fhir import bundle_parts, sampled_bundle

    text, entries, envelope = bundle_parts(_rows(400), "F83004", date(2026, 11, 1), CODE_SYSTEM)
    sample = sampled_bundle(entries, envelope, 10)
    assert len(sample["entry"]) == 10
    assert sample["identifier"]["value"] == "F83004-2026-11-01"
    assert sample["entry"][-1]["resource"]["subject"]["identifier"]["value"] == "9000000399"
    assert text.count('"resourceType":"Flag"') == 400


def test_flag_ids_made_in_bulk_are_the_same_uuid5_a_receiving_system_matches_night_to_night():
    import uuid

    from longerlives.outputs.fhir import flag_uuid, flag_uuids

    nhs = [f"{9000000000 + i * 7919:010d}" for i in range(500)]
    flags = ["phc.bmi", "safety.bp_severe", "screening.cervical", "outreach.marginalised", "risk.qrisk3"] * 100
    bulk = flag_uuids(nhs, flags)
    assert bulk == [flag_uuid(n, f) for n, f in zip(nhs, flags)]
    assert all(uuid.UUID(u).version == 5 and uuid.UUID(u).variant == uuid.RFC_4122 for u in bulk)
    assert len(set(bulk)) == 500
