"""Issue 16, session 18: the output stages join and sort with less held at once
(``columnwise.py``). Whatever the memory, the rows a practice or a core team reads must be
exactly the rows the plain Polars join and sort give: every flag kept, none doubled, the same order."""

from __future__ import annotations

import random

import polars as pl
import pytest

from longerlives.columnwise import beside, in_order, parts_by, sorted_by
from longerlives.outputs.core import flags_with_practice
from longerlives.outputs.exports import export_rows
from longerlives.outputs.urgency import urgency_rank
from longerlives.outputs.worklists import NO_TEAM


def _flags(seed: int, n: int = 400) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = [
        {
            "nhs_number": f"{rng.randrange(10):010d}",
            "flag": rng.choice(["phc.bmi", "ecg.annual", "safety.lithium_level", "statin.offer"]),
            "since": None,
            "reason": rng.choice(["no BMI in 12 months", "=cmd", None]),
            "urgency": rng.choice(["routine", "soon", "same_day"]),
        }
        for _ in range(n)
    ]
    return pl.DataFrame(rows, schema_overrides={"since": pl.Date}).unique(["nhs_number", "flag"], maintain_order=True)


def _people(with_person_missing: bool = False) -> pl.DataFrame:
    numbers = [f"{i:010d}" for i in range(10 - int(with_person_missing))]
    return pl.DataFrame(
        {
            "nhs_number": numbers,
            "practice_code": [f"P{i % 3:05d}" for i in range(len(numbers))],
            "core_team": [None if i % 4 == 0 else f"CT{i % 2}" for i in range(len(numbers))],
            "in_scope": [True] * len(numbers),
        }
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_flags_csv_rows_are_the_joined_and_sorted_flags_whatever_order_the_flags_came_in(seed):
    flags, people = _flags(seed), _people()
    expected = (
        flags.join(people.select("nhs_number", "practice_code", "core_team"), on="nhs_number", how="left")
        .select(flags_with_practice(flags, people).columns)
        .sort("nhs_number", "flag")
    )
    assert flags_with_practice(flags, people).equals(expected)
    assert flags_with_practice(flags.sort("nhs_number", "flag"), people).equals(expected)


def test_a_flag_for_a_person_missing_from_the_people_keeps_its_row_with_no_practice():
    flags = _flags(4)
    out = flags_with_practice(flags, _people(with_person_missing=True))
    assert out.height == flags.height  # no flag lost
    missing = out.filter(pl.col("nhs_number") == f"{9:010d}")
    assert missing.height > 0 and missing["practice_code"].is_null().all()


@pytest.mark.parametrize("flags_in_order", [False, True])
def test_practice_export_rows_are_by_practice_then_most_urgent_then_person_and_flag(flags_in_order):
    flags, people = _flags(5), _people()
    if flags_in_order:  # as the run holds them: the export order is then found from one number a flag
        flags = flags.sort("nhs_number", "flag")
    rows = export_rows(flags, people)
    expected = (
        flags.join(people.select("nhs_number", "practice_code", "core_team"), on="nhs_number", how="left")
        .select(rows.columns)
        .sort(pl.col("practice_code"), urgency_rank(pl.col("urgency")), "nhs_number", "flag")
    )
    assert rows.equals(expected)
    first = rows.filter(pl.col("practice_code") == rows["practice_code"][0])
    assert first["urgency"][0] == "same_day"  # a practice reads its same-day flags first


def test_a_side_table_with_two_rows_for_one_person_gives_the_joins_rows_not_a_misaligned_frame():
    frame = pl.DataFrame({"nhs_number": ["1", "2"], "x": [1, 2]})
    doubled = pl.DataFrame({"nhs_number": ["1", "1", "2"], "y": ["a", "b", "c"]})
    out = beside(frame, [doubled])
    assert out.sort("nhs_number", "y").rows() == [("1", 1, "a"), ("1", 1, "b"), ("2", 2, "c")]


def test_a_side_column_named_like_the_frames_own_gets_the_joins_suffix():
    frame = pl.DataFrame({"nhs_number": ["1", "2"], "practice_code": ["A", "B"]})
    side = pl.DataFrame({"nhs_number": ["2", "1"], "practice_code": ["Y", "X"]})
    assert beside(frame, [side]).equals(frame.join(side, on="nhs_number", how="left", maintain_order="left"))


@pytest.mark.parametrize("nulls_last", [False, True])
def test_rows_sorted_a_column_at_a_time_are_the_sorted_rows_nulls_included(nulls_last):
    rng = random.Random(7)
    frame = pl.DataFrame(
        {
            "team": [rng.choice(["A", "B", None]) for _ in range(300)],
            "rank": [rng.choice([1, 2, None]) for _ in range(300)],
            "nhs_number": [f"{i:010d}" for i in rng.sample(range(1000), 300)],
            "plan": [rng.choice(["1. BMI", None]) for _ in range(300)],
        }
    )
    keys = ["team", "rank", "nhs_number"]
    expected = frame.sort(keys, nulls_last=nulls_last)
    assert sorted_by(frame.clone(), keys, nulls_last=nulls_last).equals(expected)


def test_rows_already_in_order_are_returned_as_they_are_not_copied():
    frame = pl.DataFrame({"nhs_number": ["1", "1", "2"], "flag": ["a", "b", "a"]})
    assert sorted_by(frame, ["nhs_number", "flag"]) is frame
    assert frame.width == 2


def test_an_unsorted_frame_handed_over_is_emptied_so_its_rows_are_not_held_twice():
    frame = pl.DataFrame({"nhs_number": ["2", "1"], "flag": ["a", "b"]})
    out = sorted_by(frame, ["nhs_number", "flag"])
    assert out.rows() == [("1", "b"), ("2", "a")]
    assert frame.width == 0


def test_a_row_out_of_order_only_in_the_second_key_is_noticed():
    ordered = pl.DataFrame({"nhs_number": ["1", "1", "2"], "flag": ["a", "b", "a"]})
    swapped = pl.DataFrame({"nhs_number": ["1", "1", "2"], "flag": ["b", "a", "a"]})
    assert in_order(ordered, ["nhs_number", "flag"])
    assert not in_order(swapped, ["nhs_number", "flag"])
    assert not in_order(pl.DataFrame({"nhs_number": [None, "1"], "flag": ["a", "b"]}), ["nhs_number", "flag"])


def test_each_core_teams_rows_are_the_same_whether_the_rows_came_grouped_by_team_or_not():
    rows = pl.DataFrame(
        {
            "team": [NO_TEAM, NO_TEAM, "CT1", "CT1", "CT2"],
            "priority": [1, 2, 1, 2, 1],
            "nhs_number": ["5", "4", "3", "2", "1"],
        }
    )
    grouped = parts_by(rows, "team")
    scattered = parts_by(rows.reverse(), "team")
    assert list(grouped) == [NO_TEAM, "CT1", "CT2"]
    for team, part in grouped.items():
        assert part.sort("priority").equals(scattered[team].sort("priority"))
        assert part["team"].unique().to_list() == [team]


def test_a_repeated_row_is_in_order_but_not_strictly_in_order():
    repeated = pl.DataFrame({"nhs_number": ["1", "1", "2"], "flag": ["a", "a", "b"]})
    assert in_order(repeated, ["nhs_number", "flag"])
    assert not in_order(repeated, ["nhs_number", "flag"], unique=True)
    assert in_order(repeated.unique(maintain_order=True), ["nhs_number", "flag"], unique=True)
