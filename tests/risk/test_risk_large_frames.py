"""A register-sized frame (women and men interleaved, some unscorable people among them) is
scored row for row as the per-row reference scores each person alone: the NumPy kernel's
blocks, per-sex gathering and two threads must never move a score to another person."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from longerlives.risk import qdiabetes_2018, qrisk3_2017
from tests.risk.reference_impl import QD_BOOLEANS, QRISK3_BOOLEANS, qdiabetes_row, qrisk3_row

PEOPLE = 150_000  # more than one block per thread, so both threads and several blocks are used
CHECKED = 1_500


def _register(seed: int = 16) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = PEOPLE
    data: dict[str, object] = {
        "sex": rng.choice(["female", "male", "unknown"], n, p=[0.49, 0.49, 0.02]),
        "age": rng.integers(20, 90, n), "bmi": rng.uniform(15, 50, n), "rati": rng.uniform(1, 11, n),
        "sbp": rng.uniform(70, 210, n), "sbps5": rng.uniform(0, 30, n), "town": rng.uniform(-7, 11, n),
        "ethrisk": rng.integers(1, 10, n), "smoke_cat": rng.integers(0, 5, n),
        "fbs": rng.uniform(2, 6.99, n), "hba1c": rng.uniform(15, 47.9, n),
    }  # fmt: skip
    for name in sorted(set(QRISK3_BOOLEANS) | set(QD_BOOLEANS)):
        data[name] = (rng.random(n) < 0.15).astype(np.int8)
    frame = pl.DataFrame(data)
    # every 101st person has no BMI recorded: nobody can score them
    return frame.with_columns(bmi=pl.when(pl.int_range(pl.len()) % 101 == 0).then(None).otherwise(pl.col("bmi")))


def _expected(person: dict[str, object], score: float | None, reference: float) -> bool:
    unscorable = person["sex"] not in ("female", "male") or person["bmi"] is None or not 25 <= person["age"] <= 84
    if unscorable:
        return score is None
    return score is not None and math.isclose(score, reference, rel_tol=1e-9, abs_tol=1e-9)


@pytest.fixture(scope="module")
def register() -> pl.DataFrame:
    return _register()


def test_qrisk3_on_a_register_sized_frame_gives_each_person_their_own_score(register: pl.DataFrame) -> None:
    scored = qrisk3_2017(register.lazy()).collect()
    sample = scored.sample(CHECKED, seed=1)
    wrong = [
        p for p in sample.iter_rows(named=True)
        if not _expected(p, p["qrisk3"], qrisk3_row(p) if p["bmi"] is not None and p["sex"] in ("female", "male")
                         and 25 <= p["age"] <= 84 else math.nan)
    ]  # fmt: skip
    assert wrong == []
    assert scored["qrisk3"].null_count() > 0  # the unscorable people are among them


@pytest.mark.parametrize("model", ["A", "B", "C"])
def test_qdiabetes_on_a_register_sized_frame_gives_each_person_their_own_score(
    register: pl.DataFrame, model: str
) -> None:
    people = register.with_columns(
        b_gestdiab=pl.when(pl.col("sex") == "female").then(pl.col("b_gestdiab")).otherwise(0),
        b_pos=pl.when(pl.col("sex") == "female").then(pl.col("b_pos")).otherwise(0),
    )
    scored = qdiabetes_2018(people, model)  # type: ignore[arg-type]
    sample = scored.sample(CHECKED, seed=2)
    wrong = [
        p for p in sample.iter_rows(named=True)
        if not _expected(p, p["qdiabetes"], qdiabetes_row(p, model) if p["bmi"] is not None
                         and p["sex"] in ("female", "male") and 25 <= p["age"] <= 84 else math.nan)
    ]  # fmt: skip
    assert wrong == []


def test_flags_as_booleans_with_a_gap_score_as_zero_one_integers_and_the_gap_scores_null(
    register: pl.DataFrame,
) -> None:
    people = register.head(5_000).filter(pl.col("bmi").is_not_null() & pl.col("age").is_between(25, 84))
    people = people.filter(pl.col("sex").is_in(["female", "male"]))
    as_ints = qrisk3_2017(people)["qrisk3"]
    as_bools = people.with_columns([pl.col(b).cast(pl.Boolean) for b in QRISK3_BOOLEANS])
    as_bools = as_bools.with_columns(b_AF=pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("b_AF")))
    scored = qrisk3_2017(as_bools)["qrisk3"]
    assert scored[3] is None
    others = pl.int_range(people.height, eager=True) != 3
    assert (scored.filter(others) - as_ints.filter(others)).abs().max() < 1e-12
