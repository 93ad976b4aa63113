"""The fast kernel (discrete terms summed once into lookup tables, issue 16) scores every person
as the general kernel (every term per row) and as ClinRisk's per-row arithmetic would: across
every whole age the models accept, every ethnicity and smoking code and every combination of
flags, for women and men. A flag that is not 0/1 still takes the general kernel, scored as the
C code would score it."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
import pytest

from longerlives.risk import _engine, qdiabetes_2018, qrisk3_2017
from longerlives.risk.qdiabetes_2018 import _model as qdiabetes_model
from longerlives.risk.qrisk3_2017 import _model as qrisk3_model
from tests.risk.reference_impl import QD_BOOLEANS, QRISK3_BOOLEANS, qdiabetes_row, qrisk3_row

PEOPLE = 40_000
MODELS = {
    "QRISK3-2017": lambda: qrisk3_model()[0],
    **{f"QDiabetes-2018 {m}": (lambda m=m: qdiabetes_model(m)[0]) for m in ("A", "B", "C")},
}


def _people(n: int = PEOPLE, seed: int = 5) -> pl.DataFrame:
    """Everyone in the models' domain: each whole age 25..84, each category code, random flags."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {
        "sex": np.where(rng.random(n) < 0.5, "female", "male"),
        "age": np.resize(np.arange(25, 85), n), "bmi": rng.uniform(15, 50, n), "rati": rng.uniform(1, 11, n),
        "sbp": rng.uniform(70, 210, n), "sbps5": rng.uniform(0, 30, n), "town": rng.uniform(-7, 11, n),
        "ethrisk": np.resize(np.arange(0, 10), n), "smoke_cat": np.resize(np.arange(0, 5), n)[rng.permutation(n)],
        "fbs": rng.uniform(2, 6.99, n), "hba1c": rng.uniform(15, 47.9, n),
    }  # fmt: skip
    for name in sorted(set(QRISK3_BOOLEANS) | set(QD_BOOLEANS)):
        data[name] = (rng.random(n) < 0.3).astype(np.int8)
    return pl.DataFrame(data)


def _both_kernels(model: _engine.CompiledModel, people: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    flags = set(model.flag_columns())
    data = {c: _engine._float_or_int(people[c]) for c in model.columns}
    sex = (people["sex"] == "male").cast(pl.Int8).to_numpy()
    general = _engine._score_rows(model, data, sex)
    zero_one = {c: _engine._zero_one(people[c]) for c in flags}
    assert all(v is not None for v in zero_one.values())
    fast = _engine._score_rows_fast(
        model,
        {k: v for k, v in data.items() if k not in flags},
        zero_one,  # type: ignore[arg-type]
        sex,
    )
    return general, fast


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_has_a_fast_form(name: str) -> None:
    model = MODELS[name]()
    assert model.fast is not None and sorted(model.fast) == [0, 1]


@pytest.mark.parametrize("name", list(MODELS))
def test_fast_and_general_kernels_agree_for_every_age_code_and_flag_mix(name: str) -> None:
    model = MODELS[name]()
    general, fast = _both_kernels(model, _people())
    assert np.isfinite(general).all() and np.isfinite(fast).all()
    # the same sum in another order: equal to the last bits, never to a visible digit
    assert np.abs(fast - general).max() < 1e-9
    assert np.allclose(fast, general, rtol=1e-11, atol=1e-12)


def test_every_combination_of_qrisk3_flags_scores_as_the_per_row_reference() -> None:
    """All 2^13 flag combinations, for a woman and a man at several ages: each entry of the
    lookup tables is reached and checked against ClinRisk's term-by-term arithmetic."""
    rows = []
    for sex, age in itertools.product(("female", "male"), (25, 47, 84)):
        for bits in range(1 << len(QRISK3_BOOLEANS)):
            flags = {b: (bits >> j) & 1 for j, b in enumerate(QRISK3_BOOLEANS)}
            rows.append({"sex": sex, "age": age, "bmi": 31.5, "rati": 4.2, "sbp": 138.0, "sbps5": 9.0,
                         "town": 1.3, "ethrisk": 1 + bits % 9, "smoke_cat": bits % 5, **flags})  # fmt: skip
    people = pl.DataFrame(rows)
    scored = qrisk3_2017(people)["qrisk3"].to_list()
    wrong = [
        (p, s) for p, s in zip(rows, scored, strict=True)
        if s is None or not math.isclose(s, qrisk3_row(p), rel_tol=1e-9, abs_tol=1e-9)
    ]  # fmt: skip
    assert wrong == []


def test_a_flag_recorded_as_2_is_scored_as_the_c_code_would_not_as_1() -> None:
    """The published code multiplies the coefficient by whatever integer it is given: a 2 must
    not be read as "yes" by the lookup tables (that batch takes the general kernel)."""
    person = {"sex": "female", "age": 64, "bmi": 27.0, "rati": 5.0, "sbp": 150.0, "sbps5": 12.0, "town": 0.5,
              "ethrisk": 2, "smoke_cat": 3, **dict.fromkeys(QRISK3_BOOLEANS, 0), "b_AF": 2}  # fmt: skip
    once = {**person, "b_AF": 1}
    scored = qrisk3_2017(pl.DataFrame([person, once]))["qrisk3"].to_list()
    assert scored[0] == pytest.approx(qrisk3_row(person), rel=1e-9)
    assert scored[0] > scored[1] == pytest.approx(qrisk3_row(once), rel=1e-9)


@pytest.mark.parametrize("model", ["A", "B", "C"])
def test_qdiabetes_flags_as_booleans_score_as_zero_one_integers(model: str) -> None:
    people = _people(3_000).with_columns(
        b_gestdiab=pl.when(pl.col("sex") == "female").then(pl.col("b_gestdiab")).otherwise(0),
        b_pos=pl.when(pl.col("sex") == "female").then(pl.col("b_pos")).otherwise(0),
        bmi=pl.col("bmi").clip(20, 40),
        town=pl.col("town").clip(-8, 14),
    )
    as_ints = qdiabetes_2018(people, model)["qdiabetes"]  # type: ignore[arg-type]
    as_bools = people.with_columns([pl.col(b).cast(pl.Boolean) for b in QD_BOOLEANS])
    scored = qdiabetes_2018(as_bools, model)["qdiabetes"]  # type: ignore[arg-type]
    assert scored.null_count() == 0
    assert (scored - as_ints).abs().max() < 1e-12
    sample = people.head(300).to_dicts()
    assert [qdiabetes_row(p, model) for p in sample] == pytest.approx(scored.head(300).to_list(), rel=1e-9)
