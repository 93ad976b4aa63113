"""Browser journeys through the web worklist in Debian's Chromium (Playwright), against a
uvicorn server on a free port: sign in, list, filter, open a person, record an outcome
and see it, sign out; a cross-team address answers 404; a form without its CSRF token
answers 403; keyboard only; axe-core finds no violations on any page at 1280 px and
320 px, and nothing scrolls sideways at 320 px."""

from __future__ import annotations

import re

import pytest

from tests.browser.harness import axe_violations, chromium_browser, uvicorn_server

from .conftest import PASSWORD, seed

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from longerlives.web.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'runs.sqlite'}"
    seed(url)
    with uvicorn_server(create_app(url)) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as b:
        yield b


def _page(browser, width: int = 1280, bypass_csp: bool = False):
    # axe-core is injected as an inline script, which our CSP rightly refuses: only the
    # accessibility test's context bypasses the CSP; every journey runs under it.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=bypass_csp)
    return context, context.new_page()


def _sign_in(page, base: str, username: str = "nurse.t1") -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_nurse_signs_in_filters_opens_a_person_records_an_outcome_and_signs_out(server, browser):
    context, page = _page(browser)
    try:
        _sign_in(page, server)
        assert page.get_by_role("heading", level=1).inner_text() == "Worklist: team T1"
        rows = page.locator("table.ll-worklist tbody tr")
        assert rows.count() == 4
        assert "Same day" in rows.nth(0).inner_text()
        page.locator("summary", has_text="Filter the list").click()  # the filters fold away under a summary
        page.get_by_label("Kind of flag").select_option("screening")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_load_state()
        assert rows.count() == 1 and "Dan Screening" in rows.nth(0).inner_text()
        assert "screening" in page.url and "Filter the list (1 active)" in page.content()
        page.get_by_role("link", name="Dan Screening").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text() == "Dan Screening"
        assert re.search(r"/person/[0-9a-f]{24}$", page.url)
        page.get_by_label("Attended").check()
        page.get_by_label("Note (optional)").fill("Came to clinic with support worker")
        page.get_by_role("button", name="Record outcome").click()
        page.wait_for_load_state()
        assert "Outcome recorded" in page.locator("[role=status]").inner_text()
        history = page.locator("#outcomes + table")
        assert "Attended" in history.inner_text() and "Came to clinic with support worker" in history.inner_text()
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
        assert page.url.endswith("/login")
        page.goto(f"{server}/worklist/T1")
        assert page.url.endswith("/login")
    finally:
        context.close()


def test_cross_team_address_answers_404_in_the_browser(server, browser):
    context, page = _page(browser)
    try:
        _sign_in(page, server, "nurse.t2")
        eve = page.get_by_role("link", name="Eve Othersteam").get_attribute("href")
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state()
        _sign_in(page, server, "nurse.t1")
        response = page.goto(f"{server}{eve}")
        assert response.status == 404
        assert page.get_by_role("heading", level=1).inner_text() == "Page not found"
    finally:
        context.close()


def test_form_posted_without_its_csrf_token_answers_403(server, browser):
    context, page = _page(browser)
    try:
        _sign_in(page, server)
        href = page.get_by_role("link", name="Ann Routine").get_attribute("href")
        r = context.request.post(
            f"{server}{href}/outcome", form={"result": "contacted", "day": "1", "month": "11", "year": "2026"}
        )
        assert r.status == 403
    finally:
        context.close()


def test_keyboard_only_journey_from_sign_in_to_a_recorded_outcome(server, browser):
    context, page = _page(browser)
    try:
        page.goto(f"{server}/login")
        page.keyboard.press("Tab")  # skip link first
        assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content"
        for _ in range(20):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == "username":
                break
        page.keyboard.type("nurse.t1")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/worklist/T1$"))
        for _ in range(80):
            page.keyboard.press("Tab")
            if "/person/" in (page.evaluate("document.activeElement.getAttribute('href')") or ""):
                break
        assert page.evaluate("document.activeElement.textContent") == "Cat Sameday"
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*/person/[0-9a-f]{24}$"))
        page.focus("#result-1")  # first radio of the outcome form, reached as a keyboard user would by Tab
        for _ in range(200):
            if page.evaluate("document.activeElement.name") == "result":
                break
            page.keyboard.press("Tab")
        page.keyboard.press("Space")
        assert page.evaluate("document.querySelector('input[name=result]:checked').value") == "contacted"
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent").strip() == "Record outcome":
                break
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r".*recorded=1.*"))
        assert "Contacted" in page.locator("#outcomes + table").inner_text()
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 320])
def test_every_page_has_no_accessibility_violations_and_fits_the_screen(server, browser, width):
    context, page = _page(browser, width, bypass_csp=True)
    try:
        page.goto(f"{server}/login")
        pages = {"sign in": page.url}
        problems: dict[str, object] = {}

        def check(name: str) -> None:
            page.wait_for_load_state()
            v = axe_violations(page)
            if v:
                problems[name] = v
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                problems[f"{name} scrolls sideways"] = overflow

        check("sign in")
        _sign_in(page, server, "lead")
        check("teams")
        page.goto(f"{server}/worklist/T1")
        check("worklist")
        href = page.get_by_role("link", name="Cat Sameday").get_attribute("href")
        page.goto(f"{server}{href}")
        check("person")
        page.get_by_role("button", name="Record outcome").click()  # nothing chosen: the error state
        check("person with errors")
        page.goto(f"{server}/worklist/unallocated")
        check("unallocated")
        page.goto(f"{server}/person/{'0' * 24}")
        check("not found")
        page.get_by_role("button", name="Sign out").click()
        _sign_in(page, server, "admin")
        page.goto(f"{server}/admin/users")
        check("users")
        assert problems == {}, pages
    finally:
        context.close()
