"""The per-person columns are scattered into the patients' rows (issue 16, memory):
they must equal what a plain left join of the long summaries gives, for people with
no record, concepts nobody has, and rows of people not on the patient list."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
from polars.testing import assert_frame_equal

from longerlives.features import _aligned, _wide

STATS = {"first_date": pl.Date, "last_date": pl.Date, "n_12m": pl.Int64}


def _long(rng: np.random.Generator, people: np.ndarray, n_concepts: int) -> pl.DataFrame:
    pairs = {(int(p), int(c)) for p, c in zip(rng.choice(people, 400), rng.integers(0, n_concepts - 1, 400))}
    nid, cid = zip(*sorted(pairs))
    first = rng.integers(15_000, 20_000, len(nid))
    return pl.DataFrame(
        {
            "nid": list(nid),
            "cid": list(cid),
            "first_date": pl.Series(first, dtype=pl.Int32).cast(pl.Date),
            "last_date": pl.Series(first + rng.integers(0, 500, len(nid)), dtype=pl.Int32).cast(pl.Date),
            "n_12m": rng.integers(0, 9, len(nid)),
        }
    ).sample(fraction=1.0, shuffle=True, seed=3)  # the summaries come in no particular order


def _joined(long: pl.DataFrame, ids: pl.Series, concepts: list[str]) -> pl.DataFrame:
    """The obvious way: one left join per concept onto the patient list."""
    out = ids.to_frame()
    for j, concept in enumerate(concepts):
        part = long.filter(pl.col("cid") == j).select("nid", *[pl.col(s).alias(f"{concept}_{s}") for s in STATS])
        out = out.join(part, on="nid", how="left", maintain_order="left")
    counts = [f"{c}_n_12m" for c in concepts]
    ordered = [f"{c}_{s}" for s in STATS for c in concepts]
    return out.with_columns(pl.col(counts).fill_null(0)).select(ordered)


def test_wide_columns_equal_a_left_join_per_concept_including_people_and_concepts_with_no_record():
    rng = np.random.default_rng(16)
    ids = pl.Series("nid", np.sort(rng.choice(np.arange(4_000_000_000, 4_000_100_000), 300, replace=False)))
    strangers = np.arange(9_000_000_000, 9_000_000_050)  # rows of people not on the list are left out
    long = _long(rng, np.concatenate([ids.to_numpy()[:250], strangers]), n_concepts=6)
    concepts = ["bmi", "hba1c", "smoking", "ecg", "lipids", "nobody_has_this"]
    got = _wide(long, concepts, STATS, ids)
    assert got.height == ids.len()
    assert got["nobody_has_this_first_date"].null_count() == ids.len()
    assert (got["nobody_has_this_n_12m"] == 0).all()  # a count with no record is 0, not unknown
    assert_frame_equal(got, _joined(long, ids, concepts))


def test_wide_builds_only_the_concepts_asked_for():
    rng = np.random.default_rng(7)
    ids = pl.Series("nid", np.arange(1_000_000_000, 1_000_000_100))
    long = _long(rng, ids.to_numpy(), n_concepts=4)
    got = _wide(long, ["a", "b", "c", "d"], STATS, ids, only=["c"])
    assert got.columns == ["c_first_date", "c_last_date", "c_n_12m"]
    assert_frame_equal(got, _joined(long, ids, ["a", "b", "c", "d"]).select(got.columns))


def test_aligned_equals_a_left_join_with_counts_zero_for_people_with_no_contact():
    ids = pl.Series("nid", [1_000_000_001, 1_000_000_005, 1_000_000_009, 1_000_000_012])
    contacts = pl.DataFrame(
        {
            "nid": [1_000_000_012, 1_000_000_001, 7_000_000_000],  # the last is not on the patient list
            "dna_12m": [2, 1, 5],
            "gp_last_attended": [date(2026, 3, 1), None, date(2026, 1, 1)],
        }
    )
    got = _aligned(contacts, ids, zero=("dna_12m",))
    assert got.to_dicts() == [
        {"dna_12m": 1, "gp_last_attended": None},
        {"dna_12m": 0, "gp_last_attended": None},
        {"dna_12m": 0, "gp_last_attended": None},
        {"dna_12m": 2, "gp_last_attended": date(2026, 3, 1)},
    ]
    expected = (
        ids.to_frame()
        .join(contacts, on="nid", how="left", maintain_order="left")
        .with_columns(pl.col("dna_12m").fill_null(0))
        .drop("nid")
    )
    assert_frame_equal(got, expected)
