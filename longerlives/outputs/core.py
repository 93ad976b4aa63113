"""flags.csv, patients.csv and quarantine.csv exactly as run-outputs-v2.md names them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl

from longerlives.columnwise import beside, sorted_by
from longerlives.extract.validate import QUARANTINE_COLUMNS
from longerlives.frames import FLAGS_CSV, PATIENTS_CSV
from longerlives.outputs.csvfile import write_csv, write_csv_blocks

# Declared once (longerlives/frames.py), with their dtypes; the contract's column order.
FLAGS_COLUMNS = list(FLAGS_CSV.names)
PATIENTS_COLUMNS = list(PATIENTS_CSV.names)
# Extra columns (allowed: "Columns (at least)") that help the people reading the file.
PATIENTS_EXTRA = [
    "ecg_cohort",
    "qrisk3_townsend_imputed",
    "safety_items",
    "open_flags",
    # the coverage report's denominators (longerlives/report/measures.py)
    "current_smoker",
    "screening_cervical_status",
    "screening_breast_status",
    "screening_bowel_status",
]
# what flags.csv and patients.csv read of the people
PEOPLE_READ = ("nhs_number", "in_scope", "practice_code", "core_team", *PATIENTS_COLUMNS, *PATIENTS_EXTRA)
DISCLAIMER_FILE = "risk-scores-DISCLAIMER.txt"
# Rows of flags.csv and patients.csv made and written at a time (issue 16, memory): the whole file's
# rows at once were a copy of every flag with its practice (320 MB at 600,000 people) held from
# flags.csv to the report, and a sorted copy of every person's patients.csv columns (340 MB).
CSV_BLOCK_ROWS = 100_000


def write_risk_disclaimer(folder: Path) -> Path:
    """ClinRisk's disclaimer, held beside every file that shows a QRISK3/QDiabetes score."""
    from longerlives.risk import CLINRISK_DISCLAIMER
    from longerlives.risk.disclaimer import DISPLAY_LINE

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DISCLAIMER_FILE
    path.write_text(DISPLAY_LINE + "\n\n" + CLINRISK_DISCLAIMER.rstrip() + "\n", encoding="utf-8")
    return path


def flags_with_practice(flags: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """flags.csv rows: each flag with the person's practice and core team, sorted (the whole file's
    rows at once; ``write_flags`` writes them a block at a time)."""
    return pl.concat(list(flags_csv_blocks(flags, people, max(flags.height, 1))))


def flags_csv_blocks(flags: pl.DataFrame, people: pl.DataFrame, rows: int = CSV_BLOCK_ROWS) -> Iterator[pl.DataFrame]:
    """flags.csv's rows ``rows`` at a time, in the file's order (NHS number, then flag); at least one
    block, empty when there are no flags. The flags' own columns are slices of ``flags``, not copies,
    and they are sorted only when they are not in order already (the rules make them in order)."""
    ordered = sorted_by(flags.select(flags.columns), ["nhs_number", "flag"])  # a new frame: ``flags`` kept
    teams = people.select("nhs_number", "practice_code", "core_team")
    for start in range(0, max(ordered.height, 1), rows):
        yield beside(ordered.slice(start, rows), [teams]).select(FLAGS_COLUMNS)


def write_flags(flags: pl.DataFrame, people: pl.DataFrame, out_dir: Path) -> Path:
    """flags.csv: every open flag with its person's practice and core team, a block of rows at a time."""
    from longerlives.crashpoints import crash_point

    path = write_csv_blocks(flags_csv_blocks(flags, people), out_dir / "flags.csv")
    crash_point("outputs.flags_written")
    return path


def patients_csv_blocks(people: pl.DataFrame, rows: int = CSV_BLOCK_ROWS) -> Iterator[pl.DataFrame]:
    """patients.csv's rows (people in scope, NHS-number order) a block of people at a time."""
    cols = PATIENTS_COLUMNS + [c for c in PATIENTS_EXTRA if c in people.columns]
    missing = [c for c in PATIENTS_COLUMNS if c not in people.columns]
    if missing:
        raise RuntimeError(f"patients.csv columns not computed: {missing}")
    # only the written columns (shared, not copied), sorted only when not in order already
    ordered = sorted_by(people.select(list(dict.fromkeys(["in_scope", *cols]))), ["nhs_number"])
    for start in range(0, max(ordered.height, 1), rows):
        yield ordered.slice(start, rows).filter(pl.col("in_scope")).select(cols)


def write_patients(people: pl.DataFrame, out_dir: Path) -> Path:
    return write_csv_blocks(patients_csv_blocks(people), out_dir / "patients.csv", float_precision=1)


def write_quarantine(quarantine: pl.DataFrame, out_dir: Path) -> Path:
    frame = quarantine.select(QUARANTINE_COLUMNS).sort("table", "row", "column")
    return write_csv(frame, out_dir / "quarantine.csv")
