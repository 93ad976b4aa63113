"""risk.qdiabetes — QDiabetes at or above the threshold and no diabetes diagnosis."""

from datetime import date

from tests.rules.conftest import SETTINGS, with_rule_params

FLAG = "risk.qdiabetes"
T = SETTINGS.rules.rule_tables()["risk.qdiabetes"]["threshold_percent"]


def test_score_at_the_threshold_is_flagged_and_just_below_is_not(reg):
    at = reg.person(qdiabetes=T)
    reg.person(qdiabetes=T - 0.1)
    got = reg.flags(FLAG)
    assert set(got) == {at}
    assert (
        got[at]["reason"]
        == f"QDiabetes-2018 10-year type 2 diabetes risk {T:g}% ({T:g}% or more); no diabetes diagnosis recorded"
    )
    assert got[at]["since"] is None


def test_diabetes_diagnosis_silences_the_flag_unless_resolved_afterwards(reg):
    diabetic = reg.person(qdiabetes=T + 5)
    reg.event(diabetic, "diabetes_type2", date(2020, 1, 1))
    resolved = reg.person(qdiabetes=T + 5)
    reg.event(resolved, "diabetes_type2", date(2018, 1, 1))
    reg.event(resolved, "diabetes_resolved", date(2019, 1, 1))
    assert set(reg.flags(FLAG)) == {resolved}


def test_no_score_means_no_flag(reg):
    reg.person(qdiabetes=None)
    assert reg.flags(FLAG) == {}


def test_the_threshold_is_a_setting(reg):
    p = reg.person(qdiabetes=6.0)
    assert p in reg.flags(FLAG, settings=with_rule_params("risk.qdiabetes", threshold_percent=5.6))
    assert reg.flags(FLAG, settings=with_rule_params("risk.qdiabetes", threshold_percent=6.1)) == {}
