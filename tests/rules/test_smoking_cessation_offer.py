"""smoking.cessation_offer — current smoker, no offer of support in the last 12 months."""

from datetime import date

import pytest

from tests.rules.conftest import AS_OF, with_rule_params

FLAG = "smoking.cessation_offer"
QOF_MISSING = "no stop-smoking support offered, referred or declined and no stop-smoking medicine issued"


def test_current_smoker_never_offered_support_is_flagged_since_recorded_smoking(reg):
    p = reg.person()
    reg.event(p, "smoker_heavy", date(2026, 1, 5))
    assert reg.flags(FLAG)[p] == {
        "since": date(2026, 1, 5),
        "reason": f"Current smoker (recorded 2026-01-05); {QOF_MISSING} in the last 12 months",
    }


def test_ex_smoker_code_after_a_smoker_code_is_not_a_current_smoker(reg):
    p = reg.person()
    reg.event(p, "smoker", date(2024, 1, 5))
    reg.event(p, "ex_smoker", date(2025, 1, 5))
    assert reg.flags(FLAG) == {}


def test_smoker_and_never_smoked_on_the_same_day_counts_as_a_current_smoker(reg):
    p = reg.person()
    reg.event(p, "smoker_light", date(2026, 1, 5))
    reg.event(p, "never_smoked", date(2026, 1, 5))
    assert p in reg.flags(FLAG)


def test_offer_exactly_one_year_ago_no_longer_counts(reg):
    p = reg.person()
    reg.event(p, "smoker", date(2025, 1, 5), 10)
    reg.event(p, "smoking_cessation_offered", date(2025, 6, 15))
    assert reg.flags(FLAG)[p]["since"] == AS_OF


def test_offer_one_year_minus_a_day_ago_counts(reg):
    p = reg.person()
    reg.event(p, "smoker", date(2025, 1, 5), 10)
    reg.event(p, "smoking_cessation_offered", date(2025, 6, 16))
    assert reg.flags(FLAG) == {}


def test_cessation_medicine_issued_in_the_last_year_counts_as_an_offer(reg):
    p = reg.person()
    reg.event(p, "smoker", date(2025, 1, 5))
    reg.medicine(p, "smoking_cessation_drug", date(2026, 2, 1))
    assert reg.flags(FLAG) == {}
    assert reg.flags(FLAG, settings=with_rule_params("smoking.cessation_offer", definition="strict")) == {}


@pytest.mark.parametrize(
    ("offer", "qof_flagged", "strict_flagged"),
    [
        ("smoking_cessation_offered", False, True),
        ("smoking_cessation_declined", False, True),
        ("smoking_cessation_referral", False, False),
    ],
)
def test_what_counts_as_an_offer_depends_on_the_definition_setting(reg, offer, qof_flagged, strict_flagged):
    p = reg.person()
    reg.event(p, "smoker", date(2025, 1, 5))
    reg.event(p, offer, date(2026, 2, 1))
    assert (p in reg.flags(FLAG)) is qof_flagged
    strict = reg.flags(FLAG, settings=with_rule_params("smoking.cessation_offer", definition="strict"))
    assert (p in strict) is strict_flagged
    if strict_flagged:
        assert strict[p]["reason"] == (
            "Current smoker (recorded 2025-01-05); no referral to a stop-smoking service and no "
            "stop-smoking medicine issued in the last 12 months"
        )


def test_smoker_code_recorded_before_age_11_is_ignored(reg):
    child_record = reg.person(born=date(2000, 1, 1))
    reg.event(child_record, "smoker", date(2010, 12, 31))
    at_eleven = reg.person(born=date(2000, 1, 1))
    reg.event(at_eleven, "smoker", date(2011, 1, 1))
    assert set(reg.flags(FLAG)) == {at_eleven}


def test_smoker_code_dated_after_the_as_of_date_is_ignored(reg):
    p = reg.person()
    reg.event(p, "ex_smoker", date(2024, 1, 1))
    reg.event(p, "smoker", date(2026, 6, 16))
    assert reg.flags(FLAG) == {}
