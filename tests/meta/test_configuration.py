"""One source of configuration: config/*.toml holds every default; the pydantic models only
type it. A key nobody reads, or a model default that disagrees with the TOML, fails here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from longerlives.settings import AREAS, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "\n".join(
    p.read_text(encoding="utf-8") for p in (ROOT / "longerlives").rglob("*.py") if "settings" not in p.parts
) + "\n".join(
    p.read_text(encoding="utf-8") for p in (*(ROOT / "templates").rglob("*.j2"), *(ROOT / "longerlives").rglob("*.j2"))
)
DOCUMENTATION_KEYS = re.compile(r"(^|_)source$|^source$")


def _fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, str, Any]]:
    out = []
    for name, field in model.model_fields.items():
        out.append((f"{prefix}{name}", name, field))
    return out


@pytest.mark.parametrize("area", AREAS)
def test_every_key_in_the_area_is_read_by_some_code(area):
    model = Settings.model_fields[area].annotation
    unread = []
    for path, name, _ in _fields(model):
        if DOCUMENTATION_KEYS.search(name):
            continue  # sources document a value; they are shown in docs/rules.md and run.json
        if not re.search(rf"(\.|\[\"|\"|'){re.escape(name)}\b", SOURCE):
            unread.append(path)
    assert unread == [], f"config/{area}.toml keys read by nothing: {unread}"


def _plain(value: Any) -> Any:
    """A comparable form of a setting: models and mappings without their documentation keys."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not DOCUMENTATION_KEYS.search(str(k))}
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    return value


def _agree(default: Any, value: Any) -> bool:
    """Every non-placeholder default equals the TOML value (nested models key by key)."""
    if isinstance(default, dict) and isinstance(value, dict):
        return all(_agree(d, value.get(k)) for k, d in default.items() if d not in (None, "", (), {}))
    return default == value


@pytest.mark.parametrize("area", AREAS)
def test_model_defaults_agree_with_the_toml_defaults(area):
    with (ROOT / "config" / f"{area}.toml").open("rb") as fh:
        toml = tomllib.load(fh)
    loaded = getattr(load_settings(), area)
    model = type(loaded)
    disagree = []
    for name, field in model.model_fields.items():
        default = field.default
        if field.default_factory is not None:
            default = field.default_factory()  # type: ignore[call-arg]
        default, value = _plain(default), _plain(getattr(loaded, name))
        empty = default in (None, "", (), {}) or field.is_required()  # a placeholder, not a repeated value
        if name in toml and not empty:
            if not _agree(default, value):
                disagree.append(f"{name}: model {field.default!r} vs toml {getattr(loaded, name)!r}")
    assert disagree == [], f"config/{area}.toml and longerlives/settings/{area}.py disagree: {disagree}"


# A key that holds a duration or an age must say its unit: a suffix (or the bare unit word).
UNIT_SUFFIX = re.compile(r"(^|_)(years|months|weeks|days|hours|minutes|seconds|12m|5y|bytes)$")
DURATION_WORDS = re.compile(
    r"(^|_)(age|ages|older_than|younger_than|year|month|day|hour|time|window|look_back|lookback|cadence|"
    r"interval|delay|timeout|period|duration|since|after|before|within|grace|hold|size)(_|$)"
)
NOT_DURATIONS = {
    "scheduler.hour",  # the time of day the nightly run starts (02:30), not a duration
    "scheduler.minute",
    "page_size",  # web worklist rows per page: a count
}


def _numeric_keys(node: Any, path: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(value, (dict, list)):
            out += _numeric_keys(value, where)
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(key, str):
            out.append((where, key))
    return out


def test_every_duration_or_age_key_carries_its_unit():
    missing = []
    for path in sorted((ROOT / "config").glob("*.toml")):
        with path.open("rb") as fh:
            for where, key in _numeric_keys(tomllib.load(fh)):
                if any(where.endswith(n) for n in NOT_DURATIONS):
                    continue
                if DURATION_WORDS.search(key) and not UNIT_SUFFIX.search(key):
                    missing.append(f"{path.name}: {where}")
    assert missing == [], "name the unit (_years, _months, _days, _bytes ...):\n" + "\n".join(missing)


@pytest.mark.parametrize("key", ["look_back", "older_from_age", "cadence", "max_chunk_size", "type1_older_than"])
def test_the_unit_check_catches_a_duration_key_without_its_unit(key):
    assert DURATION_WORDS.search(key) and not UNIT_SUFFIX.search(key)


@pytest.mark.parametrize("key", ["look_back_months", "older_from_age_years", "letter_cadence_days", "days"])
def test_the_unit_check_accepts_a_duration_key_with_its_unit(key):
    assert UNIT_SUFFIX.search(key)


def _plausibility_tables(node: Any, path: str) -> list[str]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}"
            if "plausib" in key.lower():
                found.append(where)
            found += _plausibility_tables(value, where)
    return found


def test_there_is_one_plausibility_table_read_by_validation_and_risk():
    tables = []
    for path in sorted((ROOT / "config").glob("*.toml")):
        with path.open("rb") as fh:
            tables += _plausibility_tables(tomllib.load(fh), path.name)
    assert tables == ["extract.toml.plausible"]
    settings = load_settings()
    assert settings.risk.plausible == settings.extract.plausible


def test_a_second_plausibility_table_in_an_override_file_is_refused(tmp_path):
    from longerlives.errors import ConfigError

    override = tmp_path / "local.toml"
    override.write_text(
        "[risk.plausible.bmi]\nmin = 15\nmax = 60\nunit = 'kg/m2'\nsource = 'local'\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"risk\.plausible.*one table, \[extract\.plausible\]"):
        load_settings(override)
