"""The authentication seam (longerlives/web/identity.py): an identity provider's verified
claims give a user whose session, scoping and audit are exactly those of a password user.
Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from longerlives.store import open_store
from longerlives.web.app import create_app
from longerlives.web.auth import USERS
from longerlives.web.identity import (
    ClaimMapping,
    ClaimsEvidence,
    LocalPasswords,
    OpenIdClaims,
    PasswordEvidence,
    begin_session,
)
from longerlives.web.settings import WebSettings

from .conftest import PASSWORD, person_keys

CIS2 = "https://am.nhsint.auth-ptl.cis2.spineservices.nhs.uk/openam/oauth2/realms/root/realms/NHSIdentity/realms/Healthcare"
ENTRA = "https://login.microsoftonline.com/tenant-id/v2.0"


def _sign_in_with_claims(url: str, provider: OpenIdClaims, claims: dict) -> str | None:
    with open_store(url).engine.begin() as conn:
        user = provider.authenticate(conn, ClaimsEvidence(provider.issuer, claims))
        return begin_session(conn, user, WebSettings()) if user else None


def _client(url: str, token: str) -> TestClient:
    c = TestClient(create_app(url), base_url="https://testserver")
    c.cookies.set("__Host-ll_session", token)
    return c


def test_nurse_vouched_for_by_an_identity_provider_sees_only_her_team_like_a_password_user(store_url):
    token = _sign_in_with_claims(
        store_url,
        OpenIdClaims(ENTRA, "entra"),
        {"sub": "9f1c-entra-oid", "roles": ["LongerLives.Team"], "longerlives_teams": ["T1"]},
    )
    assert token is not None
    with _client(store_url, token) as c:
        page = c.get("/")
        assert page.status_code == 200 and page.url.path == "/worklist/T1"
        assert "Cat Sameday" in page.text and "Eve Othersteam" not in page.text
        assert c.get("/worklist/T2").status_code == 404
        assert c.get(f"/person/{person_keys(page.text)[0]}").status_code == 200
    with open_store(store_url).engine.connect() as conn:
        row = conn.execute(select(USERS).where(USERS.c.external_subject == "9f1c-entra-oid")).one()._mapping
    assert row["auth_provider"].startswith("oidc:") and row["password_hash"] is None


def test_claims_without_one_of_our_roles_are_refused_and_no_account_is_made(store_url):
    provider = OpenIdClaims(CIS2, "cis2")
    assert _sign_in_with_claims(store_url, provider, {"sub": "555012345678", "roles": ["Receptionist"]}) is None
    # a team role with no team would see nothing: refused too
    assert _sign_in_with_claims(store_url, provider, {"sub": "555012345678", "roles": ["LongerLives.Team"]}) is None
    with open_store(store_url).engine.connect() as conn:
        assert conn.execute(select(USERS).where(USERS.c.external_subject == "555012345678")).first() is None


def test_nurse_who_moves_team_in_the_directory_moves_here_at_her_next_sign_in(store_url):
    provider = OpenIdClaims(ENTRA, "entra")
    first = {"sub": "mover", "roles": ["LongerLives.Team"], "longerlives_teams": ["T1"]}
    assert _sign_in_with_claims(store_url, provider, first)
    token = _sign_in_with_claims(store_url, provider, {**first, "longerlives_teams": ["T2"]})
    assert token is not None
    with _client(store_url, token) as c:
        assert c.get("/worklist/T1").status_code == 404
        assert "Eve Othersteam" in c.get("/worklist/T2").text


def test_disabled_provider_account_is_refused_even_with_good_claims(store_url):
    provider = OpenIdClaims(ENTRA, "entra")
    claims = {"sub": "leaver", "roles": ["LongerLives.Lead"]}
    assert _sign_in_with_claims(store_url, provider, claims)
    with open_store(store_url).engine.begin() as conn:
        conn.execute(update(USERS).where(USERS.c.external_subject == "leaver").values(active=False))
    assert _sign_in_with_claims(store_url, provider, claims) is None


def test_linked_only_provider_admits_only_accounts_an_admin_linked_and_keeps_their_teams(store_url):
    provider = OpenIdClaims(CIS2, "cis2", ClaimMapping(from_claims=False))
    claims = {"sub": "555000111222", "roles": ["LongerLives.Admin"]}  # claims cannot raise the role
    assert _sign_in_with_claims(store_url, provider, claims) is None  # not linked yet
    with open_store(store_url).engine.begin() as conn:
        conn.execute(
            update(USERS)
            .where(USERS.c.username == "nurse.t2")
            .values(auth_provider=provider.provider, external_subject="555000111222")
        )
    token = _sign_in_with_claims(store_url, provider, claims)
    assert token is not None
    with _client(store_url, token) as c:
        assert c.get("/").url.path == "/worklist/T2"
        assert c.get("/admin/users").status_code == 404


def test_same_subject_from_another_provider_is_another_person(store_url):
    claims = {"sub": "shared-sub", "roles": ["LongerLives.Team"], "longerlives_teams": ["T1"]}
    assert _sign_in_with_claims(store_url, OpenIdClaims(ENTRA, "entra"), claims)
    linked_only = OpenIdClaims(CIS2, "cis2", ClaimMapping(from_claims=False))
    assert _sign_in_with_claims(store_url, linked_only, claims) is None


def test_each_authenticator_takes_only_its_own_evidence(store_url):
    with open_store(store_url).engine.begin() as conn:
        local = LocalPasswords(WebSettings())
        assert local.authenticate(conn, PasswordEvidence("nurse.t1", PASSWORD)) is not None
        assert local.authenticate(conn, ClaimsEvidence(ENTRA, {"sub": "nurse.t1"})) is None
        provider = OpenIdClaims(ENTRA, "entra")
        assert provider.authenticate(conn, PasswordEvidence("nurse.t1", PASSWORD)) is None
        evidence = ClaimsEvidence(CIS2, {"sub": "x", "roles": ["LongerLives.Lead"]})
        assert provider.authenticate(conn, evidence) is None  # claims from another issuer


@pytest.mark.parametrize("sub", ["", None, "x" * 256])
def test_claims_without_a_usable_subject_are_refused(store_url, sub):
    assert (
        _sign_in_with_claims(store_url, OpenIdClaims(ENTRA, "entra"), {"sub": sub, "roles": ["LongerLives.Lead"]})
        is None
    )
