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

from collections.abc import Mapping
from functools import cache
from typing import Literal

import numpy as np
import polars as pl

from longerlives.risk._engine import (
    SEX_CODES,
    Array,
    CompiledModel,
    Frame,
    Shape,
    all_present,
    category_ok,
    compile_equation,
    load_coefficients,
    score_expr,
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
#: transformed term -> the input column it reads
TERM_COLUMN = {"age_1": "age", "age_2": "age", "bmi_1": "bmi", "bmi_2": "bmi", "town": "town", "fbs_1": "fbs",
               "fbs_2": "fbs", "hba1c_1": "hba1c", "hba1c_2": "hba1c"} | {b: b for b in BOOLEAN_INPUTS}  # fmt: skip


def input_columns(model: Model) -> tuple[str, ...]:
    test = BLOOD_TEST[model]
    extra = (test,) if test else ()
    return ("sex", "age", "bmi", "ethrisk", "smoke_cat", "town", *BOOLEAN_INPUTS, *extra)


def _shape(model: Model, sex: str) -> Shape:
    """The fractional-polynomial terms of one model and sex (before centring)."""
    if sex == "female":
        age_1, bmi_1 = (lambda d: np.sqrt(d)), (lambda b: b)
    else:
        age_1, bmi_1 = (lambda d: np.log(d)), (lambda b: b**2.0)

    def continuous(x: Mapping[str, Array]) -> dict[str, Array]:
        dbmi = np.clip(x["bmi"], BMI_CLAMP_MIN, BMI_CLAMP_MAX) / 10.0
        out = {"bmi_1": bmi_1(dbmi), "bmi_2": dbmi * dbmi * dbmi, "town": x["town"]}
        if model == "B":
            fbs = x["fbs"]
            fbs_1 = 1.0 / fbs if sex == "female" else 1.0 / np.sqrt(fbs)  # fbs ** -1 or fbs ** -0.5
            out |= {"fbs_1": fbs_1, "fbs_2": np.log(fbs) * fbs_1}
        elif model == "C":
            dhba1c = x["hba1c"] / 10.0
            out |= {"hba1c_1": np.sqrt(dhba1c), "hba1c_2": dhba1c}
        return out

    test = BLOOD_TEST[model]
    inputs = ("bmi", "town", *((test,) if test else ()))
    return Shape({"age_1": age_1, "age_2": lambda d: d**3.0}, AGE_MIN, AGE_MAX, BOOLEAN_INPUTS, continuous, inputs)


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


@cache
def _model(model: Model) -> tuple[CompiledModel, dict[str, pl.Expr]]:
    table = load_coefficients(COEFFICIENT_FILE)
    equations = {}
    valid = {}
    for sex, code in SEX_CODES.items():
        eq = compile_equation(table[(model, sex)], set(TERM_COLUMN))
        equations[code] = (eq, _shape(model, sex))
        used = sorted({TERM_COLUMN[t] for t in eq.inputs()} | {c for c, _ in eq.categories})
        valid[sex] = (
            _in_domain(model) & all_present(used) & pl.all_horizontal([category_ok(c) for c, _ in eq.categories])
        )
    columns = tuple(c for c in input_columns(model) if c != "sex")
    return CompiledModel.build(f"{OUTPUT}_{model}", columns, equations), valid


def qdiabetes_expr(model: Model) -> pl.Expr:
    """Polars expression for the QDiabetes-2018 10-year risk (percent) of one model."""
    if model not in MODELS:
        raise ValueError(f"QDiabetes-2018 model must be one of {MODELS}, got {model!r}")
    compiled, valid = _model(model)
    return score_expr(compiled, valid)


def qdiabetes_2018(frame: Frame, model: Model) -> Frame:
    """Add ``qdiabetes`` (10-year type 2 diabetes risk, percent) for model A, B or C."""
    return frame.with_columns(qdiabetes_expr(model).alias(OUTPUT))
