"""QRISK3-2017: 10-year risk of cardiovascular disease, in percent.

An independent, vectorised implementation of ClinRisk Ltd's published QRISK3-2017
equations (``cvd_female_raw`` / ``cvd_male_raw``, GNU LGPL v3). The coefficients are
data in ``coefficients/qrisk3_2017.csv``; this module holds only the equations'
shape (the fractional-polynomial transforms). Parity with ClinRisk's C code is
proved by ``tests/risk/test_qrisk3_parity.py``.

Input columns (ClinRisk's C argument names and codings):

=====================  ====================================================
``sex``                ``"female"`` or ``"male"`` (anything else: null risk)
``age``                years, 25..84 (whole years; fractions truncated as in C)
``b_AF`` ...           0/1 or Boolean: ``b_AF, b_atypicalantipsy,
                       b_corticosteroids, b_impotence2, b_migraine, b_ra,
                       b_renal, b_semi, b_sle, b_treatedhyp, b_type1, b_type2,
                       fh_cvd`` (``b_impotence2`` is ignored for women)
``bmi``                kg/m2
``ethrisk``            1..9 (0 is accepted and means the same as 1)
``rati``               total cholesterol / HDL cholesterol
``sbp``                systolic blood pressure, mmHg
``sbps5``              SD of recent systolic readings, mmHg
``smoke_cat``          0 non, 1 ex, 2 light, 3 moderate, 4 heavy
``town``               Townsend deprivation score
=====================  ====================================================

Output: the input plus ``qrisk3`` (Float64, percent). The published code does no
validation or clamping; this implementation gives null (never a guess) when sex is
not female/male, age is outside 25..84, a code is outside the C arrays, or any
input is null. Other values are scored exactly as the C code would score them;
plausibility limits for register data are applied upstream in ``inputs.py``.
"""

from __future__ import annotations

import polars as pl

from longerlives.risk._engine import (
    Frame,
    flag,
    linear_predictor,
    load_coefficients,
    risk_percent,
    whole_years,
)

COEFFICIENT_FILE = "qrisk3_2017.csv"
AGE_MIN, AGE_MAX = 25, 84
OUTPUT = "qrisk3"

BOOLEAN_INPUTS = (
    "b_AF",
    "b_atypicalantipsy",
    "b_corticosteroids",
    "b_impotence2",
    "b_migraine",
    "b_ra",
    "b_renal",
    "b_semi",
    "b_sle",
    "b_treatedhyp",
    "b_type1",
    "b_type2",
    "fh_cvd",
)
CONTINUOUS_INPUTS = ("age", "bmi", "rati", "sbp", "sbps5", "town")
INPUT_COLUMNS = ("sex", *CONTINUOUS_INPUTS, "ethrisk", "smoke_cat", *BOOLEAN_INPUTS)


def _terms(sex: str, coefs: dict[str, float]) -> dict[str, pl.Expr]:
    dage = whole_years() / 10.0
    dbmi = pl.col("bmi").cast(pl.Float64) / 10.0
    if sex == "female":
        age_1, age_2 = dage.pow(-2.0), dage
    else:
        age_1, age_2 = dage.pow(-1.0), dage.pow(3.0)
    bmi_1 = dbmi.pow(-2.0)
    bmi_2 = dbmi.pow(-2.0) * dbmi.log()
    raw = {
        "age_1": age_1,
        "age_2": age_2,
        "bmi_1": bmi_1,
        "bmi_2": bmi_2,
        "rati": pl.col("rati").cast(pl.Float64),
        "sbp": pl.col("sbp").cast(pl.Float64),
        "sbps5": pl.col("sbps5").cast(pl.Float64),
        "town": pl.col("town").cast(pl.Float64),
    }
    terms = {name: expr - coefs[f"mean_{name}"] for name, expr in raw.items()}
    terms.update({name: flag(name) for name in BOOLEAN_INPUTS})
    return terms


def qrisk3_expr() -> pl.Expr:
    """Polars expression for the QRISK3-2017 10-year CVD risk (percent)."""
    table = load_coefficients(COEFFICIENT_FILE)
    by_sex = {}
    for sex in ("female", "male"):
        coefs = table[(sex,)]
        a = linear_predictor(coefs, _terms(sex, coefs))
        by_sex[sex] = risk_percent(coefs["survivor"], a)
    age = pl.col("age")
    in_domain = (age >= AGE_MIN) & (age < AGE_MAX + 1)
    sex = pl.col("sex")
    return (
        pl.when(in_domain & (sex == "female"))
        .then(by_sex["female"])
        .when(in_domain & (sex == "male"))
        .then(by_sex["male"])
        .otherwise(None)
        .cast(pl.Float64)
    )


def qrisk3_2017(frame: Frame) -> Frame:
    """Add ``qrisk3`` (10-year CVD risk, percent) to a DataFrame or LazyFrame."""
    return frame.with_columns(qrisk3_expr().alias(OUTPUT))
