"""What the web pages read and write in the run store (SQLAlchemy Core, one short
query per need; the list page is a single indexed query plus a count)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, select, text, update
from sqlalchemy.engine import Connection, RowMapping

from longerlives.store.models import LetterIssued, OutreachOutcome, Run
from longerlives.store.web_models import Allocation, WebAudit, WorklistEntry, table_of
from longerlives.web.auth import _aware, utcnow

RUNS = table_of(Run)
LETTERS = table_of(LetterIssued)
ENTRIES = table_of(WorklistEntry)
OUTCOMES = table_of(OutreachOutcome)
AUDIT = table_of(WebAudit)
ALLOCATIONS = table_of(Allocation)
KINDS = {
    "safety": "Safety items",
    "phc": "Annual health check",
    "ecg": "ECG",
    "screening": "Cancer screening",
    "followup": "Results to follow up",
    "risk": "Risk scores",
    "smoking": "Stop-smoking support",
    "outreach": "Proactive outreach",
}
URGENCIES = {"same_day": "Same day", "soon": "Soon (within 2 weeks)", "routine": "Routine"}
UNALLOCATED = "unallocated"


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    as_of: date
    finished_at: datetime | None
    people_in_scope: int | None
    open_flags: int | None
    health_check_cohort: int | None
    letters_issued: int | None
    stale: bool


def last_successful_run(conn: Connection, stale_hours: int, now: datetime | None = None) -> RunInfo | None:
    row = conn.execute(
        select(
            RUNS.c.run_id,
            RUNS.c.as_of,
            RUNS.c.finished_at,
            RUNS.c.people_in_scope,
            RUNS.c.open_flags,
            RUNS.c.health_check_cohort,
            RUNS.c.letters_issued,
        )
        .where(RUNS.c.status == "succeeded")
        .order_by(RUNS.c.finished_at.desc(), RUNS.c.run_id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    r = row._mapping
    finished = _aware(r["finished_at"])
    now = now or utcnow()
    stale = finished is None or now - finished > timedelta(hours=stale_hours)
    return RunInfo(
        r["run_id"],
        r["as_of"],
        finished,
        r["people_in_scope"],
        r["open_flags"],
        r["health_check_cohort"],
        r["letters_issued"],
        stale,
    )


def audit(
    conn: Connection,
    username: str | None,
    action: str,
    outcome: str = "ok",
    *,
    team: str | None = None,
    person_key: str | None = None,
    detail: str | None = None,
    wait_for_disk: bool = True,
) -> None:
    """One audit line, in the caller's transaction: committed with it, before the response.

    ``wait_for_disk=False`` (views only, never changes or refusals): on PostgreSQL the
    transaction commits asynchronously (``SET LOCAL synchronous_commit = off``): the line is
    committed and visible at once, and reaches disk within 3 × ``wal_writer_delay``
    (600 ms by default) instead of the request waiting for a WAL flush."""
    if not wait_for_disk and conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL synchronous_commit = off"))
    conn.execute(
        AUDIT.insert().values(
            at=utcnow(),
            username=username,
            action=action,
            team=team,
            person_key=person_key,
            outcome=outcome,
            detail=detail,
        )
    )


def teams_with_counts(conn: Connection, run_id: str) -> list[dict[str, Any]]:
    rows = (
        conn.execute(
            select(
                ENTRIES.c.team,
                func.count().label("people"),
                func.sum(case((ENTRIES.c.urgency_order == 0, 1), else_=0)).label("same_day"),
                func.sum(case((ENTRIES.c.urgency_order == 1, 1), else_=0)).label("soon"),
            )
            .where(ENTRIES.c.run_id == run_id)
            .group_by(ENTRIES.c.team)
            .order_by(ENTRIES.c.team)
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]


@dataclass(frozen=True)
class Filters:
    urgency: tuple[str, ...] = ()
    outreach: bool = False
    kind: str | None = None
    practice: str | None = None
    not_contacted: bool = False
    search: str | None = None
    page: int = 1

    def query_string(self, page: int | None = None) -> str:
        """The non-identifying filters as a query string (the search stays in the session)."""
        from urllib.parse import urlencode

        pairs: list[tuple[str, str]] = [("urgency", u) for u in self.urgency]
        if self.outreach:
            pairs.append(("outreach", "1"))
        if self.kind:
            pairs.append(("kind", self.kind))
        if self.practice:
            pairs.append(("practice", self.practice))
        if self.not_contacted:
            pairs.append(("not_contacted", "1"))
        if page and page > 1:
            pairs.append(("page", str(page)))
        return urlencode(pairs)


@dataclass
class Page:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    practices: list[str] = field(default_factory=list)


def _conditions(run_id: str, team: str, f: Filters, as_of: date, not_contacted_days: int) -> list[Any]:
    cond: list[Any] = [ENTRIES.c.run_id == run_id, ENTRIES.c.team == team]
    if f.urgency:
        cond.append(ENTRIES.c.urgency.in_(list(f.urgency)))
    if f.outreach:
        cond.append(ENTRIES.c.outreach.is_(True))
    if f.kind == "safety":
        cond.append(ENTRIES.c.safety.is_not(None))
    elif f.kind:
        cond.append(ENTRIES.c.kinds.contains(f";{f.kind};"))
    if f.practice:
        cond.append(ENTRIES.c.practice_code == f.practice)
    if f.not_contacted:
        since = as_of - timedelta(days=not_contacted_days)
        cond.append(
            ~exists().where(and_(OUTCOMES.c.nhs_number == ENTRIES.c.nhs_number, OUTCOMES.c.outcome_date >= since))
        )
    if f.search:
        text = f.search.strip()
        digits = text.replace(" ", "").replace("-", "")
        if digits.isdigit():
            cond.append(ENTRIES.c.nhs_number == digits)
        else:
            cond.append(func.lower(ENTRIES.c.name).contains(text.lower(), autoescape=True))
    return cond


LIST_COLUMNS = (
    ENTRIES.c.person_key,
    ENTRIES.c.nhs_number,
    ENTRIES.c.name,
    ENTRIES.c.practice_code,
    ENTRIES.c.priority,
    ENTRIES.c.urgency,
    ENTRIES.c.outreach,
    ENTRIES.c.flag_words,
    ENTRIES.c.safety,
    ENTRIES.c.last_letter,
    ENTRIES.c.marginalisation_rank,
)


def worklist_page(
    conn: Connection, run_id: str, team: str, f: Filters, page_size: int, as_of: date, not_contacted_days: int
) -> Page:
    cond = _conditions(run_id, team, f, as_of, not_contacted_days)
    total = int(conn.execute(select(func.count()).select_from(ENTRIES).where(*cond)).scalar_one())
    pages = max(1, -(-total // page_size))
    page = min(max(1, f.page), pages)
    rows = [
        dict(r)
        for r in conn.execute(
            select(*LIST_COLUMNS)
            .where(*cond)
            .order_by(ENTRIES.c.urgency_order, ENTRIES.c.priority)
            .limit(page_size)
            .offset((page - 1) * page_size)
        ).mappings()
    ]
    latest = latest_outcomes(conn, [r["nhs_number"] for r in rows])
    for r in rows:
        r["last_outcome"] = latest.get(r["nhs_number"])
    return Page(rows, total, page, pages, team_practices(conn, run_id, team))


_PRACTICES: dict[tuple[str, str], list[str]] = {}


def team_practices(conn: Connection, run_id: str, team: str) -> list[str]:
    """The practices on a team's list for a run (fixed once the run is written, so kept per process;
    an allocation may add one, which shows after the next run)."""
    key = (run_id, team)
    if key not in _PRACTICES:
        if len(_PRACTICES) > 1000:
            _PRACTICES.clear()
        _PRACTICES[key] = [
            p
            for (p,) in conn.execute(
                select(ENTRIES.c.practice_code)
                .where(ENTRIES.c.run_id == run_id, ENTRIES.c.team == team, ENTRIES.c.practice_code.is_not(None))
                .distinct()
                .order_by(ENTRIES.c.practice_code)
            )
        ]
    return _PRACTICES[key]


def latest_outcomes(conn: Connection, nhs_numbers: list[str]) -> dict[str, dict[str, Any]]:
    if not nhs_numbers:
        return {}
    rows = conn.execute(
        select(OUTCOMES.c.nhs_number, OUTCOMES.c.result, OUTCOMES.c.outcome_date)
        .where(OUTCOMES.c.nhs_number.in_(nhs_numbers))
        .order_by(OUTCOMES.c.outcome_date, OUTCOMES.c.id)
    ).mappings()
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        out[r["nhs_number"]] = {"result": r["result"], "date": r["outcome_date"]}
    return out


def person(conn: Connection, run_id: str, key: str) -> RowMapping | None:
    return (
        conn.execute(select(ENTRIES).where(ENTRIES.c.run_id == run_id, ENTRIES.c.person_key == key)).mappings().first()
    )


def person_details(entry: RowMapping) -> dict[str, Any]:
    """The JSON columns decoded for the person page."""
    return {
        "reasons": json.loads(entry["reasons_json"] or "[]"),
        "plan": json.loads(entry["plan_json"] or "[]"),
        "risk": json.loads(entry["risk_json"] or "null") or {},
    }


def outcome_history(conn: Connection, nhs_number: str) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in conn.execute(
            select(
                OUTCOMES.c.result,
                OUTCOMES.c.outcome_date,
                OUTCOMES.c.team,
                OUTCOMES.c.note,
                OUTCOMES.c.recorded_at,
                OUTCOMES.c.recorded_by,
            )
            .where(OUTCOMES.c.nhs_number == nhs_number)
            .order_by(OUTCOMES.c.outcome_date.desc(), OUTCOMES.c.id.desc())
        ).mappings()
    ]


def letters_sent(conn: Connection, nhs_number: str) -> list[dict[str, Any]]:
    """Every letter the engine produced for the person, newest first (the run store's ``letters_issued``)."""
    return [
        dict(r)
        for r in conn.execute(
            select(LETTERS.c.issued_on, LETTERS.c.letter, LETTERS.c.format, LETTERS.c.language, LETTERS.c.flags)
            .where(LETTERS.c.nhs_number == nhs_number)
            .order_by(LETTERS.c.issued_on.desc(), LETTERS.c.id.desc())
        ).mappings()
    ]


def record_outcome(
    conn: Connection, nhs_number: str, team: str, result: str, on: date, note: str | None, by: str
) -> None:
    conn.execute(
        OUTCOMES.insert().values(
            nhs_number=nhs_number,
            team=team,
            result=result,
            outcome_date=on,
            note=note or None,
            recorded_at=utcnow(),
            recorded_by=by,
        )
    )


def allocate(conn: Connection, run_id: str, key: str, nhs_number: str, team: str, by: str) -> None:
    """A lead's allocation: recorded for the next runs and applied to tonight's list at once."""
    conn.execute(ALLOCATIONS.insert().values(nhs_number=nhs_number, team=team, allocated_by=by, allocated_at=utcnow()))
    last = conn.execute(
        select(func.max(ENTRIES.c.priority)).where(ENTRIES.c.run_id == run_id, ENTRIES.c.team == team)
    ).scalar()
    conn.execute(
        update(ENTRIES)
        .where(ENTRIES.c.run_id == run_id, ENTRIES.c.person_key == key)
        .values(team=team, priority=int(last or 0) + 1)
    )


def known_teams(conn: Connection, run_id: str) -> list[str]:
    return [
        t
        for (t,) in conn.execute(
            select(ENTRIES.c.team)
            .where(ENTRIES.c.run_id == run_id, ENTRIES.c.team != UNALLOCATED)
            .distinct()
            .order_by(ENTRIES.c.team)
        )
    ]
