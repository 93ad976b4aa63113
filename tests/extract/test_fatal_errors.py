"""Fatal input errors: non-zero exit, one clear message naming file or column,
no traceback, nothing written to the output folder."""

from __future__ import annotations

import polars as pl

from longerlives.cli import main
from tests.extract.conftest import patient, write_table


def _run(capsys, extract, out):
    code = main(["run", "--extract", str(extract), "--out", str(out), "--as-of", "2026-11-01"])
    err = capsys.readouterr().err
    return code, err


def _good_extract(folder):
    folder.mkdir(parents=True, exist_ok=True)
    write_table(folder, "patients", [patient()])
    write_table(
        folder, "events", [{"nhs_number": "9434765919", "date": "2026-01-01", "code": "60621009", "value": "25"}]
    )
    return folder


def _assert_fatal(code, err, out, *needles):
    assert code != 0
    assert "Traceback" not in err
    assert sum(line.startswith("longerlives: error: ") for line in err.splitlines()) == 1
    for n in needles:
        assert n in err
    assert not out.exists()


def test_missing_patients_file_stops_the_run(tmp_path, capsys):
    ext = _good_extract(tmp_path / "x")
    (ext / "patients.csv").unlink()
    code, err = _run(capsys, ext, tmp_path / "out")
    _assert_fatal(code, err, tmp_path / "out", "required table `patients` is missing")


def test_missing_events_file_stops_the_run(tmp_path, capsys):
    ext = _good_extract(tmp_path / "x")
    (ext / "events.csv").unlink()
    code, err = _run(capsys, ext, tmp_path / "out")
    _assert_fatal(code, err, tmp_path / "out", "`events`")


def test_missing_required_column_is_named_with_a_rename_hint(tmp_path, capsys):
    ext = tmp_path / "x"
    ext.mkdir()
    row = patient()
    row["dob"] = row.pop("date_of_birth")
    write_table(ext, "patients", [row])
    write_table(ext, "events", [{"nhs_number": "9434765919", "date": "2026-01-01", "code": "60621009"}])
    code, err = _run(capsys, ext, tmp_path / "out")
    _assert_fatal(code, err, tmp_path / "out", "patients.csv", "`date_of_birth`")


def test_both_csv_and_parquet_for_one_table_stops_the_run(tmp_path, capsys):
    ext = _good_extract(tmp_path / "x")
    pl.read_csv(ext / "events.csv", infer_schema=False).write_parquet(ext / "events.parquet")
    code, err = _run(capsys, ext, tmp_path / "out")
    _assert_fatal(code, err, tmp_path / "out", "events.csv", "events.parquet")


def test_parquet_file_that_cannot_be_read_stops_the_run(tmp_path, capsys):
    ext = _good_extract(tmp_path / "x")
    (ext / "events.csv").unlink()
    (ext / "events.parquet").write_bytes(b"this is not parquet at all")
    code, err = _run(capsys, ext, tmp_path / "out")
    _assert_fatal(code, err, tmp_path / "out", "events.parquet", "cannot be read as Parquet")


def test_csv_with_broken_lines_quarantines_each_line_by_number_and_the_night_goes_on(tmp_path, capsys):
    # Issue 12 changed this: a stray quote, too many fields or a non-UTF-8 byte is a row problem, not a file one.
    ext = _good_extract(tmp_path / "x")
    with (ext / "events.csv").open("ab") as fh:
        fh.write(b'9434765919,"2026-01-01,60621009,25\n9434765919,2026-01-01,1,2,3,4,5,6\n\xff\xfe\n')
    code, err = _run(capsys, ext, tmp_path / "out")
    assert code == 0 and "Traceback" not in err
    q = pl.read_csv(tmp_path / "out" / "quarantine.csv", infer_schema=False).filter(pl.col("table") == "events")
    assert q["row"].to_list() == ["2", "3", "4"]
    reasons = q["reason"].to_list()
    assert "quote" in reasons[0] and "8 fields where the header has" in reasons[1] and "UTF-8" in reasons[2]


def test_empty_patients_file_stops_the_run(tmp_path, capsys):
    ext = _good_extract(tmp_path / "x")
    (ext / "patients.csv").write_text("")
    code, err = _run(capsys, ext, tmp_path / "out")
    _assert_fatal(code, err, tmp_path / "out", "patients.csv", "empty")


def test_missing_extract_folder_stops_the_run(tmp_path, capsys):
    code, err = _run(capsys, tmp_path / "nowhere", tmp_path / "out")
    _assert_fatal(code, err, tmp_path / "out", "extract folder not found")


def test_bad_config_value_names_the_key(tmp_path, capsys):
    ext = _good_extract(tmp_path / "x")
    cfg = tmp_path / "local.toml"
    cfg.write_text("[rules]\nphc_months = 'twelve'\n")
    code = main(
        ["run", "--extract", str(ext), "--out", str(tmp_path / "out"), "--config", str(cfg), "--as-of", "2026-11-01"]
    )
    err = capsys.readouterr().err
    _assert_fatal(code, err, tmp_path / "out", "rules.phc_months")


def test_unknown_config_section_is_rejected(tmp_path, capsys):
    ext = _good_extract(tmp_path / "x")
    cfg = tmp_path / "local.toml"
    cfg.write_text("[rulez]\nphc_months = 12\n")
    code = main(
        ["run", "--extract", str(ext), "--out", str(tmp_path / "out"), "--config", str(cfg), "--as-of", "2026-11-01"]
    )
    err = capsys.readouterr().err
    _assert_fatal(code, err, tmp_path / "out", "rulez")
