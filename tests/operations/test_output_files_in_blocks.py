"""Issue 16 (session 28): flags.csv and patients.csv are written a block of rows at a time, so the
run never holds a second copy of every flag or every person's columns. What a practice or an
analyst opens must be the very file the whole-frame writer gave: same rows, same order, the same
cells neutralised against spreadsheet formulas, one header."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from longerlives.outputs.core import (
    FLAGS_COLUMNS,
    PATIENTS_COLUMNS,
    flags_csv_blocks,
    patients_csv_blocks,
    write_flags,
    write_patients,
)
from longerlives.outputs.csvfile import write_csv, write_csv_blocks


def _people(n: int = 30, seed: int = 0) -> pl.DataFrame:
    rng = random.Random(seed)
    numbers = [f"{900000000 + i * 7:010d}" for i in range(n)]
    rng.shuffle(numbers)  # not in NHS-number order: the writer must sort
    frame = pl.DataFrame(
        {
            "nhs_number": numbers,
            "practice_code": [f"P{i % 4:05d}" for i in range(n)],
            "core_team": [None if i % 5 == 0 else f"CT{i % 3}" for i in range(n)],
            "in_scope": [i % 3 != 0 for i in range(n)],
        }
    )
    extra = {c: pl.lit(None, dtype=pl.String) for c in PATIENTS_COLUMNS if c not in frame.columns}
    out = frame.with_columns(**extra)
    # a value a spreadsheet would run as a formula, and a line break, in a few people's cells
    name_col = next(c for c in PATIENTS_COLUMNS if c not in frame.columns)
    return out.with_columns(
        pl.when(pl.int_range(pl.len()) == n - 2)
        .then(pl.lit("=HYPERLINK(1)"))
        .when(pl.int_range(pl.len()) == 3)
        .then(pl.lit("two\nlines"))
        .otherwise(pl.col(name_col))
        .alias(name_col)
    )


def _flags(people: pl.DataFrame, seed: int = 1) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for number in people["nhs_number"].to_list():
        for flag in rng.sample(["ecg.annual", "phc.bmi", "safety.lithium_level", "statin.offer"], rng.randrange(4)):
            rows.append(
                {
                    "nhs_number": number,
                    "flag": flag,
                    "since": rng.choice([None, date(2026, 3, 1)]),
                    "reason": rng.choice(["no BMI in 12 months", "+44 ring today", "said\r\nno", None]),
                    "urgency": rng.choice(["routine", "soon", "same_day"]),
                }
            )
    return pl.DataFrame(rows, schema_overrides={"since": pl.Date})


def _whole_flags_file(flags: pl.DataFrame, people: pl.DataFrame, path: Path) -> bytes:
    rows = (
        flags.join(people.select("nhs_number", "practice_code", "core_team"), on="nhs_number", how="left")
        .select(FLAGS_COLUMNS)
        .sort("nhs_number", "flag")
    )
    return write_csv(rows, path).read_bytes()


@pytest.mark.parametrize("rows", [1, 3, 7, 1_000_000])
def test_flags_csv_written_a_few_rows_at_a_time_is_byte_for_byte_the_file_written_whole(tmp_path, rows):
    people = _people()
    flags = _flags(people)
    expected = _whole_flags_file(flags, people, tmp_path / "whole.csv")
    written = write_csv_blocks(flags_csv_blocks(flags, people, rows), tmp_path / "blocks.csv").read_bytes()
    assert written == expected
    assert written.count(b"nhs_number,") == 1  # one header, however many blocks
    assert b",'+44 ring today," in written and b",said no," in written  # neutralised, one row per line


def test_the_run_writes_flags_csv_with_every_flag_once(tmp_path):
    people = _people()
    flags = _flags(people)
    text = write_flags(flags, people, tmp_path).read_text()
    assert len(text.splitlines()) == flags.height + 1
    assert text.encode() == _whole_flags_file(flags, people, tmp_path / "whole.csv")


def test_writing_flags_csv_leaves_the_runs_own_flags_whole_and_in_their_order(tmp_path):
    people = _people()
    flags = _flags(people).sample(fraction=1.0, shuffle=True, seed=3)  # out of order: the writer sorts
    before = flags.clone()
    write_flags(flags, people, tmp_path)
    assert flags.equals(before)  # the exports, the report and the store read them next


def test_no_open_flags_gives_a_flags_csv_with_its_header_only(tmp_path):
    people = _people()
    flags = _flags(people).clear()
    assert write_flags(flags, people, tmp_path).read_text() == ",".join(FLAGS_COLUMNS) + "\n"


@pytest.mark.parametrize("rows", [1, 4, 9, 1_000_000])
def test_patients_csv_in_blocks_lists_people_in_scope_only_in_nhs_number_order_as_written_whole(tmp_path, rows):
    people = _people()
    whole = people.filter(pl.col("in_scope")).select(PATIENTS_COLUMNS).sort("nhs_number")
    expected = write_csv(whole, tmp_path / "whole.csv", float_precision=1).read_bytes()
    written = write_csv_blocks(patients_csv_blocks(people, rows), tmp_path / "blocks.csv", 1).read_bytes()
    assert written == expected
    numbers = [line.split(",")[0] for line in written.decode().splitlines()[1:]]
    assert numbers == sorted(people.filter(pl.col("in_scope"))["nhs_number"].to_list())


def test_a_first_block_with_nobody_in_scope_still_gives_the_header_first_and_once(tmp_path):
    people = _people().sort("nhs_number").with_columns(pl.col("in_scope") & (pl.int_range(pl.len()) >= 5))
    written = write_csv_blocks(patients_csv_blocks(people, 5), tmp_path / "b.csv", 1).read_text().splitlines()
    assert written[0] == ",".join(PATIENTS_COLUMNS)
    assert sum(line.startswith("nhs_number,") for line in written) == 1
    assert len(written) == 1 + int(people["in_scope"].sum())


def test_nobody_in_scope_gives_a_patients_csv_with_its_header_only(tmp_path):
    people = _people().with_columns(pl.lit(False).alias("in_scope"))
    assert write_patients(people, tmp_path).read_text().splitlines() == [",".join(PATIENTS_COLUMNS)]
