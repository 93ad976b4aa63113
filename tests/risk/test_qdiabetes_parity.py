"""QDiabetes-2018 models A, B and C reproduce the reference R package (ClinRisk-checked)."""

from __future__ import annotations

import polars as pl
import pytest

from longerlives.risk import qdiabetes_2018
from tests.risk.conftest import REFERENCE_DIR

ETHNICITY = ["WhiteNA", "Indian", "Pakistani", "Bangladeshi", "OtherAsian",
             "BlackCaribbean", "BlackAfrican", "Chinese", "Other"]  # fmt: skip
SMOKING = ["Non", "Ex", "Light", "Moderate", "Heavy"]
R_TO_C = {
    "tds": "town", "fhdm": "fh_diab", "htn": "b_treatedhyp", "cvd": "b_cvd",
    "gdm": "b_gestdiab", "pcos": "b_pos", "learn": "b_learning", "psy": "b_manicschiz",
    "ster": "b_corticosteroids", "stat": "b_statin", "apsy": "b_atypicalantipsy", "fpg": "fbs",
}  # fmt: skip


def reference_sample(model: str) -> pl.DataFrame:
    """The R package's sample in ClinRisk's C naming and coding."""
    path = REFERENCE_DIR / "qdiabetes" / f"qdiabetes2018_{model}_sample.csv"
    return (
        pl.read_csv(path)
        .rename(R_TO_C, strict=False)
        .with_columns(
            sex=pl.col("sex").str.to_lowercase(),
            ethrisk=pl.col("ethn").replace_strict(ETHNICITY, list(range(1, 10))),
            smoke_cat=pl.col("smoke").replace_strict(SMOKING, list(range(5))),
        )
    )


@pytest.mark.parametrize("model", ["A", "B", "C"])
def test_reference_sample_matches_to_1e_6(model: str) -> None:
    scored = qdiabetes_2018(reference_sample(model), model)
    assert scored.height == 300
    assert scored["qdiabetes"].null_count() == 0
    assert (scored["qdiabetes"] - scored["expected_score"]).abs().max() < 1e-6


@pytest.mark.parametrize("model", ["A", "B", "C"])
def test_bmi_outside_20_to_40_is_clamped_as_published(model: str) -> None:
    sample = reference_sample(model)
    outside = sample.filter((pl.col("bmi") < 20) | (pl.col("bmi") > 40))
    assert outside.height >= 10
    scored = qdiabetes_2018(outside, model)
    assert (scored["qdiabetes"] - scored["expected_score"]).abs().max() < 1e-6
    clamped = outside.with_columns(bmi=pl.col("bmi").clip(20, 40))
    # equal up to the last bits of double precision (chunked SIMD exp/log; see the QRISK3 test)
    assert qdiabetes_2018(clamped, model)["qdiabetes"].to_list() == pytest.approx(
        scored["qdiabetes"].to_list(), rel=1e-12, abs=1e-12
    )


def test_glucose_in_the_diabetic_range_is_outside_the_model() -> None:
    b_row = reference_sample("B").head(1).with_columns(fbs=pl.lit(7.0))
    c_row = reference_sample("C").head(1).with_columns(hba1c=pl.lit(48.0))
    assert qdiabetes_2018(b_row, "B")["qdiabetes"].to_list() == [None]
    assert qdiabetes_2018(c_row, "C")["qdiabetes"].to_list() == [None]


def test_bmi_beyond_the_hard_limits_and_age_85_score_null() -> None:
    row = reference_sample("A").head(1)
    bad = pl.concat(
        how="vertical_relaxed",
        items=[
            row.with_columns(bmi=pl.lit(9.0)),
            row.with_columns(bmi=pl.lit(92.0)),
            row.with_columns(age=pl.lit(85)),
            row.with_columns(town=pl.lit(14.5)),
        ],
    )
    assert qdiabetes_2018(bad, "A")["qdiabetes"].null_count() == 4


def test_unknown_model_is_refused() -> None:
    with pytest.raises(ValueError, match="model must be one of"):
        qdiabetes_2018(reference_sample("A"), "D")  # type: ignore[arg-type]


def test_lazy_input_gives_lazy_output() -> None:
    lazy = qdiabetes_2018(reference_sample("C").lazy(), "C")
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect()["qdiabetes"].null_count() == 0
