"""Issue 11: scenarios a clinician would check, each with real codes from the whole lists
added this pass (CKD_COD 20200812, the lithium-level list, carbamazepine, alcohol units a
week). One test per finding of the issue's "Why" that the per-rule files did not cover.
"""

from datetime import date

import pytest

# CKD_COD 20200812 members that the old 53-code list did not have, or that only the whole
# refset carries: stage 5 with transplant, G-category with albuminuria, stage 3B with proteinuria.
CKD_COD_WHOLE_LIST = (
    "714153000",  # Chronic kidney disease stage 5 with transplant
    "950251000000106",  # CKD with glomerular filtration rate category G5 and albuminuria ...
    "324371000000106",  # Chronic kidney disease stage 3B with proteinuria
    "90751000119109",  # Chronic kidney disease stage 4 due to type 1 diabetes mellitus
)
LITHIUM_LEVEL = (
    "269871000",  # Serum lithium measurement (procedure)
    "1156021009",  # Serum lithium level above therapeutic range
    "166956002",  # Lithium level therapeutic (finding)
    "755361000000103",  # Lithium level checked at 3 monthly intervals
)
URINE_LITHIUM = "271267007"  # Urine lithium measurement: not a serum level
LITHIUM_CARBONATE = "0402030K0AAAAAA"
CARBAMAZEPINE = "0408010C0AAAAAA"  # a presentation under BNF chemical 0408010C0
LEVETIRACETAM = "0408010A0AAAAAA"  # an antiepileptic that is not a mood stabiliser
UNITS_A_WEEK = "1082641000000106"  # Alcohol units consumed per week (ALC_COD)


def _other_tests_done(reg, p: str, on: date) -> None:
    reg.coded(p, "1011481000000105", on, 85)  # eGFR
    reg.coded(p, "1022791000000101", on, 2.0)  # TSH
    reg.coded(p, "935051000000108", on, 2.4)  # calcium


@pytest.mark.parametrize("code", LITHIUM_LEVEL)
def test_a_lithium_level_recorded_under_any_code_of_the_list_is_seen_as_done(reg, code):
    p = reg.person()
    reg.medications.append({"nhs_number": p, "date": date(2026, 5, 1), "bnf_code": LITHIUM_CARBONATE})
    reg.coded(p, code, date(2026, 3, 1), 0.7)
    _other_tests_done(reg, p, date(2026, 3, 1))
    assert reg.flags("lithium.monitoring") == {}


def test_a_urine_lithium_is_not_a_lithium_level_and_the_reason_asks_for_only_the_level(reg):
    p = reg.person()
    reg.medications.append({"nhs_number": p, "date": date(2026, 5, 1), "bnf_code": LITHIUM_CARBONATE})
    reg.coded(p, URINE_LITHIUM, date(2026, 3, 1), 0.7)
    _other_tests_done(reg, p, date(2026, 3, 1))
    assert reg.flags("lithium.monitoring")[p]["reason"] == (
        "Lithium last issued 2026-05-01; no lithium level in the last 6 months (NICE CG185: every 6 months)"
    )


def test_a_lithium_level_exactly_6_months_ago_is_overdue_and_a_day_later_is_not(reg):
    old, fresh = reg.person(), reg.person()
    for p, on in ((old, date(2025, 12, 15)), (fresh, date(2025, 12, 16))):
        reg.medications.append({"nhs_number": p, "date": date(2026, 5, 1), "bnf_code": LITHIUM_CARBONATE})
        reg.coded(p, LITHIUM_LEVEL[0], on, 0.8)
        _other_tests_done(reg, p, date(2026, 4, 1))
    assert set(reg.flags("lithium.monitoring")) == {old}


def test_carbamazepine_alone_puts_a_person_in_the_ecg_cohort(reg):
    # Issue 11 "Why": seed commitment 2.2.4 names mood stabilisers, carbamazepine included.
    p = reg.person()
    reg.medications.append({"nhs_number": p, "date": date(2026, 3, 1), "bnf_code": CARBAMAZEPINE})
    assert reg.flags("ecg.annual")[p]["reason"] == "No ECG ever recorded; issued a mood stabiliser in the last 6 months"


def test_carbamazepine_issued_exactly_6_months_ago_no_longer_puts_a_person_in_the_cohort(reg):
    reg.medications.append({"nhs_number": reg.person(), "date": date(2025, 12, 15), "bnf_code": CARBAMAZEPINE})
    day_later = reg.person()
    reg.medications.append({"nhs_number": day_later, "date": date(2025, 12, 16), "bnf_code": CARBAMAZEPINE})
    assert set(reg.flags("ecg.annual")) == {day_later}


def test_an_antiepileptic_that_is_not_a_mood_stabiliser_does_not_put_a_person_in_the_ecg_cohort(reg):
    p = reg.person()
    reg.medications.append({"nhs_number": p, "date": date(2026, 3, 1), "bnf_code": LEVETIRACETAM})
    assert reg.flags("ecg.annual") == {}


def test_carbamazepine_with_an_ecg_in_the_last_12_months_is_not_flagged(reg):
    p = reg.person()
    reg.medications.append({"nhs_number": p, "date": date(2026, 3, 1), "bnf_code": CARBAMAZEPINE})
    reg.coded(p, "268400002", date(2025, 9, 1))  # 12 lead ECG
    assert reg.flags("ecg.annual") == {}


@pytest.mark.parametrize("ckd_code", CKD_COD_WHOLE_LIST)
def test_ckd_coded_with_any_member_of_the_whole_ckd_cod_refset_is_offered_a_statin(reg, ckd_code):
    # Issue 11 "Why": people with CKD 3-5 were never offered a statin (NICE NG238).
    p = reg.person(born=date(1960, 1, 1))
    reg.coded(p, ckd_code, date(2023, 5, 5))
    assert reg.flags("statin.indicated")[p]["reason"].startswith("Chronic kidney disease stage 3-5 (coded 2023-05-05)")


@pytest.mark.parametrize("ckd_code", CKD_COD_WHOLE_LIST[:2])
def test_ckd_coded_with_the_whole_refset_means_no_qrisk3_flag_even_at_a_high_score(reg, ckd_code):
    # run-outputs v2: risk.qrisk3 is not raised where NICE says not to use QRISK3 (CKD 3-5).
    ckd = reg.person(qrisk3=22.0)
    reg.coded(ckd, ckd_code, date(2023, 5, 5))
    no_ckd = reg.person(qrisk3=22.0)
    assert set(reg.flags("risk.qrisk3")) == {no_ckd}


def test_ckd_stage_1_or_2_is_not_ckd_3_to_5(reg):
    p = reg.person(born=date(1960, 1, 1))
    reg.coded(p, "431855005", date(2023, 5, 5))  # Chronic kidney disease stage 1 (CKD1AND2_COD, not CKD_COD)
    assert reg.flags("statin.indicated") == {}


@pytest.mark.parametrize(("units", "flagged"), [(14, False), (15, True), (40, True)])
def test_units_a_week_recorded_as_alcohol_units_consumed_per_week_are_read(reg, units, flagged):
    # Issue 11 "Why": units a week -> "never recorded" (1 of the ALC_COD codes was listed).
    p = reg.smi_person()
    reg.coded(p, UNITS_A_WEEK, date(2026, 2, 2), units)
    assert (p in reg.flags("followup.alcohol")) is flagged
    assert p not in reg.flags("phc.alcohol")


# ---- issue 11 "Why" findings through the real path: codes -> features -> risk inputs ------


def _risk_person(reg, **codes: list[str]) -> str:
    """A 55-year-old woman with every QRISK3/QDiabetes measurement recorded this year."""
    p = reg.person(born=date(1971, 1, 1))
    on = date(2026, 3, 1)
    reg.event(p, "bmi", on, 31.0)
    reg.bp(p, on, 138, 84)
    reg.bp(p, date(2026, 1, 1), 142, 86)
    reg.event(p, "cholesterol_hdl_ratio", on, 4.5)
    reg.event(p, "never_smoked", on)
    for code in codes.get("coded", []):
        reg.coded(p, code, date(2020, 1, 1))
    return p


def _scores(reg) -> dict[str, dict]:
    from longerlives.risk import score_people
    from tests.rules.conftest import AS_OF, SETTINGS

    out = score_people(reg.people(), AS_OF, SETTINGS.risk)
    return {r["nhs_number"]: r for r in out.iter_rows(named=True)}


@pytest.mark.parametrize("code", ["5368009", "111552007"])  # drug-induced DM; DM without complication
def test_antipsychotic_or_uncomplicated_diabetes_counts_as_diabetes_in_both_risk_scores(reg, code):
    with_dm = _risk_person(reg, coded=[code])
    without = _risk_person(reg)
    s = _scores(reg)
    assert s[with_dm]["qrisk3"] > s[without]["qrisk3"]  # scored with diabetes (typeless -> type 2)
    assert s[with_dm]["qdiabetes"] is None and s[with_dm]["qdiabetes_missing"] == "diabetes"
    assert s[without]["qdiabetes"] is not None


@pytest.mark.parametrize("code", ["160303001", "430679000"])  # FH: diabetes mellitus; FH of type 2 diabetes
def test_family_history_of_diabetes_coded_either_way_raises_qdiabetes(reg, code):
    fh = _risk_person(reg, coded=[code])
    no_fh = _risk_person(reg)
    s = _scores(reg)
    assert s[fh]["qdiabetes"] > s[no_fh]["qdiabetes"]


@pytest.mark.parametrize("code", ["1089781000000100", "10007009", "110359009"])
def test_learning_disability_coded_anywhere_in_ld_cod_is_a_qdiabetes_input(reg, code):
    # Moderate intellectual development disorder...; Coffin-Siris syndrome; Intellectual disability
    ld = _risk_person(reg, coded=[code])
    no_ld = _risk_person(reg)
    s = _scores(reg)
    assert s[ld]["qdiabetes"] > s[no_ld]["qdiabetes"]


@pytest.mark.parametrize("code", ["164854000", "102594003", "268400002"])  # Normal ECG; Abnormal ECG; 12-lead ECG
def test_an_ecg_recorded_as_its_result_counts_as_an_ecg(reg, code):
    # Issue 11 "Why": "Electrocardiogram normal" 164854000 -> "No ECG ever recorded".
    p = reg.smi_person()
    reg.coded(p, code, date(2026, 1, 10))
    assert reg.flags("ecg.annual") == {}


# --- issue 11 (R2): cancer screening lists built from the public gm-sde code sets ---
# Procedures that remove the whole cervix (gm-sde hysterectomy set), now CSPU-style "unsuitable".
TOTAL_HYSTERECTOMY = (
    "116140006",  # Total hysterectomy
    "236888001",  # Laparoscopic total hysterectomy
    "767610009",  # Total hysterectomy via vaginal approach
    "361222003",  # Wertheim-Meigs abdominal hysterectomy
    "24293001",  # Excision of cervical stump by abdominal approach
)
# Hysterectomies that may leave the cervix: screening continues.
CERVIX_MAY_REMAIN = (
    "176795006",  # Subtotal abdominal hysterectomy
    "236889009",  # Laparoscopic supracervical hysterectomy
    "265056007",  # Vaginal hysterectomy (SNOMED files a subtotal vaginal form under it)
)
BREAST_SCREEN_DONE = (
    "171175005",  # Breast neoplasm screening normal
    "455921000000104",  # [V]Screening for malignant neoplasm of breast
    "609223006",  # Magnetic resonance imaging of breast for screening for malignant neoplasm
)
BREAST_SCREEN_ABNORMAL = (
    "171176006",  # Breast neoplasm screening abnormal
    "185710003",  # Breast screening abnormal - told patient
)


@pytest.mark.parametrize("code", TOTAL_HYSTERECTOMY)
def test_a_woman_whose_cervix_was_removed_is_not_called_for_cervical_screening(reg, code):
    p = reg.person(born=date(1980, 1, 1))
    reg.coded(p, code, date(2019, 5, 1))
    assert p not in reg.flags("screening.cervical")


@pytest.mark.parametrize("code", CERVIX_MAY_REMAIN)
def test_a_hysterectomy_that_may_leave_the_cervix_does_not_stop_cervical_screening(reg, code):
    p = reg.person(born=date(1980, 1, 1))
    reg.coded(p, code, date(2019, 5, 1))
    assert reg.flags("screening.cervical")[p]["reason"].startswith("Never screened")


def test_a_smear_after_a_total_hysterectomy_puts_the_woman_back_in_the_programme(reg):
    p = reg.person(born=date(1980, 1, 1))
    reg.coded(p, TOTAL_HYSTERECTOMY[0], date(2015, 5, 1))
    reg.coded(p, "1020451000000104", date(2018, 5, 1))  # Cervical cytology test (vault smear)
    assert reg.flags("screening.cervical")[p]["since"] == date(2021, 11, 1)


def test_a_us_edition_history_of_hysterectomy_code_does_not_stop_cervical_screening(reg):
    p = reg.person(born=date(1980, 1, 1))
    reg.coded(p, "10738891000119107", date(2019, 5, 1))  # US extension: not in an English record
    assert p in reg.flags("screening.cervical")


@pytest.mark.parametrize("code", BREAST_SCREEN_DONE)
def test_a_breast_screen_recorded_under_any_screening_code_is_in_date(reg, code):
    p = reg.person(born=date(1966, 1, 1))
    reg.coded(p, code, date(2024, 9, 1))
    assert reg.flags("screening.breast") == {}


def test_a_diagnostic_mammogram_is_not_a_breast_screen(reg):
    p = reg.person(born=date(1966, 1, 1))
    reg.coded(p, "71651007", date(2024, 9, 1))  # Mammography (not said to be screening)
    assert reg.flags("screening.breast")[p]["reason"].startswith("Never screened")


@pytest.mark.parametrize("code", BREAST_SCREEN_ABNORMAL)
def test_an_abnormal_breast_screen_after_a_normal_one_is_not_counted_as_screened(reg, code):
    p = reg.person(born=date(1966, 1, 1))
    reg.coded(p, BREAST_SCREEN_DONE[0], date(2023, 2, 1))
    reg.coded(p, code, date(2026, 2, 1))
    got = reg.flags("screening.breast")[p]
    assert got["since"] == date(2026, 2, 1)
    assert got["reason"] == (
        "Breast screening abnormal result (recall to assessment) on 2026-02-01: not counted as screened"
    )


def test_a_normal_breast_screen_after_an_abnormal_one_closes_the_gap(reg):
    p = reg.person(born=date(1966, 1, 1))
    reg.coded(p, BREAST_SCREEN_ABNORMAL[0], date(2025, 1, 10))
    reg.coded(p, BREAST_SCREEN_DONE[1], date(2025, 3, 1))
    assert reg.flags("screening.breast") == {}
