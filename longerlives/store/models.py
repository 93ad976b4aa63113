"""Run-store tables (SQLModel). The schema is owned by the Alembic migrations in
``migrations/versions``; these classes must match head (a test compares them).

No table holds more patient data than it needs: NHS numbers, flag ids, dates,
letter ids and outcome notes. Logs never print any of it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Run(SQLModel, table=True):
    __tablename__ = "runs"

    run_id: str = Field(primary_key=True, max_length=64)
    as_of: date = Field(index=True)
    status: str = Field(max_length=16)  # running | succeeded | failed
    started_at: datetime
    finished_at: Optional[datetime] = None
    engine_version: Optional[str] = Field(default=None, max_length=32)
    out_dir: Optional[str] = Field(default=None, sa_column=Column(Text))
    people_in_scope: Optional[int] = None
    open_flags: Optional[int] = None
    error: Optional[str] = Field(default=None, sa_column=Column(Text))
    # added in revision 0002
    config_hash: Optional[str] = Field(default=None, max_length=64)
    health_check_cohort: Optional[int] = None
    phc_six_complete: Optional[int] = None
    flags_opened: Optional[int] = None
    flags_closed: Optional[int] = None
    letters_issued: Optional[int] = None
    outcomes_applied: Optional[int] = None
    summary_json: Optional[str] = Field(default=None, sa_column=Column(Text))


class FlagHistory(SQLModel, table=True):
    """One row per episode of a flag for a person: opened, last seen, resolved."""

    __tablename__ = "flag_history"
    # a person's episodes of a flag; resolved_on is not in it, so resolving one changes no index (0005)
    __table_args__ = (Index("ix_flag_history_person_flag", "nhs_number", "flag"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    nhs_number: str = Field(max_length=10)
    flag: str = Field(max_length=64)
    since: Optional[date] = None
    first_seen: date
    last_seen: date
    resolved_on: Optional[date] = None
    first_run_id: str = Field(max_length=64)
    last_run_id: str = Field(max_length=64)


class LetterIssued(SQLModel, table=True):
    __tablename__ = "letters_issued"
    __table_args__ = (UniqueConstraint("nhs_number", "letter", "issued_on", name="uq_letter_once_a_day"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    run_id: str = Field(max_length=64, index=True)
    # a person's letters are found through uq_letter_once_a_day, which begins with nhs_number (0006)
    nhs_number: str = Field(max_length=10)
    issued_on: date
    letter: str = Field(max_length=64)
    language: Optional[str] = Field(default=None, max_length=16)
    format: Optional[str] = Field(default=None, max_length=16)
    path: Optional[str] = Field(default=None, sa_column=Column(Text))
    flags: Optional[str] = Field(default=None, sa_column=Column(Text))  # ';'-joined flags the letter covered


class OutreachOutcome(SQLModel, table=True):
    __tablename__ = "outreach_outcomes"
    __table_args__ = (Index("ix_outreach_outcomes_date", "nhs_number", "outcome_date"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    # a person's outcomes are found through ix_outreach_outcomes_date, which begins with nhs_number (0006)
    nhs_number: str = Field(max_length=10)
    team: str = Field(max_length=32)
    result: str = Field(max_length=32)  # widened in 0004_web
    outcome_date: date
    note: Optional[str] = Field(default=None, sa_column=Column(Text))
    recorded_at: datetime
    recorded_by: Optional[str] = Field(default=None, max_length=64)  # web user; None from the CLI


class AuditEvent(SQLModel, table=True):
    """Exports written and deliveries made (or failed), one row per practice and channel."""

    __tablename__ = "audit_events"

    id: Optional[int] = Field(default=None, primary_key=True)
    run_id: str = Field(max_length=64, index=True)
    as_of: date
    at: datetime
    kind: str = Field(max_length=16)  # export | delivery
    practice_code: str = Field(max_length=16)
    channel: Optional[str] = Field(default=None, max_length=16)  # outbox | mesh
    target: Optional[str] = Field(default=None, sa_column=Column(Text))  # folder or mailbox id
    rows: Optional[int] = None
    sha256: Optional[str] = Field(default=None, max_length=64)
    status: str = Field(max_length=16)  # ok | skipped | failed
    message_id: Optional[str] = Field(default=None, max_length=128)
    detail: Optional[str] = Field(default=None, sa_column=Column(Text))


class CoverageRow(SQLModel, table=True):
    """Coverage numbers of one run (revision 0003_coverage): raw counts, suppressed only when shown."""

    __tablename__ = "coverage"
    __table_args__ = (Index("ix_coverage_measure_group", "measure", "group_by", "group"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    run_id: str = Field(max_length=64, index=True)
    as_of: date
    measure: str = Field(max_length=64)
    group_by: str = Field(max_length=32)
    group: str = Field(max_length=128)
    numerator: int
    denominator: int


# The web worklist's tables (revision 0004_web) live in their own module.
from longerlives.store.web_models import (  # noqa: E402,F401
    Allocation,
    WebAudit,
    WebKey,
    WebSession,
    WebUser,
    WorklistEntry,
)
