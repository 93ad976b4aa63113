"""Property-based fuzzing of the input contract (issue 12).

Random valid register extracts (CSV and Parquet) are mutated by a catalogue of
corruptions. Whatever the corruption:

* reading and validating either succeeds or stops with a ``LongerlivesError`` whose
  exit status is one of the documented ones — never any other exception;
* on success, for every table, rows read = rows used + rows quarantined, and every
  quarantined row number points at a row of the input file;
* through the real command, the exit status is in the documented set and nothing
  prints a traceback.

``make test`` runs 500 examples of the contract property (``LONGERLIVES_FUZZ=slow`` runs
5,000: docs/operations.md).
"""

from __future__ import annotations

import io
import os
import tempfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from longerlives.codelists import load_codelists
from longerlives.errors import EXIT_CODES, LongerlivesError
from longerlives.extract import read_extract, validate_extract
from longerlives.settings import load_settings

AS_OF = date(2026, 11, 1)
SLOW = os.environ.get("LONGERLIVES_FUZZ") == "slow"
CONTRACT_EXAMPLES = 5000 if SLOW else 500
CLI_EXAMPLES = 200 if SLOW else 25
# Synthetic-range NHS numbers that pass modulus 11 (never real people).
NHS = ["9434765919", "9000000009", "9000000017", "9000000025", "9000000033", "9000000041"]
CODES = ["60621009", "271649006", "271650006", "1000731000000107", "77176002"]
TABLES = ("patients", "events", "teams", "practices")

CORRUPTIONS_CSV = (
    "none",
    "latin1_byte",
    "extra_field",
    "missing_field",
    "stray_quote",
    "nul_byte",
    "blank_line",
    "duplicate_header",
    "near_miss_header",
    "truncate_mid_line",
    "empty_file",
    "bom",
    "crlf",
    "formula_cell",
    "long_cell",
    "drop_required_column",
    "garbage_date",
    "header_only",
    "unicode_digits",
    "unterminated_quote_last",
    "unterminated_quote_mid",
    "quoted_newline",
    "quoted_blank_line",
)
CORRUPTIONS_PARQUET = (
    "none",
    "garbage_values",
    "drop_required_column",
    "truncate_bytes",
    "extra_column",
    "all_null_column",
    "near_miss_header",
)

_settings = load_settings()
_codelists = load_codelists()


@st.composite
def extracts(draw: st.DrawFn) -> dict[str, pl.DataFrame]:
    people = draw(st.lists(st.sampled_from(NHS), min_size=1, max_size=6, unique=True))
    patients = pl.DataFrame(
        {
            "nhs_number": people,
            "practice_code": [draw(st.sampled_from(["F83004", "A81001", "Y12345"])) for _ in people],
            "date_of_birth": [draw(st.dates(date(1910, 1, 1), date(2008, 1, 1))).isoformat() for _ in people],
            "sex": [draw(st.sampled_from(["female", "male", "F", "m", "unknown"])) for _ in people],
            "given_name": [draw(st.text("abcdefgh '-", min_size=1, max_size=10)) for _ in people],
            "family_name": ["Example"] * len(people),
            "address_line_1": [draw(st.sampled_from(["1 Test Street", "Flat 2, 3 Road"])) for _ in people],
            "postcode": ["N1 1AA"] * len(people),
            "core_team": [draw(st.sampled_from(["T1", "T2", "a/b", ""])) for _ in people],
        }
    )
    n_events = draw(st.integers(0, 8))
    events = pl.DataFrame(
        {
            "nhs_number": [draw(st.sampled_from(people)) for _ in range(n_events)],
            "date": [draw(st.dates(date(2020, 1, 1), date(2027, 1, 1))).isoformat() for _ in range(n_events)],
            "code": [draw(st.sampled_from(CODES)) for _ in range(n_events)],
            "value": [draw(st.sampled_from(["", "25", "-3.5", "140", "1e3"])) for _ in range(n_events)],
        },
        schema={"nhs_number": pl.String, "date": pl.String, "code": pl.String, "value": pl.String},
    )
    teams = pl.DataFrame({"team_code": ["T1", "T2"], "name": ["Team one", "Team two"]})
    practices = pl.DataFrame({"practice_code": ["F83004", "A81001"], "name": ["P one", "P two"]})
    return {"patients": patients, "events": events, "teams": teams, "practices": practices}


def _corrupt_csv(data: bytes, how: str, pos: int) -> bytes:
    lines = data.split(b"\n")
    body = max(len(lines) - 2, 1)
    i = 1 + pos % body  # a data line (or the header when there is none)
    i = min(i, len(lines) - 1)
    if how == "latin1_byte":
        lines[i] = lines[i][:3] + b"\xe9" + lines[i][3:]
    elif how == "extra_field":
        lines[i] += b",surplus"
    elif how == "missing_field":
        lines[i] = lines[i].rsplit(b",", 1)[0]
    elif how == "stray_quote":
        lines[i] = lines[i][:5] + b'"' + lines[i][5:]
    elif how == "nul_byte":
        lines[i] = lines[i].replace(b",", b",\x00", 1)
    elif how == "blank_line":
        lines.insert(i, b"")
    elif how == "duplicate_header":
        first = lines[0].split(b",")[0]
        lines = [lines[0] + b"," + first] + [ln + b",x" if ln else ln for ln in lines[1:]]
    elif how == "near_miss_header":
        names = lines[0].split(b",")
        names[pos % len(names)] = names[pos % len(names)].upper().replace(b"_", b" ")
        lines[0] = b",".join(names)
    elif how == "truncate_mid_line":
        return data[: max(1, len(data) - 1 - pos % max(1, len(data) // 2))]
    elif how == "empty_file":
        return b""
    elif how == "bom":
        return b"\xef\xbb\xbf" + data
    elif how == "crlf":
        return data.replace(b"\n", b"\r\n")
    elif how == "formula_cell":
        lines[i] = lines[i].replace(b",", b",=1+2", 1)
    elif how == "long_cell":
        lines[i] = lines[i].replace(b",", b"," + b"x" * 5000, 1)
    elif how == "drop_required_column":
        rows = [ln.split(b",") for ln in lines]
        lines = [b",".join(r[1:]) if len(r) > 1 else b"" for r in rows]
    elif how == "garbage_date":
        lines[i] = lines[i].replace(b"20", b"2O", 1)
    elif how == "header_only":
        return lines[0] + b"\n"
    elif how == "unicode_digits":
        lines[i] = lines[i].replace(b"9", "\u0669".encode(), 1)
    elif how == "unterminated_quote_last":
        lines[-2 if len(lines) > 1 else 0] += b',"open'
    elif how == "unterminated_quote_mid":
        lines[i] += b',"open'
    elif how in ("quoted_newline", "quoted_blank_line") and i > 0 and lines[i] and b'"' not in lines[i]:
        # RFC 4180 2.6: a line break inside a quoted field; the row is still ONE row
        prefix, last = lines[i].rsplit(b",", 1) if b"," in lines[i] else (None, lines[i])
        inside = b"\n\n" if how == "quoted_blank_line" else b"\n"
        quoted = b'"' + last + inside + b'second line"'
        lines[i] = quoted if prefix is None else prefix + b"," + quoted
    return b"\n".join(lines)


def _corrupt_parquet(frame: pl.DataFrame, how: str, pos: int) -> pl.DataFrame | bytes:
    if how == "garbage_values" and frame.height:
        col = frame.columns[pos % frame.width]
        values = frame[col].to_list()
        values[pos % frame.height] = ["\x00", "=cmd", "٢٠٢٦", "NaN", "9" * 40][pos % 5]
        return frame.with_columns(pl.Series(col, values, dtype=pl.String))
    if how == "drop_required_column":
        return frame.drop(frame.columns[0])
    if how == "extra_column":
        return frame.with_columns(pl.lit("x").alias("unknown_extra"))
    if how == "all_null_column":
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias(frame.columns[pos % frame.width]))
    if how == "near_miss_header":
        c = frame.columns[pos % frame.width]
        return frame.rename({c: c.upper()})
    if how == "truncate_bytes":
        buf = io.BytesIO()
        frame.write_parquet(buf)
        data = buf.getvalue()
        return data[: max(1, len(data) // 2)]
    return frame


def _write(folder: Path, tables: dict[str, pl.DataFrame], fmt: str, target: str, how: str, pos: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if fmt == "csv":
            data = frame.write_csv().encode("utf-8")
            if name == target:
                data = _corrupt_csv(data, how, pos)
            (folder / f"{name}.csv").write_bytes(data)
        else:
            out = _corrupt_parquet(frame, how, pos) if name == target else frame
            path = folder / f"{name}.parquet"
            if isinstance(out, bytes):
                path.write_bytes(out)
            else:
                out.write_parquet(path)


def _input_rows(folder: Path, name: str, how: str = "none") -> int | None:
    """Rows in the input file, counted independently of the engine (CSV: physical data lines;
    for a quoted line break, RFC 4180 records counted by Python's csv module)."""
    csv = folder / f"{name}.csv"
    if csv.is_file() and how in ("quoted_newline", "quoted_blank_line"):
        import csv as csv_module

        with csv.open(newline="", encoding="utf-8") as fh:
            return max(sum(1 for _ in csv_module.reader(fh)) - 1, 0)
    if csv.is_file():
        lines = csv.read_bytes().split(b"\n")
        if lines and lines[-1] == b"":
            lines = lines[:-1]
        return max(len(lines) - 1, 0)
    return None


corruption = st.one_of(
    st.tuples(st.just("csv"), st.sampled_from(CORRUPTIONS_CSV)),
    st.tuples(st.just("parquet"), st.sampled_from(CORRUPTIONS_PARQUET)),
)


@settings(
    max_examples=CONTRACT_EXAMPLES,
    deadline=None,
    derandomize=not SLOW,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(tables=extracts(), fmt_how=corruption, target=st.sampled_from(TABLES), pos=st.integers(0, 10_000))
def test_any_corrupted_extract_is_read_or_refused_cleanly_and_every_row_is_accounted_for(
    tables: dict[str, pl.DataFrame], fmt_how: tuple[str, str], target: str, pos: int
) -> None:
    fmt, how = fmt_how
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "extract"
        _write(folder, tables, fmt, target, how, pos)
        try:
            raw = read_extract(folder)
            extract = validate_extract(
                raw, as_of=AS_OF, settings=_settings.extract, codelists=_codelists, work_dir=Path(tmp) / "work"
            )
        except LongerlivesError as exc:
            assert exc.exit_code in EXIT_CODES and exc.exit_code != 0
            assert "Traceback" not in str(exc)
            return
        used = {
            "patients": extract.patients.collect().height,
            "events": extract.events.select(pl.len()).collect().item(),
            "teams": extract.teams.height,
            "practices": extract.practices.height,
            "medications": extract.medications.select(pl.len()).collect().item(),
            "encounters": extract.encounters.select(pl.len()).collect().item(),
        }
        for name, n_used in used.items():
            assert extract.rows_read[name] == n_used + extract.rows_quarantined[name], name
            rows = extract.quarantine.filter(pl.col("table") == name)["row"]
            assert rows.is_empty() or (rows.min() >= 1 and rows.max() <= extract.rows_read[name]), name
            expected = _input_rows(folder, name, how if name == target else "none")
            if expected is not None and how not in ("truncate_mid_line",):
                assert extract.rows_read[name] == expected, (name, how)
            if how in ("quoted_newline", "quoted_blank_line"):  # never quarantined as broken lines
                whole = extract.quarantine.filter((pl.col("table") == name) & (pl.col("column") == "(whole row)"))
                assert whole.is_empty(), (name, how, whole.to_dicts())


@pytest.fixture(scope="module")
def _cli_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="ll-fuzz-cli-"))


@settings(
    max_examples=CLI_EXAMPLES,
    deadline=None,
    derandomize=not SLOW,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(tables=extracts(), fmt_how=corruption, target=st.sampled_from(TABLES), pos=st.integers(0, 10_000))
def test_the_command_on_any_corrupted_extract_exits_with_a_documented_status_and_no_traceback(
    tables: dict[str, pl.DataFrame],
    fmt_how: tuple[str, str],
    target: str,
    pos: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from longerlives.cli import main
    from longerlives.store import dispose_all

    fmt, how = fmt_how
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "extract"
        _write(folder, tables, fmt, target, how, pos)
        code = main(
            [
                "run",
                "--extract",
                str(folder),
                "--out",
                str(Path(tmp) / "out"),
                "--as-of",
                AS_OF.isoformat(),
                "--db",
                f"sqlite:///{Path(tmp) / 'runs.sqlite'}",
            ]
        )
        dispose_all()
        captured = capsys.readouterr()
        assert code in EXIT_CODES and code != 70, captured.err
        assert "Traceback" not in captured.err
        if code == 0:
            assert (Path(tmp) / "out" / "run.json").is_file()
