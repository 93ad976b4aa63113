"""Settings for the letters area (defaults in config/letters.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LetterSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
