"""Tables for the web worklist (issue 13, revision ``0004_web``).

* ``worklist_entries`` — each nightly run's worklist, one row per person with open
  flags, so the web app needs no output files;
* ``web_users`` / ``web_sessions`` — local accounts (Argon2 hashes) and server-side
  sessions; ``auth_provider`` + ``external_subject`` let an OpenID Connect provider
  (NHS CIS2, NHSmail / Entra ID) replace local passwords later;
* ``web_audit`` — every view of a person and every change (who, when, what);
* ``allocations`` — a lead's allocation of a person to a core team;
* ``web_keys`` — the server secret behind opaque person ids in URLs.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Table, Text
from sqlmodel import Field, SQLModel


class WorklistEntry(SQLModel, table=True):
    __tablename__ = "worklist_entries"
    __table_args__ = (
        Index("ix_worklist_entries_list", "run_id", "team", "urgency_order", "priority"),
        Index("ix_worklist_entries_person", "run_id", "person_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(max_length=64)
    team: str = Field(max_length=32)
    person_key: str = Field(max_length=32)  # opaque id used in URLs (keyed hash of the NHS number)
    nhs_number: str = Field(max_length=10)
    name: str | None = Field(default=None, sa_column=Column(Text))
    practice_code: str | None = Field(default=None, max_length=16)
    priority: int
    urgency: str = Field(max_length=16)  # same_day | soon | routine
    urgency_order: int  # 0 same_day, 1 soon, 2 routine
    marginalisation_rank: int | None = None
    outreach: bool
    flags: str = Field(sa_column=Column(Text, nullable=False))  # ';'-joined flag ids
    flag_words: str | None = Field(default=None, sa_column=Column(Text))  # '; '-joined plain titles
    kinds: str | None = Field(default=None, max_length=128)  # ';kind;kind;' for the kind-of-flag filter
    safety: str | None = Field(default=None, sa_column=Column(Text))
    reasons_json: str | None = Field(default=None, sa_column=Column(Text))  # [{flag, title, reason, since}]
    plan_json: str | None = Field(default=None, sa_column=Column(Text))  # ["step", ...] in order
    outreach_reasons: str | None = Field(default=None, sa_column=Column(Text))
    lead: str | None = Field(default=None, sa_column=Column(Text))
    communication_needs: str | None = Field(default=None, sa_column=Column(Text))
    reasonable_adjustments: str | None = Field(default=None, sa_column=Column(Text))
    language: str | None = Field(default=None, sa_column=Column(Text))
    contact: str | None = Field(default=None, sa_column=Column(Text))
    last_letter: date | None = None
    letter_this_run: str | None = Field(default=None, sa_column=Column(Text))
    letter_note: str | None = Field(default=None, sa_column=Column(Text))
    risk_json: str | None = Field(default=None, sa_column=Column(Text))


class WebUser(SQLModel, table=True):
    __tablename__ = "web_users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    role: str = Field(max_length=16)  # team | lead | admin
    teams: str | None = Field(default=None, sa_column=Column(Text))  # ';'-joined team codes
    auth_provider: str = Field(max_length=32)  # local (Argon2) | oidc later
    external_subject: str | None = Field(default=None, max_length=255)
    password_hash: str | None = Field(default=None, sa_column=Column(Text))
    must_change_password: bool
    active: bool
    failed_sign_ins: int
    locked_until: datetime | None = None
    created_at: datetime
    last_sign_in: datetime | None = None


class WebSession(SQLModel, table=True):
    __tablename__ = "web_sessions"

    token_hash: str = Field(primary_key=True, max_length=64)  # sha256 of the cookie value
    user_id: int = Field(index=True)
    csrf_token: str = Field(max_length=64)
    search_text: str | None = Field(default=None, sa_column=Column(Text))  # kept here, never in a URL
    created_at: datetime
    last_seen: datetime
    expires_at: datetime


class WebAudit(SQLModel, table=True):
    __tablename__ = "web_audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    username: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=32)
    team: str | None = Field(default=None, max_length=32)
    person_key: str | None = Field(default=None, max_length=32)
    outcome: str = Field(max_length=16)  # ok | denied | not_found | failed
    detail: str | None = Field(default=None, sa_column=Column(Text))


class Allocation(SQLModel, table=True):
    __tablename__ = "allocations"

    id: int | None = Field(default=None, primary_key=True)
    nhs_number: str = Field(max_length=10, index=True)
    team: str = Field(max_length=32)
    allocated_by: str = Field(max_length=64)
    allocated_at: datetime


class WebKey(SQLModel, table=True):
    __tablename__ = "web_keys"

    name: str = Field(primary_key=True, max_length=32)
    value: str = Field(max_length=128)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table behind a SQLModel class (typed, for bulk SQLAlchemy Core work)."""
    return model.__table__  # type: ignore[attr-defined,no-any-return]
