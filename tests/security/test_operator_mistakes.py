"""Issue 12, "Why": each case an operator hit on a bad night, named for its scenario.

Every test runs the real command (a subprocess, as cron would) or the real pipeline
against a small synthetic extract; nothing is mocked.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from longerlives.errors import (
    EXIT_BAD_INPUT,
    EXIT_CONFIG,
    EXIT_DEPENDENCY,
    EXIT_IO,
    EXIT_LOCKED,
    EXIT_STORE,
    EXIT_USAGE,
)
from longerlives.outfolder import MARKER, out_lock
from longerlives.pipeline import run
from tests.security.conftest import AS_OF, REPO, cli, rewrite_csv_column, run_args


def _one_clear_message(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    errors = [line for line in proc.stderr.splitlines() if line.startswith("longerlives: error: ")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


def _nhs_like(text: str) -> bool:
    import re

    return re.search(r"(?<![0-9])9[0-9]{9}(?![0-9])", text) is not None


# -- --out: never delete what longerlives did not make ---------------------------------
def test_out_folder_holding_someones_notes_is_refused_and_left_untouched(extract: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "meeting.txt").write_text("my notes", encoding="utf-8")
    proc = cli(*run_args(extract, notes, tmp_path / "runs.sqlite"))
    assert proc.returncode == EXIT_IO
    assert "not made by longerlives" in _one_clear_message(proc)
    assert [p.name for p in notes.iterdir()] == ["meeting.txt"]


def test_out_equal_to_the_extract_folder_is_refused_and_the_extract_kept(extract: Path, tmp_path: Path) -> None:
    before = sorted(p.name for p in extract.iterdir())
    proc = cli(*run_args(extract, extract, tmp_path / "runs.sqlite"))
    assert proc.returncode == EXIT_IO
    assert "contains it" in _one_clear_message(proc)
    assert sorted(p.name for p in extract.iterdir()) == before


def test_out_that_contains_the_extract_folder_is_refused(extract: Path, tmp_path: Path) -> None:
    proc = cli(*run_args(extract, extract.parent, tmp_path / "runs.sqlite"))
    assert proc.returncode == EXIT_IO
    assert extract.is_dir() and (extract / "patients.csv").is_file()


def test_a_folder_longerlives_made_is_replaced_by_the_next_run(extract: Path, tmp_path: Path) -> None:
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'runs.sqlite'}"
    first = run(extract, out, AS_OF, db_url=db)
    assert (out / MARKER).is_file()
    second = run(extract, out, AS_OF, db_url=db)
    assert json.loads((out / "run.json").read_text())["run_id"] == second.run_id != first.run_id


# -- bad rows never stop a night -------------------------------------------------------
@pytest.mark.parametrize("code", ["f85729", "../../x", "F83\x00379"], ids=["lower-case", "path", "nul-byte"])
def test_malformed_practice_code_is_quarantined_and_the_night_goes_on(extract: Path, tmp_path: Path, code: str) -> None:
    rewrite_csv_column(extract / "patients.csv", "practice_code", {3: code})
    proc = cli(*run_args(extract, tmp_path / "out", tmp_path / "runs.sqlite"))
    assert proc.returncode == 0, proc.stderr
    q = pl.read_csv(tmp_path / "out" / "quarantine.csv", infer_schema=False)
    hit = q.filter((pl.col("table") == "patients") & (pl.col("row") == "3"))
    assert hit["column"].to_list() == ["practice_code"]
    assert not any(p.name.startswith("..") for p in (tmp_path / "out" / "exports").iterdir())
    assert not (tmp_path / "x").exists()


def test_latin1_byte_extra_field_and_stray_quote_are_quarantined_by_line_number(extract: Path, tmp_path: Path) -> None:
    path = extract / "patients.csv"
    lines = path.read_bytes().split(b"\n")
    lines[4] = lines[4].replace(b",", b",\xe9", 1)  # data row 4: a latin-1 byte
    lines[6] = lines[6] + b",surplus"  # data row 6: one field too many
    lines[8] = b'"' + lines[8]  # data row 8: a stray quote
    path.write_bytes(b"\n".join(lines))
    proc = cli(*run_args(extract, tmp_path / "out", tmp_path / "runs.sqlite"))
    assert proc.returncode == 0, proc.stderr
    q = pl.read_csv(tmp_path / "out" / "quarantine.csv", infer_schema=False).filter(pl.col("table") == "patients")
    whole = q.filter(pl.col("column") == "(whole row)")
    assert whole["row"].to_list() == ["4", "6", "8"]
    assert "UTF-8" in whole["reason"][0] and "fields where the header has" in whole["reason"][1]
    assert "quote" in whole["reason"][2]
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["rows_quarantined"]["patients"] >= 3


# -- team codes: collision-free worklists ----------------------------------------------
def test_team_codes_that_clean_to_one_name_and_a_300_character_code_each_get_their_own_worklist(
    extract: Path, tmp_path: Path
) -> None:
    long_code = "T" * 300
    rewrite_csv_column(
        extract / "patients.csv", "core_team", {i: c for i, c in zip(range(1, 61), ["a/b", "a_b", long_code] * 20)}
    )
    out = tmp_path / "out"
    proc = cli(*run_args(extract, out, tmp_path / "runs.sqlite"))
    assert proc.returncode == 0, proc.stderr
    flags = pl.read_csv(out / "flags.csv", infer_schema=False)
    index = pl.read_csv(out / "worklists" / "index.csv", infer_schema=False)
    files = index["file"].to_list()
    assert len(files) == len({f.lower() for f in files})
    on_lists = pl.concat([pl.read_csv(out / f, infer_schema=False).select("nhs_number") for f in files])
    # every person with flags is on exactly one worklist
    assert sorted(on_lists["nhs_number"].to_list()) == sorted(flags["nhs_number"].unique().to_list())
    by_team = dict(zip(index["team_code"].to_list(), index["rows"].to_list()))
    assert {"a/b", "a_b", long_code} <= set(by_team)
    assert all(len(Path(f).name) < 100 for f in files)


# -- header problems are fatal, with a hint --------------------------------------------
def test_duplicate_postcode_column_stops_the_run_naming_both_positions(extract: Path, tmp_path: Path) -> None:
    path = extract / "patients.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    text = [line + ("," + "postcode" if i == 0 else ",ZZ1 1ZZ") for i, line in enumerate(text)]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    proc = cli(*run_args(extract, tmp_path / "out", tmp_path / "runs.sqlite"))
    assert proc.returncode == EXIT_BAD_INPUT
    assert "`postcode` appears twice" in _one_clear_message(proc)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "spelling,meant",
    [
        ("Date_of_death", "date_of_death"),
        ("contact_by_letter ", "contact_by_letter"),
        ("Contact-By-Letter", "contact_by_letter"),
    ],
)
def test_optional_column_in_a_near_miss_spelling_stops_the_run_with_a_hint(
    extract: Path, tmp_path: Path, spelling: str, meant: str
) -> None:
    path = extract / "patients.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    names = lines[0].split(",")
    names[names.index(meant)] = spelling
    lines[0] = ",".join(f'"{n}"' if n != n.strip() else n for n in names)
    path.write_text("\n".join(lines), encoding="utf-8")
    proc = cli(*run_args(extract, tmp_path / "out", tmp_path / "runs.sqlite"))
    assert proc.returncode == EXIT_BAD_INPUT
    message = _one_clear_message(proc)
    assert f"rename it to `{meant}`" in message


# -- CSV injection ----------------------------------------------------------------------
def test_formula_in_a_name_is_neutralised_in_the_worklist_and_negative_numbers_stay_numbers(
    extract: Path, tmp_path: Path
) -> None:
    formula = '=HYPERLINK("http://evil.example","click")'
    rewrite_csv_column(extract / "patients.csv", "given_name", {i: formula for i in range(1, 201)})
    rewrite_csv_column(extract / "patients.csv", "townsend_score", {1: "-3.5"})
    out = tmp_path / "out"
    assert cli(*run_args(extract, out, tmp_path / "runs.sqlite")).returncode == 0
    cells = []
    for path in (out / "worklists").glob("*.csv"):
        if path.name != "index.csv":
            cells += pl.read_csv(path, infer_schema=False)["name"].drop_nulls().to_list()
    assert cells and all(c.startswith("'") or not c.lstrip("'").startswith(("=", "+", "-", "@")) for c in cells)
    assert not any(c.startswith("=") for c in cells)
    # quarantine values are input text too: a hostile value is neutralised there as well
    rewrite_csv_column(extract / "patients.csv", "imd_decile", {2: "@SUM(1+1)"})
    assert cli(*run_args(extract, out, tmp_path / "runs.sqlite")).returncode == 0
    q = pl.read_csv(out / "quarantine.csv", infer_schema=False)
    assert q.filter(pl.col("column") == "imd_decile")["value"].to_list() == ["'@SUM(1+1)"]
    patients = pl.read_csv(out / "patients.csv", infer_schema=False)
    assert all(not v.startswith("'") for v in patients["marginalisation_score"].drop_nulls().to_list())


# -- privacy: 0600 / 0700 whatever the umask --------------------------------------------
def test_outputs_outbox_and_store_are_private_even_with_a_permissive_umask(extract: Path, tmp_path: Path) -> None:
    out, state = tmp_path / "out", tmp_path / "state"
    proc = cli(*run_args(extract, out, state / "runs.sqlite"), umask=0o000)
    assert proc.returncode == 0, proc.stderr
    checked = 0
    for root in (out, state):
        for path in [root, *root.rglob("*")]:
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode & 0o077 == 0, f"{path.relative_to(tmp_path)} is {oct(mode)}"
            checked += 1
    assert (state / "outbox").is_dir() and any((out / "letters").rglob("*.html"))
    assert checked > 50


# -- one clear message, never a traceback ------------------------------------------------
@pytest.mark.parametrize(
    "url,code",
    [
        ("not a url", EXIT_STORE),
        ("postgresql+psycopg://nobody@127.0.0.1:1/none", EXIT_STORE),
        ("mysql+nodriver://x@y/z", EXIT_STORE),
    ],
    ids=["garbage", "unreachable-postgres", "unknown-driver"],
)
def test_bad_or_unreachable_database_is_one_message_with_the_store_exit_code(
    extract: Path, tmp_path: Path, url: str, code: int
) -> None:
    proc = cli(
        "run", "--extract", str(extract), "--out", str(tmp_path / "out"), "--as-of", AS_OF.isoformat(), "--db", url
    )
    assert proc.returncode == code, proc.stderr
    assert "run store" in _one_clear_message(proc)
    assert not (REPO / url).exists() and not (tmp_path / "out").exists()  # nothing made, not even a lock


def _in_namespace(script: str) -> subprocess.CompletedProcess[str]:
    """Run a shell script in a private user+mount namespace (a real tmpfs; no root needed)."""
    return subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        check=False,
        capture_output=True,
        text=True,
        timeout=600,
    )


def _longerlives() -> str:
    import sys

    return f"{sys.executable} -m longerlives"


def test_full_disk_is_one_message_with_the_input_output_exit_code(extract: Path, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    args = " ".join(run_args(extract, disk / "out", tmp_path / "runs.sqlite"))
    proc = _in_namespace(
        f"mount -t tmpfs -o size=300k tmpfs {disk} && cd {Path(__file__).parents[2]} && {_longerlives()} {args}"
    )
    assert proc.returncode == EXIT_IO, proc.stderr
    message = _one_clear_message(proc)
    assert "disk is full" in message
    assert not _nhs_like(message)


def test_read_only_disk_is_one_message_with_the_input_output_exit_code(extract: Path, tmp_path: Path) -> None:
    disk = tmp_path / "ro"
    disk.mkdir()
    args = " ".join(run_args(extract, disk / "out", disk / "runs.sqlite"))
    proc = _in_namespace(
        f"mount -t tmpfs -o ro tmpfs {disk} && cd {Path(__file__).parents[2]} && {_longerlives()} {args}"
    )
    assert proc.returncode in (EXIT_IO, EXIT_STORE), proc.stderr
    assert "read-only" in _one_clear_message(proc)


def test_run_store_on_a_full_device_is_one_message(extract: Path, tmp_path: Path) -> None:
    proc = cli(
        "run",
        "--extract",
        str(extract),
        "--out",
        str(tmp_path / "out"),
        "--as-of",
        AS_OF.isoformat(),
        "--db",
        "sqlite:////dev/full",
    )
    assert proc.returncode in (EXIT_IO, EXIT_STORE), proc.stderr
    _one_clear_message(proc)


def test_config_that_is_a_folder_or_not_utf8_is_one_message(extract: Path, tmp_path: Path) -> None:
    folder = tmp_path / "conf.d"
    folder.mkdir()
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'[letters]\nsignature = "Caf\xe9"\n')
    for config, needle in ((folder, "is a folder"), (latin, "not UTF-8")):
        proc = cli(*run_args(extract, tmp_path / "out", tmp_path / "runs.sqlite"), "--config", str(config))
        assert proc.returncode == EXIT_CONFIG
        assert needle in _one_clear_message(proc)


@pytest.mark.parametrize("as_of", ["0001-01-01", "1026-11-01", "٢٠٢٦-١١-٠١"])
def test_as_of_out_of_range_is_a_usage_error_not_a_traceback(extract: Path, tmp_path: Path, as_of: str) -> None:
    proc = cli(
        "run",
        "--extract",
        str(extract),
        "--out",
        str(tmp_path / "out"),
        "--as-of",
        as_of,
        "--db",
        f"sqlite:///{tmp_path / 'runs.sqlite'}",
    )
    assert proc.returncode == EXIT_USAGE
    _one_clear_message(proc)
    assert not (tmp_path / "out").exists()


def test_missing_pdf_dependency_is_one_message_before_anything_is_written(extract: Path, tmp_path: Path) -> None:
    proc = cli(
        *run_args(extract, tmp_path / "out", tmp_path / "runs.sqlite"),
        "--pdf",
        # --pdf uses Chromium, else WeasyPrint (issue 16): only with neither does it stop
        env={"LONGERLIVES_TEST_PRETEND_MISSING": "weasyprint,chromium"},
    )
    assert proc.returncode == EXIT_DEPENDENCY
    message = _one_clear_message(proc)
    assert "WeasyPrint" in message and "Chromium" in message
    assert not (tmp_path / "out").exists()


def test_debug_option_shows_the_traceback_for_the_developer(extract: Path, tmp_path: Path) -> None:
    proc = cli(
        "--debug",
        "run",
        "--extract",
        str(extract),
        "--out",
        str(tmp_path / "out"),
        "--as-of",
        AS_OF.isoformat(),
        "--db",
        "not a url",
    )
    assert proc.returncode == EXIT_STORE
    assert "Traceback" in proc.stderr


# -- dates -----------------------------------------------------------------------------
def test_future_as_of_is_refused_unless_explicitly_allowed(extract: Path, tmp_path: Path) -> None:
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    base = [
        "run",
        "--extract",
        str(extract),
        "--out",
        str(tmp_path / "out"),
        "--as-of",
        tomorrow,
        "--db",
        f"sqlite:///{tmp_path / 'runs.sqlite'}",
    ]
    refused = cli(*base)
    assert refused.returncode == EXIT_USAGE
    assert "--allow-future-as-of" in _one_clear_message(refused)
    assert not (tmp_path / "runs.sqlite").exists()
    assert cli(*base, "--allow-future-as-of").returncode == 0


def test_stale_extract_is_warned_about_in_the_summary_and_run_json(extract: Path, tmp_path: Path) -> None:
    later = AS_OF + timedelta(days=60)
    proc = cli(*run_args(extract, tmp_path / "out", tmp_path / "runs.sqlite", as_of=later))
    assert proc.returncode == 0, proc.stderr
    assert "may be stale" in proc.stderr
    fresh = json.loads((tmp_path / "out" / "run.json").read_text())["summary"]["extract_freshness"]
    assert fresh["stale"] is True and fresh["days_before_as_of"] >= 60


# -- locks -------------------------------------------------------------------------------
def test_two_runs_into_one_out_folder_with_different_stores_do_not_both_deliver(extract: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with out_lock(out):  # a run in progress into this folder (with its own store)
        proc = cli(*run_args(extract, out, tmp_path / "other-store.sqlite"))
    assert proc.returncode == EXIT_LOCKED
    assert "another run" in _one_clear_message(proc)
    assert not (tmp_path / "other-store.sqlite").exists() or not out.exists()


# -- outcome and history ---------------------------------------------------------------
def _store_with_one_run(extract: Path, tmp_path: Path) -> tuple[str, str, str]:
    db = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    run(extract, tmp_path / "out", AS_OF, db_url=db)
    flags = pl.read_csv(tmp_path / "out" / "flags.csv", infer_schema=False).drop_nulls("core_team")
    return db, flags["nhs_number"][0], flags["core_team"][0]


def test_outcome_with_arabic_indic_digits_is_refused(extract: Path, tmp_path: Path) -> None:
    db, nhs, team = _store_with_one_run(extract, tmp_path)
    arabic = nhs.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    proc = cli("outcome", "record", "--db", db, "--nhs-number", arabic, "--team", team, "--result", "booked")
    assert proc.returncode == EXIT_USAGE
    assert "ASCII" in _one_clear_message(proc)
    ok = cli("outcome", "record", "--db", db, "--nhs-number", nhs, "--team", team, "--result", "booked")
    assert ok.returncode == 0, ok.stderr


def test_outcome_for_an_unknown_team_is_refused(extract: Path, tmp_path: Path) -> None:
    db, nhs, _ = _store_with_one_run(extract, tmp_path)
    proc = cli("outcome", "record", "--db", db, "--nhs-number", nhs, "--team", "NO-SUCH-TEAM", "--result", "booked")
    assert proc.returncode == EXIT_USAGE
    assert "not a core team" in _one_clear_message(proc)


def test_history_and_outcome_on_a_mistyped_store_path_create_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "runz.sqlite"
    hist = cli("history", "--db", f"sqlite:///{typo}")
    outcome = cli(
        "outcome",
        "record",
        "--db",
        f"sqlite:///{typo}",
        "--nhs-number",
        "9434765919",
        "--team",
        "T1",
        "--result",
        "booked",
    )
    for proc in (hist, outcome):
        assert proc.returncode == EXIT_STORE
        assert "no run store" in _one_clear_message(proc)
    assert not typo.exists()


def test_usage_mistake_exits_with_the_usage_code() -> None:
    proc = cli("run", "--extract")
    assert proc.returncode == EXIT_USAGE
    assert "Traceback" not in proc.stderr


def test_error_messages_never_carry_an_nhs_number(extract: Path, tmp_path: Path) -> None:
    db, nhs, team = _store_with_one_run(extract, tmp_path)
    bad = nhs[:9] + str((int(nhs[9]) + 1) % 10)
    proc = cli("outcome", "record", "--db", db, "--nhs-number", bad, "--team", team, "--result", "booked")
    assert proc.returncode == EXIT_USAGE
    assert bad not in proc.stderr and not _nhs_like(proc.stderr)


def test_environment_umask_is_restored_after_a_run_in_process(extract: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        run(extract, tmp_path / "out", AS_OF, db_url=f"sqlite:///{tmp_path / 'runs.sqlite'}")
        assert os.umask(0o022) == 0o022
    finally:
        os.umask(old)
