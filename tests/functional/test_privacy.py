"""Logs carry counts and rule ids, never names, NHS numbers or addresses."""

from __future__ import annotations

import logging

import polars as pl

from longerlives.pipeline import run
from tests.functional.conftest import AS_OF


def test_run_logs_hold_no_nhs_numbers_names_or_postcodes(synth_extract, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    run(synth_extract, tmp_path / "out", AS_OF, db_url=f"sqlite:///{tmp_path / 'runs.sqlite'}")
    text = caplog.text
    assert "stage" in text  # logging really was captured
    patients = pl.read_csv(synth_extract / "patients.csv", infer_schema=False)
    for column in ("nhs_number", "family_name", "postcode", "address_line_1"):
        values = [v for v in patients[column].drop_nulls().unique().to_list() if len(v) >= 5]
        leaked = [v for v in values if v in text]
        assert leaked == [], f"{column} values appear in logs"
