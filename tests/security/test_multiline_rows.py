"""Issue 12: a quoted CSV field may span lines (RFC 4180 2.6) — an address typed over two
lines in a spreadsheet is ONE patient, not two broken lines in the quarantine — while a
quote nothing closes is still quarantined, with its line number, and reading goes on.
Row numbers in quarantine.csv stay the 1-based data-row number of the input file."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from longerlives.codelists import load_codelists
from longerlives.extract import read_extract, validate_extract
from longerlives.extract.validate import Extract
from longerlives.settings import load_settings
from tests.security.conftest import AS_OF, cli, run_args

_settings = load_settings()


def _validate(extract: Path, work: Path, max_lines_per_row: int | None = None) -> Extract:
    settings = _settings.extract
    if max_lines_per_row is not None:
        settings = settings.model_copy(update={"max_lines_per_row": max_lines_per_row})
    return validate_extract(
        read_extract(extract), as_of=AS_OF, settings=settings, codelists=load_codelists(), work_dir=work
    )


def _edit_patients(extract: Path, edits: dict[int, str]) -> list[str]:
    """Replace whole data lines (1-based data row = line number minus the header); returns the NHS numbers."""
    path = extract / "patients.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    nhs = [ln.split(",", 1)[0] for ln in lines[1:] if ln]
    for row, text in edits.items():
        lines[row] = text
    path.write_text("\n".join(lines), encoding="utf-8")
    return nhs


def _line(extract: Path, row: int) -> str:
    return (extract / "patients.csv").read_text(encoding="utf-8").split("\n")[row]


def _with_address(line: str, address: str) -> str:
    """The patients line with address_line_1 (column 12) replaced by a quoted value."""
    import csv
    import io

    fields = next(csv.reader(io.StringIO(line)))
    fields[11] = address
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)  # quotes the field holding a line break
    return out.getvalue().removesuffix("\n")


def test_address_typed_over_two_lines_is_one_patient_not_two_quarantined_lines(extract: Path, tmp_path: Path) -> None:
    row3 = _with_address(_line(extract, 3), "Flat 2\n3 Church Road")
    nhs = _edit_patients(extract, {3: row3})
    found = _validate(extract, tmp_path / "work")
    whole = found.quarantine.filter((pl.col("table") == "patients") & (pl.col("column") == "(whole row)"))
    assert whole.is_empty()
    person = found.patients.collect().filter(pl.col("nhs_number") == nhs[2])
    assert person["address_line_1"].to_list() == ["Flat 2\n3 Church Road"]
    assert found.rows_read["patients"] == len(nhs)  # one row per patient, not one per line


def test_rows_after_a_row_spanning_lines_keep_their_data_row_number(extract: Path, tmp_path: Path) -> None:
    spanning = _with_address(_line(extract, 3), "Flat 2\n\n3 Church Road")  # three lines, a blank one inside
    bad_practice = _line(extract, 9).replace(_line(extract, 9).split(",")[1], "f85729", 1)  # data row 9
    _edit_patients(extract, {3: spanning, 9: bad_practice})
    found = _validate(extract, tmp_path / "work")
    q = found.quarantine.filter(pl.col("table") == "patients")
    assert q.filter(pl.col("column") == "practice_code")["row"].to_list() == [9]  # data row 9, file line 12
    assert q.filter(pl.col("column") == "(whole row)").is_empty()


def test_unterminated_quote_is_quarantined_with_its_line_number_and_the_next_rows_are_read(
    extract: Path, tmp_path: Path
) -> None:
    spanning = _with_address(_line(extract, 3), "Flat 2\n3 Church Road")
    nhs = _edit_patients(extract, {3: spanning, 7: _line(extract, 7) + ',"never closed'})
    found = _validate(extract, tmp_path / "work")
    whole = found.quarantine.filter((pl.col("table") == "patients") & (pl.col("column") == "(whole row)"))
    assert whole["row"].to_list() == [7]  # the data-row number
    assert "quote" in whole["reason"][0] and "(line 9 of the file)" in whole["reason"][0]  # header + 1 extra line
    kept = set(found.patients.collect()["nhs_number"])
    assert nhs[6] not in kept and nhs[7] in kept  # the broken row only; the next row is read
    assert found.rows_read["patients"] == len(nhs)


def test_quote_left_open_longer_than_the_limit_is_a_stray_quote(extract: Path, tmp_path: Path) -> None:
    # the last field of data row k opens a quote that the line of data row k+3 closes: 4 lines
    # (the two rows between hold no quote of their own, so the four lines make one valid row)
    k = next(r for r in range(1, 150) if not any('"' in _line(extract, r + i) for i in (1, 2)))
    prefix = _line(extract, k).rsplit(",", 1)[0]
    nhs = _edit_patients(extract, {k: prefix + ',"BARCT001', k + 3: 'end"'})
    within = _validate(extract, tmp_path / "w4", max_lines_per_row=4)
    whole = within.quarantine.filter((pl.col("table") == "patients") & (pl.col("column") == "(whole row)"))
    assert whole.is_empty()  # read as one row of four lines (its team code then fails its own check)
    assert within.rows_read["patients"] == len(nhs) - 3

    beyond = _validate(extract, tmp_path / "w3", max_lines_per_row=3)
    whole = beyond.quarantine.filter((pl.col("table") == "patients") & (pl.col("column") == "(whole row)"))
    assert whole["row"].to_list() == [k, k + 3]  # a quote nothing closes in time: stray, and reading goes on
    assert {nhs[k], nhs[k + 1]} <= set(beyond.patients.collect()["nhs_number"])


def test_quarantine_csv_of_a_run_names_the_data_row_after_a_multiline_address(extract: Path, tmp_path: Path) -> None:
    spanning = _with_address(_line(extract, 2), "Flat 2\n3 Church Road")
    _edit_patients(extract, {2: spanning, 5: _line(extract, 5) + ",surplus"})
    proc = cli(*run_args(extract, tmp_path / "out", tmp_path / "runs.sqlite"))
    assert proc.returncode == 0, proc.stderr
    q = pl.read_csv(tmp_path / "out" / "quarantine.csv", infer_schema=False).filter(pl.col("table") == "patients")
    whole = q.filter(pl.col("column") == "(whole row)")
    assert whole["row"].to_list() == ["5"]
    assert "(line 7 of the file)" in whole["reason"][0]


def test_a_line_break_from_the_input_never_splits_a_row_of_an_output_csv(extract: Path, tmp_path: Path) -> None:
    line = _line(extract, 4)
    team_over_two_lines = line.rsplit(",", 1)[0] + ',"BARCT001\nsecond line"'  # quarantined with its value
    _edit_patients(extract, {2: _with_address(_line(extract, 2), "Flat 2\n3 Church Road"), 4: team_over_two_lines})
    proc = cli(*run_args(extract, tmp_path / "out", tmp_path / "runs.sqlite"))
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    q = pl.read_csv(out / "quarantine.csv", infer_schema=False)
    assert q.filter(pl.col("value").str.contains("second line")).height == 1  # kept, on one line
    for path in out.rglob("*.csv"):
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) == pl.read_csv(path, infer_schema=False).height + 1, path
