"""Shared helpers for the risk tests: settings, reference data, features frames."""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from typing import Any

import polars as pl
import pytest

from longerlives.paths import CONFIG_DIR
from longerlives.risk.inputs import required_feature_columns
from longerlives.settings.risk import RiskSettings
from tests.shared_refs import REFERENCE_DIR  # noqa: F401 - re-exported to the parity tests (../shared)

AS_OF = date(2025, 6, 30)


def load_risk_settings(**overrides: Any) -> RiskSettings:
    with (CONFIG_DIR / "risk.toml").open("rb") as fh:
        data = tomllib.load(fh)
    with (CONFIG_DIR / "extract.toml").open("rb") as fh:
        data["plausible"] = tomllib.load(fh)["plausible"]  # the one plausibility table
    for key, value in overrides.items():
        section, _, field = key.partition("__")
        if field:
            data[section] = {**data[section], field: value}
        else:
            data[section] = value
    return RiskSettings.model_validate(data)


@pytest.fixture(scope="session")
def risk_settings() -> RiskSettings:
    return load_risk_settings()


def days_ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


def _dtype(column: str) -> pl.DataType:
    if column.endswith("_date"):
        return pl.Date
    if column.endswith("_n_12m") or column == "age":
        return pl.Int64
    if column in ("nhs_number", "sex", "ethnic_category"):
        return pl.String
    return pl.Float64


def features(*people: dict[str, Any]) -> pl.DataFrame:
    """A features frame with every contract column; absent values are null.

    Convenience keys: ``has=[concept, ...]`` sets first/last date a year ago;
    ``on=[medicine, ...]`` marks a medicine as current (3 issues, latest 20 days ago).
    """
    columns = required_feature_columns() + ["imd_decile"]
    rows = []
    for i, person in enumerate(people):
        person = dict(person)
        row: dict[str, Any] = {c: None for c in columns}
        row["nhs_number"] = f"999{i:07d}"
        for concept in person.pop("has", []):
            row[f"{concept}_first_date"] = days_ago(365)
            row[f"{concept}_last_date"] = days_ago(365)
            row[f"{concept}_n_12m"] = 1
        for medicine in person.pop("on", []):
            row[f"{medicine}_first_date"] = days_ago(300)
            row[f"{medicine}_last_date"] = days_ago(20)
            row[f"{medicine}_n_12m"] = 3
        row.update(person)
        rows.append(row)
    schema = {c: _dtype(c) for c in columns}
    schema["imd_decile"] = pl.Int64
    return pl.DataFrame(rows, schema=schema)


def measured(concept: str, value: float, days: int = 30) -> dict[str, Any]:
    """Keys for a valued concept recorded ``days`` before the as-of date."""
    d = days_ago(days)
    return {
        f"{concept}_first_date": d,
        f"{concept}_last_date": d,
        f"{concept}_last_value": value,
        f"{concept}_last_value_date": d,
        f"{concept}_n_12m": 1 if days <= 365 else 0,
    }


def complete_person(**extra: Any) -> dict[str, Any]:
    """A 60-year-old woman with every QRISK3 input recorded recently."""
    person: dict[str, Any] = {
        "sex": "female",
        "age": 60,
        "ethnic_category": "A",
        "townsend_score": 1.5,
        "systolic_bp_sd_5y": 8.0,
        "has": ["smi_diagnosis", "never_smoked"],
        **measured("bmi", 28.0),
        **measured("systolic_bp", 135.0),
        **measured("cholesterol_hdl_ratio", 4.2),
    }
    has = person.pop("has") + extra.pop("has", [])
    person.update(extra)
    person["has"] = has
    return person
