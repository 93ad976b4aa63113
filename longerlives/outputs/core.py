"""flags.csv, patients.csv and quarantine.csv exactly as run-outputs-v2.md names them."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from longerlives.columnwise import beside, sorted_by
from longerlives.extract.validate import QUARANTINE_COLUMNS
from longerlives.frames import FLAGS_CSV, PATIENTS_CSV
from longerlives.outputs.csvfile import write_csv

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
DISCLAIMER_FILE = "risk-scores-DISCLAIMER.txt"


def write_risk_disclaimer(folder: Path) -> Path:
    """ClinRisk's disclaimer, held beside every file that shows a QRISK3/QDiabetes score."""
    from longerlives.risk import CLINRISK_DISCLAIMER
    from longerlives.risk.disclaimer import DISPLAY_LINE

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DISCLAIMER_FILE
    path.write_text(DISPLAY_LINE + "\n\n" + CLINRISK_DISCLAIMER.rstrip() + "\n", encoding="utf-8")
    return path


def flags_with_practice(flags: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """flags.csv rows: each flag with the person's practice and core team, sorted.

    The flags' own columns are shared with ``flags``, not copied, and the rows are sorted only when
    they are not in order already (the rules make them in order; issue 16: two copies of 2.3 million
    flags at 600,000 people)."""
    teams = people.select("nhs_number", "practice_code", "core_team")
    return sorted_by(beside(flags, [teams]).select(FLAGS_COLUMNS), ["nhs_number", "flag"])


def write_flags(flags_out: pl.DataFrame, out_dir: Path) -> Path:
    from longerlives.crashpoints import crash_point

    path = write_csv(flags_out, out_dir / "flags.csv")
    crash_point("outputs.flags_written")
    return path


def write_patients(people: pl.DataFrame, out_dir: Path) -> Path:
    cols = PATIENTS_COLUMNS + [c for c in PATIENTS_EXTRA if c in people.columns]
    missing = [c for c in PATIENTS_COLUMNS if c not in people.columns]
    if missing:
        raise RuntimeError(f"patients.csv columns not computed: {missing}")
    # lazily: only the written columns are filtered, not the whole per-person frame (issue 16)
    frame = people.lazy().filter(pl.col("in_scope")).select(cols).sort("nhs_number").collect()
    return write_csv(frame, out_dir / "patients.csv", float_precision=1)


def write_quarantine(quarantine: pl.DataFrame, out_dir: Path) -> Path:
    frame = quarantine.select(QUARANTINE_COLUMNS).sort("table", "row", "column")
    return write_csv(frame, out_dir / "quarantine.csv")
