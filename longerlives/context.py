"""What one run carries from stage to stage (data flows one way through it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from longerlives.codelists import Codelist
from longerlives.extract.validate import Extract
from longerlives.settings import Settings


@dataclass
class RunContext:
    run_id: str
    as_of: date
    settings: Settings
    codelists: dict[str, Codelist]
    extract_dir: Path
    out_dir: Path  # final output folder
    staging: Path  # where this run writes; moved to out_dir when complete
    db_url: str
    engine_version: str
    make_pdf: bool = False
    extract: Extract | None = None
    people: pl.DataFrame | None = None  # one row per valid patient: features, risk, outreach
    flags: pl.DataFrame | None = None  # nhs_number, flag, since, reason (open flags, in scope)
    plans: pl.DataFrame | None = None  # engagement plans, one row per person with open flags
    last_letters: pl.DataFrame | None = None  # from the run store: nhs_number, last_letter, last_letter_flags
    letters_index: pl.DataFrame | None = None
    letter_decisions: pl.DataFrame | None = None  # who gets a letter and why not (set by the letters stage)
    outcomes: pl.DataFrame | None = None  # from the run store: nhs_number, last_outcome, last_outcome_date
    worklist_rows: pl.DataFrame | None = None  # the worklist files' rows (the store keeps them for the web app)
    input_hashes: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    memory: dict[str, float] = field(default_factory=dict)  # peak RSS (MB) after each stage
    summary: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
