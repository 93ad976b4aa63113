"""The pipeline hands the report only the patients columns it reads (issue 16): the report
files are the same bytes as when it is given every column of patients.csv."""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.report.write import report_columns, report_flags, write_report
from longerlives.settings import load_settings


def test_report_from_its_columns_alone_is_byte_identical_to_the_report_from_every_column(full_run, tmp_path):
    out, report = full_run
    settings = load_settings().report
    patients = pl.read_csv(out / "patients.csv", infer_schema=False)
    flags = pl.read_csv(out / "flags.csv", infer_schema=False)
    earlier = pl.DataFrame(
        schema={"as_of": pl.Date, "measure": pl.String, "numerator": pl.Int64, "denominator": pl.Int64}
    )
    kept = report_columns(settings)
    assert set(kept) < set(patients.columns)  # all of them published in patients.csv (the run has ~450 in memory)
    every = tmp_path / "every"
    some = tmp_path / "some"
    for folder, frame in ((every, patients), (some, patients.select(kept))):
        write_report(folder, frame, flags, earlier, as_of=date(2026, 11, 1), settings=settings, run_id=report.run_id)
    for name in ("coverage.csv", "index.html"):
        assert (some / "report" / name).read_bytes() == (every / "report" / name).read_bytes()
    assert (every / "report" / "coverage.csv").read_bytes() == (out / "report" / "coverage.csv").read_bytes()


def test_report_from_the_flags_it_reads_alone_is_byte_identical_to_the_report_from_every_flag(full_run, tmp_path):
    """Issue 16 (session 35): the pipeline hands the report only the open flags it reads — each coverage
    measure's flag and the safety flags — not everybody's (about half of them at 600,000 people). A programme
    lead's report must be the same bytes either way."""
    out, report = full_run
    settings = load_settings().report
    patients = pl.read_csv(out / "patients.csv", infer_schema=False).select(report_columns(settings))
    flags = pl.read_csv(out / "flags.csv", infer_schema=False)
    earlier = pl.DataFrame(
        schema={"as_of": pl.Date, "measure": pl.String, "numerator": pl.Int64, "denominator": pl.Int64}
    )
    read = flags.filter(report_flags(settings))
    assert 0 < read.height < flags.height  # some flags are read by no measure (follow-ups, risk, outreach)
    assert read["flag"].str.starts_with("safety.").any() and read["flag"].str.starts_with("phc.").any()
    every, some = tmp_path / "every", tmp_path / "some"
    for folder, frame in ((every, flags), (some, read)):
        write_report(folder, patients, frame, earlier, as_of=date(2026, 11, 1), settings=settings, run_id=report.run_id)
    for name in ("coverage.csv", "index.html"):
        assert (some / "report" / name).read_bytes() == (every / "report" / name).read_bytes()
    assert (some / "report" / "coverage.csv").read_bytes() == (out / "report" / "coverage.csv").read_bytes()
