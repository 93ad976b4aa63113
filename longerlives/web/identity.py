"""Who is signing in: the authentication seam of the web worklist.

An ``Authenticator`` turns the evidence a sign-in brings into a ``User`` (id, username,
role, teams) or refuses it. Everything after that — the server-side session, its CSRF
token, scoping by role and teams, the audit trail — is the same whoever vouched, and
none of it touches a password (``app.py`` calls ``begin_session`` for every kind).

* ``LocalPasswords`` — a username and password checked against the Argon2id hash in
  ``web_users`` (lockout after repeated failures): what ``longerlives serve`` uses today.
* ``OpenIdClaims`` — the verified claims of an OpenID Connect ID token (NHS CIS2
  Authentication, NHSmail / Entra ID), after the authorization-code + PKCE flow has
  checked the token's signature, issuer, audience, expiry and nonce. The account is found
  by (provider, ``sub``) — never by a name or e-mail address, which can be reused — and its
  role and teams come either from the account an admin linked (``--external-subject``)
  or from claims, by a ``ClaimMapping``. How the flow plugs in: docs/web.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from longerlives.web import auth
from longerlives.web.auth import USERS, User, utcnow
from longerlives.web.settings import WebSettings


@dataclass(frozen=True)
class PasswordEvidence:
    username: str
    password: str


@dataclass(frozen=True)
class ClaimsEvidence:
    """The claims of an ID token that the OpenID Connect client has already verified."""

    issuer: str
    claims: Mapping[str, Any]


Evidence = PasswordEvidence | ClaimsEvidence


class Authenticator(Protocol):
    """Evidence in, a ``User`` (or None) out; ``provider`` is what the audit trail records."""

    provider: str

    def authenticate(self, conn: Connection, evidence: Evidence) -> User | None: ...


@dataclass(frozen=True)
class LocalPasswords:
    """Local accounts: Argon2id hashes in ``web_users``, lockout, the same cost for unknown names."""

    settings: WebSettings
    provider: str = "local"

    def authenticate(self, conn: Connection, evidence: Evidence) -> User | None:
        if not isinstance(evidence, PasswordEvidence):
            return None
        return auth.authenticate(conn, evidence.username.strip(), evidence.password, self.settings)


@dataclass(frozen=True)
class ClaimMapping:
    """How an identity provider's claims become a role and teams.

    ``role_claim`` holds a list of the provider's role names (Entra ID app roles: ``roles``;
    for NHS CIS2 the application derives one from the selected RBAC role's activity codes in
    ``nhsid_nrbac_roles`` and passes it here); ``roles`` maps those names to ours, and when
    several match the most privileged (admin over lead over team) is taken.
    ``teams_claim`` lists core-team codes (an Entra group claim, or the application's mapping
    of CIS2 organisation / workgroup codes). With ``from_claims`` false the provider only
    says *who*: role and teams stay as an admin set them on the linked account."""

    role_claim: str = "roles"
    teams_claim: str = "longerlives_teams"
    roles: Mapping[str, str] = field(
        default_factory=lambda: {"LongerLives.Team": "team", "LongerLives.Lead": "lead", "LongerLives.Admin": "admin"}
    )
    from_claims: bool = True


_RANK = {"team": 0, "lead": 1, "admin": 2}


def _role_and_teams(claims: Mapping[str, Any], mapping: ClaimMapping) -> tuple[str | None, list[str]]:
    raw_roles = claims.get(mapping.role_claim) or []
    raw_roles = [raw_roles] if isinstance(raw_roles, str) else list(raw_roles)
    ours = [mapping.roles[r] for r in raw_roles if isinstance(r, str) and r in mapping.roles]
    role = max(ours, key=_RANK.__getitem__) if ours else None
    raw_teams = claims.get(mapping.teams_claim) or []
    raw_teams = [raw_teams] if isinstance(raw_teams, str) else list(raw_teams)
    teams = sorted({t for t in raw_teams if isinstance(t, str) and auth._TEAM.match(t)})
    return role, teams


@dataclass(frozen=True)
class OpenIdClaims:
    """An OpenID Connect provider's verified claims → a ``User`` (see the module docstring).

    The account is ``web_users`` where ``auth_provider`` is ``oidc:<name>`` and
    ``external_subject`` is the ``sub`` claim. With ``mapping.from_claims`` the account is
    made on first sign-in and its role and teams follow the claims at every sign-in (a
    person who moves team in the directory moves here at their next sign-in); without it
    only an account an admin linked beforehand may sign in. A disabled account is refused
    either way, and claims that give no role of ours are refused."""

    issuer: str
    name: str  # a short name for the provider, e.g. "cis2" or "entra": web_users.auth_provider is oidc:<name>
    mapping: ClaimMapping = field(default_factory=ClaimMapping)

    def __post_init__(self) -> None:
        if not auth._TEAM.match(self.name) or len(self.name) > 27:
            raise ValueError("an identity provider's name is 1-27 letters, digits, _ or -")

    @property
    def provider(self) -> str:
        return f"oidc:{self.name}"

    def authenticate(self, conn: Connection, evidence: Evidence) -> User | None:
        if not isinstance(evidence, ClaimsEvidence) or evidence.issuer != self.issuer:
            return None
        subject = evidence.claims.get("sub")
        if not isinstance(subject, str) or not subject or len(subject) > 255:
            return None
        row = conn.execute(
            select(USERS).where(USERS.c.auth_provider == self.provider, USERS.c.external_subject == subject)
        ).first()
        now = utcnow()
        if not self.mapping.from_claims:
            if row is None or not row._mapping["active"]:
                return None
            conn.execute(update(USERS).where(USERS.c.id == row._mapping["id"]).values(last_sign_in=now))
            return auth._user(row)
        role, teams = _role_and_teams(evidence.claims, self.mapping)
        if role is None or (role == "team" and not teams):
            return None
        if row is None:
            username = f"{subject[:40]}@{self.name}"[:64]
            res = conn.execute(
                USERS.insert().values(
                    username=username,
                    role=role,
                    teams=";".join(teams) or None,
                    auth_provider=self.provider,
                    external_subject=subject,
                    password_hash=None,  # never signs in with a password
                    must_change_password=False,
                    active=True,
                    failed_sign_ins=0,
                    created_at=now,
                    last_sign_in=now,
                )
            )
            key = res.inserted_primary_key
            assert key is not None
            row = conn.execute(select(USERS).where(USERS.c.id == int(key[0]))).first()
        else:
            if not row._mapping["active"]:
                return None
            conn.execute(
                update(USERS)
                .where(USERS.c.id == row._mapping["id"])
                .values(role=role, teams=";".join(teams) or None, last_sign_in=now)
            )
            row = conn.execute(select(USERS).where(USERS.c.id == row._mapping["id"])).first()
        assert row is not None
        return auth._user(row)


def begin_session(conn: Connection, user: User, settings: WebSettings) -> str:
    """A new server-side session for a user any authenticator vouched for; the cookie value."""
    return auth.create_session(conn, user, settings)
