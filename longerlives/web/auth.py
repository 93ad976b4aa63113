"""Accounts, passwords, sessions and sign-in throttling for the web worklist.

* Passwords: Argon2id (argon2-cffi's defaults, RFC 9106 profile); a hash made with
  older parameters is upgraded at the next successful sign-in.
* Sessions are server-side (``web_sessions``): the cookie holds a random token, the
  store holds only its SHA-256, the user, the CSRF token, and times. Idle and
  absolute timeouts come from ``config/web.toml``.
* Lockout: ``lockout_failures`` failed sign-ins in a row lock the account for
  ``lockout_minutes``; ``SignInLimiter`` throttles attempts per client address.
* OpenID Connect: ``web_users.auth_provider`` / ``external_subject`` let a provider
  (NHS CIS2, NHSmail / Entra ID) vouch for a user instead of a password (identity.py,
  oidc.py); everything after sign-in (sessions, roles, teams, audit) stays as it is.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from longerlives.errors import LongerlivesError
from longerlives.store.web_models import WebSession, WebUser, table_of
from longerlives.web.settings import WebSettings

USERS = table_of(WebUser)
SESSIONS = table_of(WebSession)
ROLES = ("team", "lead", "admin")
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not a real password, used to even out timing")
_USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,64}$")
_TEAM = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(t: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: they were stored as UTC."""
    if t is None:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    teams: tuple[str, ...]
    must_change_password: bool = False

    @property
    def sees_every_team(self) -> bool:
        return self.role in ("lead", "admin")

    def can_see_team(self, team: str) -> bool:
        return self.sees_every_team or team in self.teams


def _user(row: object) -> User:
    r = row._mapping  # type: ignore[attr-defined]
    teams = tuple(t for t in (r["teams"] or "").split(";") if t)
    return User(int(r["id"]), str(r["username"]), str(r["role"]), teams, bool(r["must_change_password"]))


# -- accounts (the `longerlives users` command) -------------------------------------
def hash_password(password: str, settings: WebSettings) -> str:
    if len(password) < settings.min_password_length:
        raise LongerlivesError(f"the password must be at least {settings.min_password_length} characters long")
    return _HASHER.hash(password)


def add_user(
    conn: Connection,
    username: str,
    role: str,
    teams: list[str],
    password: str,
    settings: WebSettings,
    *,
    must_change_password: bool = False,
) -> int:
    if not _USERNAME.match(username):
        raise LongerlivesError("a username is 2-64 letters, digits or . _ @ -")
    if role not in ROLES:
        raise LongerlivesError(f"role must be one of {', '.join(ROLES)}")
    bad = [t for t in teams if not _TEAM.match(t)]
    if bad:
        raise LongerlivesError("a team code is 1-32 letters, digits, _ or -")
    if role == "team" and not teams:
        raise LongerlivesError("a team user needs at least one --team CODE")
    if conn.execute(select(USERS.c.id).where(USERS.c.username == username)).first():
        raise LongerlivesError(f"there is already a user called {username}")
    res = conn.execute(
        USERS.insert().values(
            username=username,
            role=role,
            teams=";".join(sorted(set(teams))) or None,
            auth_provider="local",
            password_hash=hash_password(password, settings),
            must_change_password=must_change_password,
            active=True,
            failed_sign_ins=0,
            created_at=utcnow(),
        )
    )
    key = res.inserted_primary_key
    assert key is not None
    return int(key[0])


def set_password(conn: Connection, user_id: int, password: str, settings: WebSettings) -> None:
    """A user's own new password (ends the one-time password)."""
    conn.execute(
        update(USERS)
        .where(USERS.c.id == user_id)
        .values(password_hash=hash_password(password, settings), must_change_password=False)
    )


def list_users(conn: Connection) -> list[dict[str, object]]:
    rows = conn.execute(
        select(
            USERS.c.id,
            USERS.c.username,
            USERS.c.role,
            USERS.c.teams,
            USERS.c.active,
            USERS.c.locked_until,
            USERS.c.last_sign_in,
        ).order_by(USERS.c.username)
    ).mappings()
    return [dict(r) for r in rows]


def disable_user(conn: Connection, username: str) -> None:
    res = conn.execute(update(USERS).where(USERS.c.username == username).values(active=False))
    if res.rowcount == 0:
        raise LongerlivesError(f"no user called {username}")
    uid = conn.execute(select(USERS.c.id).where(USERS.c.username == username)).scalar_one()
    conn.execute(delete(SESSIONS).where(SESSIONS.c.user_id == uid))  # signed out everywhere at once


# -- sign-in ------------------------------------------------------------------------
class SignInLimiter:
    """At most ``per_minute`` sign-in attempts per client address in any 60 seconds (per process)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            q = self._hits.setdefault(client, deque())
            while q and now - q[0] >= 60:
                q.popleft()
            if len(q) >= self.per_minute:
                return False
            q.append(now)
            return True


def authenticate(conn: Connection, username: str, password: str, settings: WebSettings) -> User | None:
    """The user when the password is right and the account active and not locked; else None.

    Every failure counts towards the lockout; a success resets the count."""
    row = conn.execute(select(USERS).where(USERS.c.username == username)).first()
    if row is None or not row._mapping["password_hash"]:
        try:
            _HASHER.verify(_DUMMY_HASH, password)  # same cost whether or not the user exists
        except VerificationError:
            pass
        return None
    r = row._mapping
    now = utcnow()
    locked_until = _aware(r["locked_until"])
    if not r["active"] or (locked_until is not None and locked_until > now):
        return None
    try:
        _HASHER.verify(r["password_hash"], password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        failures = int(r["failed_sign_ins"] or 0) + 1
        values: dict[str, object] = {"failed_sign_ins": failures}
        if failures >= settings.lockout_failures:
            values = {"failed_sign_ins": 0, "locked_until": now + timedelta(minutes=settings.lockout_minutes)}
        conn.execute(update(USERS).where(USERS.c.id == r["id"]).values(**values))
        return None
    values = {"failed_sign_ins": 0, "locked_until": None, "last_sign_in": now}
    if _HASHER.check_needs_rehash(r["password_hash"]):
        values["password_hash"] = _HASHER.hash(password)
    conn.execute(update(USERS).where(USERS.c.id == r["id"]).values(**values))
    return _user(row)


# -- sessions -----------------------------------------------------------------------
def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    token_hash: str
    user: User
    csrf_token: str
    search_text: str | None


def create_session(conn: Connection, user: User, settings: WebSettings) -> str:
    """A new session for ``user``; returns the cookie value (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    conn.execute(
        SESSIONS.insert().values(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
        )
    )
    conn.execute(delete(SESSIONS).where(SESSIONS.c.expires_at < now))  # tidy expired ones
    return token


def load_session(conn: Connection, token: str | None, settings: WebSettings) -> Session | None:
    """The live session for a cookie value (None when unknown, expired, idle too long or the user disabled)."""
    if not token:
        return None
    h = _digest(token)
    row = conn.execute(
        select(
            SESSIONS.c.token_hash,
            SESSIONS.c.csrf_token,
            SESSIONS.c.search_text,
            SESSIONS.c.last_seen,
            SESSIONS.c.expires_at,
            USERS.c.id,
            USERS.c.username,
            USERS.c.role,
            USERS.c.teams,
            USERS.c.active,
            USERS.c.must_change_password,
        )
        .join(USERS, USERS.c.id == SESSIONS.c.user_id)
        .where(SESSIONS.c.token_hash == h)
    ).first()
    if row is None:
        return None
    r = row._mapping
    now = utcnow()
    last_seen, expires = _aware(r["last_seen"]), _aware(r["expires_at"])
    idle = timedelta(minutes=settings.session_idle_minutes)
    if not r["active"] or expires is None or expires <= now or last_seen is None or now - last_seen > idle:
        conn.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == h))
        return None
    if now - last_seen > timedelta(seconds=60):  # one write a minute at most
        conn.execute(update(SESSIONS).where(SESSIONS.c.token_hash == h).values(last_seen=now))
    return Session(h, _user(row), str(r["csrf_token"]), r["search_text"])


def end_session(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(SESSIONS).where(SESSIONS.c.token_hash == token_hash))


def set_search(conn: Connection, token_hash: str, text: str | None) -> None:
    conn.execute(update(SESSIONS).where(SESSIONS.c.token_hash == token_hash).values(search_text=text or None))


def csrf_ok(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and secrets.compare_digest(str(expected), str(given))
