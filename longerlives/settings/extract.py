"""Settings for reading and validating the register extract (config/extract.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class PlausibleRange(BaseModel):
    """Inclusive range of clinically plausible values for one valued concept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: float
    max: float
    unit: str
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> "PlausibleRange":
        if self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        return self


class ExtractSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    townsend_min: float = -10.0
    townsend_max: float = 16.0
    townsend_source: str = ""
    # A quoted CSV field may hold line breaks (RFC 4180); a row may span at most this many lines.
    max_lines_per_row: int = Field(default=20, ge=1)
    max_lines_per_row_source: str = ""
    # The patients (the table with no fast path) checked and put in NHS-number order this many rows at a
    # time (issue 16, session 35): what validation holds of them whatever the input's row groups.
    check_slice_rows: int = Field(default=100_000, ge=1)
    check_slice_rows_source: str = ""
    # A register of more people than this has validation's summaries of its medicines and contacts grouped
    # this many people at a time (issue 16, session 35).
    summary_part_people: int = Field(default=125_000, ge=1)
    summary_part_people_source: str = ""
    plausible: dict[str, PlausibleRange] = Field(default_factory=dict)
