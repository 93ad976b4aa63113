"""Worklists people read (issue 15): human labels for flags (the CSV keeps the ids beside
them), urgency first, and an HTML table whose phone numbers and plans are readable at
1280 px (measured in Chromium)."""

from __future__ import annotations

import csv

import pytest

from tests.browser.harness import axe_violations, chromium_page
from tests.outreach.test_worklists import _ctx

SAME_DAY = "Blood pressure 190/95 on 2025-06-01 is 180/120 or higher"  # 29 days before the as-of date


def _read(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def worklist(tmp_path_factory):
    ctx, ids = _ctx(tmp_path_factory.mktemp("wl"))
    return ctx.staging / "worklists", ids


def test_csv_keeps_flag_ids_and_names_them_for_people(worklist):
    folder, ids = worklist
    by_id = {r["nhs_number"]: r for r in _read(folder / "CT01.csv")}
    strict = by_id[ids["strict"]]
    assert strict["flags"].split(";")[0] == "ecg.annual" or "phc.bmi" in strict["flags"]
    assert len(strict["flag_labels"].split("; ")) == len(strict["flags"].split(";"))
    assert "Annual health check: blood pressure" in strict["flag_labels"]
    assert "phc." not in strict["flag_labels"] and "ecg.annual" not in strict["flag_labels"]
    assert by_id[ids["routine"]]["flag_labels"] == "Annual ECG"


def test_same_day_safety_item_is_first_and_says_so(worklist):
    folder, ids = worklist
    rows = _read(folder / "CT01.csv")
    assert rows[0]["nhs_number"] == ids["safety"] and rows[0]["urgency"] == "same_day"
    assert {r["urgency"] for r in rows[1:]} == {"routine"}


def test_html_shows_labels_not_raw_flag_ids(worklist):
    folder, _ = worklist
    html = (folder / "CT01.html").read_text(encoding="utf-8")
    body = html.split("<tbody>", 1)[1]
    assert "Annual health check: blood pressure" in body and "Annual ECG" in body
    assert "phc.blood_pressure" not in body and "ecg.annual" not in body
    assert '<span class="tag tag-red">same day</span>' in body


def test_html_phone_and_plan_are_readable_at_1280_px(worklist):
    folder, _ = worklist
    with chromium_page(1280, 900) as page:
        page.goto((folder / "CT01.html").as_uri())
        sizes = page.evaluate(
            """() => ({
                scroll: document.documentElement.scrollWidth,
                view: document.documentElement.clientWidth,
                plan: Math.min(...[...document.querySelectorAll('td.c-plan')].map(td => td.getBoundingClientRect().width)),
                font: Math.min(...[...document.querySelectorAll('tbody td')].map(td => parseFloat(getComputedStyle(td).fontSize))),
            })"""
        )
        assert sizes["scroll"] <= sizes["view"]  # no sideways scrolling at 1280 px
        assert sizes["plan"] >= 280  # a plan line of about 40 characters fits
        assert sizes["font"] >= 14
        # each phone number sits on one line, whole
        phone_lines = page.evaluate(
            """() => [...document.querySelectorAll('td.c-contact .tel')].map(node => {
                const r = document.createRange(); r.selectNodeContents(node);
                return new Set([...r.getClientRects()].filter(x => x.width > 1).map(x => Math.round(x.top))).size; })"""
        )
        phone_lines = [n for n in phone_lines if n is not None]
        assert phone_lines and all(n == 1 for n in phone_lines)  # one line each
        assert axe_violations(page) == []
