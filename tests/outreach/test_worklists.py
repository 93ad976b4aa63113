"""worklists/<team>.csv + .html, unallocated.csv and plans.json (run-outputs-v1.md)."""

from __future__ import annotations

import csv
import json
from datetime import date

import polars as pl

from tests.outreach.helpers import flags_frame, people_frame, person, run_stages

CONTRACT = [
    "priority",
    "nhs_number",
    "name",
    "practice_code",
    "outreach",
    "flags",
    "safety",
    "plan",
    "communication_needs",
    "language",
    "contact",
    "last_letter",
    "urgency",
]


def _ctx(tmp_path):
    strict = person(1, phc_elements_done=0, planned_contacts_12m=0, phc_last_any=None, imd_decile=1)
    safety = person(2, safety_items="Blood pressure 190/95 on 2025-06-01 is 180/120 or higher")
    routine = person(3)
    braille = person(4, communication_needs="braille")
    no_team = person(5, core_team=None)
    pl_fallback = person(6, preferred_language="pl", interpreter_required=True, communication_needs="easy_read")
    rows = [strict, safety, routine, braille, no_team, pl_fallback]
    flags = [
        (strict["nhs_number"], f"phc.{e}") for e in ("bmi", "blood_pressure", "lipids", "glucose", "alcohol", "smoking")
    ]
    flags += [(r["nhs_number"], "ecg.annual") for r in rows[1:]]
    ctx = run_stages(
        tmp_path,
        people_frame(rows),
        flags_frame(flags),
        practices=pl.DataFrame(
            {
                "practice_code": ["A81001"],
                "name": ["Test Surgery"],
                "phone": ["020 7946 0000"],
                "address": ["1 High St"],
            }
        ),
        teams=pl.DataFrame(
            {
                "team_code": ["CT01", "CT02"],
                "name": ["North Core Team", "South Core Team"],
                "phone": ["020 7946 0999", None],
                "email": ["team@example.invalid", None],
            }
        ),
        last_letters=pl.DataFrame(
            {"nhs_number": [routine["nhs_number"]], "last_letter": [date(2025, 5, 1)], "last_letter_flags": [""]}
        ),
    )
    return ctx, {k: r["nhs_number"] for k, r in zip(["strict", "safety", "routine", "braille", "no_team", "pl"], rows)}


def _read(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_team_and_unallocated_files(tmp_path):
    ctx, ids = _ctx(tmp_path)
    folder = ctx.staging / "worklists"
    assert sorted(p.name for p in folder.iterdir()) == [
        "CT01.csv",
        "CT01.html",
        "CT02.csv",
        "CT02.html",
        "index.csv",
        "plans.json",
        "unallocated.csv",
        "unallocated.html",
    ]
    assert (folder / "CT02.csv").read_text(encoding="utf-8").count("\n") == 1  # known team, nobody today: header only
    assert [r["nhs_number"] for r in _read(folder / "unallocated.csv")] == [ids["no_team"]]
    assert "worklists/CT01.csv" in ctx.files and "worklists/plans.json" in ctx.files


def test_columns_order_and_content(tmp_path):
    ctx, ids = _ctx(tmp_path)
    rows = _read(ctx.staging / "worklists" / "CT01.csv")
    assert list(rows[0])[: len(CONTRACT)] == CONTRACT
    # safety first, then most marginalised (strict person has rank 1), then the rest by rank
    assert rows[0]["nhs_number"] == ids["safety"] and rows[0]["safety"].startswith("Blood pressure 190/95")
    assert rows[0]["plan"].startswith("1. Safety: Blood pressure 190/95")
    assert rows[1]["nhs_number"] == ids["strict"] and rows[1]["outreach"] == "true"
    assert [r["priority"] for r in rows] == [str(i) for i in range(1, len(rows) + 1)]
    by_id = {r["nhs_number"]: r for r in rows}
    assert by_id[ids["braille"]]["communication_needs"] == "braille"
    assert by_id[ids["braille"]]["letter_note"] == "no letter: needs braille: no standard letter"
    assert by_id[ids["routine"]]["last_letter"] == "2025-05-01"
    assert by_id[ids["strict"]]["last_letter"] == ""
    assert by_id[ids["pl"]]["language"] == "pl (interpreter needed); letter in English, interpreter offered"
    assert by_id[ids["routine"]]["contact"] == "letter; phone 07700 900001"
    assert by_id[ids["routine"]]["name"] == "Ms Alex Example"


def test_html_shows_the_same_rows(tmp_path):
    ctx, ids = _ctx(tmp_path)
    html = (ctx.staging / "worklists" / "CT01.html").read_text(encoding="utf-8")
    rows = _read(ctx.staging / "worklists" / "CT01.csv")
    assert html.count('<th scope="row">') == len(rows)
    assert "North Core Team" in html and '<th scope="col" class="c-person">Person</th>' in html
    positions = [html.index(r["nhs_number"]) for r in rows]
    assert positions == sorted(positions)


def test_plans_json(tmp_path):
    ctx, ids = _ctx(tmp_path)
    body = json.loads((ctx.staging / "worklists" / "plans.json").read_text(encoding="utf-8"))
    assert body["as_of"] == "2025-06-30"
    plans = {p["nhs_number"]: p for p in body["plans"]}
    assert set(plans) == set(ids.values())
    assert plans[ids["safety"]]["actions"][0].startswith("Safety: ")
    assert plans[ids["strict"]]["lead"] == "peer worker"


def test_csv_is_deterministic(tmp_path):
    a, _ = _ctx(tmp_path / "a")
    b, _ = _ctx(tmp_path / "b")
    for name in ("CT01.csv", "unallocated.csv"):
        assert (a.staging / "worklists" / name).read_bytes() == (b.staging / "worklists" / name).read_bytes()


def test_nobody_with_flags_writes_empty_outputs(tmp_path):
    ctx = run_stages(
        tmp_path,
        people_frame([person(1), person(2)]),
        flags_frame([]),
        practices=pl.DataFrame(schema={"practice_code": pl.String}),
        teams=pl.DataFrame(schema={"team_code": pl.String}),
    )
    assert ctx.plans.height == 0 and ctx.letters_index.height == 0
    assert (ctx.staging / "letters" / "index.csv").read_text() == "nhs_number,letter,language,format,path\n"
    assert json.loads((ctx.staging / "worklists" / "plans.json").read_text())["plans"] == []


def test_html_worklist_escapes_names_and_marks_safety_rows():
    import polars as pl

    from longerlives.outputs.worklists import _html_rows

    part = pl.DataFrame(
        {
            "priority": [1, 2],
            "nhs_number": ["9000000009", "9000000017"],
            "name": ["<b>O'Neil</b> & co", "Ann"],
            "outreach": [True, False],
            "safety": ["BP 190/125 on 2026-10-01", None],
        }
    )
    html = _html_rows(part, ["priority", "nhs_number", "name", "outreach", "safety"])
    rows = html.splitlines()
    assert rows[0].startswith('    <tr class="safety"><th scope="row">1 <span class="tag tag-red">safety</span></th>')
    assert "&lt;b&gt;O&#39;Neil&lt;/b&gt; &amp; co" in rows[0]
    assert '<span class="tag">outreach</span>' in rows[0]
    assert rows[1].startswith('    <tr><th scope="row">2</th>') and "visually-hidden" in rows[1]
