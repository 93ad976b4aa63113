"""QDiabetes-2018 models A, B and C: 10-year risk of type 2 diabetes, in percent.

An independent, vectorised implementation of ClinRisk Ltd's published
QDiabetes-2018 equations (GNU AGPL v3): model A (no blood test), B (adds fasting
plasma glucose) and C (adds HbA1c). Coefficients are data in
``coefficients/qdiabetes_2018.csv``; this module holds the equations' shape.
Parity with the reference R package QDiabetes 1.0-2 (itself checked against
ClinRisk's C) is proved by ``tests/risk/test_qdiabetes_parity.py``.

Input columns (ClinRisk's C argument names):

======================  ==================================================
``sex``                 ``"female"`` or ``"male"``
``age``                 years, 25..84 (whole years; fractions truncated)
``bmi``                 kg/m2, before clamping
``ethrisk``             1..9 (0 means the same as 1)
``smoke_cat``           0 non, 1 ex, 2 light, 3 moderate, 4 heavy
``town``                Townsend score, -8..14
``fh_diab`` ...         0/1 or Boolean: ``fh_diab, b_treatedhyp, b_cvd,
                        b_gestdiab, b_pos, b_learning, b_manicschiz,
                        b_corticosteroids, b_statin, b_atypicalantipsy``
                        (``b_gestdiab`` and ``b_pos`` are ignored for men)
``fbs``                 model B only: fasting plasma glucose, mmol/L, 2 <= fbs < 7
``hba1c``               model C only: HbA1c, mmol/mol (IFCC), 15 <= hba1c < 48
======================  ==================================================

Domain (the reference R package's published rules): BMI must lie in
[40/2.1^2, 180/1.4^2] and is then **clamped** to [20, 40] before the transforms;
age, Townsend, FPG and HbA1c outside the ranges above give a null risk, as does
any null input or a sex other than female/male. Output: the input plus
``qdiabetes`` (Float64, percent).
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from longerlives.risk._engine import (
    Frame,
    flag,
    linear_predictor,
    load_coefficients,
    risk_percent,
    whole_years,
)

COEFFICIENT_FILE = "qdiabetes_2018.csv"
OUTPUT = "qdiabetes"
Model = Literal["A", "B", "C"]
MODELS: tuple[Model, ...] = ("A", "B", "C")

AGE_MIN, AGE_MAX = 25, 84
BMI_HARD_MIN, BMI_HARD_MAX = 40 / 2.1**2, 180 / 1.4**2
BMI_CLAMP_MIN, BMI_CLAMP_MAX = 20.0, 40.0
TOWN_MIN, TOWN_MAX = -8.0, 14.0
FBS_MIN, FBS_BELOW = 2.0, 7.0
HBA1C_MIN, HBA1C_BELOW = 15.0, 48.0

BOOLEAN_INPUTS = (
    "fh_diab",
    "b_treatedhyp",
    "b_cvd",
    "b_gestdiab",
    "b_pos",
    "b_learning",
    "b_manicschiz",
    "b_corticosteroids",
    "b_statin",
    "b_atypicalantipsy",
)
BLOOD_TEST = {"A": None, "B": "fbs", "C": "hba1c"}


def input_columns(model: Model) -> tuple[str, ...]:
    extra = (BLOOD_TEST[model],) if BLOOD_TEST[model] else ()
    return ("sex", "age", "bmi", "ethrisk", "smoke_cat", "town", *BOOLEAN_INPUTS, *extra)


def _terms(model: Model, sex: str, coefs: dict[str, float]) -> dict[str, pl.Expr]:
    dage = whole_years() / 10.0
    bmi = pl.col("bmi").cast(pl.Float64).clip(BMI_CLAMP_MIN, BMI_CLAMP_MAX)
    dbmi = bmi / 10.0
    if sex == "female":
        raw = {"age_1": dage.sqrt(), "bmi_1": dbmi}
    else:
        raw = {"age_1": dage.log(), "bmi_1": dbmi.pow(2.0)}
    raw |= {"age_2": dage.pow(3.0), "bmi_2": dbmi.pow(3.0), "town": pl.col("town").cast(pl.Float64)}
    if model == "B":
        fbs = pl.col("fbs").cast(pl.Float64)
        power = -1.0 if sex == "female" else -0.5
        raw |= {"fbs_1": fbs.pow(power), "fbs_2": fbs.log() * fbs.pow(power)}
    elif model == "C":
        dhba1c = pl.col("hba1c").cast(pl.Float64) / 10.0
        raw |= {"hba1c_1": dhba1c.sqrt(), "hba1c_2": dhba1c}
    terms = {name: expr - coefs[f"mean_{name}"] for name, expr in raw.items()}
    terms.update({name: flag(name) for name in BOOLEAN_INPUTS})
    return terms


def _in_domain(model: Model) -> pl.Expr:
    age, bmi, town = pl.col("age"), pl.col("bmi"), pl.col("town")
    ok = (
        (age >= AGE_MIN)
        & (age < AGE_MAX + 1)
        & (bmi >= BMI_HARD_MIN)
        & (bmi <= BMI_HARD_MAX)
        & (town >= TOWN_MIN)
        & (town <= TOWN_MAX)
    )
    if model == "B":
        ok = ok & (pl.col("fbs") >= FBS_MIN) & (pl.col("fbs") < FBS_BELOW)
    elif model == "C":
        ok = ok & (pl.col("hba1c") >= HBA1C_MIN) & (pl.col("hba1c") < HBA1C_BELOW)
    return ok


def qdiabetes_expr(model: Model) -> pl.Expr:
    """Polars expression for the QDiabetes-2018 10-year risk (percent) of one model."""
    if model not in MODELS:
        raise ValueError(f"QDiabetes-2018 model must be one of {MODELS}, got {model!r}")
    table = load_coefficients(COEFFICIENT_FILE)
    by_sex = {}
    for sex in ("female", "male"):
        coefs = table[(model, sex)]
        a = linear_predictor(coefs, _terms(model, sex, coefs))
        by_sex[sex] = risk_percent(coefs["survivor"], a)
    ok = _in_domain(model)
    sex = pl.col("sex")
    return (
        pl.when(ok & (sex == "female"))
        .then(by_sex["female"])
        .when(ok & (sex == "male"))
        .then(by_sex["male"])
        .otherwise(None)
        .cast(pl.Float64)
    )


def qdiabetes_2018(frame: Frame, model: Model) -> Frame:
    """Add ``qdiabetes`` (10-year type 2 diabetes risk, percent) for model A, B or C."""
    return frame.with_columns(qdiabetes_expr(model).alias(OUTPUT))
