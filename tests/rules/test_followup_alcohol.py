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


# --- run-outputs v2: full AUDIT 8 or more; 20 or more (possible dependence) closed only by a specialist referral ---
AUDIT = "443280005"  # AUDIT score
SPECIALIST = ("431260004", "390857005", "417096006", "38670004")


@pytest.mark.parametrize(("score", "flagged"), [(7, False), (8, True), (19, True), (20, True)])
def test_full_audit_of_8_or_more_is_flagged(reg, score, flagged):
    p = reg.person()
    reg.coded(p, AUDIT, date(2026, 4, 4), score)
    assert (p in reg.flags(FLAG)) is flagged


def test_full_audit_19_is_closed_by_a_brief_intervention_but_20_is_not(reg):
    nineteen = reg.person()
    reg.coded(nineteen, AUDIT, date(2026, 4, 4), 19)
    reg.event(nineteen, "alcohol_brief_intervention", date(2026, 4, 4))
    twenty = reg.person()
    reg.coded(twenty, AUDIT, date(2026, 4, 4), 20)
    reg.event(twenty, "alcohol_brief_intervention", date(2026, 4, 4))
    got = reg.flags(FLAG)
    assert set(got) == {twenty}
    assert got[twenty] == {
        "since": date(2026, 4, 4),
        "reason": "Full AUDIT score 20 on 2026-04-04 (20 or more); possible alcohol dependence: no referral to specialist "
        "alcohol services in the last 12 months (a brief intervention does not close this)",
    }


@pytest.mark.parametrize("referral", SPECIALIST)
def test_full_audit_of_20_or_more_is_closed_by_a_specialist_alcohol_referral(reg, referral):
    p = reg.person()
    reg.coded(p, AUDIT, date(2026, 4, 4), 27)
    reg.coded(p, referral, date(2026, 4, 10))
    assert reg.flags(FLAG) == {}


def test_specialist_referral_exactly_one_year_ago_no_longer_closes_audit_20(reg):
    p = reg.person()
    reg.coded(p, AUDIT, date(2026, 4, 4), 24)
    reg.coded(p, SPECIALIST[0], date(2025, 6, 15))
    assert p in reg.flags(FLAG)
