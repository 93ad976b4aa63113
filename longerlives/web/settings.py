"""Settings for the web worklist (defaults in ``config/web.toml``)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from longerlives.errors import ConfigError
from longerlives.paths import CONFIG_DIR


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    page_size: int = Field(50, ge=5, le=500)
    stale_run_hours: int = Field(36, ge=1)
    session_idle_minutes: int = Field(30, ge=1)
    session_absolute_hours: int = Field(10, ge=1)
    lockout_failures: int = Field(5, ge=1)
    lockout_minutes: int = Field(15, ge=1)
    sign_in_attempts_per_minute: int = Field(10, ge=1)
    min_password_length: int = Field(12, ge=8)
    not_contacted_days: int = Field(365, ge=1)
    same_day_bp_days: int = Field(30, ge=1)
    snapshot_keep_runs: int = Field(14, ge=1)
    secure_cookies: bool = True
    durable_view_audit: bool = False


def load_web_settings(path: Path | None = None) -> WebSettings:
    path = path or CONFIG_DIR / "web.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        return WebSettings.model_validate(data)
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
