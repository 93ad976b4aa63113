"""OpenID Connect sign-in (authorization code + PKCE) for the web worklist.

The relying-party half of the flow; what the claims then mean is ``identity.OpenIdClaims``:

1. ``GET /login/oidc``: a fresh ``state``, ``nonce`` and PKCE ``code_verifier`` go into a
   short-lived ``__Host-`` cookie (HttpOnly, Secure, SameSite=Lax — the provider's redirect
   back is a cross-site navigation, which a Strict cookie would not survive), and the browser
   is sent to the provider's ``authorization_endpoint`` with ``code_challenge`` (S256).
2. ``GET /login/oidc/callback?code&state``: ``state`` must equal the cookie's; the code is
   exchanged at the ``token_endpoint`` with the ``code_verifier`` (Authlib's OAuth2 client);
   the ID token's signature is checked against the provider's JWKS and its ``iss``, ``aud``,
   ``exp``, ``iat`` and ``nonce`` (joserfc); its claims go to ``OpenIdClaims``; a server-side
   session begins exactly as after a password sign-in.

Endpoints come from the provider's discovery document (``<issuer>/.well-known/openid-configuration``),
whose ``issuer`` must equal the configured one. The client secret is read from an environment
variable, never from a file in the repository. NHS CIS2 specifics are in docs/web.md.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from longerlives.web.identity import ClaimMapping, ClaimsEvidence

CALLBACK_PATH = "/login/oidc/callback"


class SignInRefused(Exception):
    """The provider's answer cannot be trusted or does not let this person in (message for the page)."""


@dataclass(frozen=True)
class FlowState:
    """What the browser carries between the two legs (in one cookie)."""

    state: str
    nonce: str
    code_verifier: str

    def cookie(self) -> str:
        return f"{self.state}.{self.nonce}.{self.code_verifier}"

    @classmethod
    def from_cookie(cls, value: str | None) -> FlowState | None:
        parts = (value or "").split(".")
        return cls(*parts) if len(parts) == 3 and all(parts) else None


@dataclass
class OidcProvider:
    """One OpenID Connect provider (NHS CIS2 Authentication, NHSmail / Entra ID, ...)."""

    name: str  # short: web_users.auth_provider is oidc:<name>
    issuer: str
    client_id: str
    client_secret: str | None
    redirect_uri: str  # https://<this service>/login/oidc/callback, registered with the provider
    label: str = "Sign in with your NHS account"
    scope: str = "openid profile"
    mapping: ClaimMapping = field(default_factory=ClaimMapping)
    algorithms: tuple[str, ...] = ("RS256", "PS256", "ES256")
    timeout_s: float = 10.0
    _metadata: dict[str, Any] | None = field(default=None, init=False, repr=False)
    _jwks: tuple[float, Any] | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    # -- provider documents ------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None:
                import requests

                url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
                doc = requests.get(url, timeout=self.timeout_s).json()
                if doc.get("issuer") != self.issuer:
                    raise SignInRefused("the identity provider's discovery document names another issuer")
                self._metadata = doc
            return self._metadata

    def _keys(self, refresh: bool = False) -> Any:
        import requests
        from joserfc.jwk import KeySet

        with self._lock:
            if refresh or self._jwks is None or time.monotonic() - self._jwks[0] > 3600:
                jwks_uri = self._metadata["jwks_uri"] if self._metadata else None
                if not jwks_uri:
                    raise SignInRefused("the identity provider publishes no signing keys")
                keys = KeySet.import_key_set(requests.get(jwks_uri, timeout=self.timeout_s).json())
                self._jwks = (time.monotonic(), keys)
            return self._jwks[1]

    # -- the two legs ------------------------------------------------------------
    def start(self) -> tuple[str, FlowState]:
        """The provider's authorization URL to send the browser to, and what to keep in the cookie."""
        from authlib.integrations.requests_client import OAuth2Session

        flow = FlowState(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48))
        session = OAuth2Session(
            self.client_id, scope=self.scope, redirect_uri=self.redirect_uri, code_challenge_method="S256"
        )
        url, _ = session.create_authorization_url(
            self.metadata()["authorization_endpoint"],
            state=flow.state,
            nonce=flow.nonce,
            code_verifier=flow.code_verifier,
        )
        return url, flow

    def finish(self, flow: FlowState | None, state: str | None, code: str | None, error: str | None) -> ClaimsEvidence:
        """Exchange the code and verify the ID token; the verified claims, or ``SignInRefused``."""
        from authlib.integrations.requests_client import OAuth2Session
        from joserfc import jwt
        from joserfc.errors import JoseError

        if flow is None or not state or not secrets.compare_digest(flow.state, state):
            raise SignInRefused("this sign-in did not start here, or took too long: start again")
        if error or not code:
            raise SignInRefused("the identity provider did not sign you in")
        meta = self.metadata()
        session = OAuth2Session(
            self.client_id,
            self.client_secret,
            redirect_uri=self.redirect_uri,
            token_endpoint_auth_method="client_secret_basic" if self.client_secret else "none",
        )
        try:
            token = session.fetch_token(
                meta["token_endpoint"], code=code, code_verifier=flow.code_verifier, timeout=self.timeout_s
            )
        except Exception as exc:  # the provider refused the code (reused, expired, wrong verifier)
            raise SignInRefused("the identity provider refused this sign-in: start again") from exc
        id_token = token.get("id_token")
        if not id_token:
            raise SignInRefused("the identity provider sent no ID token")
        try:
            try:
                decoded = jwt.decode(id_token, self._keys(), algorithms=list(self.algorithms))
            except JoseError:  # perhaps the provider rotated its keys
                decoded = jwt.decode(id_token, self._keys(refresh=True), algorithms=list(self.algorithms))
            jwt.JWTClaimsRegistry(
                leeway=60,
                iss={"essential": True, "value": self.issuer},
                sub={"essential": True},
                aud={"essential": True, "value": self.client_id},
                exp={"essential": True},
                iat={"essential": True},
                nonce={"essential": True, "value": flow.nonce},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise SignInRefused("the identity provider's token could not be verified") from exc
        claims = dict(decoded.claims)
        aud = claims.get("aud")
        if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != self.client_id:
            raise SignInRefused("the identity provider's token was issued to another service")
        return ClaimsEvidence(self.issuer, claims)


def load_oidc_provider(path: Path, environ: Mapping[str, str] | None = None) -> OidcProvider:
    """An ``OidcProvider`` from a TOML file (``longerlives serve --oidc-config FILE``; example in
    docs/web.md). The client secret comes from the environment variable the file names."""
    import os
    import tomllib

    from longerlives.errors import ConfigError

    environ = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    missing = [k for k in ("name", "issuer", "client_id", "redirect_uri") if not raw.get(k)]
    if missing:
        raise ConfigError(f"{path}: missing {', '.join(missing)}")
    secret_env = raw.get("client_secret_env")
    secret = environ.get(secret_env) if secret_env else None
    if secret_env and not secret:
        raise ConfigError(f"{path}: the environment variable {secret_env} (the client secret) is not set")
    if not str(raw["redirect_uri"]).endswith(CALLBACK_PATH):
        raise ConfigError(f"{path}: redirect_uri must end with {CALLBACK_PATH}")
    claims = raw.get("claims", {})
    mapping = ClaimMapping(
        role_claim=claims.get("role_claim", "roles"),
        teams_claim=claims.get("teams_claim", "longerlives_teams"),
        roles=claims.get("roles", ClaimMapping().roles),
        from_claims=bool(claims.get("from_claims", True)),
    )
    bad = sorted(set(mapping.roles.values()) - {"team", "lead", "admin"})
    if bad:
        raise ConfigError(f"{path}: [claims.roles] maps to unknown roles {', '.join(bad)}")
    try:
        return OidcProvider(
            name=str(raw["name"]),
            issuer=str(raw["issuer"]),
            client_id=str(raw["client_id"]),
            client_secret=secret,
            redirect_uri=str(raw["redirect_uri"]),
            label=str(raw.get("label", "Sign in with your NHS account")),
            scope=str(raw.get("scope", "openid profile")),
            mapping=mapping,
        )
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
