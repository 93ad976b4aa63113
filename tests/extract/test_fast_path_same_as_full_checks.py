"""Issue 16: the validation fast path never changes what is kept or quarantined.

Clean rows of events, medicines and contacts are accepted by exact tests on the raw
cell (longerlives/extract/fastpath.py); every other row gets the full checks. These
tests validate the same awkward extracts twice — as the nightly run does, and with the
fast path switched off so every row gets the full checks — and compare the clean
tables and the quarantine row for row.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

import longerlives.extract.validate as validate_module
from longerlives.synth.generator import generate
from tests.extract.conftest import AS_OF, GOOD_NHS, patient

# Cells a practice system really sends: padded, differently spelled, or wrong.
AWKWARD_DATES = ["2026-06-01", " 2026-06-01", "2026-06-01 ", "2026-6-1", "2026-13-01", "01/06/2026", "", "2027-01-01"]
AWKWARD_VALUES = [None, "", "25", " 25", "25 ", "2.5e1", "1e400", "nan", "inf", "twenty", "-0", "900"]
AWKWARD_NHS = [GOOD_NHS[0], f" {GOOD_NHS[0]}", "943 476 5919", "943-476-5919", GOOD_NHS[1], "12345", ""]
AWKWARD_SERVICES = ["gp", "GP", "Gp ", "crisis", "crisis_team", "", "ed"]
AWKWARD_ATTENDED = ["true", "True", "TRUE", "yes", "Y", " t", "0", "no ", "maybe", ""]


def _collected(extract) -> dict[str, object]:
    """What validation hands on, read now (the clean tables are lazy over work files)."""
    tables = {name: getattr(extract, name).collect() for name in ("events", "medications", "encounters")}
    return {
        **{name: frame.sort(frame.columns, nulls_last=True) for name, frame in tables.items()},
        "quarantine": extract.quarantine,
        "rows_read": extract.rows_read,
        "rows_quarantined": extract.rows_quarantined,
        "latest_event": extract.latest_event,
    }


def _both_ways(folder, validate, monkeypatch):
    fast = _collected(validate(folder))
    with monkeypatch.context() as m:
        m.setattr(validate_module, "fast_columns", lambda *args, **kwargs: None)
        full = _collected(validate(folder))
    return fast, full


def _same(fast, full) -> None:
    for name in ("events", "medications", "encounters", "quarantine"):
        assert fast[name].schema == full[name].schema, name
        assert fast[name].equals(full[name]), name
    for key in ("rows_read", "rows_quarantined", "latest_event"):
        assert fast[key] == full[key], key


def test_awkward_cells_are_kept_or_quarantined_exactly_as_by_the_full_checks(
    make_extract, validate, codelists, monkeypatch
):
    bmi, sbp = codelists["bmi"].codes[0], codelists["systolic_bp"].codes[0]
    events = [
        {"nhs_number": nhs, "date": d, "code": code, "value": v, "unit": " kg/m2 " if v else None}
        for nhs in AWKWARD_NHS
        for d in AWKWARD_DATES
        for code, v in [(bmi, v) for v in AWKWARD_VALUES] + [(sbp, "130"), ("12AB", "1"), (" 1234567", None)]
    ]
    medications = [
        {"nhs_number": nhs, "date": d, "bnf_code": bnf, "dmd_code": " 123 ", "name": ""}
        for nhs in AWKWARD_NHS
        for d in AWKWARD_DATES
        for bnf in ["0402010J0AAAAAA", " 0402010J0", "04-02", ""]
    ]
    encounters = [
        {"nhs_number": GOOD_NHS[0], "date": d, "service": s, "attended": a}
        for d in AWKWARD_DATES
        for s in AWKWARD_SERVICES
        for a in AWKWARD_ATTENDED
    ]
    folder = make_extract(
        [patient(), patient(GOOD_NHS[1], sex="X")], events, medications=medications, encounters=encounters
    )
    fast, full = _both_ways(folder, validate, monkeypatch)
    _same(fast, full)
    # and the awkward cells did reach both paths: some rows kept, some quarantined, in every table
    for name in ("events", "medications", "encounters"):
        assert fast[name].height > 0
        assert fast["rows_quarantined"][name] > 0


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_synthetic_nights_extract_validates_the_same_both_ways(tmp_path, validate, monkeypatch, fmt):
    folder = tmp_path / f"synth-{fmt}"
    generate(300, 11, folder, fmt, bad_row_share=0.05, as_of=AS_OF)
    fast, full = _both_ways(folder, validate, monkeypatch)
    _same(fast, full)
    assert sum(fast["rows_quarantined"].values()) > 0


def test_typed_parquet_dates_and_numbers_take_the_fast_path_unchanged(tmp_path, validate, monkeypatch, codelists):
    folder = tmp_path / "typed"
    folder.mkdir()
    pl.DataFrame([patient()]).write_parquet(folder / "patients.parquet")
    bmi = codelists["bmi"].codes[0]
    pl.DataFrame(
        {
            "nhs_number": [GOOD_NHS[0]] * 4,
            "date": [date(2026, 6, 1), None, date(2026, 7, 1), date(2027, 1, 1)],
            "code": [bmi] * 4,
            "value": [25.0, 26.0, None, float("nan")],
        }
    ).write_parquet(folder / "events.parquet")
    fast, full = _both_ways(folder, validate, monkeypatch)
    _same(fast, full)
    assert fast["events"]["value"].to_list() == [25.0, None]
    assert fast["latest_event"] == date(2026, 7, 1)


def test_no_29_february_outside_a_leap_year_and_every_date_read_as_polars_cached_parse_reads_it():
    """Issue 16 (session 19): dates are parsed without Polars' cache of parsed strings (faster);
    the dates read, and the cells that are not dates, are exactly those of the cached parse."""
    from longerlives.extract.checks import iso_date

    cells = [*AWKWARD_DATES, "2023-02-29", "2024-02-29", "1900-02-29", "2000-02-29", "2026-04-31", None]
    frame = pl.DataFrame({"cell": cells}, schema={"cell": pl.String})
    read = frame.select(iso_date(pl.col("cell")))["cell"].to_list()
    cached = frame.select(pl.col("cell").str.to_date("%Y-%m-%d", strict=False, cache=True))["cell"].to_list()
    assert read == cached
    by_cell = dict(zip(cells, read, strict=True))
    assert by_cell["2026-06-01"] == date(2026, 6, 1)
    assert by_cell["2024-02-29"] == date(2024, 2, 29) and by_cell["2000-02-29"] == date(2000, 2, 29)
    assert by_cell["2023-02-29"] is None and by_cell["1900-02-29"] is None and by_cell["2026-04-31"] is None
    assert by_cell["2026-13-01"] is None and by_cell["01/06/2026"] is None
