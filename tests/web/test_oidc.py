"""OpenID Connect sign-in (authorization code + PKCE) against a real OpenID provider running
locally (oidc-provider-mock from PyPI, in a thread): discovery, the authorization form, the
token endpoint, signed ID tokens and JWKS are the provider's own; nothing is mocked in our app.
Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx
import oidc_provider_mock
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from longerlives.errors import ConfigError
from longerlives.store import open_store
from longerlives.store.web_models import WebAudit
from longerlives.web.app import create_app
from longerlives.web.oidc import OidcProvider, load_oidc_provider

from .conftest import csrf, person_keys, sign_in

REDIRECT = "https://testserver/login/oidc/callback"


@pytest.fixture
def issuer(monkeypatch):
    # The provider speaks plain HTTP on loopback; Authlib refuses non-HTTPS token endpoints unless told.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def _provider(issuer: str) -> OidcProvider:
    return OidcProvider(
        name="entra",
        issuer=issuer,
        client_id="longerlives-worklist",
        client_secret="a client secret from the environment",
        redirect_uri=REDIRECT,
        label="Sign in with your NHS account",
    )


def _directory_user(issuer: str, sub: str, claims: dict) -> None:
    assert httpx.put(f"{issuer}/users/{sub}", json=claims).status_code == 204


def _sign_in_at_provider(c: TestClient, sub: str) -> str:
    """Our /login/oidc, the provider's form answered as `sub`; the callback URL the browser is sent back to."""
    start = c.get("/login/oidc", follow_redirects=False)
    assert start.status_code == 303
    authorize = start.headers["location"]
    q = parse_qs(urlsplit(authorize).query)
    assert q["code_challenge_method"] == ["S256"] and q["code_challenge"] and q["nonce"] and q["state"]
    back = httpx.post(authorize, data={"sub": sub}, follow_redirects=False)
    assert back.status_code in (302, 303), back.text[:300]
    assert back.headers["location"].startswith(REDIRECT)
    return back.headers["location"].removeprefix("https://testserver")


def _audit(url: str) -> list[dict]:
    with open_store(url).engine.connect() as conn:
        t = WebAudit.__table__
        return [dict(r) for r in conn.execute(select(t).order_by(t.c.id)).mappings()]


def test_nurse_signs_in_through_the_identity_provider_and_sees_only_her_team(store_url, issuer):
    _directory_user(issuer, "nurse-oid-1", {"roles": ["LongerLives.Team"], "longerlives_teams": ["T1"]})
    with TestClient(create_app(store_url, oidc=_provider(issuer)), base_url="https://testserver") as c:
        assert "Sign in with your NHS account" in c.get("/login").text
        callback = _sign_in_at_provider(c, "nurse-oid-1")
        landed = c.get(callback)
        assert landed.status_code == 200 and 'http-equiv="refresh" content="0; url=/"' in landed.text
        home = c.get("/")
        assert home.status_code == 200 and home.url.path == "/worklist/T1"
        assert "Cat Sameday" in home.text and "Eve Othersteam" not in home.text
        assert c.get("/worklist/T2").status_code == 404
        person = c.get(f"/person/{person_keys(home.text)[0]}")
        assert person.status_code == 200
        out = c.post("/logout", data={"csrf_token": csrf(person.text)}, follow_redirects=False)
        assert out.status_code == 303 and c.get("/worklist/T1", follow_redirects=False).status_code == 303
    signed_in = [a for a in _audit(store_url) if a["action"] == "sign_in" and a["outcome"] == "ok"]
    assert signed_in and signed_in[-1]["detail"] == "oidc:entra"


def test_callback_that_did_not_start_in_this_browser_is_refused_and_audited(store_url, issuer):
    _directory_user(issuer, "victim", {"roles": ["LongerLives.Lead"]})
    app = create_app(store_url, oidc=_provider(issuer))
    with (
        TestClient(app, base_url="https://testserver") as attacker,
        TestClient(app, base_url="https://testserver") as c,
    ):
        callback = _sign_in_at_provider(attacker, "victim")  # a sign-in started elsewhere (login CSRF)
        r = c.get(callback, follow_redirects=False)
        assert r.status_code == 403 and "did not start here" in r.text
        assert c.get("/teams", follow_redirects=False).headers["location"] == "/login"
    refused = [a for a in _audit(store_url) if a["action"] == "sign_in" and a["outcome"] == "failed"]
    assert refused and "oidc:entra" in refused[-1]["detail"]


def test_an_authorization_code_signs_in_only_once(store_url, issuer):
    _directory_user(issuer, "nurse-oid-2", {"roles": ["LongerLives.Team"], "longerlives_teams": ["T1"]})
    app = create_app(store_url, oidc=_provider(issuer))
    with TestClient(app, base_url="https://testserver") as c:
        callback = _sign_in_at_provider(c, "nurse-oid-2")
        cookie = c.cookies.get("__Host-ll_oidc")
        assert c.get(callback).status_code == 200 and c.get("/").url.path == "/worklist/T1"
    with TestClient(app, base_url="https://testserver") as replay:
        replay.cookies.set("__Host-ll_oidc", cookie)
        r = replay.get(callback, follow_redirects=False)
        assert r.status_code == 403 and "refused" in r.text
        assert replay.get("/teams", follow_redirects=False).status_code == 303


def test_person_whose_directory_entry_gives_no_role_here_is_told_and_not_signed_in(store_url, issuer):
    _directory_user(issuer, "receptionist", {"roles": ["Receptionist"]})
    with TestClient(create_app(store_url, oidc=_provider(issuer)), base_url="https://testserver") as c:
        r = c.get(_sign_in_at_provider(c, "receptionist"), follow_redirects=False)
        assert r.status_code == 403 and "does not give you access" in r.text
        assert c.get("/teams", follow_redirects=False).headers["location"] == "/login"


def test_local_passwords_still_work_beside_the_provider_and_alone_no_provider_button(store_url, issuer):
    with TestClient(create_app(store_url, oidc=_provider(issuer)), base_url="https://testserver") as c:
        assert sign_in(c, "nurse.t1").url.path == "/worklist/T1"
    with TestClient(create_app(store_url), base_url="https://testserver") as c:
        assert "Sign in with your NHS account" not in c.get("/login").text
        assert c.get("/login/oidc", follow_redirects=False).status_code == 404


EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


@pytest.mark.parametrize("example", ["oidc-cis2.toml", "oidc-entra.toml"])
def test_documented_provider_examples_load_with_the_secret_from_the_environment(example):
    provider = load_oidc_provider(EXAMPLES / example, {"LONGERLIVES_OIDC_CLIENT_SECRET": "s3cret"})
    assert provider.client_secret == "s3cret" and provider.redirect_uri.endswith("/login/oidc/callback")
    assert provider.issuer.startswith("https://")


def test_provider_file_without_its_secret_in_the_environment_stops_serve_with_a_clear_message():
    with pytest.raises(ConfigError, match="LONGERLIVES_OIDC_CLIENT_SECRET"):
        load_oidc_provider(EXAMPLES / "oidc-entra.toml", {})


def test_provider_file_mapping_claims_to_an_unknown_role_is_refused(tmp_path):
    bad = tmp_path / "oidc.toml"
    bad.write_text(
        (EXAMPLES / "oidc-entra.toml").read_text().replace('"LongerLives.Admin" = "admin"', '"X" = "superuser"')
    )
    with pytest.raises(ConfigError, match="superuser"):
        load_oidc_provider(bad, {"LONGERLIVES_OIDC_CLIENT_SECRET": "s"})
