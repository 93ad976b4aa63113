"""Configuration: TOML files in ``config/`` validated by pydantic.

Each area of the engine has its own defaults file, ``config/<area>.toml``, and its
own model in ``longerlives/settings/<area>.py``. A user's ``--config FILE`` is one
TOML file whose top-level tables (``[rules]``, ``[risk]`` …) are merged over the
defaults key by key. A bad value fails fast with the key and what was expected.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from longerlives.errors import ConfigError
from longerlives.paths import CONFIG_DIR
from longerlives.settings.extract import ExtractSettings
from longerlives.settings.features import FeatureSettings
from longerlives.settings.letters import LetterSettings
from longerlives.settings.operations import OperationsSettings
from longerlives.settings.outreach import OutreachSettings
from longerlives.settings.report import ReportSettings
from longerlives.settings.risk import RiskSettings
from longerlives.settings.rules import RulesSettings

AREAS = ("extract", "features", "rules", "risk", "outreach", "letters", "operations", "report")


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    extract: ExtractSettings
    features: FeatureSettings
    rules: RulesSettings
    risk: RiskSettings
    outreach: OutreachSettings
    letters: LetterSettings
    operations: OperationsSettings
    report: ReportSettings

    def digest(self) -> str:
        """sha256 of the effective configuration, recorded in run.json."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()


def _read_toml(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; --config takes one TOML file")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except PermissionError:
        raise ConfigError(f"{path}: configuration file cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: configuration file is not UTF-8 text; save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: configuration file cannot be read ({exc.strerror})") from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _describe(err: ValidationError, origin: str) -> str:
    lines = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"])
        lines.append(f"{origin}: setting `{key}`: {e['msg']} (got {e.get('input')!r})")
    return "\n".join(lines)


def _one_plausibility_table(data: dict[str, Any], origin: str) -> dict[str, Any]:
    """Validation and the risk inputs read one plausibility table: ``[extract.plausible]``."""
    risk = data.get("risk")
    if not isinstance(risk, dict):
        return data
    if "plausible" in risk:
        raise ConfigError(
            f"{origin}: setting `risk.plausible`: plausible ranges live in one table, [extract.plausible] "
            "(config/extract.toml), read by validation and the risk inputs alike"
        )
    extract = data.get("extract")
    plausible = extract.get("plausible", {}) if isinstance(extract, dict) else {}
    return {**data, "risk": {**risk, "plausible": plausible}}


def load_settings(user_file: Path | str | None = None, config_dir: Path | None = None) -> Settings:
    """Defaults from ``config/<area>.toml`` with an optional user override file on top."""
    config_dir = Path(config_dir) if config_dir else CONFIG_DIR
    data: dict[str, Any] = {area: _read_toml(config_dir / f"{area}.toml") for area in AREAS}
    origin = "config/"
    if user_file is not None:
        user = _read_toml(Path(user_file))
        unknown = sorted(set(user) - set(AREAS))
        if unknown:
            raise ConfigError(
                f"{user_file}: unknown section(s) {', '.join(unknown)}; expected one of {', '.join(AREAS)}"
            )
        data = _merge(data, user)
        origin = str(user_file)
    data = _one_plausibility_table(data, origin)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin)) from None
