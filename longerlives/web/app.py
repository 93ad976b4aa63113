"""The web worklist: ``create_app(db_url)`` builds the FastAPI app.

Everything comes from the run store: each nightly run writes its worklist there
(``worklist_entries``), so the app needs no output files. Pages use the NHS.UK
design system (nhsuk-frontend-jinja templates, nhsuk-frontend CSS/JS/images served
from files in this repository). Security, in one place:

* server-side sessions in ``__Host-`` cookies (Secure, HttpOnly, SameSite=Strict);
* a CSRF token on every form (the session's token; a double-submit cookie on the
  sign-in form), checked before anything else — 403 without it;
* a Content-Security-Policy with no inline script or style, and the usual headers;
* opaque person ids in URLs; search text travels in a POST body and the session,
  never in a URL, so access logs carry no NHS numbers or names;
* every view of a person, every change and every refused request in ``web_audit``;
* sign-in throttled per client address, accounts locked after repeated failures.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import secrets
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader, Undefined
from markupsafe import Markup
from sqlalchemy.engine import Connection, Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from longerlives.paths import TEMPLATES_DIR
from longerlives.risk.disclaimer import QDIABETES_DISCLAIMER, QRISK3_DISCLAIMER
from longerlives.settings.operations import OUTCOME_LABELS, OUTCOME_RESULTS
from longerlives.web import auth, data, identity
from longerlives.web.oidc import CALLBACK_PATH, FlowState, OidcProvider, SignInRefused
from longerlives.web.settings import WebSettings, load_web_settings

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
NHSUK_DIR = STATIC_DIR / "nhsuk"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# The coverage report is one self-contained page (its own <style>, charts as data: SVG, no
# script): the same policy with inline styles allowed, for /report only.
REPORT_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
EXPIRED = "This form has expired or was not sent from this service. Go back, reload the page and try again."
_KEY = re.compile(r"^[0-9a-f]{24}$")
_TEAM = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
WEB_RESULTS = tuple(r for r in OUTCOME_RESULTS if r != "completed")  # "completed" stays for the CLI's old scripts


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers to every response (cheaper than BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp, hsts: bool = True) -> None:
        self.app = app
        base = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
        ]
        if hsts:
            base.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        self.headers = base

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(("/assets", "/static"))

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                csp = REPORT_CSP if scope["path"] == "/report" else CSP
                headers = list(message.get("headers", [])) + [(b"content-security-policy", csp.encode())] + self.headers
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, add_headers)


class SignInNeeded(Exception):
    """Raised by a page when there is no live session: the handler redirects to /login."""


class PasswordChangeNeeded(Exception):
    """Raised while a one-time password is still in use: the handler redirects to /account/password."""


def _plain(value: Any) -> Any:
    """Component parameters without Jinja's ``undefined`` values (a missing key reads the same)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not isinstance(v, Undefined)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value if not isinstance(v, Undefined)]
    return value


def _component_renderer(env: Environment) -> Any:
    """``component(name, params)``: an nhsuk-frontend-jinja component rendered once per distinct
    parameters and then served from memory. The page frame (skip link, header, footer) and the
    pagination were most of a page's rendering time when the macros ran on every request (profiled
    with bench/web_profile.py). Only for page furniture: never pass a person's details."""

    @functools.lru_cache(maxsize=2048)
    def render(name: str, key: str) -> Markup:
        macro_name = re.sub(r"-(\w)", lambda m: m.group(1).upper(), name)
        module = env.get_template(f"nhsuk/components/{name}/macro.jinja").module
        return Markup(getattr(module, macro_name)(json.loads(key)))

    def component(name: str, params: dict[str, Any]) -> Markup:
        return render(name, json.dumps(_plain(params), sort_keys=True))

    return component


def _environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES_DIR / "web")), PackageLoader("nhsuk_frontend_jinja")]),
        undefined=ChainableUndefined,
        autoescape=True,
        auto_reload=False,  # templates never change under a server
    )
    env.filters["nhs"] = lambda n: f"{n[:3]} {n[3:6]} {n[6:]}" if n and len(n) == 10 else n
    env.filters["day"] = lambda d: d.strftime("%-d %B %Y") if d else ""
    env.filters["when"] = lambda t: t.strftime("%-d %B %Y at %H:%M UTC") if t else "never"
    env.globals["component"] = _component_renderer(env)
    env.globals["OUTCOME_LABELS"] = OUTCOME_LABELS
    env.globals["URGENCIES"] = data.URGENCIES
    env.globals["KINDS"] = data.KINDS
    return env


def create_app(db_url: str, settings: WebSettings | None = None, oidc: OidcProvider | None = None) -> FastAPI:
    """The web worklist over the run store at ``db_url`` (migrated to head on open); with ``oidc``,
    sign-in through that OpenID Connect provider as well as local passwords (oidc.py)."""
    from longerlives.store import open_store

    settings = settings or load_web_settings()
    engine: Engine = open_store(db_url).engine
    templates = Jinja2Templates(env=_environment())
    limiter = auth.SignInLimiter(settings.sign_in_attempts_per_minute)
    passwords = identity.LocalPasswords(settings)  # the authenticator behind /login (identity.py)
    claims_users = identity.OpenIdClaims(oidc.issuer, oidc.name, oidc.mapping) if oidc else None
    oidc_cookie = "__Host-ll_oidc" if settings.secure_cookies else "ll_oidc"
    login_extra = {"oidc_label": oidc.label if oidc else None}
    cookie = "__Host-ll_session" if settings.secure_cookies else "ll_session"
    login_cookie = "__Host-ll_signin" if settings.secure_cookies else "ll_signin"

    app = FastAPI(title="Longer Lives worklist", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.engine = engine
    app.state.settings = settings
    app.mount("/assets/images", StaticFiles(directory=NHSUK_DIR / "assets" / "images"), name="images")
    app.mount("/assets", StaticFiles(directory=NHSUK_DIR), name="assets")
    app.mount("/static", StaticFiles(directory=STATIC_DIR / "app"), name="static")

    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)

    # -- helpers ----------------------------------------------------------------
    def _set_cookie(resp: Response, name: str, value: str, max_age: int | None = None) -> None:
        resp.set_cookie(
            name, value, max_age=max_age, path="/", secure=settings.secure_cookies, httponly=True, samesite="strict"
        )

    def _session(conn: Connection, request: Request, *, password_page: bool = False) -> auth.Session:
        s = auth.load_session(conn, request.cookies.get(cookie), settings)
        if s is None:
            raise SignInNeeded()
        if s.user.must_change_password and not password_page:
            raise PasswordChangeNeeded()
        return s

    def _render(
        request: Request, name: str, ctx: dict[str, Any], status: int = 200, conn: Connection | None = None
    ) -> HTMLResponse:
        if "run" not in ctx:  # pages that have read the run already pass it (one query fewer)
            if conn is not None:
                ctx = {"run": data.last_successful_run(conn, settings.stale_run_hours), **ctx}
            else:
                with engine.connect() as c:
                    ctx = {"run": data.last_successful_run(c, settings.stale_run_hours), **ctx}
        ctx = {"stale_hours": settings.stale_run_hours, **ctx}
        return templates.TemplateResponse(request, name, ctx, status_code=status)

    def _not_found(request: Request, conn: Connection, s: auth.Session | None) -> HTMLResponse:
        return _render(request, "not_found.jinja", {"session": s}, 404, conn)

    def _error(request: Request, conn: Connection, s: auth.Session | None, status: int, message: str) -> HTMLResponse:
        return _render(request, "error.jinja", {"session": s, "status": status, "message": message}, status, conn)

    def _csrf_refused(
        request: Request, conn: Connection, s: auth.Session, token: str | None, action: str
    ) -> HTMLResponse | None:
        """A 403 page (and an audit line, committed) when the form's CSRF token is missing or wrong."""
        if auth.csrf_ok(s.csrf_token, token):
            return None
        data.audit(conn, s.user.username, action, "denied", detail="missing or wrong CSRF token")
        return _error(request, conn, s, 403, EXPIRED)

    # -- errors -----------------------------------------------------------------
    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(PasswordChangeNeeded)
    async def _change_password(request: Request, exc: PasswordChangeNeeded) -> Response:
        return RedirectResponse("/account/password", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _render(request, "not_found.jinja", {"session": None}, 404)
        return _render(
            request,
            "error.jinja",
            {"session": None, "status": exc.status_code, "message": str(exc.detail)},
            exc.status_code,
        )

    # -- sign in / out ----------------------------------------------------------
    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        with engine.connect() as conn:
            run = data.last_successful_run(conn, settings.stale_run_hours)
        return JSONResponse({"ok": True, "last_run_stale": run.stale if run else True})

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        token = request.cookies.get(login_cookie) or secrets.token_urlsafe(32)
        resp = _render(request, "login.jinja", {"session": None, "csrf_token": token, "error": None, **login_extra})
        _set_cookie(resp, login_cookie, token, max_age=3600)
        return resp

    def _login_again(request: Request, token: str | None, error: str, status: int, conn: Any) -> Response:
        """The sign-in form again, with what went wrong (rate limit, wrong password)."""
        ctx = {"session": None, "csrf_token": token, "error": error, **login_extra}
        return _render(request, "login.jinja", ctx, status, conn)

    @app.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        csrf_token: Annotated[str | None, Form()] = None,
    ) -> Response:
        expected = request.cookies.get(login_cookie)
        with engine.begin() as conn:
            if not auth.csrf_ok(expected, csrf_token):
                data.audit(conn, None, "sign_in", "denied", detail="missing or wrong CSRF token")
                return _error(request, conn, None, 403, EXPIRED)
            client = request.client.host if request.client else "unknown"
            if not limiter.allow(client):
                data.audit(conn, None, "sign_in", "denied", detail="rate limited")
                return _login_again(
                    request, expected, "Too many sign-in attempts. Wait a minute and try again.", 429, conn
                )
            user = passwords.authenticate(conn, identity.PasswordEvidence(username, password))
            if user is None:
                data.audit(conn, None, "sign_in", "failed", detail="wrong username or password, locked or disabled")
                wrong = (
                    f"The username or password is not right. After {settings.lockout_failures} failed "
                    f"attempts an account is locked for {settings.lockout_minutes} minutes."
                )
                return _login_again(request, expected, wrong, 401, conn)
            token = identity.begin_session(conn, user, settings)  # the same whoever vouched (identity.py)
            data.audit(conn, user.username, "sign_in", detail=passwords.provider)
        resp = RedirectResponse("/", status_code=303)
        _set_cookie(resp, cookie, token)
        resp.delete_cookie(login_cookie, path="/", secure=settings.secure_cookies, httponly=True, samesite="strict")
        return resp

    @app.get("/login/oidc")
    def oidc_start(request: Request) -> Response:
        """Leg 1 of OpenID Connect sign-in: off to the provider with state, nonce and PKCE."""
        if oidc is None:
            raise StarletteHTTPException(404)
        try:
            url, flow = oidc.start()
        except (SignInRefused, OSError, ValueError, KeyError) as exc:
            log.warning("identity provider unavailable: %s", type(exc).__name__)
            message = "The NHS sign-in service cannot be reached just now. Try again, or use a local account."
            ctx = {"session": None, "csrf_token": request.cookies.get(login_cookie) or "", "error": message}
            return _render(request, "login.jinja", {**ctx, **login_extra}, 502)
        resp = RedirectResponse(url, status_code=303)
        resp.set_cookie(
            oidc_cookie,
            flow.cookie(),
            max_age=600,
            path="/",
            secure=settings.secure_cookies,
            httponly=True,
            samesite="lax",
        )
        return resp

    @app.get(CALLBACK_PATH)
    def oidc_callback(
        request: Request, code: str | None = None, state: str | None = None, error: str | None = None
    ) -> Response:
        """Leg 2: verify the provider's answer, map its claims to a user, begin the usual session."""
        if oidc is None or claims_users is None:
            raise StarletteHTTPException(404)
        flow = FlowState.from_cookie(request.cookies.get(oidc_cookie))
        with engine.begin() as conn:
            user = None
            try:
                user = claims_users.authenticate(conn, oidc.finish(flow, state, code, error))
                message = "Your NHS account does not give you access to this worklist. Ask your lead or an admin."
            except SignInRefused as exc:
                message = f"Sign-in failed: {exc}."
            if user is None:
                data.audit(conn, None, "sign_in", "failed", detail=f"{claims_users.provider}: {message}"[:500])
                token = request.cookies.get(login_cookie) or secrets.token_urlsafe(32)
                ctx = {"session": None, "csrf_token": token, "error": message, **login_extra}
                resp: Response = _render(request, "login.jinja", ctx, 403, conn)
                _set_cookie(resp, login_cookie, token, max_age=3600)
            else:
                session_token = identity.begin_session(conn, user, settings)
                data.audit(conn, user.username, "sign_in", detail=claims_users.provider)
                # not a redirect: a Strict cookie set here would be held back on it (signed_in.jinja)
                resp = _render(request, "signed_in.jinja", {"session": None}, 200, conn)
                _set_cookie(resp, cookie, session_token)
        resp.delete_cookie(oidc_cookie, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax")
        return resp

    @app.get("/account/password", response_class=HTMLResponse)
    def password_form(request: Request) -> Response:
        with engine.begin() as conn:
            s = _session(conn, request, password_page=True)
            return _render(
                request,
                "password.jinja",
                {"session": s, "error": None, "min_length": settings.min_password_length},
                conn=conn,
            )

    @app.post("/account/password", response_class=HTMLResponse)
    def change_password(
        request: Request,
        csrf_token: Annotated[str | None, Form()] = None,
        password: Annotated[str, Form()] = "",
        confirm: Annotated[str, Form()] = "",
    ) -> Response:
        with engine.begin() as conn:
            s = _session(conn, request, password_page=True)
            refused = _csrf_refused(request, conn, s, csrf_token, "change_password")
            if refused:
                return refused
            error = None
            if len(password) < settings.min_password_length:
                error = f"Enter a password of at least {settings.min_password_length} characters"
            elif password != confirm:
                error = "The two passwords are not the same"
            if error:
                return _render(
                    request,
                    "password.jinja",
                    {"session": s, "error": error, "min_length": settings.min_password_length},
                    400,
                    conn,
                )
            auth.set_password(conn, s.user.id, password, settings)
            data.audit(conn, s.user.username, "change_password")
        return RedirectResponse("/", status_code=303)

    @app.post("/logout")
    def logout(request: Request, csrf_token: Annotated[str | None, Form()] = None) -> Response:
        with engine.begin() as conn:
            s = _session(conn, request, password_page=True)
            refused = _csrf_refused(request, conn, s, csrf_token, "sign_out")
            if refused:
                return refused
            auth.end_session(conn, s.token_hash)
            data.audit(conn, s.user.username, "sign_out")
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(cookie, path="/", secure=settings.secure_cookies, httponly=True, samesite="strict")
        return resp

    # -- pages ------------------------------------------------------------------
    @app.get("/")
    def home(request: Request) -> Response:
        with engine.begin() as conn:
            s = _session(conn, request)
        if s.user.sees_every_team:
            return RedirectResponse("/teams", status_code=303)
        if s.user.teams:
            return RedirectResponse(f"/worklist/{s.user.teams[0]}", status_code=303)
        return RedirectResponse("/teams", status_code=303)

    @app.get("/teams", response_class=HTMLResponse)
    def teams(request: Request) -> Response:
        with engine.begin() as conn:
            s = _session(conn, request)
            run = data.last_successful_run(conn, settings.stale_run_hours)
            counts = data.teams_with_counts(conn, run.run_id) if run else []
            visible = [t for t in counts if s.user.can_see_team(t["team"])]
            if not s.user.sees_every_team:
                have = {t["team"] for t in visible}
                visible += [{"team": t, "people": 0, "same_day": 0, "soon": 0} for t in s.user.teams if t not in have]
            return _render(request, "teams.jinja", {"session": s, "teams": visible, "run": run}, conn=conn)

    @app.get("/worklist/{team}", response_class=HTMLResponse)
    def worklist(
        request: Request,
        team: str,
        urgency: Annotated[list[str] | None, Query()] = None,
        outreach: str | None = None,
        kind: str | None = None,
        practice: str | None = None,
        not_contacted: str | None = None,
        page: int = 1,
    ) -> Response:
        with engine.begin() as conn:
            s = _session(conn, request)
            if not _TEAM.match(team) or not s.user.can_see_team(team):
                data.audit(
                    conn,
                    s.user.username,
                    "view_list",
                    "not_found",
                    team=team[:32],
                    detail="team outside the user's scope or unknown",
                )
                return _not_found(request, conn, s)
            run = data.last_successful_run(conn, settings.stale_run_hours)
            f = data.Filters(
                urgency=tuple(u for u in (urgency or []) if u in data.URGENCIES),
                outreach=outreach == "1",
                kind=kind if kind in data.KINDS else None,
                practice=practice if practice and _TEAM.match(practice) else None,
                not_contacted=not_contacted == "1",
                search=s.search_text,
                page=max(1, page),
            )
            result = (
                data.worklist_page(
                    conn, run.run_id, team, f, settings.page_size, run.as_of, settings.not_contacted_days
                )
                if run
                else data.Page([], 0, 1, 1)
            )
            return _render(
                request,
                "worklist.jinja",
                {
                    "session": s,
                    "team": team,
                    "filters": f,
                    "page": result,
                    "not_contacted_days": settings.not_contacted_days,
                    "run": run,
                },
                conn=conn,
            )

    @app.post("/worklist/{team}/search")
    def search(
        request: Request,
        team: str,
        q: Annotated[str, Form()] = "",
        csrf_token: Annotated[str | None, Form()] = None,
        clear: Annotated[str | None, Form()] = None,
        filters: Annotated[str, Form()] = "",
    ) -> Response:
        with engine.begin() as conn:
            s = _session(conn, request)
            refused = _csrf_refused(request, conn, s, csrf_token, "search")
            if refused:
                return refused
            if not _TEAM.match(team) or not s.user.can_see_team(team):
                data.audit(conn, s.user.username, "search", "not_found", team=team[:32])
                return _not_found(request, conn, s)
            auth.set_search(conn, s.token_hash, None if clear else q.strip()[:100])
            data.audit(conn, s.user.username, "search", team=team)  # the words searched for are not kept
        safe = filters if re.fullmatch(r"[A-Za-z0-9_=&%.-]*", filters) else ""
        return RedirectResponse(f"/worklist/{team}" + (f"?{safe}" if safe else ""), status_code=303)

    def _person_or_404(
        conn: Connection, request: Request, s: auth.Session, key: str, action: str
    ) -> tuple[Any, data.RunInfo] | HTMLResponse:
        run = data.last_successful_run(conn, settings.stale_run_hours)
        entry = data.person(conn, run.run_id, key) if run and _KEY.match(key) else None
        if entry is None:
            data.audit(conn, s.user.username, action, "not_found", person_key=key[:32] if _KEY.match(key) else None)
            return _not_found(request, conn, s)
        if not s.user.can_see_team(entry["team"]):
            data.audit(
                conn,
                s.user.username,
                action,
                "denied",
                team=entry["team"],
                person_key=key,
                detail="person outside the user's teams",
            )
            return _not_found(request, conn, s)
        assert run is not None
        return entry, run

    def _person_page(
        request: Request,
        conn: Connection,
        s: auth.Session,
        entry: Any,
        run: data.RunInfo,
        *,
        errors: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        recorded: bool = False,
        status: int = 200,
    ) -> HTMLResponse:
        today = date.today()
        return _render(
            request,
            "person.jinja",
            {
                "session": s,
                "e": entry,
                "d": data.person_details(entry),
                "history": data.outcome_history(conn, entry["nhs_number"]),
                "letters": data.letters_sent(conn, entry["nhs_number"]),
                "results": WEB_RESULTS,
                "errors": errors or {},
                "recorded": recorded,
                "form": form or {"day": str(today.day), "month": str(today.month), "year": str(today.year)},
                "teams": data.known_teams(conn, run.run_id) if s.user.sees_every_team else [],
                "qrisk3_disclaimer": QRISK3_DISCLAIMER,
                "qdiabetes_disclaimer": QDIABETES_DISCLAIMER,
                "run": run,
            },
            status,
            conn,
        )

    @app.get("/person/{key}", response_class=HTMLResponse)
    def person(request: Request, key: str, recorded: str | None = None) -> Response:
        with engine.begin() as conn:
            s = _session(conn, request)
            found = _person_or_404(conn, request, s, key, "view_person")
            if isinstance(found, HTMLResponse):
                return found
            entry, run = found
            data.audit(
                conn,
                s.user.username,
                "view_person",
                team=entry["team"],
                person_key=key,
                wait_for_disk=settings.durable_view_audit,
            )
            return _person_page(request, conn, s, entry, run, recorded=recorded == "1")

    @app.post("/person/{key}/outcome", response_class=HTMLResponse)
    def outcome(
        request: Request,
        key: str,
        csrf_token: Annotated[str | None, Form()] = None,
        result: Annotated[str, Form()] = "",
        day: Annotated[str, Form()] = "",
        month: Annotated[str, Form()] = "",
        year: Annotated[str, Form()] = "",
        note: Annotated[str, Form()] = "",
    ) -> Response:
        with engine.begin() as conn:
            s = _session(conn, request)
            refused = _csrf_refused(request, conn, s, csrf_token, "record_outcome")
            if refused:
                return refused
            found = _person_or_404(conn, request, s, key, "record_outcome")
            if isinstance(found, HTMLResponse):
                return found
            entry, run = found
            errors: dict[str, str] = {}
            if result not in WEB_RESULTS:
                errors["result"] = "Select what happened"
            on: date | None = None
            try:
                on = date(int(year), int(month), int(day))
            except ValueError:
                errors["date"] = "Enter the date it happened, for example 17 11 2026"
            if on is not None and on > date.today() + timedelta(days=1):
                errors["date"] = "The date cannot be in the future"
            if len(note) > 2000:
                errors["note"] = "The note must be 2,000 characters or fewer"
            if errors:
                form = {"result": result, "day": day, "month": month, "year": year, "note": note}
                return _person_page(request, conn, s, entry, run, errors=errors, form=form, status=400)
            assert on is not None
            data.record_outcome(conn, entry["nhs_number"], entry["team"], result, on, note.strip(), s.user.username)
            data.audit(conn, s.user.username, "record_outcome", team=entry["team"], person_key=key, detail=result)
        return RedirectResponse(f"/person/{key}?recorded=1#outcomes", status_code=303)

    @app.post("/person/{key}/allocate", response_class=HTMLResponse)
    def allocate(
        request: Request, key: str, csrf_token: Annotated[str | None, Form()] = None, team: Annotated[str, Form()] = ""
    ) -> Response:
        with engine.begin() as conn:
            s = _session(conn, request)
            refused = _csrf_refused(request, conn, s, csrf_token, "allocate")
            if refused:
                return refused
            if s.user.role != "lead":
                data.audit(conn, s.user.username, "allocate", "denied", person_key=key[:32])
                return _error(request, conn, s, 403, "Only a lead can allocate people to a team.")
            found = _person_or_404(conn, request, s, key, "allocate")
            if isinstance(found, HTMLResponse):
                return found
            entry, run = found
            if team not in data.known_teams(conn, run.run_id):
                return _error(request, conn, s, 400, "Choose one of the teams in the list.")
            data.allocate(conn, run.run_id, key, entry["nhs_number"], team, s.user.username)
            data.audit(conn, s.user.username, "allocate", team=team, person_key=key, detail=f"from {entry['team']}")
        return RedirectResponse(f"/person/{key}", status_code=303)

    @app.get("/report", response_class=HTMLResponse)
    def report(request: Request) -> Response:
        """The coverage and inequalities report of the last successful run, for programme leads
        (issue 14): the same page as report/index.html, drawn from the run store."""
        from longerlives.report.html import render_report_html
        from longerlives.settings import load_settings

        with engine.begin() as conn:
            s = _session(conn, request)
            if s.user.role != "lead":
                data.audit(conn, s.user.username, "view_report", "not_found")
                return _not_found(request, conn, s)
            run = data.last_successful_run(conn, settings.stale_run_hours)
            data.audit(conn, s.user.username, "view_report", wait_for_disk=settings.durable_view_audit)
        store = open_store(db_url)
        coverage = store.coverage_of_run(run.run_id) if run is not None else None
        if run is None or coverage is None or coverage.height == 0:
            with engine.begin() as conn:
                return _error(request, conn, s, 404, "No coverage report yet: no successful nightly run has one.")
        html = render_report_html(
            coverage, store.coverage_trends("all"), as_of=run.as_of, settings=load_settings().report, run_id=run.run_id
        )
        return HTMLResponse(html)

    @app.get("/admin/users", response_class=HTMLResponse)
    def users(request: Request) -> Response:
        with engine.begin() as conn:
            s = _session(conn, request)
            if s.user.role != "admin":
                data.audit(conn, s.user.username, "view_users", "not_found")
                return _not_found(request, conn, s)
            data.audit(conn, s.user.username, "view_users", wait_for_disk=settings.durable_view_audit)
            return _render(request, "users.jinja", {"session": s, "users": auth.list_users(conn)}, conn=conn)

    @app.post("/admin/users/disable", response_class=HTMLResponse)
    def disable(
        request: Request, csrf_token: Annotated[str | None, Form()] = None, username: Annotated[str, Form()] = ""
    ) -> Response:
        with engine.begin() as conn:
            s = _session(conn, request)
            refused = _csrf_refused(request, conn, s, csrf_token, "disable_user")
            if refused:
                return refused
            if s.user.role != "admin":
                data.audit(conn, s.user.username, "disable_user", "denied")
                return _not_found(request, conn, s)
            if username not in {str(u["username"]) for u in auth.list_users(conn)}:
                return _error(request, conn, s, 400, "There is no user with that name.")
            auth.disable_user(conn, username)
            data.audit(conn, s.user.username, "disable_user", detail=username)
        return RedirectResponse("/admin/users", status_code=303)

    return app
