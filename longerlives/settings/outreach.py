"""Settings for the outreach area (defaults in config/outreach.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class OutreachSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
