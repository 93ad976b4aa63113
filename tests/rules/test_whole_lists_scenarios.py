"""Issue 11: scenarios a clinician would check, each with real codes from the whole lists
added this pass (CKD_COD 20200812, the lithium-level list, carbamazepine, alcohol units a
week). One test per finding of the issue's "Why" that the per-rule files did not cover.
"""

from datetime import date

import pytest

from tests.rules.conftest import with_rule_params

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


# ---- issue 11, R3: glucose, lipids, family history and the single-code lists -------------
# Codes below are members of the new lists; each comment is the term the list carries.

FASTING_CODES = (
    "1003131000000101",  # Serum fasting glucose level
    "997681000000108",  # Fasting blood glucose level
    "58111000237107",  # Fasting glucose molar concentration in plasma
    "1003141000000105",  # Plasma fasting glucose level
)
RANDOM_CODES = (
    "1031331000000106",  # Plasma random glucose level
    "1089381000000101",  # Random blood glucose level
    "1010611000000107",  # Serum glucose level
    "997671000000106",  # Blood glucose level
)
OGTT_2_HOUR = "1010711000000101"  # 120 minute plasma glucose level: a timed sample, in neither list


@pytest.mark.parametrize("code", FASTING_CODES)
def test_a_fasting_glucose_of_8_1_under_any_fasting_code_is_the_diabetes_range(reg, code):
    # Issue 11 "Why": "a fasting glucose of 8.1 flags nothing" (only the plasma code was listed).
    p = reg.person()
    reg.coded(p, code, date(2026, 3, 3), 8.1)
    assert reg.flags("followup.hba1c")[p]["reason"].startswith(
        "Fasting plasma glucose 8.1 mmol/L on 2026-03-03 (in the diabetes range, 7 or more)"
    )
    assert p in reg.flags("safety.diabetes_range_undiagnosed", date(2026, 6, 30))


@pytest.mark.parametrize("code", RANDOM_CODES)
def test_a_random_glucose_of_8_1_is_not_read_as_a_fasting_glucose(reg, code):
    # 8.1 mmol/L is normal for a random sample: no diabetes-range or hyperglycaemia flag.
    p = reg.person()
    reg.coded(p, code, date(2026, 3, 3), 8.1)
    assert p not in reg.flags("followup.hba1c")
    assert p not in reg.flags("safety.diabetes_range_undiagnosed", date(2026, 6, 30))


@pytest.mark.parametrize("code", RANDOM_CODES + FASTING_CODES[:2])
def test_a_random_or_fasting_glucose_under_any_listed_code_completes_the_health_check_glucose(reg, code):
    p = reg.smi_person()
    reg.coded(p, code, date(2026, 1, 10), 5.2)
    assert p not in reg.flags("phc.glucose")


def test_a_glucose_tolerance_test_2_hour_sample_alone_is_neither_random_nor_fasting(reg):
    p = reg.smi_person()
    reg.coded(p, OGTT_2_HOUR, date(2026, 1, 10), 12.0)
    assert reg.flags("phc.glucose")[p]["reason"] == "No HbA1c or blood glucose result ever recorded"
    assert p not in reg.flags("safety.diabetes_range_undiagnosed", date(2026, 6, 30))


def _qrisk_woman(reg, ratio_code: str | None, ratio: float | None) -> str:
    """A 55-year-old woman with BMI, two BPs and smoking recorded; the ratio under ``ratio_code``."""
    p = reg.person(born=date(1971, 1, 1))
    on = date(2026, 3, 1)
    reg.event(p, "bmi", on, 31.0)
    reg.bp(p, on, 138, 84)
    reg.bp(p, date(2026, 1, 1), 142, 86)
    reg.event(p, "never_smoked", on)
    if ratio_code is not None:
        reg.coded(p, ratio_code, on, ratio)
    return p


@pytest.mark.parametrize(
    "code",
    [
        "1015681000000109",  # Serum cholesterol/high density lipoprotein ratio
        "1028551000000102",  # Total cholesterol:high density lipoprotein ratio
        "313811003",  # Cholesterol/High density lipoprotein ratio measurement
        "1015691000000106",  # Plasma cholesterol/high density lipoprotein ratio
    ],
)
def test_a_cholesterol_hdl_ratio_under_any_tcholhdl_cod_code_is_read_by_qrisk3(reg, code):
    high, low, none = _qrisk_woman(reg, code, 6.5), _qrisk_woman(reg, code, 3.0), _qrisk_woman(reg, None, None)
    s = _scores(reg)
    assert s[high]["qrisk3"] > s[low]["qrisk3"]  # the recorded ratio is the one scored
    assert s[none]["qrisk3"] is None and s[none]["qrisk3_missing"] == "cholesterol_hdl_ratio"


@pytest.mark.parametrize(
    "code",
    [
        "1102851000000101",  # Estimated serum non high density lipoprotein cholesterol level
        "1006191000000106",  # Serum non high density lipoprotein cholesterol level
    ],
)
def test_a_non_hdl_cholesterol_reported_under_any_nonhdlcchol_cod_code_counts_as_a_lipid_test(reg, code):
    p = reg.smi_person()
    reg.coded(p, code, date(2026, 1, 10), 3.9)
    assert p not in reg.flags("phc.lipids")


@pytest.mark.parametrize(
    "code",
    [
        "134439009",  # Family history: premature coronary heart disease
        "266897007",  # Family history of myocardial infarction
        "430091005",  # Family history of coronary arteriosclerosis
    ],
)
def test_family_history_of_premature_heart_disease_raises_qrisk3(reg, code):
    # QRISK3: "angina or heart attack in a first degree relative aged less than 60".
    fh = _risk_person(reg, coded=[code])
    no_fh = _risk_person(reg)
    s = _scores(reg)
    assert s[fh]["qrisk3"] > s[no_fh]["qrisk3"]


def test_family_history_of_any_cardiac_disorder_is_not_counted_as_premature_heart_disease(reg):
    fh_cardiac = _risk_person(reg, coded=["297242006"])  # Family history of cardiac disorder: not in the list
    no_fh = _risk_person(reg)
    s = _scores(reg)
    assert s[fh_cardiac]["qrisk3"] == s[no_fh]["qrisk3"]


def test_family_history_of_type_1_diabetes_raises_qdiabetes(reg):
    fh = _risk_person(reg, coded=["430678008"])  # Family history of diabetes mellitus type 1
    no_fh = _risk_person(reg)
    s = _scores(reg)
    assert s[fh]["qdiabetes"] > s[no_fh]["qdiabetes"]


@pytest.mark.parametrize(
    "code",
    [
        "237055002",  # Polycystic ovary syndrome (the current code)
        "830054005",  # Polycystic ovary syndrome of bilateral ovaries (disorder)
        "69878008",  # Polycystic ovaries (inactive in SNOMED, still in old records)
    ],
)
def test_polycystic_ovary_syndrome_coded_either_way_raises_qdiabetes_for_a_woman(reg, code):
    pcos = _risk_person(reg, coded=[code])
    no_pcos = _risk_person(reg)
    s = _scores(reg)
    assert s[pcos]["qdiabetes"] > s[no_pcos]["qdiabetes"]


@pytest.mark.parametrize(
    "code",
    [
        "56097005",  # Migraine without aura (disorder)
        "193031009",  # Cluster headache (QRISK3 counts cluster headaches as migraine)
        "4473006",  # Migraine with aura (disorder)
        "59292006",  # Hemiplegic migraine (disorder)
        "83351003",  # Basilar migraine (disorder)
        "75879005",  # Abdominal migraine (disorder)
    ],
)
def test_every_kind_of_migraine_qrisk3_names_raises_qrisk3(reg, code):
    migraine = _risk_person(reg, coded=[code])
    none = _risk_person(reg)
    s = _scores(reg)
    assert s[migraine]["qrisk3"] > s[none]["qrisk3"]


@pytest.mark.parametrize(
    "code",
    [
        "1025271000000103",  # NHS Diabetes Prevention Programme started
        "1025251000000107",  # NHS Diabetes Prevention Programme completed
        "1025321000000109",  # Referral to NHS Diabetes Prevention Programme
    ],
)
def test_a_person_who_started_or_completed_the_prevention_programme_is_not_asked_to_be_referred(reg, code):
    p = reg.person()
    reg.event(p, "hba1c", date(2026, 4, 4), 44)
    reg.coded(p, code, date(2026, 2, 1))
    assert p not in reg.flags("followup.hba1c")


def test_not_completing_the_prevention_programme_leaves_the_referral_prompt(reg):
    p = reg.person()
    reg.event(p, "hba1c", date(2026, 4, 4), 44)
    reg.coded(p, "1025211000000108", date(2026, 2, 1))  # NHS Diabetes Prevention Programme not completed
    assert p in reg.flags("followup.hba1c")


def test_an_aural_headache_is_not_counted_as_migraine(reg):
    # In the study's migraine list but a headache finding: left out by name (manifest exclude_codes).
    aural = _risk_person(reg, coded=["38823002"])  # Aural headache (finding)
    none = _risk_person(reg)
    s = _scores(reg)
    assert s[aural]["qrisk3"] == s[none]["qrisk3"]


# --- Issue 11 (R1): alcohol, smoking support, weight, substance use and homelessness lists ---
# Real codes from the lists built or copied whole this pass (see config/codelists/manifest.toml).

AUDIT_C = "763256006"  # Alcohol Use Disorders Identification Test - Consumption score
FULL_AUDIT = "443280005"  # Alcohol use disorders identification test score
ALCOHOL_INTERVENTIONS = (
    "366371000000105",  # Brief intervention for excessive alcohol consumption completed
    "366421000000103",  # Extended intervention for excessive alcohol consumption completed
    "527961000000108",  # Alcohol counselling by other agencies
    "707166002",  # Alcohol reduction programme
)
SPECIALIST_ALCOHOL_REFERRALS = (
    "1099141000000106",  # Referral to alcohol misuse service
    "809401000000103",  # Referral to alcohol misuse clinic
    "431260004",  # Referral to specialist alcohol treatment service
)
DRINKING_STATUS = (
    "783261004",  # Lifetime non-drinker of alcohol
    "82581004",  # Ex-drinker
    "777671000000105",  # Lower risk alcohol drinking
    "777651000000101",  # Higher risk alcohol drinking
    "160577002",  # Heavy drinker - 7-9u/day
)
SMOKER = "77176002"  # Current smoker
STOP_SMOKING_REFERRALS = (
    "871661000000106",  # Referral to smoking cessation service
    "395700008",  # Referral to smoking cessation advisor
    "315232003",  # Referral to stop-smoking clinic
)
STOP_SMOKING_OFFERS_NOT_REFERRALS = (
    "767641000000109",  # Referral for smoking cessation service offered
    "225324006",  # Advice on effects of smoking on health
    "822591000000108",  # Smoking cessation drug therapy declined (QOF SMOK005 counts it)
    "871641000000105",  # Referral to smoking cessation service declined
)
WEIGHT_INTERVENTIONS = (
    "771491000000104",  # Referral to local authority weight management programme
    "1094331000000103",  # Referral for combined healthy eating and physical education programme
    "718361005",  # Weight management programme
)
HOMELESS_CODES = (
    "224228000",  # Living rough
    "381751000000106",  # Sofa surfer - person of no fixed abode
    "224231004",  # Sleeping in night shelter
)
DRUG_USE_CODES = (
    "85005007",  # Cannabis dependence
    "228373001",  # Drug addict
    "724715004",  # Ketamine dependence
)
STRICT = {"definition": "strict"}


@pytest.mark.parametrize("code", ALCOHOL_INTERVENTIONS)
def test_a_positive_audit_c_is_followed_up_by_any_recorded_alcohol_intervention(reg, code):
    p, untreated = reg.person(), reg.person()
    for who in (p, untreated):
        reg.coded(who, AUDIT_C, date(2026, 3, 2), 8)
    reg.coded(p, code, date(2026, 3, 2))
    assert set(reg.flags("followup.alcohol")) == {untreated}


@pytest.mark.parametrize("code", SPECIALIST_ALCOHOL_REFERRALS)
def test_possible_alcohol_dependence_is_closed_by_a_referral_to_an_alcohol_misuse_service(reg, code):
    p = reg.person()
    reg.coded(p, FULL_AUDIT, date(2026, 4, 4), 23)
    reg.coded(p, code, date(2026, 4, 20))
    assert reg.flags("followup.alcohol") == {}


def test_possible_alcohol_dependence_is_not_closed_by_alcohol_counselling_alone(reg):
    p = reg.person()
    reg.coded(p, FULL_AUDIT, date(2026, 4, 4), 23)
    reg.coded(p, ALCOHOL_INTERVENTIONS[2], date(2026, 4, 20))  # Alcohol counselling by other agencies
    assert "possible alcohol dependence" in reg.flags("followup.alcohol")[p]["reason"]


@pytest.mark.parametrize("code", DRINKING_STATUS)
def test_a_drinking_status_recorded_this_year_completes_the_health_check_alcohol_element(reg, code):
    p, never = reg.smi_person(), reg.smi_person()
    reg.coded(p, code, date(2026, 1, 20))
    assert set(reg.flags("phc.alcohol")) == {never}


@pytest.mark.parametrize("code", STOP_SMOKING_REFERRALS)
def test_a_referral_to_a_stop_smoking_service_counts_under_both_definitions(reg, code):
    p = reg.person()
    reg.coded(p, SMOKER, date(2025, 9, 1))
    reg.coded(p, code, date(2026, 2, 1))
    assert reg.flags("smoking.cessation_offer") == {}
    assert reg.flags("smoking.cessation_offer", settings=with_rule_params("smoking.cessation_offer", **STRICT)) == {}


@pytest.mark.parametrize("code", STOP_SMOKING_OFFERS_NOT_REFERRALS)
def test_an_offer_advice_or_decline_counts_for_qof_but_is_not_a_referral_under_the_strict_definition(reg, code):
    p = reg.person()
    reg.coded(p, SMOKER, date(2025, 9, 1))
    reg.coded(p, code, date(2026, 2, 1))
    assert reg.flags("smoking.cessation_offer") == {}
    strict = reg.flags("smoking.cessation_offer", settings=with_rule_params("smoking.cessation_offer", **STRICT))
    assert strict[p]["reason"].startswith("Current smoker (recorded 2025-09-01); no referral to a stop-smoking service")


@pytest.mark.parametrize("code", WEIGHT_INTERVENTIONS)
def test_a_weight_management_referral_or_programme_this_year_closes_the_bmi_follow_up(reg, code):
    p, not_referred = reg.person(), reg.person()
    for who in (p, not_referred):
        reg.event(who, "bmi", date(2026, 3, 3), 34)
    reg.coded(p, code, date(2026, 3, 10))
    assert set(reg.flags("followup.bmi")) == {not_referred}


def test_rough_sleeping_sofa_surfing_and_drug_dependence_reach_the_outreach_signals(reg):
    homeless = [reg.person() for _ in HOMELESS_CODES]
    drugs = [reg.person() for _ in DRUG_USE_CODES]
    nicotine_only = reg.person()
    for who, code in zip(homeless, HOMELESS_CODES, strict=True):
        reg.coded(who, code, date(2026, 2, 1))
    for who, code in zip(drugs, DRUG_USE_CODES, strict=True):
        reg.coded(who, code, date(2025, 11, 1))
    reg.coded(nicotine_only, "836439001", date(2025, 11, 1))  # Nicotine dependence in remission
    people = {r["nhs_number"]: r for r in reg.people().iter_rows(named=True)}
    assert all(people[p]["homeless_last_date"] == date(2026, 2, 1) for p in homeless)
    assert all(people[p]["substance_dependence_last_date"] == date(2025, 11, 1) for p in drugs)
    assert people[nicotine_only]["substance_dependence_last_date"] is None
    assert all(people[p]["homeless_last_date"] is None for p in drugs)


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
