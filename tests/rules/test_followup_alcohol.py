"""followup.alcohol — AUDIT-C 5 or more, or over 14 units a week, and no brief intervention."""

from datetime import date

import pytest

FLAG = "followup.alcohol"


@pytest.mark.parametrize(("score", "flagged"), [(4, False), (5, True), (12, True)])
def test_audit_c_of_5_or_more_is_a_positive_screen(reg, score, flagged):
    p = reg.person()
    reg.event(p, "audit_c", date(2026, 2, 2), score)
    assert (p in reg.flags(FLAG)) is flagged


@pytest.mark.parametrize(("units", "flagged"), [(14, False), (14.5, True), (30, True)])
def test_more_than_14_units_a_week_is_flagged(reg, units, flagged):
    p = reg.person()
    reg.event(p, "alcohol_units", date(2026, 2, 2), units)
    assert (p in reg.flags(FLAG)) is flagged


def test_reason_names_both_results_and_since_is_the_earlier(reg):
    p = reg.person()
    reg.event(p, "audit_c", date(2026, 2, 2), 7)
    reg.event(p, "alcohol_units", date(2026, 1, 5), 20)
    assert reg.flags(FLAG)[p] == {
        "since": date(2026, 1, 5),
        "reason": "AUDIT-C score 7 on 2026-02-02 (5 or more) and 20 units a week on 2026-01-05 (more than 14); "
        "no alcohol brief intervention in the last 12 months",
    }


def test_brief_intervention_within_12_months_silences_the_flag(reg):
    p = reg.person()
    reg.event(p, "audit_c", date(2026, 2, 2), 7)
    reg.event(p, "alcohol_brief_intervention", date(2025, 6, 16))
    q = reg.person()
    reg.event(q, "audit_c", date(2026, 2, 2), 7)
    reg.event(q, "alcohol_brief_intervention", date(2025, 6, 15))
    assert set(reg.flags(FLAG)) == {q}


def test_screen_exactly_one_year_ago_is_out_of_window(reg):
    p = reg.person()
    reg.event(p, "audit_c", date(2025, 6, 15), 9)
    assert reg.flags(FLAG) == {}


def test_latest_score_counts_even_when_an_earlier_one_was_high(reg):
    p = reg.person()
    reg.event(p, "audit_c", date(2025, 9, 1), 9)
    reg.event(p, "audit_c", date(2026, 3, 1), 2)
    assert reg.flags(FLAG) == {}
