"""Between the register's passes each block of people waits in the run's work folder (issue 16,
session 29: workfiles.py): what comes back must be every row and value that went in, of the same
types — a date stays a date, a missing value stays missing, a person's list of flags stays theirs —
and nothing of it may stay behind in the folder once read."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import polars as pl

from longerlives.privacy import private_files
from longerlives.workfiles import wait


def _people() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "nhs_number": ["9990000018", "9990000026", "9990000034"],
            "phc_last_any": [date(2025, 3, 1), None, date(2024, 11, 2)],
            "in_scope": [True, None, False],
            "qrisk3": [12.345678901234, None, 0.1],
            "marginalisation_rank": [1, None, 2],
            "flags": [["phc.bmi", "safety.bp_severe"], [], None],
            "outreach_reasons": ["IMD decile 1; no planned contact", None, "interpreter needed (pl)"],
        },
        schema_overrides={"marginalisation_rank": pl.Int64},
    )


def test_a_block_written_to_the_work_folder_comes_back_value_for_value(tmp_path: Path) -> None:
    people = _people()
    flags = pl.DataFrame({"nhs_number": ["9990000018"], "flag": ["safety.bp_severe"], "since": [date(2025, 6, 1)]})
    block = wait({"people": people, "flags": flags}, tmp_path / "blocks", "block0000")
    assert sorted(p.name for p in (tmp_path / "blocks").iterdir()) == [
        "block0000.flags.parquet",
        "block0000.people.parquet",
    ]
    back = block.take()
    assert back["people"].schema == people.schema and back["people"].equals(people)
    assert back["flags"].equals(flags)
    assert list((tmp_path / "blocks").iterdir()) == []  # read once, then gone


def test_a_block_with_nobody_in_it_keeps_its_columns(tmp_path: Path) -> None:
    empty = _people().clear()
    back = wait({"people": empty}, tmp_path, "block0001").take()["people"]
    assert back.height == 0 and back.schema == empty.schema


def test_a_register_of_one_block_is_held_and_never_written(tmp_path: Path) -> None:
    people = _people()
    block = wait({"people": people}, None, "block0000")
    assert block.take()["people"] is people
    assert list(tmp_path.iterdir()) == []


def test_a_waiting_block_is_readable_by_the_run_alone(tmp_path: Path) -> None:
    @private_files
    def write() -> None:
        wait({"people": _people()}, tmp_path / "blocks", "block0000")

    write()
    (written,) = (tmp_path / "blocks").iterdir()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
