"""Fixtures for the web worklist: a run store (SQLite, or the local PostgreSQL) holding
one finished run with a small worklist for two teams and the unallocated list, and
accounts for a team nurse, a second team, a lead and an admin."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import update

from longerlives.outputs.worklist_snapshot import SNAPSHOT_SCHEMA
from longerlives.store import open_store
from longerlives.store.models import Run
from longerlives.store.worklist import save_worklist
from longerlives.web import auth
from longerlives.web.settings import WebSettings
from tests.operations.conftest import _fresh_engines, nhs, pg_admin_url, pg_url  # noqa: F401 - fixtures

PASSWORD = "correct horse battery staple"
AS_OF = date(2026, 11, 1)
RUN_ID = "2026-11-01-web00001"


@dataclass(frozen=True)
class Person:
    nhs_number: str
    name: str
    team: str
    urgency: str
    rank: int
    kinds: str
    practice: str = "A81001"
    outreach: bool = False
    safety: str | None = None


PEOPLE = [
    Person(nhs(1), "Ann Routine", "T1", "routine", 1, "phc"),
    Person(
        nhs(2),
        "Bob Soon",
        "T1",
        "soon",
        50,
        "phc;safety",
        safety="HbA1c 52 mmol/mol on 2026-10-01 is in the diabetes range",
    ),
    Person(
        nhs(3),
        "Cat Sameday",
        "T1",
        "same_day",
        90,
        "phc;safety",
        practice="B82002",
        safety="Blood pressure 190/125 on 2026-10-28 is 180/120 or higher and needs same-day assessment",
    ),
    Person(nhs(4), "Dan Screening", "T1", "routine", 2, "screening", outreach=True),
    Person(nhs(5), "Eve Othersteam", "T2", "routine", 3, "phc"),
    Person(nhs(6), "Fay Nobody", "unallocated", "routine", 4, "ecg"),
]
TITLES = {
    "phc": (
        "phc.blood_pressure",
        "Annual health check: blood pressure",
        "Last blood pressure recorded 2025-03-02, more than 12 months ago",
    ),
    "screening": ("screening.cervical", "Cervical screening overdue", "Last cervical screening 2020-01-01"),
    "ecg": ("ecg.annual", "Annual ECG", "No ECG ever recorded; on the SMI register"),
}


def snapshot(people: list[Person] = PEOPLE) -> pl.DataFrame:
    rows = []
    for p in people:
        kinds = [k for k in p.kinds.split(";") if k != "safety"]
        reasons = [dict(zip(("flag", "title", "reason"), TITLES[k]), since=None) for k in kinds]
        rows.append(
            {
                "team": p.team,
                "nhs_number": p.nhs_number,
                "name": p.name,
                "practice_code": p.practice,
                "priority": 0,
                "urgency": p.urgency,
                "urgency_order": {"same_day": 0, "soon": 1, "routine": 2}[p.urgency],
                "marginalisation_rank": p.rank,
                "outreach": p.outreach,
                "flags": ";".join(r["flag"] for r in reasons),
                "flag_words": "; ".join(r["title"] for r in reasons),
                "kinds": f";{';'.join(kinds)};",
                "safety": p.safety,
                "reasons_json": json.dumps(reasons),
                "plan_json": json.dumps(["One appointment to cover: blood pressure"]),
                "outreach_reasons": None,
                "lead": "GP practice",
                "communication_needs": None,
                "reasonable_adjustments": "longer appointment",
                "language": "en",
                "contact": "letter; phone 07700 900001",
                "last_letter": None,
                "letter_this_run": None,
                "letter_note": None,
                "risk_json": json.dumps({"qrisk3": 12.3, "qdiabetes": 4.5, "qdiabetes_model": "A"}),
            }
        )
    frame = pl.DataFrame(rows, schema=SNAPSHOT_SCHEMA)
    return frame.sort("team", "urgency_order", "marginalisation_rank").with_columns(
        pl.int_range(1, pl.len() + 1).over("team").cast(pl.Int64).alias("priority")
    )


def seed(url: str, *, finished_hours_ago: float = 2.0) -> None:
    store = open_store(url)
    now = datetime.now(UTC)
    store.start_run(RUN_ID, AS_OF, engine_version="test", out_dir=None)
    settings = WebSettings(min_password_length=12)
    with store.engine.begin() as conn:
        store.finish_run(conn, RUN_ID, "succeeded", people_in_scope=6, open_flags=6)
        conn.execute(
            update(Run.__table__)
            .where(Run.__table__.c.run_id == RUN_ID)
            .values(finished_at=now - timedelta(hours=finished_hours_ago))
        )
        save_worklist(conn, RUN_ID, snapshot())
        auth.add_user(conn, "nurse.t1", "team", ["T1"], PASSWORD, settings)
        auth.add_user(conn, "nurse.t2", "team", ["T2"], PASSWORD, settings)
        auth.add_user(conn, "lead", "lead", [], PASSWORD, settings)
        auth.add_user(conn, "admin", "admin", [], PASSWORD, settings)


def csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "the page has no CSRF token field"
    return m.group(1)


def sign_in(client, username: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf(page.text)})


def person_keys(html: str) -> list[str]:
    return re.findall(r'href="/person/([0-9a-f]{24})"', html)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    else:
        url = request.getfixturevalue("pg_url")
    seed(url)
    return url


@pytest.fixture
def client(store_url):
    from fastapi.testclient import TestClient

    from longerlives.web.app import create_app

    with TestClient(create_app(store_url), base_url="https://testserver") as c:
        yield c
