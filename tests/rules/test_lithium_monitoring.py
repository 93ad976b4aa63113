"""lithium.monitoring — lithium issued in 6 months and a level, renal, thyroid or calcium test missing in 6 months."""

from datetime import date

import pytest

FLAG = "lithium.monitoring"
EGFR = ("1011481000000105", "857971000000104", "1020291000000106")
CREATININE = ("1000731000000107", "1001011000000107")
TSH = ("1022791000000101", "1027151000000105", "313440008")
CALCIUM = ("935051000000108", "998341000000105", "1107251000000104")
LITHIUM_BNF = ("0402030K0AAAAAA", "0402030P0AAAAAA")  # lithium carbonate, lithium citrate presentations


def _on_lithium(reg, bnf: str = LITHIUM_BNF[0], issued: date = date(2026, 5, 1), **kw) -> str:
    p = reg.person(**kw)
    reg.medications.append({"nhs_number": p, "date": issued, "bnf_code": bnf})
    return p


def _all_tests(reg, p, on: date, i: int = 0) -> None:
    reg.event(p, "lithium_level", on, 0.7)
    reg.coded(p, EGFR[i % len(EGFR)], on, 85)
    reg.coded(p, TSH[i % len(TSH)], on, 2.1)
    reg.coded(p, CALCIUM[i % len(CALCIUM)], on, 2.4)


@pytest.mark.parametrize("i", range(3))
def test_every_test_within_6_months_means_no_flag(reg, i):
    p = _on_lithium(reg, LITHIUM_BNF[i % 2])
    _all_tests(reg, p, date(2026, 2, 1), i)
    assert reg.flags(FLAG) == {}


def test_reason_names_each_missing_test(reg):
    p = _on_lithium(reg, LITHIUM_BNF[1])
    reg.coded(p, TSH[2], date(2026, 3, 1), 1.9)
    assert reg.flags(FLAG)[p] == {
        "since": None,
        "reason": "Lithium last issued 2026-05-01; no lithium level, renal function (eGFR or creatinine), calcium "
        "in the last 6 months (NICE CG185: every 6 months)",
    }


def test_creatinine_counts_as_renal_function_when_no_egfr(reg):
    p = _on_lithium(reg)
    reg.event(p, "lithium_level", date(2026, 4, 1), 0.6)
    reg.coded(p, CREATININE[1], date(2026, 4, 1), 80)
    reg.coded(p, TSH[0], date(2026, 4, 1), 2.0)
    reg.coded(p, CALCIUM[2], date(2026, 4, 1), 2.3)
    assert reg.flags(FLAG) == {}


def test_tests_exactly_6_months_ago_are_out_of_date_and_a_day_later_are_in(reg):
    fresh = _on_lithium(reg)
    _all_tests(reg, fresh, date(2025, 12, 16), 1)
    old = _on_lithium(reg)
    _all_tests(reg, old, date(2025, 12, 15), 2)
    got = reg.flags(FLAG)
    assert set(got) == {old}
    assert (
        "no lithium level, renal function (eGFR or creatinine), thyroid function (TSH), calcium" in got[old]["reason"]
    )


def test_lithium_last_issued_exactly_6_months_ago_is_not_on_lithium(reg):
    _on_lithium(reg, issued=date(2025, 12, 15))
    day_later = _on_lithium(reg, issued=date(2025, 12, 16))
    assert set(reg.flags(FLAG)) == {day_later}


def test_a_stop_code_after_the_latest_issue_ends_monitoring_and_a_later_issue_restarts_it(reg):
    stopped = _on_lithium(reg, issued=date(2026, 3, 1))
    reg.event(stopped, "lithium_stopped", date(2026, 3, 20))
    restarted = _on_lithium(reg, issued=date(2026, 5, 1))
    reg.event(restarted, "lithium_stopped", date(2026, 3, 20))
    assert set(reg.flags(FLAG)) == {restarted}


def test_a_mood_stabiliser_other_than_lithium_needs_no_lithium_monitoring(reg):
    p = reg.person()
    reg.medications.append({"nhs_number": p, "date": date(2026, 5, 1), "bnf_code": "0408010H0AAAAAA"})  # lamotrigine
    assert reg.flags(FLAG) == {}
