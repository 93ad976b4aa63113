"""Tiny register extracts written to a temporary folder, for the extract tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from longerlives.codelists import load_codelists
from longerlives.extract import read_extract, validate_extract
from longerlives.settings import load_settings

AS_OF = date(2026, 11, 1)

# Valid NHS numbers (modulus 11) in the synthetic range; never real people.
GOOD_NHS = ["9434765919", "9000000009", "9000000017", "9000000025", "9000000033"]


def patient(nhs_number: str = GOOD_NHS[0], **overrides: str) -> dict[str, str]:
    row = {
        "nhs_number": nhs_number,
        "practice_code": "F83004",
        "date_of_birth": "1970-05-01",
        "sex": "female",
        "given_name": "Alex",
        "family_name": "Example",
        "address_line_1": "1 Test Street",
        "postcode": "N1 1AA",
    }
    row.update(overrides)
    return row


def write_table(folder: Path, name: str, rows: list[dict[str, str]], columns: list[str] | None = None) -> None:
    columns = columns or list(dict.fromkeys(k for r in rows for k in r))
    frame = pl.DataFrame({c: [r.get(c) for r in rows] for c in columns}, schema={c: pl.String for c in columns})
    frame.write_csv(folder / f"{name}.csv")


@pytest.fixture(scope="session")
def codelists():
    return load_codelists()


@pytest.fixture(scope="session")
def settings():
    return load_settings()


@pytest.fixture
def make_extract(tmp_path):
    def _make(patients, events=None, **tables):
        folder = tmp_path / "extract"
        folder.mkdir(exist_ok=True)
        write_table(folder, "patients", patients)
        write_table(
            folder, "events", events or [], ["nhs_number", "date", "code", "value", "unit"] if not events else None
        )
        for name, rows in tables.items():
            write_table(folder, name, rows)
        return folder

    return _make


@pytest.fixture
def validate(tmp_path, codelists, settings):
    def _validate(folder: Path, as_of: date = AS_OF):
        raw = read_extract(folder)
        return validate_extract(
            raw, as_of=as_of, settings=settings.extract, codelists=codelists, work_dir=tmp_path / "work"
        )

    return _validate


def reasons(extract, table: str, column: str | None = None) -> list[str]:
    q = extract.quarantine.filter(pl.col("table") == table)
    if column:
        q = q.filter(pl.col("column") == column)
    return q["reason"].to_list()
