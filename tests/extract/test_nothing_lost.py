"""Every input row is either used or quarantined: valid + quarantined = input, per table."""

from __future__ import annotations

import random

from tests.extract.conftest import GOOD_NHS, patient


def test_valid_plus_quarantined_equals_input_for_every_table(make_extract, validate, codelists):
    rng = random.Random(7)
    bmi = codelists["bmi"].codes[0]
    patients = [
        patient(GOOD_NHS[0]),
        patient(GOOD_NHS[1], sex="Q"),
        patient(GOOD_NHS[2]),
        patient(GOOD_NHS[2]),
        patient(GOOD_NHS[3], imd_decile="3"),
    ]
    events = [
        {
            "nhs_number": rng.choice(GOOD_NHS),
            "date": rng.choice(["2026-01-01", "2026-02-30", "2030-01-01"]),
            "code": rng.choice([bmi, "12AB"]),
            "value": rng.choice(["22", "400", "x", None]),
            "unit": None,
        }
        for _ in range(200)
    ]
    meds = [
        {"nhs_number": rng.choice(GOOD_NHS), "date": "2026-03-01", "bnf_code": rng.choice(["0402030K0AAAAAA", ""])}
        for _ in range(50)
    ]
    enc = [
        {
            "nhs_number": rng.choice(GOOD_NHS),
            "date": "2026-03-01",
            "service": rng.choice(["gp", "crisis", "spa"]),
            "attended": rng.choice(["y", "n", "?"]),
        }
        for _ in range(50)
    ]
    teams = [{"team_code": "T1"}, {"team_code": "T2"}, {"team_code": "T2"}]
    practices = [{"practice_code": "F83004"}, {"practice_code": ""}]
    ext = validate(make_extract(patients, events, medications=meds, encounters=enc, teams=teams, practices=practices))
    valid = {
        "patients": ext.patients.collect().height,
        "events": ext.events.collect().height,
        "medications": ext.medications.collect().height,
        "encounters": ext.encounters.collect().height,
        "teams": ext.teams.height,
        "practices": ext.practices.height,
    }
    expected_input = {"patients": 5, "events": 200, "medications": 50, "encounters": 50, "teams": 3, "practices": 2}
    assert ext.rows_read == expected_input
    for table, n in expected_input.items():
        assert valid[table] + ext.rows_quarantined[table] == n, table
    assert ext.rows_quarantined["patients"] == 3  # bad sex + both copies of the duplicate
