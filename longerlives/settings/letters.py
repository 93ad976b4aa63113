"""Settings for the letters area (defaults in config/letters.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

FORMATS = ("standard", "easy_read", "large_print")


class LetterSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Which accessible format wins when a person has several needs (first listed wins).
    format_precedence: tuple[str, ...] = ("easy_read", "large_print")
    format_source: str = ""
    base_font_pt: float = Field(12, ge=8, le=30)
    large_print_font_pt: float = Field(18, ge=14, le=40)
    easy_read_font_pt: float = Field(16, ge=12, le=40)
    font_source: str = ""
    default_language: str = "en"
    language_source: str = ""
    # QRISK3 / QDiabetes: show the score in the letter (always with ClinRisk's disclaimer).
    show_risk_scores: bool = True
    risk_source: str = ""
    pdf_workers: int = Field(1, ge=1, le=64)
    render_workers: int = Field(2, ge=1, le=64)

    @field_validator("format_precedence")
    @classmethod
    def _formats(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [f for f in v if f not in FORMATS or f == "standard"]
        if bad:
            raise ValueError(f"format_precedence items must be easy_read or large_print; got {bad}")
        return v
