"""The pages and states the first browser suite does not reach, as a core-team nurse meets
them in Debian's Chromium: a list long enough to page through, filters and search used with
the keyboard alone, the out-of-date warning, the first sign-in's new-password page and the
403 page — each checked with axe-core at 1280 px and 320 px, and for sideways scrolling."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from longerlives.store import open_store
from longerlives.store.worklist import save_worklist
from longerlives.web import auth
from longerlives.web.settings import WebSettings
from tests.browser.harness import axe_violations, chromium_browser, uvicorn_server

from .conftest import PASSWORD, PEOPLE, RUN_ID, nhs, seed, snapshot

pytestmark = pytest.mark.slow

# T1's four people and eight more routine ones: with 5 a page, T1 has three pages.
MORE = [replace(PEOPLE[0], nhs_number=nhs(20 + i), name=f"Routine Person {i}", rank=10 + i) for i in range(8)]
SETTINGS = WebSettings(page_size=5)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from longerlives.web.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'runs.sqlite'}"
    seed(url, finished_hours_ago=48)  # older than 36 hours: every page warns
    with open_store(url).engine.begin() as conn:
        save_worklist(conn, RUN_ID, snapshot(PEOPLE + MORE))
        auth.add_user(conn, "new.nurse", "team", ["T1"], PASSWORD, SETTINGS, must_change_password=True)
    with uvicorn_server(create_app(url, SETTINGS)) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as b:
        yield b


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _tab_to(page, predicate: str, limit: int = 120) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(predicate):
            return
    raise AssertionError(f"keyboard focus never reached: {predicate}")


def test_nurse_filters_searches_and_pages_the_list_with_the_keyboard_alone(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _sign_in(page, server, "nurse.t1")
        assert "This list may be out of date" in page.content()
        # next page, by keyboard
        _tab_to(page, "(document.activeElement.getAttribute('href') || '').includes('page=2')")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*page=2$"))
        html = page.content()
        assert "Page 1 of 3" in html and "Page 3 of 3" in html  # the previous and next links' labels
        # open the filters, tick "Same day", apply
        _tab_to(page, "document.activeElement.tagName === 'SUMMARY'")
        page.keyboard.press("Enter")
        _tab_to(page, "document.activeElement.id === 'urgency-same_day'")
        page.keyboard.press("Space")
        _tab_to(page, "document.activeElement.textContent.trim() === 'Apply filters'")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*urgency=same_day.*"))
        names = page.locator("a[href^='/person/']").all_inner_texts()
        assert names == ["Cat Sameday"]
        # search by name, by keyboard: the words never appear in the address
        page.goto(f"{server}/worklist/T1")
        _tab_to(page, "document.activeElement.id === 'q'")
        page.keyboard.type("Routine Person 7")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator("a[href^='/person/']").all_inner_texts() == ["Routine Person 7"]
        assert "Routine" not in page.url
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 320])
def test_pages_the_first_suite_does_not_reach_have_no_accessibility_violations(server, browser, width):
    # axe-core is injected as an inline script, which the CSP refuses: this context bypasses it.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    problems: dict[str, object] = {}

    def check(name: str) -> None:
        page.wait_for_load_state()
        v = axe_violations(page)
        if v:
            problems[name] = v
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            problems[f"{name} scrolls sideways"] = overflow

    try:
        _sign_in(page, server, "new.nurse")
        assert page.url.endswith("/account/password")
        check("choose a new password")
        with page.expect_navigation():
            page.get_by_role("button", name="Save password").click()  # empty: the error state
        check("new password with errors")
        page.context.clear_cookies()
        _sign_in(page, server, "nurse.t1")
        assert "This list may be out of date" in page.content()
        check("worklist, out of date, page 1 of 3")
        page.goto(f"{server}/worklist/T1?page=2&urgency=routine&kind=phc&not_contacted=1")
        check("worklist, filters open, middle page")
        page.goto(f"{server}/worklist/T1?kind=ecg")
        check("worklist, nobody matches")
        page.evaluate("document.querySelector('form.ll-search input[name=csrf_token]').value = 'forged'")
        with page.expect_navigation():
            page.get_by_role("button", name="Search").click()
        assert "has expired" in page.content()
        check("403 form expired")
        assert problems == {}
    finally:
        context.close()


def test_nurse_signs_in_with_her_nhs_account_in_chromium_and_lands_signed_in(tmp_path, browser, monkeypatch):
    """The whole round trip in a real browser: our page, the provider's form on another site, the
    redirect back. Browsers hold back SameSite=Strict cookies for the rest of a cross-site
    navigation, which a test client does not model: here the session must still hold."""
    import httpx2 as httpx
    import oidc_provider_mock

    from longerlives.web.app import create_app
    from longerlives.web.oidc import OidcProvider

    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")  # the local provider speaks plain HTTP
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    seed(url)
    with oidc_provider_mock.run_server_in_thread(require_nonce=True) as idp:
        issuer = f"http://localhost:{idp.server_port}"  # another site than 127.0.0.1
        claims = {"roles": ["LongerLives.Team"], "longerlives_teams": ["T1"]}
        assert httpx.put(f"{issuer}/users/nurse-oid", json=claims).status_code == 204
        provider = OidcProvider("entra", issuer, "longerlives-worklist", "secret", redirect_uri="set below")
        with uvicorn_server(create_app(url, oidc=provider)) as base:
            provider.redirect_uri = f"{base}/login/oidc/callback"
            context = browser.new_context(viewport={"width": 320, "height": 800})
            page = context.new_page()
            try:
                page.goto(f"{base}/login")
                page.get_by_role("link", name="Sign in with your NHS account").click()
                page.wait_for_url(re.compile(r"^http://localhost:.*/oauth2/authorize.*"))
                page.fill("input[name=sub]", "nurse-oid")
                page.get_by_role("button", name="Authorize").click()
                page.wait_for_url(re.compile(r".*/worklist/T1$"))
                assert page.get_by_role("link", name="Cat Sameday").is_visible()
                assert "Signed in as nurse-oid@entra" in page.content()
            finally:
                context.close()
