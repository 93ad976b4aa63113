"""Hand-built people / flags frames and a RunContext for outreach, letters and worklists tests.

Synthetic data only: made-up names, and NHS numbers generated with a valid
modulus-11 check digit from a counter (not real people).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from longerlives.context import RunContext
from longerlives.settings import load_settings

AS_OF = date(2025, 6, 30)
ELEMENTS = ("bmi", "blood_pressure", "lipids", "glucose", "alcohol", "smoking")


def nhs_number(i: int) -> str:
    """A valid (check-digit) 10-digit NHS number from a counter, starting 999 (test range)."""
    n = 999_000_000 + i * 7
    while True:
        digits = [int(c) for c in f"{n:09d}"]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1))) % 11
        if check == 11:
            check = 0
        if check != 10:
            return f"{n:09d}{check}"
        n += 1


DEFAULTS: dict[str, Any] = {
    "practice_code": "A81001",
    "core_team": "CT01",
    "title": "Ms",
    "given_name": "Alex",
    "family_name": "Example",
    "address_line_1": "1 Test Street",
    "address_line_2": None,
    "address_line_3": "Testtown",
    "address_line_4": None,
    "postcode": "ZZ99 3AA",
    "phone": "07700 900001",
    "email": None,
    "preferred_language": "en",
    "interpreter_required": False,
    "communication_needs": None,
    "contact_by_letter": True,
    "ethnic_category": "A",
    "imd_decile": 7,
    "age": 45,
    "in_scope": True,
    "health_check_cohort": True,
    "phc_elements_done": 6,
    "phc_last_any": date(2025, 3, 1),
    "planned_contacts_12m": 3,
    "crisis_contacts_12m": 0,
    "dna_12m": 0,
    "bp_last_date": date(2025, 3, 1),
    "usc_referral_last_date": None,
    "cancer_2ww_last_attended": None,
    "outpatient_last_attended": None,
    "homeless_last_date": None,
    "substance_dependence_last_date": None,
    "learning_disability_last_date": None,
    "autism_last_date": None,
    "hypertension_last_date": None,
    "cvd_last_date": None,
    "qrisk3": None,
    "qdiabetes": None,
    "safety_items": None,
}
DTYPES = {
    "phc_last_any": pl.Date, "bp_last_date": pl.Date, "usc_referral_last_date": pl.Date,
    "cancer_2ww_last_attended": pl.Date, "outpatient_last_attended": pl.Date, "homeless_last_date": pl.Date,
    "substance_dependence_last_date": pl.Date, "learning_disability_last_date": pl.Date,
    "autism_last_date": pl.Date, "hypertension_last_date": pl.Date, "cvd_last_date": pl.Date,
    "imd_decile": pl.Int64, "age": pl.Int64, "phc_elements_done": pl.Int64, "planned_contacts_12m": pl.Int64,
    "crisis_contacts_12m": pl.Int64, "dna_12m": pl.Int64, "qrisk3": pl.Float64, "qdiabetes": pl.Float64,
    "address_line_2": pl.String, "address_line_4": pl.String, "email": pl.String, "communication_needs": pl.String,
    "safety_items": pl.String, "core_team": pl.String, "ethnic_category": pl.String,
}


def person(i: int, **over: Any) -> dict[str, Any]:
    row = {"nhs_number": nhs_number(i), **DEFAULTS, **over}
    done = row["phc_elements_done"]
    for k, e in enumerate(ELEMENTS):
        row.setdefault(f"phc_{e}_done", k < done)
    return row


def people_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = {k: DTYPES.get(k, pl.String if isinstance(v, str) or v is None else None) for k, v in rows[0].items()}
    schema = {k: (v if v is not None else pl.DataFrame({k: [rows[0][k]]}).schema[k]) for k, v in schema.items()}
    return pl.DataFrame(rows, schema=schema, orient="row")


def flags_frame(rows: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {"nhs_number": [r[0] for r in rows], "flag": [r[1] for r in rows],
         "since": [None] * len(rows), "reason": ["test reason"] * len(rows)},
        schema={"nhs_number": pl.String, "flag": pl.String, "since": pl.Date, "reason": pl.String},
    )


def missing_flags(p: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["nhs_number"], f"phc.{e}") for e in ELEMENTS if not p[f"phc_{e}_done"]]


def make_ctx(tmp_path: Path, people: pl.DataFrame, flags: pl.DataFrame, **kw: Any) -> RunContext:
    ctx = RunContext(
        run_id="2025-06-30-test", as_of=AS_OF, settings=kw.pop("settings", None) or load_settings(), codelists={},
        extract_dir=tmp_path / "extract", out_dir=tmp_path / "out", staging=tmp_path / "staging",
        db_url="sqlite://", engine_version="test", **kw,
    )
    ctx.staging.mkdir(parents=True, exist_ok=True)
    ctx.people, ctx.flags = people, flags
    return ctx
