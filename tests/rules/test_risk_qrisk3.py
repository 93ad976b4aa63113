"""risk.qrisk3 — QRISK3 at or above the threshold and no lipid-lowering medicine in 6 months."""

from datetime import date

import pytest

from tests.rules.conftest import with_rule_params

FLAG = "risk.qrisk3"


def test_score_at_the_threshold_is_flagged_and_just_below_is_not(reg):
    at = reg.person(qrisk3=10.0)
    reg.person(qrisk3=9.99)
    got = reg.flags(FLAG)
    assert set(got) == {at}
    assert got[at] == {
        "since": None,
        "reason": "QRISK3-2017 10-year cardiovascular risk 10% (10% or more); no lipid-lowering medicine ever issued",
    }


def test_person_whose_score_cannot_be_computed_gets_no_risk_flag(reg):
    reg.person(qrisk3=None)
    assert reg.flags(FLAG) == {}


def test_lipid_lowering_issued_exactly_six_months_ago_no_longer_counts(reg):
    p = reg.person(qrisk3=14.25)
    reg.medicine(p, "lipid_lowering", date(2025, 12, 15))
    assert reg.flags(FLAG)[p]["reason"] == (
        "QRISK3-2017 10-year cardiovascular risk 14.2% (10% or more); "
        "last lipid-lowering medicine issued 2025-12-15, more than 6 months ago"
    )


def test_lipid_lowering_issued_six_months_minus_a_day_ago_counts(reg):
    p = reg.person(qrisk3=14.2)
    reg.medicine(p, "lipid_lowering", date(2025, 12, 16))
    assert reg.flags(FLAG) == {}


def test_lipid_lowering_issued_after_the_as_of_date_is_ignored(reg):
    p = reg.person(qrisk3=14.2)
    reg.medicine(p, "lipid_lowering", date(2026, 6, 16))
    assert p in reg.flags(FLAG)


def test_the_threshold_is_a_setting(reg):
    p = reg.person(qrisk3=12.0)
    assert reg.flags(FLAG, settings=with_rule_params("risk.qrisk3", threshold_percent=15)) == {}
    assert p in reg.flags(FLAG, settings=with_rule_params("risk.qrisk3", threshold_percent=12))


# --- run-outputs v2 / NICE NG238: QRISK3 is not used for type 1 diabetes or CKD stage 3-5 ---


@pytest.mark.parametrize("code", ["313435000", "290002008", "433144002", "700379002", "431857002", "433146000"])
def test_no_qrisk3_flag_for_type_1_diabetes_or_ckd_3_to_5_whatever_the_score(reg, code):
    p = reg.person(born=date(1960, 1, 1), qrisk3=22.0)
    reg.coded(p, code, date(2020, 1, 1))
    assert reg.flags(FLAG) == {}
    assert p in reg.flags("statin.indicated")


def test_type_2_diabetes_still_gets_the_qrisk3_flag(reg):
    p = reg.person(qrisk3=15.0)
    reg.coded(p, "1196922005", date(2020, 1, 1))  # Neovascular glaucoma due to diabetes mellitus type 2
    assert set(reg.flags(FLAG)) == {p}
