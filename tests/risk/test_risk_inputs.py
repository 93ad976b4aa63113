"""Clinical scenarios: from a person's record to QRISK3 / QDiabetes inputs and scores."""

from __future__ import annotations

import polars as pl
import pytest

from longerlives.risk import qrisk3_2017, score_people
from longerlives.risk.inputs import derive_inputs
from tests.risk.conftest import AS_OF, complete_person, days_ago, features, load_risk_settings, measured


def _inputs(person: dict, settings) -> dict:
    return derive_inputs(features(person).lazy(), AS_OF, settings).collect().row(0, named=True)


def _score(person: dict, settings) -> dict:
    return score_people(features(person), AS_OF, settings).row(0, named=True)


def test_smoker_with_15_cigarettes_a_day_is_moderate(risk_settings) -> None:
    person = complete_person(has=[], **measured("smoker", 15.0, days=10))
    person["never_smoked_last_date"] = days_ago(2000)
    assert _inputs(person, risk_settings)["smoke_cat"] == 3


def test_smoker_with_25_a_day_is_heavy_and_5_a_day_is_light(risk_settings) -> None:
    assert _inputs(complete_person(**measured("smoker", 25.0, days=5)), risk_settings)["smoke_cat"] == 4
    assert _inputs(complete_person(**measured("smoker", 5.0, days=5)), risk_settings)["smoke_cat"] == 2


def test_current_smoker_without_an_amount_uses_the_configured_category(risk_settings) -> None:
    person = complete_person(smoker_first_date=days_ago(5), smoker_last_date=days_ago(5))
    assert _inputs(person, risk_settings)["smoke_cat"] == risk_settings.smoking.amount_unknown_category


def test_never_smoked_after_a_smoking_record_counts_as_ex_smoker(risk_settings) -> None:
    person = complete_person(smoker_first_date=days_ago(900), smoker_last_date=days_ago(900))
    assert _inputs(person, risk_settings)["smoke_cat"] == 1


def test_no_smoking_record_withholds_qrisk3_and_names_it(risk_settings) -> None:
    person = complete_person()
    person["has"] = ["smi_diagnosis"]
    row = _score(person, risk_settings)
    assert row["qrisk3"] is None
    assert row["qrisk3_missing"] == "smoking_status"


def test_missing_townsend_is_zero_and_reported(risk_settings) -> None:
    row = _score(complete_person(townsend_score=None), risk_settings)
    zero = _score(complete_person(townsend_score=0.0), risk_settings)
    assert row["qrisk3"] is not None
    assert row["qrisk3_townsend_imputed"] is True
    assert zero["qrisk3_townsend_imputed"] is False
    assert row["qrisk3"] == zero["qrisk3"]


def test_age_85_gives_no_qrisk3_with_reason(risk_settings) -> None:
    row = _score(complete_person(age=85), risk_settings)
    assert row["qrisk3"] is None
    assert row["qrisk3_missing"] == "age_out_of_range"
    assert row["qdiabetes_missing"] == "age_out_of_range"


def test_prior_cvd_gives_no_qrisk3(risk_settings) -> None:
    row = _score(complete_person(has=["cvd"]), risk_settings)
    assert row["qrisk3"] is None
    assert row["qrisk3_missing"] == "prior_cvd"
    assert row["qdiabetes"] is not None


def test_missing_blood_pressure_and_cholesterol_are_named_and_not_imputed(risk_settings) -> None:
    person = complete_person()
    for key in ("systolic_bp_last_value", "systolic_bp_last_value_date", "cholesterol_hdl_ratio_last_value"):
        person[key] = None
    row = _score(person, risk_settings)
    assert row["qrisk3"] is None
    assert row["qrisk3_missing"] == "systolic_bp;cholesterol_hdl_ratio"


def test_blood_pressure_older_than_the_window_counts_as_missing(risk_settings) -> None:
    row = _score(complete_person(**measured("systolic_bp", 130.0, days=2000)), risk_settings)
    assert row["qrisk3"] is None
    assert row["qrisk3_missing"] == "systolic_bp"


def test_ratio_is_computed_from_total_and_hdl_cholesterol_taken_together(risk_settings) -> None:
    person = complete_person(**measured("total_cholesterol", 6.0, 40), **measured("hdl_cholesterol", 1.5, 40))
    person["cholesterol_hdl_ratio_last_value"] = None
    assert _inputs(person, risk_settings)["rati"] == 4.0


def test_bmi_is_computed_from_weight_and_height_when_not_recorded(risk_settings) -> None:
    person = complete_person(**measured("weight", 81.0), **measured("height", 180.0, days=3000))
    person["bmi_last_value"] = None
    assert abs(_inputs(person, risk_settings)["bmi"] - 25.0) < 1e-12


def test_implausible_bmi_is_reported_not_scored(risk_settings) -> None:
    row = _score(complete_person(**measured("bmi", 250.0)), risk_settings)
    assert row["qrisk3"] is None
    assert row["qrisk3_missing"] == "bmi_implausible"


def test_one_blood_pressure_reading_gives_an_estimated_score_naming_the_sd(risk_settings) -> None:
    row = _score(complete_person(systolic_bp_sd_5y=None), risk_settings)
    assert row["qrisk3"] is not None
    assert row["qrisk3_missing"] == "systolic_bp_sd_5y"
    strict = load_risk_settings(qrisk3__impute_when_missing=[])
    assert _score(complete_person(systolic_bp_sd_5y=None), strict)["qrisk3"] is None


def test_score_matches_the_algorithm_fed_the_derived_inputs(risk_settings) -> None:
    person = complete_person(on=["atypical_antipsychotic"], has=["migraine"], ethnic_category="M")
    row = _inputs(person, risk_settings)
    assert (row["ethrisk"], row["b_semi"], row["b_atypicalantipsy"], row["b_migraine"]) == (6, True, True, True)
    direct = qrisk3_2017(pl.DataFrame([row]))["qrisk3"][0]
    assert _score(person, risk_settings)["qrisk3"] == direct


def test_a_single_antipsychotic_issue_is_not_current_treatment(risk_settings) -> None:
    person = complete_person(
        atypical_antipsychotic_first_date=days_ago(30),
        atypical_antipsychotic_last_date=days_ago(30),
        atypical_antipsychotic_n_12m=1,
    )
    assert _inputs(person, risk_settings)["b_atypicalantipsy"] is False


def test_treated_hypertension_needs_diagnosis_and_current_antihypertensive(risk_settings) -> None:
    assert _inputs(complete_person(on=["antihypertensive"]), risk_settings)["b_treatedhyp"] is False
    both = complete_person(on=["antihypertensive"], has=["hypertension"])
    assert _inputs(both, risk_settings)["b_treatedhyp"] is True


def test_latest_diabetes_type_wins(risk_settings) -> None:
    person = complete_person(
        diabetes_type1_last_date=days_ago(800),
        diabetes_type2_last_date=days_ago(100),
    )
    row = _inputs(person, risk_settings)
    assert (row["b_type1"], row["b_type2"]) == (False, True)


def test_diabetes_gives_no_qdiabetes(risk_settings) -> None:
    row = _score(complete_person(has=["diabetes", "diabetes_type2"]), risk_settings)
    assert row["qdiabetes"] is None
    assert row["qdiabetes_model"] is None
    assert row["qdiabetes_missing"] == "diabetes"
    assert row["qrisk3"] is not None


def test_resolved_diabetes_is_scored_for_qdiabetes(risk_settings) -> None:
    person = complete_person(has=["diabetes"], diabetes_resolved_last_date=days_ago(10))
    assert _score(person, risk_settings)["qdiabetes_model"] == "A"


def test_hba1c_in_window_uses_model_c(risk_settings) -> None:
    row = _score(complete_person(**measured("hba1c", 40.0, 100), **measured("fasting_glucose", 5.0, 50)), risk_settings)
    assert row["qdiabetes_model"] == "C"
    assert row["qdiabetes"] is not None


def test_fasting_glucose_without_hba1c_uses_model_b_and_old_hba1c_is_ignored(risk_settings) -> None:
    row = _score(complete_person(**measured("hba1c", 40.0, 900), **measured("fasting_glucose", 5.0, 50)), risk_settings)
    assert row["qdiabetes_model"] == "B"


def test_no_blood_test_uses_model_a(risk_settings) -> None:
    assert _score(complete_person(), risk_settings)["qdiabetes_model"] == "A"


def test_hba1c_in_the_diabetic_range_gives_no_qdiabetes(risk_settings) -> None:
    row = _score(complete_person(**measured("hba1c", 52.0, 20)), risk_settings)
    assert row["qdiabetes"] is None
    assert row["qdiabetes_missing"] == "glucose_in_diabetes_range"


def test_unknown_sex_gives_no_scores(risk_settings) -> None:
    row = _score(complete_person(sex="unknown"), risk_settings)
    assert (row["qrisk3"], row["qdiabetes"]) == (None, None)
    assert row["qrisk3_missing"] == "sex_unknown"


def test_gestational_diabetes_is_ignored_for_men(risk_settings) -> None:
    assert _inputs(complete_person(sex="male", has=["gestational_diabetes"]), risk_settings)["b_gestdiab"] is False


def test_lazy_features_give_lazy_scores_in_input_order(risk_settings) -> None:
    frame = features(complete_person(age=85), complete_person(), complete_person(has=["cvd"]))
    out = score_people(frame.lazy(), AS_OF, risk_settings)
    assert isinstance(out, pl.LazyFrame)
    result = out.collect()
    assert result["nhs_number"].to_list() == frame["nhs_number"].to_list()
    assert result.columns == ["nhs_number", "qrisk3", "qrisk3_missing", "qrisk3_townsend_imputed",
                              "qdiabetes", "qdiabetes_model", "qdiabetes_missing"]  # fmt: skip
    assert result["qrisk3"].is_null().to_list() == [True, False, True]


def test_a_height_the_validation_table_accepts_is_used_for_the_bmi(risk_settings) -> None:
    """One plausibility table: a 110 cm adult (accepted by validation, 100-250 cm) gets a BMI
    from weight and height for QRISK3 rather than a missing one."""
    person = complete_person(**measured("weight", 40.0, days=10), **measured("height", 110.0, days=10))
    for key in ("bmi_first_date", "bmi_last_date", "bmi_last_value", "bmi_last_value_date"):
        person[key] = None
    assert round(_inputs(person, risk_settings)["bmi"], 1) == round(40.0 / 1.1**2, 1)


# Issue 11 item 4: values a clinician can record but ClinRisk's calculators do not accept
# (config/risk.toml [qrisk3.calculator_range]: BMI 20-40, systolic 70-210, ratio 1-12).
# Inside the range nothing changes; outside, QRISK3 scores the nearest limit and names it.


@pytest.mark.parametrize(
    ("concept", "value", "limit", "reason"),
    [
        ("bmi", 46.0, 40.0, "bmi_clamped"),
        ("bmi", 17.5, 20.0, "bmi_clamped"),
        ("systolic_bp", 230.0, 210.0, "systolic_bp_clamped"),
        ("systolic_bp", 65.0, 70.0, "systolic_bp_clamped"),
        ("cholesterol_hdl_ratio", 14.0, 12.0, "cholesterol_hdl_ratio_clamped"),
    ],
)
def test_a_reading_beyond_the_calculator_range_is_scored_at_the_limit_and_named(
    risk_settings, concept, value, limit, reason
) -> None:
    beyond = _score(complete_person(**measured(concept, value)), risk_settings)
    at_limit = _score(complete_person(**measured(concept, limit)), risk_settings)
    assert beyond["qrisk3"] is not None
    assert beyond["qrisk3"] == at_limit["qrisk3"]
    assert beyond["qrisk3_missing"] == reason
    assert at_limit["qrisk3_missing"] is None


@pytest.mark.parametrize(
    ("concept", "low", "high"),
    [("bmi", 20.0, 40.0), ("systolic_bp", 70.0, 210.0), ("cholesterol_hdl_ratio", 1.0, 12.0)],
)
def test_readings_on_the_calculator_limits_are_used_as_they_are(risk_settings, concept, low, high) -> None:
    for value in (low, high):
        row = _score(complete_person(**measured(concept, value)), risk_settings)
        assert row["qrisk3"] is not None and row["qrisk3_missing"] is None
    inside = _score(complete_person(**measured(concept, high - 0.5)), risk_settings)["qrisk3"]
    assert inside != _score(complete_person(**measured(concept, high)), risk_settings)["qrisk3"]


def test_systolic_of_211_scores_higher_than_209_but_the_same_as_210(risk_settings) -> None:
    score = {v: _score(complete_person(**measured("systolic_bp", v)), risk_settings)["qrisk3"] for v in (209, 210, 211)}
    assert score[209] < score[210] == score[211]


def test_an_implausible_reading_is_still_withheld_not_clamped(risk_settings) -> None:
    row = _score(complete_person(**measured("systolic_bp", 300.0)), risk_settings)
    assert row["qrisk3"] is None
    assert row["qrisk3_missing"] == "systolic_bp_implausible"


def test_qdiabetes_treats_a_bmi_of_46_as_40_without_naming_it(risk_settings) -> None:
    # QDiabetes-2018 (reference R package) sets BMI > 40 to 40 itself.
    high = _score(complete_person(**measured("bmi", 46.0)), risk_settings)
    forty = _score(complete_person(**measured("bmi", 40.0)), risk_settings)
    assert high["qdiabetes"] == forty["qdiabetes"] is not None
    assert high["qdiabetes_missing"] is None
