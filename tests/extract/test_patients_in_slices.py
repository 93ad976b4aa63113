"""The patients checked, and written in NHS-number order, a slice of rows at a time (issue 16, session 35:
``extract.check_slice_rows``). Polars decodes a Parquet row group whole when every column of it is checked
in one pass, so 600,000 patients in row groups of 500,000 held 611 MB; a slice reads only its own rows.
A practice or a clinician must not be able to tell the slices' size: the same patients are valid, in the
same order, and the same rows are quarantined with the same reasons — a copied NHS number is found in
whichever slices its copies fall."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from longerlives.codelists import load_codelists
from longerlives.extract import read_extract, validate_extract
from longerlives.settings import load_settings
from longerlives.synth import generate

AS_OF = date(2026, 11, 1)
SLICE = 7  # about 45 slices of the patients


@pytest.fixture(scope="module")
def extract_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic register with a few bad rows, and one patient's row copied to the end of the file (the
    two copies many slices apart)."""
    folder = tmp_path_factory.mktemp("slices") / "extract"
    generate(300, 5, folder, "parquet", 0.02, AS_OF)
    patients = pl.read_parquet(folder / "patients.parquet")
    copied = patients.slice(3, 1)
    pl.concat([patients, copied]).write_parquet(folder / "patients.parquet", row_group_size=200)
    return folder


def _validated(extract_dir: Path, work: Path, slice_rows: int | None):
    settings = load_settings(None).extract
    if slice_rows is not None:
        settings = settings.model_copy(update={"check_slice_rows": slice_rows})
    raw = read_extract(extract_dir)
    return validate_extract(raw, as_of=AS_OF, settings=settings, codelists=load_codelists(), work_dir=work)


def test_patients_checked_in_slices_are_the_same_valid_patients_and_quarantine_as_in_one_pass(extract_dir, tmp_path):
    whole = _validated(extract_dir, tmp_path / "whole", None)
    sliced = _validated(extract_dir, tmp_path / "sliced", SLICE)
    rows = whole.rows_read["patients"]
    assert rows > 10 * SLICE  # many slices
    assert len(list((tmp_path / "sliced").glob("patients.checked.*.parquet"))) == -(-rows // SLICE)
    assert sliced.patients.collect().equals(whole.patients.collect())
    assert sliced.quarantine.equals(whole.quarantine)
    assert sliced.rows_read == whole.rows_read and sliced.rows_quarantined == whole.rows_quarantined
    assert whole.rows_quarantined["patients"] > 2  # bad rows as well as the copies


def test_an_nhs_number_copied_into_another_slice_quarantines_every_copy(extract_dir, tmp_path):
    sliced = _validated(extract_dir, tmp_path / "sliced", SLICE)
    copied = sliced.quarantine.filter(
        (pl.col("table") == "patients") & pl.col("reason").str.contains("appears 2 times in patients")
    )
    rows = sorted(copied["row"].to_list())
    assert rows[0] == 4 and rows[-1] == sliced.rows_read["patients"]  # the 4th row and its copy at the end
    assert rows[-1] - rows[0] > SLICE  # in different slices
    numbers = sliced.patients.collect()["nhs_number"]
    assert copied["value"].is_in(numbers.implode()).sum() == 0  # neither copy is a valid patient


def test_the_valid_patients_are_written_in_nhs_number_order_a_range_at_a_time(extract_dir, tmp_path):
    sliced = _validated(extract_dir, tmp_path / "sliced", SLICE)
    files = sorted((tmp_path / "sliced").glob("patients.valid.*/*.parquet"))
    parts = [pl.read_parquet(f)["nhs_number"] for f in files]
    assert len(parts) > 10 and max(p.len() for p in parts) <= SLICE
    assert all(p.is_sorted() for p in parts)
    assert all(a.max() < b.min() for a, b in zip(parts, parts[1:], strict=False))  # ranges one after another
    numbers = sliced.patients.collect()["nhs_number"]
    assert numbers.to_list() == pl.concat(parts).to_list() and numbers.is_sorted()


def test_a_clinical_table_without_its_fast_path_is_checked_in_one_pass_not_in_slices(tmp_path):
    """Only the patients are checked a slice at a time: a clinical table that lost its fast path (here the
    contacts' attendance given as numbers) is checked in one pass, whatever its size — 33 million contacts in
    slices of 100,000 rows would be 333 queries, and a CSV slice is found by reading the file from its start.
    Every row is still checked and the same rows quarantined."""
    folder = tmp_path / "extract"
    generate(200, 3, folder, "parquet", 0.02, AS_OF)
    contacts = pl.read_parquet(folder / "encounters.parquet")
    numbers = contacts.with_columns(
        pl.col("attended").replace_strict({"true": 1, "false": 0}, default=None, return_dtype=pl.Int64)
    )
    numbers.write_parquet(folder / "encounters.parquet")
    sliced = _validated(folder, tmp_path / "work", SLICE)
    assert sliced.rows_read["encounters"] == contacts.height > 10 * SLICE
    assert (tmp_path / "work" / "encounters.checked.parquet").exists()  # one pass: one work file
    assert not list((tmp_path / "work").glob("encounters.checked.0*.parquet"))
    assert len(list((tmp_path / "work").glob("patients.checked.*.parquet"))) > 1  # the patients in slices
    whole = _validated(folder, tmp_path / "whole", None)
    assert sliced.quarantine.equals(whole.quarantine)
    assert sliced.encounters.collect().equals(whole.encounters.collect())
