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

from collections.abc import Mapping
from functools import cache

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
#: transformed term -> the input column it reads
TERM_COLUMN = {"age_1": "age", "age_2": "age", "bmi_1": "bmi", "bmi_2": "bmi", "rati": "rati", "sbp": "sbp",
               "sbps5": "sbps5", "town": "town"} | {b: b for b in BOOLEAN_INPUTS}  # fmt: skip


def _shape(sex: str) -> Shape:
    """The fractional-polynomial terms of one sex's equation (before centring)."""
    if sex == "female":
        age_terms = {"age_1": lambda d: d**-2.0, "age_2": lambda d: d}
    else:
        age_terms = {"age_1": lambda d: d**-1.0, "age_2": lambda d: d**3.0}

    def continuous(x: Mapping[str, Array]) -> dict[str, Array]:
        dbmi = x["bmi"] / 10.0
        bmi_1 = 1.0 / (dbmi * dbmi)  # dbmi ** -2 (a power call costs six multiplications)
        return {
            "bmi_1": bmi_1,
            "bmi_2": bmi_1 * np.log(dbmi),
            **{c: x[c] for c in ("rati", "sbp", "sbps5", "town")},
        }

    return Shape(age_terms, AGE_MIN, AGE_MAX, BOOLEAN_INPUTS, continuous, ("bmi", "rati", "sbp", "sbps5", "town"))


@cache
def _model() -> tuple[CompiledModel, dict[str, pl.Expr]]:
    table = load_coefficients(COEFFICIENT_FILE)
    equations = {}
    valid = {}
    for sex, code in SEX_CODES.items():
        eq = compile_equation(table[(sex,)], set(TERM_COLUMN))
        equations[code] = (eq, _shape(sex))
        used = sorted({TERM_COLUMN[t] for t in eq.inputs()} | {c for c, _ in eq.categories})
        age = pl.col("age")
        valid[sex] = (
            (age >= AGE_MIN)
            & (age < AGE_MAX + 1)
            & all_present(used)
            & pl.all_horizontal([category_ok(c) for c, _ in eq.categories])
        )
    columns = tuple(c for c in INPUT_COLUMNS if c != "sex")
    return CompiledModel.build(OUTPUT, columns, equations), valid


def qrisk3_expr() -> pl.Expr:
    """Polars expression for the QRISK3-2017 10-year CVD risk (percent)."""
    model, valid = _model()
    return score_expr(model, valid)


def qrisk3_2017(frame: Frame) -> Frame:
    """Add ``qrisk3`` (10-year CVD risk, percent) to a DataFrame or LazyFrame."""
    return frame.with_columns(qrisk3_expr().alias(OUTPUT))
