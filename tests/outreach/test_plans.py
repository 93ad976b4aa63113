"""Engagement plans: safety first, then one appointment, screening, lifestyle; lead, channel, adjustments."""

from __future__ import annotations

from datetime import date

from tests.outreach.helpers import flags_frame, people_frame, person, run_stages

SAFETY = "HbA1c 52 mmol/mol on 2025-05-01 is in the diabetes range (48 or more) with no diabetes diagnosis recorded"


def _plans(tmp_path, rows, flags):
    ctx = run_stages(tmp_path, people_frame(rows), flags_frame(flags), upto="outreach")
    return {r["nhs_number"]: r for r in ctx.plans.to_dicts()}, ctx


def test_actions_are_ordered_safety_most_urgent_first_then_appointment_screening_lifestyle(tmp_path):
    a = person(1, safety_items=f"{SAFETY}; Blood pressure 185/100 on 2025-06-01")
    n = a["nhs_number"]
    flags = [
        (n, f)
        for f in (
            "smoking.cessation_offer",
            "screening.bowel",
            "ecg.annual",
            "phc.lipids",
            "followup.bmi",
            "followup.hba1c",
        )
    ]
    plans, _ = _plans(tmp_path, [a], flags)
    assert plans[n]["urgency"] == "same_day"
    assert plans[n]["actions"] == [
        "Safety: Blood pressure 185/100 on 2025-06-01",  # same_day before soon
        f"Safety: {SAFETY}",
        "One appointment to cover: lipids blood test, 12-lead ECG, act on raised HbA1c or fasting glucose (repeat; diabetes prevention referral unless in the diabetes range)",
        "Screening: bowel screening kit",
        "Lifestyle support: offer stop-smoking support, offer weight management",
    ]
    assert plans[n]["lead"] == "GP practice" and plans[n]["has_safety"]


def test_safety_item_without_flags_still_gets_a_plan(tmp_path):
    a, b = person(1, safety_items=SAFETY), person(2)
    plans, _ = _plans(tmp_path, [a, b], [])
    assert list(plans) == [a["nhs_number"]]


def test_out_of_scope_never_gets_a_plan(tmp_path):
    a = person(1, in_scope=False, health_check_cohort=False, safety_items=SAFETY)
    plans, _ = _plans(tmp_path, [a], [(a["nhs_number"], "ecg.annual")])
    assert plans == {}


def test_lead_rules_from_config(tmp_path):
    strict = person(1, phc_elements_done=0, planned_contacts_12m=0, phc_last_any=None)
    strict_no_team = person(2, phc_elements_done=0, planned_contacts_12m=0, phc_last_any=None, core_team=None)
    homeless = person(3, homeless_last_date=date(2025, 1, 1), imd_decile=1)
    routine = person(4)
    rows = [strict, strict_no_team, homeless, routine] + [person(i) for i in range(5, 21)]
    flags = [(r["nhs_number"], "phc.blood_pressure") for r in rows]
    plans, _ = _plans(tmp_path, rows, flags)
    assert plans[strict["nhs_number"]]["lead"] == "peer worker"
    assert (
        plans[strict_no_team["nhs_number"]]["lead"] == "GP practice"
    )  # strict, but no core team to send a peer worker
    assert plans[homeless["nhs_number"]]["lead"] == "voluntary sector"
    assert plans[routine["nhs_number"]]["lead"] == "GP practice"


def test_channel_and_adjustments(tmp_path):
    braille = person(1, communication_needs="braille;large_print")
    no_letters = person(2, contact_by_letter=False)
    email = person(3, communication_needs="email", email="a@example.invalid")
    easy = person(
        4,
        communication_needs="easy_read;large_print",
        preferred_language="pl",
        learning_disability_last_date=date(2010, 1, 1),
    )
    rows = [braille, no_letters, email, easy]
    plans, _ = _plans(tmp_path, rows, [(r["nhs_number"], "ecg.annual") for r in rows])
    assert plans[braille["nhs_number"]]["channel"] == "phone or in person (braille needed, no standard letter)"
    assert plans[braille["nhs_number"]]["manual_needs"] == "braille"
    assert plans[no_letters["nhs_number"]]["channel"] == "phone (no letters)"
    assert plans[email["nhs_number"]]["channel"] == "email"
    assert plans[easy["nhs_number"]]["channel"] == "letter (easy read)"
    adj = plans[easy["nhs_number"]]["reasonable_adjustments"]
    assert "easy read information" in adj and "spoken-language interpreter at the appointment" in adj
    assert any("longer appointment" in a for a in adj)


def test_outreach_only_person_gets_an_engagement_contact(tmp_path):
    # all checks done, but marginalised by circumstances: homeless + decile 1 + interpreter
    a = person(1, homeless_last_date=date(2025, 1, 1), imd_decile=1, interpreter_required=True)
    rows = [a] + [person(i) for i in range(2, 6)]
    plans, ctx = _plans(tmp_path, rows, [])
    assert plans[a["nhs_number"]]["flags"] == ["outreach.marginalised"]
    assert plans[a["nhs_number"]]["actions"] == ["Engagement contact: check in and offer support"]
