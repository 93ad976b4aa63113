"""A plan's steps are worked out once for each distinct set of flags and its reasonable adjustments once for
each distinct set of needs (issue 16, session 27): every person must still get exactly their own."""

from __future__ import annotations

from datetime import date

import pytest

from longerlives.settings import load_settings
from tests.outreach.helpers import flags_frame, people_frame, person, run_stages

SAFETY_A = "HbA1c 52 mmol/mol on 2025-05-01 is in the diabetes range (48 or more) with no diabetes diagnosis recorded"
SAFETY_B = "Blood pressure 185/100 on 2025-06-01"


def _plans(tmp_path, rows, flags, settings=None):
    ctx = run_stages(tmp_path, people_frame(rows), flags_frame(flags), upto="outreach", settings=settings)
    return {r["nhs_number"]: r for r in ctx.plans.to_dicts()}


def test_people_with_the_same_flags_share_the_steps_but_keep_their_own_safety_items(tmp_path):
    a = person(1, safety_items=SAFETY_A)
    b = person(2, safety_items=SAFETY_B)
    c = person(3)  # the same flags as a and b, no safety item
    d = person(4)  # different flags
    same = ("ecg.annual", "screening.bowel", "smoking.cessation_offer")
    flags = [(p["nhs_number"], f) for p in (a, b, c) for f in same] + [(d["nhs_number"], "phc.lipids")]
    plans = _plans(tmp_path, [a, b, c, d], flags)
    steps = [
        "One appointment to cover: 12-lead ECG",
        "Screening: bowel screening kit",
        "Lifestyle support: offer stop-smoking support",
    ]
    assert plans[a["nhs_number"]]["actions"] == [f"Safety: {SAFETY_A}", *steps]
    assert plans[b["nhs_number"]]["actions"] == [f"Safety: {SAFETY_B}", *steps]
    assert plans[c["nhs_number"]]["actions"] == steps
    assert plans[d["nhs_number"]]["actions"] == ["One appointment to cover: lipids blood test"]


def test_a_person_whose_only_flag_has_no_plan_words_gets_no_steps_but_keeps_the_flag(tmp_path):
    a = person(1, safety_items=SAFETY_A)  # a safety flag only: no appointment, screening or lifestyle words
    b = person(2)
    plans = _plans(tmp_path, [a, b], [(b["nhs_number"], "ecg.annual")])
    assert plans[a["nhs_number"]]["actions"] == [f"Safety: {SAFETY_A}"]
    assert plans[b["nhs_number"]]["actions"] == ["One appointment to cover: 12-lead ECG"]


def _expected_adjustments(row, adjustments):
    """What the configuration asks for, read straight from each person's row (the rule, not the code's sets)."""
    needs = [n for n in (row["communication_needs"] or "").split(";") if n]
    signals = {
        "interpreter": bool(row["interpreter_required"]) or (row["preferred_language"] or "en") != "en",
        "learning_disability": row.get("learning_disability_last_date") is not None,
        "autism": row.get("autism_last_date") is not None,
        "outreach_strict": False,  # nobody here is in the strict outreach cohort (all six checks done)
    }
    return [text for key, text in adjustments.items() if signals.get(key, key in needs)]


def test_every_person_gets_the_adjustments_of_their_own_needs_in_the_configured_order(tmp_path):
    adjustments = load_settings().outreach.adjustments
    rows = [
        person(1, communication_needs="easy_read;large_print", preferred_language="pl"),
        person(2, communication_needs="large_print;easy_read"),  # the order of the needs does not matter
        person(3, communication_needs="braille", learning_disability_last_date=date(2010, 1, 1)),
        person(4, autism_last_date=date(2015, 1, 1), interpreter_required=True),
        person(5),
        person(6, communication_needs="email;bsl;audio", email="p6@example.invalid"),
        person(7, communication_needs="easy_read;large_print", preferred_language="pl"),  # the same as person 1
    ]
    plans = _plans(tmp_path, rows, [(r["nhs_number"], "ecg.annual") for r in rows])
    for row in rows:
        expected = _expected_adjustments(row, adjustments)
        assert plans[row["nhs_number"]]["reasonable_adjustments"] == expected, row["nhs_number"]
    assert plans[rows[4]["nhs_number"]]["reasonable_adjustments"] == []
    assert (
        plans[rows[0]["nhs_number"]]["reasonable_adjustments"] == plans[rows[6]["nhs_number"]]["reasonable_adjustments"]
    )


@pytest.mark.parametrize("configured", [64, 70])  # far more than the ten the configuration ships
def test_many_configured_adjustments_still_give_each_person_their_own(tmp_path, configured):
    s = load_settings()
    many = {f"need{i}": f"adjustment {i}" for i in range(configured)}
    settings = s.model_copy(update={"outreach": s.outreach.model_copy(update={"adjustments": many})})
    last = configured - 1
    rows = [
        person(1, communication_needs=f"need{last};need3"),
        person(2),
        person(3, communication_needs=f"need{last}"),
        person(4, communication_needs="need0;need62"),
    ]
    plans = _plans(tmp_path, rows, [(r["nhs_number"], "ecg.annual") for r in rows], settings)
    assert plans[rows[0]["nhs_number"]]["reasonable_adjustments"] == ["adjustment 3", f"adjustment {last}"]
    assert plans[rows[1]["nhs_number"]]["reasonable_adjustments"] == []
    assert plans[rows[2]["nhs_number"]]["reasonable_adjustments"] == [f"adjustment {last}"]
    assert plans[rows[3]["nhs_number"]]["reasonable_adjustments"] == ["adjustment 0", "adjustment 62"]


def test_no_configured_adjustments_gives_every_plan_an_empty_list(tmp_path):
    s = load_settings()
    settings = s.model_copy(update={"outreach": s.outreach.model_copy(update={"adjustments": {}})})
    rows = [person(1, communication_needs="easy_read", interpreter_required=True), person(2)]
    plans = _plans(tmp_path, rows, [(r["nhs_number"], "ecg.annual") for r in rows], settings)
    assert [plans[r["nhs_number"]]["reasonable_adjustments"] for r in rows] == [[], []]
