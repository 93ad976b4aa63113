"""Hand-built people / flags frames, and the real stages run over them, for outreach, letters and worklists tests.

Synthetic data only: made-up names, and NHS numbers generated with a valid
modulus-11 check digit from a counter (not real people).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

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
    "phc_last_any": pl.Date,
    "bp_last_date": pl.Date,
    "usc_referral_last_date": pl.Date,
    "cancer_2ww_last_attended": pl.Date,
    "outpatient_last_attended": pl.Date,
    "homeless_last_date": pl.Date,
    "substance_dependence_last_date": pl.Date,
    "learning_disability_last_date": pl.Date,
    "autism_last_date": pl.Date,
    "hypertension_last_date": pl.Date,
    "cvd_last_date": pl.Date,
    "imd_decile": pl.Int64,
    "age": pl.Int64,
    "phc_elements_done": pl.Int64,
    "planned_contacts_12m": pl.Int64,
    "crisis_contacts_12m": pl.Int64,
    "dna_12m": pl.Int64,
    "qrisk3": pl.Float64,
    "qdiabetes": pl.Float64,
    "address_line_2": pl.String,
    "address_line_4": pl.String,
    "email": pl.String,
    "communication_needs": pl.String,
    "safety_items": pl.String,
    "core_team": pl.String,
    "ethnic_category": pl.String,
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


FLAG_SCHEMA = {"nhs_number": pl.String, "flag": pl.String, "since": pl.Date, "reason": pl.String, "urgency": pl.String}


def flags_frame(rows: list[tuple[str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "nhs_number": [r[0] for r in rows],
            "flag": [r[1] for r in rows],
            "since": [None] * len(rows),
            "reason": ["test reason"] * len(rows),
            "urgency": ["routine"] * len(rows),
        },
        schema=FLAG_SCHEMA,
    )


def safety_flags(people: pl.DataFrame) -> pl.DataFrame:
    """The ``safety.*`` flags a hand-built person's ``safety_items`` text stands for ("; "-separated
    items; "Blood pressure ... on DATE" → safety.bp_severe, same_day when DATE is within 30 days of
    AS_OF else soon (as the rule decides); "HbA1c ..." → the diabetes-range flag; anything else →
    the cancer referral flag; both soon)."""
    import re
    from datetime import timedelta

    rows = []
    for nhs, text in people.select("nhs_number", "safety_items").iter_rows():
        for item in (text or "").split("; "):
            if not item.strip():
                continue
            day = re.search(r"\d{4}-\d{2}-\d{2}", item)
            recent = day is None or date.fromisoformat(day.group(0)) >= AS_OF - timedelta(days=30)
            flag, urgency = (
                ("safety.bp_severe", "same_day" if recent else "soon")
                if item.startswith("Blood pressure")
                else ("safety.diabetes_range_undiagnosed", "soon")
                if item.startswith("HbA1c")
                else ("safety.usc_not_attended", "soon")
            )
            rows.append({"nhs_number": nhs, "flag": flag, "since": None, "reason": item, "urgency": urgency})
    return pl.DataFrame(rows, schema=FLAG_SCHEMA)


def missing_flags(p: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["nhs_number"], f"phc.{e}") for e in ELEMENTS if not p[f"phc_{e}_done"]]


@dataclass
class StageRun:
    """What the stages produced for one hand-built scenario (tests read these values)."""

    people: pl.DataFrame
    flags: pl.DataFrame
    staging: Path
    settings: Any
    plans: pl.DataFrame | None = None
    decisions: pl.DataFrame | None = None
    letters_index: pl.DataFrame | None = None
    files: list[str] = field(default_factory=list)


def run_stages(
    tmp_path: Path,
    people: pl.DataFrame,
    flags: pl.DataFrame,
    *,
    upto: str = "worklists",
    settings: Any = None,
    practices: pl.DataFrame | None = None,
    teams: pl.DataFrame | None = None,
    last_letters: pl.DataFrame | None = None,
    contacts_known: bool = True,
    make_pdf: bool = False,
) -> StageRun:
    """outreach → letters → worklists, exactly as ``pipeline.run`` calls them, up to ``upto``."""
    from longerlives import letters, outreach
    from longerlives.history import LAST_LETTERS_SCHEMA
    from longerlives.outputs.worklists import write_worklist_files

    s = settings or load_settings()
    staging = tmp_path / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    last = pl.DataFrame(schema=LAST_LETTERS_SCHEMA) if last_letters is None else last_letters
    flags = pl.concat([flags, safety_flags(people)]).sort("nhs_number", "flag")
    r = outreach.rank_and_plan(people, flags, AS_OF, s.outreach, contacts_known=contacts_known)
    run = StageRun(r.people, r.flags, staging, s, plans=r.plans)
    if upto == "outreach":
        return run
    run.decisions = letters.decide_letters(
        r.plans, r.people, r.flags, last, AS_OF, s.letters, s.outreach.manual_needs, s.operations.letter_cadence_days
    )
    written = letters.write_letters(
        letters.LetterInputs(run.decisions, r.people, r.flags, r.plans, practices, teams),
        staging,
        AS_OF,
        s.letters,
        make_pdf,
    )
    run.letters_index = written.index
    run.files += written.files
    if upto == "letters":
        return run
    lists = write_worklist_files(
        r.plans, r.people, written.index, run.decisions, last, teams, staging, AS_OF, "2025-06-30-test"
    )
    run.files += lists.files
    return run
