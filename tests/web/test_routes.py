"""Route-level tests of the web worklist with the ASGI test client, against SQLite and
the running PostgreSQL (each test runs on both)."""

from __future__ import annotations

import re
from datetime import UTC, date

import pytest
from sqlalchemy import select, update

from longerlives.store import open_store
from longerlives.store.models import OutreachOutcome, Run
from longerlives.store.web_models import WebAudit

from .conftest import PASSWORD, RUN_ID, csrf, nhs, person_keys, sign_in


def _audit(url: str) -> list[dict]:
    with open_store(url).engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(WebAudit.__table__).order_by(WebAudit.__table__.c.id)).mappings()]


def _names_in_order(html: str) -> list[str]:
    return re.findall(r'href="/person/[0-9a-f]{24}">([^<]+)</a>', html)


def test_pages_need_a_signed_in_user(client):
    for path in ("/", "/teams", "/worklist/T1", "/person/" + "0" * 24, "/admin/users"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login", path


def test_team_nurse_sees_only_their_team_same_day_first_then_soon_then_rank(client):
    r = sign_in(client, "nurse.t1")
    assert r.status_code == 200 and r.url.path == "/worklist/T1"
    assert _names_in_order(r.text) == ["Cat Sameday", "Bob Soon", "Ann Routine", "Dan Screening"]
    assert "Eve Othersteam" not in r.text and "Fay Nobody" not in r.text
    assert "943 476" not in r.text  # sanity: only our synthetic people
    assert f"{nhs(3)[:3]} {nhs(3)[3:6]} {nhs(3)[6:]}" in r.text  # NHS number shown, spaced for reading


def test_person_in_another_team_answers_404_and_the_attempt_is_audited(client, store_url):
    sign_in(client, "nurse.t2")
    eve_key = person_keys(client.get("/worklist/T2").text)[0]
    client.post("/logout", data={"csrf_token": csrf(client.get("/worklist/T2").text)})
    sign_in(client, "nurse.t1")
    r = client.get(f"/person/{eve_key}")
    assert r.status_code == 404 and "Eve" not in r.text
    assert client.get("/worklist/T2").status_code == 404
    denied = [a for a in _audit(store_url) if a["username"] == "nurse.t1" and a["outcome"] in ("denied", "not_found")]
    assert {(a["action"], a["outcome"]) for a in denied} == {("view_person", "denied"), ("view_list", "not_found")}
    assert any(a["person_key"] == eve_key and a["team"] == "T2" for a in denied)


def test_form_posted_without_its_csrf_token_answers_403_and_records_nothing(client, store_url):
    page = sign_in(client, "nurse.t1")
    key = person_keys(page.text)[0]
    r = client.post(f"/person/{key}/outcome", data={"result": "contacted", "day": "1", "month": "11", "year": "2026"})
    assert r.status_code == 403
    r = client.post(
        f"/person/{key}/outcome",
        data={"result": "contacted", "day": "1", "month": "11", "year": "2026", "csrf_token": "forged"},
    )
    assert r.status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    with open_store(store_url).engine.connect() as conn:
        assert conn.execute(select(OutreachOutcome.__table__)).first() is None
    assert [a["outcome"] for a in _audit(store_url) if a["action"] == "record_outcome"] == ["denied", "denied"]


def test_sign_in_form_without_csrf_token_answers_403(client):
    r = client.post("/login", data={"username": "nurse.t1", "password": PASSWORD})
    assert r.status_code == 403


def test_recorded_outcome_shows_on_the_person_page_at_once_and_is_audited(client, store_url):
    page = sign_in(client, "nurse.t1")
    key = person_keys(page.text)[0]  # Cat Sameday
    person = client.get(f"/person/{key}")
    assert "Blood pressure 190/125" in person.text and "Record an outcome" in person.text
    r = client.post(
        f"/person/{key}/outcome",
        data={
            "result": "booked",
            "day": "2",
            "month": "11",
            "year": "2026",
            "note": "Clinic Tuesday",
            "csrf_token": csrf(person.text),
        },
    )
    assert r.status_code == 200 and "Outcome recorded" in r.text
    history = r.text.split('id="outcomes"', 1)[1].split('id="record"', 1)[0]
    assert "Booked an appointment" in history and "2 November 2026" in history and "Clinic Tuesday" in history
    assert "nurse.t1" in history
    with open_store(store_url).engine.connect() as conn:
        row = conn.execute(select(OutreachOutcome.__table__)).mappings().one()
    assert (row["nhs_number"], row["team"], row["result"], row["outcome_date"], row["recorded_by"]) == (
        nhs(3),
        "T1",
        "booked",
        date(2026, 11, 2),
        "nurse.t1",
    )
    # and the list shows it against the person
    assert "Booked an appointment, 2 November 2026" in client.get("/worklist/T1").text
    actions = [(a["action"], a["person_key"]) for a in _audit(store_url) if a["username"] == "nurse.t1"]
    assert ("view_person", key) in actions and ("record_outcome", key) in actions


def test_outcome_without_a_result_or_with_a_future_date_is_refused_with_a_message(client):
    page = sign_in(client, "nurse.t1")
    key = person_keys(page.text)[0]
    token = csrf(page.text)
    r = client.post(f"/person/{key}/outcome", data={"day": "1", "month": "11", "year": "2026", "csrf_token": token})
    assert r.status_code == 400 and "Select what happened" in r.text
    r = client.post(
        f"/person/{key}/outcome",
        data={"result": "contacted", "day": "1", "month": "1", "year": "2099", "csrf_token": token},
    )
    assert r.status_code == 400 and "The date cannot be in the future" in r.text
    r = client.post(
        f"/person/{key}/outcome",
        data={"result": "contacted", "day": "31", "month": "2", "year": "2026", "csrf_token": token},
    )
    assert r.status_code == 400 and "Enter the date it happened" in r.text


def test_search_by_nhs_number_finds_the_person_and_keeps_the_number_out_of_urls(client):
    page = sign_in(client, "nurse.t1")
    spaced = f"{nhs(2)[:3]} {nhs(2)[3:6]} {nhs(2)[6:]}"
    r = client.post("/worklist/T1/search", data={"q": spaced, "csrf_token": csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and nhs(2) not in r.headers["location"] and "Bob" not in r.headers["location"]
    listed = client.get(r.headers["location"])
    assert _names_in_order(listed.text) == ["Bob Soon"]
    by_name = client.post("/worklist/T1/search", data={"q": "screen", "csrf_token": csrf(page.text)})
    assert _names_in_order(by_name.text) == ["Dan Screening"]
    cleared = client.post("/worklist/T1/search", data={"clear": "1", "csrf_token": csrf(page.text)})
    assert len(_names_in_order(cleared.text)) == 4


def test_filters_by_urgency_kind_practice_outreach_and_not_yet_contacted(client):
    page = sign_in(client, "nurse.t1")
    assert _names_in_order(client.get("/worklist/T1?urgency=soon&urgency=same_day").text) == ["Cat Sameday", "Bob Soon"]
    assert _names_in_order(client.get("/worklist/T1?kind=screening").text) == ["Dan Screening"]
    assert _names_in_order(client.get("/worklist/T1?kind=safety").text) == ["Cat Sameday", "Bob Soon"]
    assert _names_in_order(client.get("/worklist/T1?practice=B82002").text) == ["Cat Sameday"]
    assert _names_in_order(client.get("/worklist/T1?outreach=1").text) == ["Dan Screening"]
    key = person_keys(page.text)[0]
    client.post(
        f"/person/{key}/outcome",
        data={"result": "no_answer", "day": "1", "month": "11", "year": "2026", "csrf_token": csrf(page.text)},
    )
    assert "Cat Sameday" not in _names_in_order(client.get("/worklist/T1?not_contacted=1").text)


def test_list_is_paginated_with_links_that_keep_the_filters(store_url):
    from fastapi.testclient import TestClient

    from longerlives.web.app import create_app
    from longerlives.web.settings import WebSettings

    with TestClient(create_app(store_url, WebSettings(page_size=5)), base_url="https://testserver") as c:
        sign_in(c, "lead")
        # 4 people on T1 fit one page of 5; the filter survives into the page links of a longer list
        r = c.get("/worklist/T1?kind=phc")
        assert "Page 2" not in r.text
    with TestClient(create_app(store_url, WebSettings(page_size=5)), base_url="https://testserver") as c:
        sign_in(c, "lead")
        assert c.get("/worklist/T1?page=7").status_code == 200  # past the end: the last page


def test_lead_sees_every_team_and_the_unallocated_list_and_can_allocate(client, store_url):
    r = sign_in(client, "lead")
    assert r.url.path == "/teams"
    for team in ("T1", "T2", "unallocated"):
        assert f'href="/worklist/{team}"' in r.text
    unallocated = client.get("/worklist/unallocated")
    key = person_keys(unallocated.text)[0]
    person = client.get(f"/person/{key}")
    assert "Allocate to a team" in person.text
    r = client.post(f"/person/{key}/allocate", data={"team": "T2", "csrf_token": csrf(person.text)})
    assert r.status_code == 200 and "Team T2" in r.text
    assert "Fay Nobody" in client.get("/worklist/T2").text
    assert "Fay Nobody" not in client.get("/worklist/unallocated").text
    assert any(a["action"] == "allocate" and a["team"] == "T2" for a in _audit(store_url))


def test_team_user_cannot_allocate(client):
    page = sign_in(client, "nurse.t1")
    key = person_keys(page.text)[0]
    r = client.post(f"/person/{key}/allocate", data={"team": "T2", "csrf_token": csrf(page.text)})
    assert r.status_code == 403


def test_admin_manages_users_and_a_disabled_user_is_signed_out_at_once(client, store_url):
    from fastapi.testclient import TestClient

    from longerlives.web.app import create_app

    with TestClient(create_app(store_url), base_url="https://testserver") as nurse:
        assert sign_in(nurse, "nurse.t2").url.path == "/worklist/T2"
        page = sign_in(client, "admin")
        users = client.get("/admin/users")
        assert users.status_code == 200 and "nurse.t2" in users.text
        client.post("/admin/users/disable", data={"username": "nurse.t2", "csrf_token": csrf(page.text)})
        assert nurse.get("/worklist/T2", follow_redirects=False).headers["location"] == "/login"
        assert sign_in(nurse, "nurse.t2").status_code == 401
    sign_in(client, "nurse.t1")
    assert client.get("/admin/users").status_code == 404


def test_five_wrong_passwords_lock_the_account_even_for_the_right_password(client, store_url):
    for _ in range(5):
        assert sign_in(client, "nurse.t1", "wrong password here").status_code == 401
    r = sign_in(client, "nurse.t1")
    assert r.status_code == 401 and "locked for 15 minutes" in r.text
    with open_store(store_url).engine.connect() as conn:
        from longerlives.store.web_models import WebUser

        locked = conn.execute(
            select(WebUser.__table__.c.locked_until).where(WebUser.__table__.c.username == "nurse.t1")
        ).scalar_one()
    assert locked is not None


def test_sign_in_attempts_are_rate_limited_per_client(store_url):
    from fastapi.testclient import TestClient

    from longerlives.web.app import create_app
    from longerlives.web.settings import WebSettings

    with TestClient(
        create_app(store_url, WebSettings(sign_in_attempts_per_minute=3)), base_url="https://testserver"
    ) as c:
        codes = [sign_in(c, f"nobody{i}", "whatever password").status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]


def test_sign_out_ends_the_session(client):
    page = sign_in(client, "nurse.t1")
    old_cookie = client.cookies.get("__Host-ll_session")
    r = client.post("/logout", data={"csrf_token": csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    client.cookies.set("__Host-ll_session", old_cookie, domain="testserver.local")
    assert client.get("/worklist/T1", follow_redirects=False).status_code == 303


def test_every_response_carries_security_headers_and_a_strict_session_cookie(client):
    login = client.get("/login")
    csp = login.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert login.headers["x-content-type-options"] == "nosniff"
    assert login.headers["x-frame-options"] == "DENY"
    assert login.headers["referrer-policy"] == "no-referrer"
    assert login.headers["cache-control"] == "no-store"
    assert "<script>" not in login.text and " style=" not in login.text
    r = client.post(
        "/login",
        data={"username": "nurse.t1", "password": PASSWORD, "csrf_token": csrf(login.text)},
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-ll_session=")
    for part in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert part.lower() in cookie.lower()


def test_every_page_shows_the_last_run_and_warns_when_it_is_older_than_36_hours(client, store_url):
    page = sign_in(client, "nurse.t1")
    assert "Last successful run:" in page.text and "This list may be out of date" not in page.text
    with open_store(store_url).engine.begin() as conn:
        from datetime import datetime, timedelta

        conn.execute(
            update(Run.__table__)
            .where(Run.__table__.c.run_id == RUN_ID)
            .values(finished_at=datetime.now(UTC) - timedelta(hours=37))
        )
    for path in ("/teams", "/worklist/T1", f"/person/{person_keys(page.text)[0]}"):
        assert "This list may be out of date" in client.get(path).text, path


def test_person_page_shows_evidence_plan_contact_scores_with_clinrisk_disclaimer(client):
    page = sign_in(client, "nurse.t1")
    r = client.get(f"/person/{person_keys(page.text)[0]}")
    for words in (
        "Why they are on the list",
        "Last blood pressure recorded 2025-03-02",
        "Plan, in order",
        "One appointment to cover: blood pressure",
        "phone 07700 900001",
        "longer appointment",
        "Letters",
        "12.3%",
        "ClinRisk Ltd. stress",
        "QDiabetes-2018",
        "What the team did",
    ):
        assert words in r.text, words


@pytest.mark.parametrize("path", ["/person/not-a-key", "/person/" + "f" * 24, "/worklist/../etc"])
def test_unknown_or_malformed_addresses_answer_404(client, path):
    sign_in(client, "nurse.t1")
    assert client.get(path).status_code == 404


def test_demo_accounts_have_one_time_passwords_changed_at_first_sign_in(store_url):
    from fastapi.testclient import TestClient

    from longerlives.web.app import create_app
    from longerlives.web.demo_accounts import make_demo_accounts

    accounts = make_demo_accounts(store_url)
    assert [a[0] for a in accounts] == ["nurse.t1", "nurse.t2", "lead"]  # the two biggest teams, then a lead
    username, _, one_time = accounts[0]
    with TestClient(create_app(store_url), base_url="https://testserver") as c:
        r = sign_in(c, username, one_time)
        assert r.url.path == "/account/password"
        assert c.get("/worklist/T1", follow_redirects=False).headers["location"] == "/account/password"
        short = c.post("/account/password", data={"password": "short", "confirm": "short", "csrf_token": csrf(r.text)})
        assert short.status_code == 400 and "at least 12 characters" in short.text
        done = c.post(
            "/account/password",
            data={"password": "my own long password", "confirm": "my own long password", "csrf_token": csrf(r.text)},
        )
        assert done.url.path == "/worklist/T1"
    with TestClient(create_app(store_url), base_url="https://testserver") as c:
        assert sign_in(c, username, one_time).status_code == 401
        assert sign_in(c, username, "my own long password").url.path == "/worklist/T1"


def test_person_page_lists_the_letters_sent_to_the_person(client, store_url):
    from longerlives.store.models import LetterIssued

    with open_store(store_url).engine.begin() as conn:
        conn.execute(
            LetterIssued.__table__.insert().values(
                run_id=RUN_ID,
                nhs_number=nhs(3),
                issued_on=date(2026, 10, 2),
                letter="phc_invite",
                language="en",
                format="easy_read",
                path="letters/x.html",
                flags="phc.blood_pressure",
            )
        )
    page = sign_in(client, "nurse.t1")
    text = client.get(f"/person/{person_keys(page.text)[0]}").text  # Cat Sameday
    letters = text.split("Letters sent, newest first", 1)[1].split("</table>", 1)[0]
    assert "2 October 2026" in letters and "phc invite" in letters and "easy read" in letters
