"""What each role can reach from the page header (SQLite and PostgreSQL)."""

from __future__ import annotations

import re

from .conftest import sign_in


def _nav_links(html: str) -> set[str]:
    header = html.split("</header>", 1)[0]
    return set(re.findall(r'href="(/[^"]*)"', header))


def test_lead_reaches_the_coverage_report_from_every_page_and_a_nurse_does_not_see_it(client):
    page = sign_in(client, "lead")
    assert "/report" in _nav_links(page.text) and "/report" in _nav_links(client.get("/worklist/T1").text)
    client.cookies.clear()
    page = sign_in(client, "nurse.t1")
    assert "/report" not in _nav_links(page.text) and "/worklist/T1" in _nav_links(page.text)
    assert client.get("/report").status_code == 404
