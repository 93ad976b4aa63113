"""Property: the vectorised Polars equations equal a per-row pure-Python reference
everywhere in the valid domain (hypothesis), not just on the reference samples."""

from __future__ import annotations

import math

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from longerlives.risk import qdiabetes_2018, qrisk3_2017
from tests.risk.reference_impl import QD_BOOLEANS, QRISK3_BOOLEANS, qdiabetes_row, qrisk3_row

flags = st.integers(0, 1)
sexes = st.sampled_from(["female", "male"])


@st.composite
def qrisk3_person(draw) -> dict:
    p = {
        "sex": draw(sexes), "age": draw(st.integers(25, 84)),
        "bmi": draw(st.floats(15.0, 60.0)), "rati": draw(st.floats(1.0, 12.0)),
        "sbp": draw(st.floats(70.0, 210.0)), "sbps5": draw(st.floats(0.0, 40.0)),
        "town": draw(st.floats(-8.0, 14.0)), "ethrisk": draw(st.integers(1, 9)),
        "smoke_cat": draw(st.integers(0, 4)),
    }  # fmt: skip
    p.update({name: draw(flags) for name in QRISK3_BOOLEANS})
    if p["b_type1"] and p["b_type2"]:
        p["b_type2"] = 0
    return p


@st.composite
def qdiabetes_person(draw) -> dict:
    p = {
        "sex": draw(sexes), "age": draw(st.integers(25, 84)),
        "bmi": draw(st.floats(9.1, 91.8)), "town": draw(st.floats(-8.0, 14.0)),
        "ethrisk": draw(st.integers(1, 9)), "smoke_cat": draw(st.integers(0, 4)),
        "fbs": draw(st.floats(2.0, 6.999)), "hba1c": draw(st.floats(15.0, 47.999)),
    }  # fmt: skip
    p.update({name: draw(flags) for name in QD_BOOLEANS})
    if p["sex"] == "male":
        p["b_gestdiab"] = p["b_pos"] = 0
    return p


def _close(got: list[float], want: list[float]) -> bool:
    return all(math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-9) for g, w in zip(got, want, strict=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(qrisk3_person(), min_size=1, max_size=40))
def test_qrisk3_vectorised_equals_per_row_reference(people: list[dict]) -> None:
    got = qrisk3_2017(pl.DataFrame(people))["qrisk3"].to_list()
    assert _close(got, [qrisk3_row(p) for p in people])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(qdiabetes_person(), min_size=1, max_size=40), st.sampled_from(["A", "B", "C"]))
def test_qdiabetes_vectorised_equals_per_row_reference(people: list[dict], model: str) -> None:
    got = qdiabetes_2018(pl.DataFrame(people), model)["qdiabetes"].to_list()
    assert _close(got, [qdiabetes_row(p, model) for p in people])


def test_reference_itself_reproduces_a_clinrisk_sample_row() -> None:
    from tests.risk.conftest import REFERENCE_DIR

    row = pl.read_csv(REFERENCE_DIR / "qrisk3" / "qrisk3_2017_sample.csv").row(0, named=True)
    assert abs(qrisk3_row(row) - row["expected_score"]) < 1e-6
