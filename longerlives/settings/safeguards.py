"""Operational safeguards (defaults in ``config/operations.toml`` ``[safeguards]``)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class SafeguardSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    earliest_as_of: date = date(1990, 1, 1)  # --as-of before this is refused (a typo, not a re-run)
    max_future_days: int = Field(default=366, ge=0)  # --allow-future-as-of still refuses beyond this
    stale_extract_days: int = Field(default=14, ge=1)  # latest event this many days before as-of: warn
