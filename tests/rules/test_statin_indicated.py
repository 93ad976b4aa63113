"""statin.indicated — CKD stage 3-5, or type 1 diabetes over 40, and no lipid-lowering medicine in 6 months (NICE NG238)."""

from datetime import date

import pytest

FLAG = "statin.indicated"
CKD_COD = (
    "433144002",
    "700378005",
    "700379002",
    "431857002",
    "433146000",
    "714152005",
)  # 3, 3A, 3B, 4, 5, 5 on dialysis
DMTYPE1_COD = ("313435000", "290002008", "190330002", "1196923000")
DMTYPE2_COD_MEMBER = "1196922005"  # Neovascular glaucoma due to diabetes mellitus type 2


@pytest.mark.parametrize("ckd_code", CKD_COD)
def test_ckd_stage_3_to_5_with_no_statin_is_flagged_at_any_adult_age(reg, ckd_code):
    p = reg.person(born=date(1995, 1, 1))
    reg.coded(p, ckd_code, date(2024, 9, 9))
    got = reg.flags(FLAG)
    assert got[p] == {
        "since": None,
        "reason": "Chronic kidney disease stage 3-5 (coded 2024-09-09): NICE NG238 offers a statin without a risk score; "
        "no lipid-lowering medicine ever issued",
    }


@pytest.mark.parametrize("t1_code", DMTYPE1_COD)
def test_type_1_diabetes_flagged_only_once_older_than_40(reg, t1_code):
    forty_one_today = reg.person(born=date(1985, 6, 15))
    reg.coded(forty_one_today, t1_code, date(2001, 1, 1))
    forty = reg.person(born=date(1985, 6, 16))
    reg.coded(forty, t1_code, date(2001, 1, 1))
    got = reg.flags(FLAG)
    assert set(got) == {forty_one_today}
    assert got[forty_one_today]["reason"].startswith("Type 1 diabetes aged 41 (over 40): NICE NG238")


def test_a_later_type_2_code_means_the_type_1_route_does_not_apply(reg):
    p = reg.person(born=date(1960, 1, 1))
    reg.coded(p, DMTYPE1_COD[0], date(2010, 1, 1))
    reg.coded(p, DMTYPE2_COD_MEMBER, date(2020, 1, 1))
    assert reg.flags(FLAG) == {}


def test_lipid_lowering_issued_within_6_months_closes_it_and_exactly_6_months_ago_does_not(reg):
    treated = reg.person()
    reg.coded(treated, CKD_COD[1], date(2022, 1, 1))
    reg.medicine(treated, "lipid_lowering", date(2025, 12, 16))
    lapsed = reg.person()
    reg.coded(lapsed, CKD_COD[2], date(2022, 1, 1))
    reg.medicine(lapsed, "lipid_lowering", date(2025, 12, 15))
    got = reg.flags(FLAG)
    assert set(got) == {lapsed}
    assert got[lapsed]["reason"].endswith("last lipid-lowering medicine issued 2025-12-15, more than 6 months ago")


def test_ckd_and_type_1_together_name_both(reg):
    p = reg.person(born=date(1970, 1, 1))
    reg.coded(p, CKD_COD[3], date(2023, 3, 3))
    reg.coded(p, DMTYPE1_COD[1], date(1990, 1, 1))
    assert reg.flags(FLAG)[p]["reason"].startswith(
        "Chronic kidney disease stage 3-5 (coded 2023-03-03) and type 1 diabetes aged 56"
    )


def test_no_ckd_or_type_1_diabetes_is_never_flagged(reg):
    reg.person(born=date(1950, 1, 1), qrisk3=30.0)
    assert reg.flags(FLAG) == {}
