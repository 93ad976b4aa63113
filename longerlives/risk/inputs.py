"""Risk-model inputs from the per-person features frame, and ``score_people``.

The features frame (one row per person, events after the as-of date already
removed) carries ``{concept}_first_date/_last_date/_n_12m`` for every code
concept, ``{concept}_last_value/_last_value_date`` for valued ones, and
``systolic_bp_sd_5y``. This module turns it into ClinRisk's inputs (domain.md §7)
and scores QRISK3-2017 and QDiabetes-2018. Nothing is imputed silently: a missing
required input withholds the score and is named; an imputed input is named next to
a score (see docs/risk.md and config/risk.toml).
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar

import polars as pl

from longerlives.frames import FeatureRef, feature, last_dates
from longerlives.risk._engine import load_coefficients
from longerlives.risk.qdiabetes_2018 import MODELS, qdiabetes_expr
from longerlives.risk.qrisk3_2017 import qrisk3_expr
from longerlives.risk.smoking import smoke_cat_expr
from longerlives.settings.risk import RiskSettings

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

AGE_MIN, AGE_MAX = 25, 84
TOWN_MIN, TOWN_MAX = -8.0, 14.0  # QDiabetes-2018 published Townsend range

CODE_CONCEPTS = (
    "smi_diagnosis", "hypertension", "diabetes", "diabetes_type1", "diabetes_type2",
    "diabetes_resolved", "cvd", "atrial_fibrillation", "ckd_3_5", "rheumatoid_arthritis",
    "sle", "migraine", "erectile_dysfunction", "family_history_cvd", "family_history_diabetes",
    "gestational_diabetes", "pcos", "learning_disability", "smoker", "smoker_light",
    "smoker_moderate", "smoker_heavy", "ex_smoker", "never_smoked",
)  # fmt: skip
VALUED_CONCEPTS = (
    "bmi", "weight", "height", "systolic_bp", "total_cholesterol", "hdl_cholesterol",
    "cholesterol_hdl_ratio", "hba1c", "fasting_glucose", "smoker",
)  # fmt: skip
MEDICINES = (
    "atypical_antipsychotic", "corticosteroid_oral", "antihypertensive", "statin",
    "erectile_dysfunction_drug",
)  # fmt: skip


# Every feature column the risk inputs read (checked against the loaded code lists when
# the pipeline is assembled: pipeline.run, frames.check_features).
FEATURES: tuple[FeatureRef, ...] = tuple(
    dict.fromkeys(
        [
            *(feature(c, s) for c in CODE_CONCEPTS + MEDICINES for s in ("first_date", "last_date", "n_12m")),
            *(feature(c, s) for c in VALUED_CONCEPTS for s in ("last_date", "last_value", "last_value_date")),
        ]
    )
)


def required_feature_columns() -> list[str]:
    cols = ["nhs_number", "sex", "age", "ethnic_category", "townsend_score", "systolic_bp_sd_5y"]
    return list(dict.fromkeys(cols + [ref.name for ref in FEATURES]))


class _Derive:
    """Expression builders bound to one as-of date and one settings object."""

    def __init__(self, as_of: date, settings: RiskSettings) -> None:
        self.as_of = as_of
        self.s = settings

    def within(self, date_col: FeatureRef, days: int) -> pl.Expr:
        age_days = (pl.lit(self.as_of) - date_col.col).dt.total_days()
        return date_col.col.is_not_null() & (age_days <= days) & (age_days >= 0)

    @staticmethod
    def ever(concept: str) -> pl.Expr:
        return feature(concept, "first_date").col.is_not_null()

    def current(self, medicine: str) -> pl.Expr:
        rule = self.s.current_medicine
        return (feature(medicine, "n_12m").col.fill_null(0) >= rule.min_issues_12m) & self.within(
            feature(medicine, "last_date"), rule.latest_within_days
        )

    def recent_value(self, concept: str, days: int) -> tuple[pl.Expr, pl.Expr]:
        """(latest value if within ``days``, its date) — nulls otherwise."""
        value, day = feature(concept, "last_value"), feature(concept, "last_value_date")
        ok = self.within(day, days) & value.col.is_not_null()
        return (
            pl.when(ok).then(value.col),
            pl.when(ok).then(day.col),
        )

    def plausible(self, value: pl.Expr, concept: str) -> pl.Expr:
        """Inside the concept's range in the one plausibility table ([extract.plausible])."""
        r = self.s.plausible[concept]
        return value.is_between(r.min, r.max)

    def bmi(self) -> tuple[pl.Expr, pl.Expr]:
        """(usable BMI, BMI seen but implausible). The more recent of a recorded BMI
        and weight / height^2 (height any time) wins; a tie goes to the recorded BMI."""
        w = self.s.windows
        rec, rec_date = self.recent_value("bmi", w.bmi_days)
        weight, weight_date = self.recent_value("weight", w.weight_days)
        height = feature("height", "last_value").col
        ok_wh = self.plausible(weight, "weight") & self.plausible(height, "height")
        calc = pl.when(ok_wh).then(weight / (height / 100.0) ** 2)
        calc_date = pl.when(ok_wh).then(weight_date)
        rec_ok = pl.when(self.plausible(rec, "bmi")).then(rec)
        calc_ok = pl.when(self.plausible(calc, "bmi")).then(calc)
        use_calc = calc_ok.is_not_null() & (rec_ok.is_null() | (calc_date > rec_date))
        value = pl.when(use_calc).then(calc_ok).otherwise(rec_ok)
        seen = rec.is_not_null() | calc.is_not_null() | weight.is_not_null()
        return value, value.is_null() & seen

    def systolic_bp(self) -> tuple[pl.Expr, pl.Expr]:
        v, _ = self.recent_value("systolic_bp", self.s.windows.systolic_bp_days)
        ok = self.plausible(v, "systolic_bp")
        return pl.when(ok).then(v), v.is_not_null() & ~ok

    def cholesterol_ratio(self) -> tuple[pl.Expr, pl.Expr]:
        """Recorded TC/HDL ratio, or total cholesterol / HDL taken close together;
        the more recent wins (tie: recorded ratio)."""
        w = self.s.windows
        rec, rec_date = self.recent_value("cholesterol_hdl_ratio", w.cholesterol_days)
        tc, tc_date = self.recent_value("total_cholesterol", w.cholesterol_days)
        hdl, hdl_date = self.recent_value("hdl_cholesterol", w.cholesterol_days)
        gap = (tc_date - hdl_date).dt.total_days().abs()
        paired = (gap <= w.cholesterol_pair_max_gap_days) & (hdl > 0)
        calc = pl.when(paired).then(tc / hdl)
        calc_date = pl.when(paired).then(pl.max_horizontal(tc_date, hdl_date))
        rec_ok = pl.when(self.plausible(rec, "cholesterol_hdl_ratio")).then(rec)
        calc_ok = pl.when(self.plausible(calc, "cholesterol_hdl_ratio")).then(calc)
        use_calc = calc_ok.is_not_null() & (rec_ok.is_null() | (calc_date > rec_date))
        value = pl.when(use_calc).then(calc_ok).otherwise(rec_ok)
        return value, value.is_null() & (rec.is_not_null() | calc.is_not_null())

    def diabetes(self) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
        """(has diabetes, type 1, type 2). Latest type code wins (tie per settings); a
        resolved code after the latest diabetes code means no diabetes."""
        t1, t2, any_type, resolved_day = last_dates("diabetes_type1", "diabetes_type2", "diabetes", "diabetes_resolved")
        latest = pl.max_horizontal(t1, t2, any_type)
        resolved = resolved_day > latest
        has = latest.is_not_null() & ~resolved.fill_null(False)
        d = self.s.diabetes
        tie_t1 = d.tie == "type1"
        is_t1 = (
            pl.when(t1.is_not_null() & t2.is_not_null())
            .then((t1 > t2) | ((t1 == t2) & tie_t1))
            .when(t1.is_not_null())
            .then(True)
            .when(t2.is_not_null())
            .then(False)
            .otherwise(d.unspecified_type == "type1")
        )
        return has, has & is_t1, has & ~is_t1

    def ethrisk(self) -> pl.Expr:
        e = self.s.ethnicity
        code = pl.col("ethnic_category").str.strip_chars().str.to_uppercase()
        return code.replace_strict(
            list(e.ethrisk), list(e.ethrisk.values()), default=e.unknown_ethrisk, return_dtype=pl.Int64
        ).fill_null(e.unknown_ethrisk)


def _reasons(items: list[tuple[pl.Expr, str]]) -> pl.Expr:
    parts = [pl.when(cond.fill_null(False)).then(pl.lit(name)) for cond, name in items]
    joined = pl.concat_str(parts, separator=";", ignore_nulls=True)
    return pl.when(joined != "").then(joined)


def _first_non_empty(*reasons: pl.Expr) -> pl.Expr:
    return pl.coalesce(*reasons)


def derive_inputs(features: pl.LazyFrame, as_of: date, settings: RiskSettings) -> pl.LazyFrame:
    """ClinRisk inputs (C names) plus ``_``-prefixed helper columns for reasons."""
    d = _Derive(as_of, settings)
    bmi, bmi_bad = d.bmi()
    sbp, sbp_bad = d.systolic_bp()
    rati, rati_bad = d.cholesterol_ratio()
    has_dm, type1, type2 = d.diabetes()
    hba1c, _ = d.recent_value("hba1c", settings.windows.hba1c_days)
    fpg, _ = d.recent_value("fasting_glucose", settings.windows.fasting_glucose_days)
    treated_hyp = d.ever("hypertension") & d.current("antihypertensive")
    sbps5_mean = {s: load_coefficients("qrisk3_2017.csv")[(s,)]["mean_sbps5"] for s in ("female", "male")}
    female = pl.col("sex") == "female"
    smoke = smoke_cat_expr(settings.smoking)
    impute = set(settings.qrisk3.impute_when_missing)
    cols = {
        "ethrisk": d.ethrisk(),
        "town": pl.col("townsend_score").cast(pl.Float64).fill_null(0.0),
        "_town_imputed": pl.col("townsend_score").is_null(),
        "bmi": bmi, "_bmi_bad": bmi_bad,
        "sbp": sbp, "_sbp_bad": sbp_bad,
        "rati": rati, "_rati_bad": rati_bad,
        "_sbps5_raw": pl.col("systolic_bp_sd_5y").cast(pl.Float64),
        "_smoke_raw": smoke,
        "b_AF": d.ever("atrial_fibrillation"),
        "b_atypicalantipsy": d.current("atypical_antipsychotic"),
        "b_corticosteroids": d.current("corticosteroid_oral"),
        "b_impotence2": d.ever("erectile_dysfunction") | d.ever("erectile_dysfunction_drug"),
        "b_migraine": d.ever("migraine"),
        "b_ra": d.ever("rheumatoid_arthritis"),
        "b_renal": d.ever("ckd_3_5"),
        "b_semi": d.ever("smi_diagnosis"),
        "b_sle": d.ever("sle"),
        "b_treatedhyp": treated_hyp,
        "b_type1": type1, "b_type2": type2, "_diabetes": has_dm,
        "fh_cvd": d.ever("family_history_cvd"),
        "_prior_cvd": d.ever("cvd"),
        "fh_diab": d.ever("family_history_diabetes"),
        "b_cvd": d.ever("cvd"),
        "b_gestdiab": female & d.ever("gestational_diabetes"),
        "b_pos": female & d.ever("pcos"),
        "b_learning": d.ever("learning_disability"),
        "b_manicschiz": d.ever("smi_diagnosis"),
        "b_statin": d.current("statin"),
        "hba1c": pl.when(hba1c >= 15.0).then(hba1c),
        "fbs": pl.when(fpg >= 2.0).then(fpg),
    }  # fmt: skip
    out = features.with_columns(**cols)
    # ClinRisk calculator ranges: a usable value outside is moved to the nearest limit
    # and named (see config/risk.toml [qrisk3.calculator_range]).
    limits = settings.qrisk3.calculator_range
    clamp = {"bmi": limits.bmi, "sbp": limits.systolic_bp, "rati": limits.cholesterol_hdl_ratio}
    out = out.with_columns(
        **{f"_{name}_clamped": ~pl.col(name).is_between(r.low, r.high).fill_null(True) for name, r in clamp.items()}
    ).with_columns(**{name: pl.col(name).clip(r.low, r.high) for name, r in clamp.items()})
    sbps5_fill = pl.when(female).then(sbps5_mean["female"]).otherwise(sbps5_mean["male"])
    return out.with_columns(
        sbps5=pl.col("_sbps5_raw").fill_null(sbps5_fill) if "systolic_bp_sd_5y" in impute else pl.col("_sbps5_raw"),
        smoke_cat=pl.col("_smoke_raw").fill_null(0) if "smoking_status" in impute else pl.col("_smoke_raw"),
        _glucose_diabetic=(hba1c >= 48.0).fill_null(False) | (fpg >= 7.0).fill_null(False),
    )


def score_people(features: Frame, as_of: date, settings: RiskSettings) -> Frame:
    """QRISK3-2017 and QDiabetes-2018 for every person in the features frame.

    Returns ``nhs_number, qrisk3, qrisk3_missing, qrisk3_townsend_imputed,
    qdiabetes, qdiabetes_model, qdiabetes_missing`` in the input's row order.
    """
    lazy = features.lazy()
    absent = sorted(set(required_feature_columns()) - set(lazy.collect_schema().names()))
    if absent:
        raise ValueError(f"features frame lacks column(s): {', '.join(absent)}")
    x = derive_inputs(lazy, as_of, settings)
    sex_unknown = ~pl.col("sex").is_in(["female", "male"]).fill_null(False)
    age_out = ~pl.col("age").is_between(AGE_MIN, AGE_MAX).fill_null(False)
    q3_exclusions = _reasons(
        [(sex_unknown, "sex_unknown"), (age_out, "age_out_of_range"), (pl.col("_prior_cvd"), "prior_cvd")]
    )
    smoking_missing = pl.col("_smoke_raw").is_null()
    input_gaps = [
        (pl.col("_bmi_bad"), "bmi_implausible"),
        (pl.col("bmi").is_null() & ~pl.col("_bmi_bad"), "bmi"),
        (pl.col("_sbp_bad"), "systolic_bp_implausible"),
        (pl.col("sbp").is_null() & ~pl.col("_sbp_bad"), "systolic_bp"),
        (pl.col("_rati_bad"), "cholesterol_hdl_ratio_implausible"),
        (pl.col("rati").is_null() & ~pl.col("_rati_bad"), "cholesterol_hdl_ratio"),
        (pl.col("_sbps5_raw").is_null(), "systolic_bp_sd_5y"),
        (smoking_missing, "smoking_status"),
    ]
    clamped = [
        (pl.col("_bmi_clamped"), "bmi_clamped"),
        (pl.col("_sbp_clamped"), "systolic_bp_clamped"),
        (pl.col("_rati_clamped"), "cholesterol_hdl_ratio_clamped"),
    ]
    q3_missing = _reasons(input_gaps + clamped)
    q3_blocked = pl.any_horizontal(
        [c.fill_null(False) for c, n in input_gaps if n not in settings.qrisk3.impute_when_missing]
    )
    qrisk3 = pl.when(q3_exclusions.is_null() & ~q3_blocked).then(qrisk3_expr())
    qd_exclusions = _reasons([
        (sex_unknown, "sex_unknown"),
        (age_out, "age_out_of_range"),
        (pl.col("_diabetes"), "diabetes"),
        (pl.col("_glucose_diabetic") & settings.qdiabetes.skip_when_glucose_in_diabetes_range, "glucose_in_diabetes_range"),
        (~pl.col("town").is_between(TOWN_MIN, TOWN_MAX), "townsend_out_of_range"),
    ])  # fmt: skip
    qd_gaps = [input_gaps[0], input_gaps[1], (smoking_missing, "smoking_status")]
    qd_missing = _reasons(qd_gaps)
    qd_blocked = pl.any_horizontal(
        [c.fill_null(False) for c, n in qd_gaps if n not in settings.qrisk3.impute_when_missing]
    )
    hba1c_ok = pl.col("hba1c").is_not_null() & (pl.col("hba1c") < 48.0)
    fbs_ok = pl.col("fbs").is_not_null() & (pl.col("fbs") < 7.0)
    model = pl.when(hba1c_ok).then(pl.lit("C")).when(fbs_ok).then(pl.lit("B")).otherwise(pl.lit("A"))
    scorable = qd_exclusions.is_null() & ~qd_blocked
    qdiabetes = pl.lit(None, dtype=pl.Float64)
    for m in MODELS:
        qdiabetes = pl.when(scorable & (model == m)).then(qdiabetes_expr(m)).otherwise(qdiabetes)
    result = x.select(
        "nhs_number",
        qrisk3.alias("qrisk3"),
        _first_non_empty(q3_exclusions, q3_missing).alias("qrisk3_missing"),
        pl.when(qrisk3.is_not_null()).then(pl.col("_town_imputed")).alias("qrisk3_townsend_imputed"),
        qdiabetes.alias("qdiabetes"),
        pl.when(qdiabetes.is_not_null()).then(model).alias("qdiabetes_model"),
        _first_non_empty(qd_exclusions, qd_missing).alias("qdiabetes_missing"),
    )
    return result.collect() if isinstance(features, pl.DataFrame) else result
