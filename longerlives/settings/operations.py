"""Settings for the operations area (defaults in config/operations.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class OperationsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
