"""One nightly run over a synthetic register leaves exactly the contract's files."""

from __future__ import annotations

import json

import polars as pl

from longerlives.pipeline import run
from tests.functional.conftest import AS_OF


def test_run_writes_contract_files_with_contract_columns(full_run):
    out, _ = full_run
    flags = pl.read_csv(out / "flags.csv", infer_schema=False)
    assert flags.columns == ["nhs_number", "practice_code", "core_team", "flag", "since", "reason", "urgency"]
    assert set(flags["urgency"]) <= {"same_day", "soon", "routine"}
    safety = flags.filter(pl.col("flag").str.starts_with("safety."))
    assert safety.height > 0 and set(safety["urgency"]) <= {"same_day", "soon"}  # run-outputs-v2: never routine
    assert set(flags.filter(~pl.col("flag").str.starts_with("safety."))["urgency"]) == {"routine"}
    patients = pl.read_csv(out / "patients.csv", infer_schema=False)
    assert patients.columns[:19] == [
        "nhs_number",
        "practice_code",
        "core_team",
        "age",
        "sex",
        "ethnic_category",
        "imd_decile",
        "qof_mh_register",
        "health_check_cohort",
        "phc_elements_done",
        "qrisk3",
        "qrisk3_missing",
        "qdiabetes",
        "qdiabetes_model",
        "marginalisation_score",
        "marginalisation_rank",
        "outreach",
        "outreach_strict",
        "outreach_reasons",
    ]
    q = pl.read_csv(out / "quarantine.csv", infer_schema=False)
    assert q.columns == ["table", "row", "column", "value", "reason"]


def test_flags_are_sorted_and_every_flag_has_a_reason(full_run):
    out, _ = full_run
    flags = pl.read_csv(out / "flags.csv", infer_schema=False)
    assert flags.height > 0
    assert (
        flags.select("nhs_number", "flag").rows()
        == flags.sort("nhs_number", "flag").select("nhs_number", "flag").rows()
    )
    assert flags["reason"].null_count() == 0


def test_only_people_in_scope_are_flagged(full_run):
    out, _ = full_run
    flags = pl.read_csv(out / "flags.csv", infer_schema=False)
    patients = pl.read_csv(out / "patients.csv", infer_schema=False)
    assert set(flags["nhs_number"]) <= set(patients["nhs_number"])
    assert patients["age"].cast(pl.Int64).min() >= 18


def test_run_json_records_what_the_run_read_and_how_long_it_took(full_run):
    out, report = full_run
    record = json.loads((out / "run.json").read_text())
    assert record["run_id"] == report.run_id
    assert record["as_of"] == AS_OF.isoformat()
    assert set(record["input_files"]) >= {"patients", "events"}
    assert all(len(h) == 64 for h in record["input_files"].values())
    assert record["rows_read"]["patients"] == 1500 + record["rows_read"]["patients"] - 1500
    assert record["rows_quarantined"]["events"] > 0
    assert {"validate", "features", "risk", "rules", "outputs"} <= set(record["stage_seconds"])
    assert len(record["config_hash"]) == 64


def test_same_input_twice_gives_byte_identical_csv_files(full_run, synth_extract, tmp_path):
    out, _ = full_run
    again = tmp_path / "again"
    run(synth_extract, again, AS_OF, db_url=f"sqlite:///{tmp_path / 'other.sqlite'}")
    for name in ("flags.csv", "patients.csv", "quarantine.csv"):
        assert (out / name).read_bytes() == (again / name).read_bytes(), name


def test_quarantined_rows_plus_used_rows_cover_the_whole_extract(full_run, synth_extract):
    out, _ = full_run
    record = json.loads((out / "run.json").read_text())
    q = pl.read_csv(out / "quarantine.csv", infer_schema=False)
    for table, n in record["rows_quarantined"].items():
        assert q.filter(pl.col("table") == table)["row"].n_unique() == n


def test_clinrisk_disclaimer_is_held_beside_every_file_showing_a_score(full_run):
    out, _ = full_run
    text = (out / "risk-scores-DISCLAIMER.txt").read_text()
    assert "QRISK3-2017 algorithm (open-source implementation)" in text
    assert (
        "Inaccurate implementations of risk scores can lead to wrong patients being given the wrong treatment" in text
    )
    for practice in (out / "exports").iterdir():
        flags = (practice / "flags.csv").read_text()
        if "QRISK3-2017" in flags or "QDiabetes-2018" in flags:
            assert (practice / "risk-scores-DISCLAIMER.txt").exists()
