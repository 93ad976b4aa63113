"""QRISK3-2017 reproduces ClinRisk's original C code on every reference row."""

from __future__ import annotations

import polars as pl
import pytest

from longerlives.risk import qrisk3_2017
from tests.risk.conftest import REFERENCE_DIR

QRISK3_DIR = REFERENCE_DIR / "qrisk3"


def _cran(name: str) -> pl.DataFrame:
    """CRAN QRISK3 test set in C coding: 1 = female, smoke_cat 1..5 -> 0..4, BMI from
    weight/height (the stale ``bmi`` column is deliberately not used)."""
    return (
        pl.read_csv(QRISK3_DIR / name)
        .drop("bmi")
        .with_columns(
            sex=pl.when(pl.col("gender") == 1).then(pl.lit("female")).otherwise(pl.lit("male")),
            bmi=pl.col("weight") / (pl.col("height") / 100.0) ** 2,
            smoke_cat=pl.col("smoke_cat") - 1,
        )
    )


@pytest.mark.parametrize("name", ["cran_QRISK3_2017_test.csv", "cran_QRISK3_2019_test.csv"])
def test_cran_cases_match_clinrisk_scores_to_one_decimal(name: str) -> None:
    scored = qrisk3_2017(_cran(name))
    assert scored["qrisk3"].null_count() == 0
    off = (pl.col("qrisk3").round(1) - pl.col("QRISK_C_algorithm_score")).abs() > 1e-9
    mismatched = scored.filter(off)
    assert mismatched.height == 0, mismatched.select("ID", "qrisk3", "QRISK_C_algorithm_score")
    assert (scored["qrisk3"] - scored["QRISK_C_algorithm_score"]).abs().max() < 0.05


def test_full_precision_sample_matches_clinrisk_c_to_1e_6() -> None:
    sample = pl.read_csv(QRISK3_DIR / "qrisk3_2017_sample.csv")
    scored = qrisk3_2017(sample)
    assert scored.height == 300
    assert scored["qrisk3"].null_count() == 0
    assert (scored["qrisk3"] - scored["expected_score"]).abs().max() < 1e-6


def test_lazy_input_gives_lazy_output_with_the_same_scores() -> None:
    sample = pl.read_csv(QRISK3_DIR / "qrisk3_2017_sample.csv")
    lazy = qrisk3_2017(sample.lazy())
    assert isinstance(lazy, pl.LazyFrame)
    eager = qrisk3_2017(sample)["qrisk3"]
    assert (lazy.collect()["qrisk3"] - eager).abs().max() < 1e-12


def test_women_ignore_the_erectile_dysfunction_term() -> None:
    women = pl.read_csv(QRISK3_DIR / "qrisk3_2017_sample.csv").filter(pl.col("sex") == "female")
    flipped = women.with_columns(b_impotence2=1 - pl.col("b_impotence2"))
    # Equal up to the last bits of double precision: the streaming engine may evaluate
    # exp/log on differently sized chunks (SIMD body vs scalar tail), which can move
    # the 16th significant digit; scores are reported to one decimal.
    got, ref = qrisk3_2017(flipped)["qrisk3"].to_list(), qrisk3_2017(women)["qrisk3"].to_list()
    assert got == pytest.approx(ref, rel=1e-12, abs=1e-12)


def test_out_of_domain_rows_score_null_not_extrapolated() -> None:
    row = pl.read_csv(QRISK3_DIR / "qrisk3_2017_sample.csv").head(1)
    bad = pl.concat(
        how="vertical_relaxed",
        items=[
            row.with_columns(age=pl.lit(85)),
            row.with_columns(age=pl.lit(24)),
            row.with_columns(sex=pl.lit("unknown")),
            row.with_columns(smoke_cat=pl.lit(5)),
            row.with_columns(ethrisk=pl.lit(10)),
            row.with_columns(sbp=pl.lit(None, dtype=pl.Float64)),
        ],
    )
    assert qrisk3_2017(bad)["qrisk3"].null_count() == bad.height
