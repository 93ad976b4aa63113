"""Settings for the letters area (defaults in config/letters.toml)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FORMATS = ("standard", "easy_read", "large_print")


class Translation(BaseModel):
    """One translation of the letter templates (``templates/letters/<language>/``).

    Only a translation marked ``reviewed`` by a qualified medical translator is sent;
    every other preferred language gets the English letter with an interpreter offer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reviewed: bool = False
    reviewed_by: str = ""
    reviewed_on: date | None = None
    note: str = ""

    @model_validator(mode="after")
    def _who_and_when(self) -> Translation:
        if self.reviewed and (not self.reviewed_by.strip() or self.reviewed_on is None):
            raise ValueError("a translation marked reviewed = true needs reviewed_by and reviewed_on")
        return self


class LetterSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Which accessible format wins when a person has several needs (first listed wins).
    format_precedence: tuple[str, ...] = ("easy_read", "large_print")
    format_source: str = ""
    base_font_pt: float = Field(12, ge=8, le=30)
    large_print_font_pt: float = Field(18, ge=16, le=40)  # issue 15: at least 16 pt
    easy_read_font_pt: float = Field(16, ge=16, le=40)  # issue 15: at least 16 pt
    font_source: str = ""
    # Large print keeps each item's "why it matters" sentence up to this many items, so that
    # the letter stays on one or two A4 pages (tests/letters/test_large_print.py).
    large_print_reasons_max_items: int = Field(8, ge=0, le=40)
    standard_reasons_max_items: int = Field(17, ge=0, le=40)
    default_language: str = "en"
    language_source: str = ""
    # Translations by ISO 639-1 code; only reviewed ones are used (issue 15).
    translations: dict[str, Translation] = Field(default_factory=dict)
    translations_source: str = ""
    pdf_workers: int = Field(2, ge=1, le=64)
    # Which program makes --pdf letters: Chromium's print to PDF (falls back to WeasyPrint, said
    # in the run's output, when Chromium is not installed) or WeasyPrint always.
    pdf_engine: Literal["chromium", "weasyprint"] = "chromium"
    pdf_engine_source: str = ""
    pdf_chromium: str = "/usr/bin/chromium"
    # Chromium: letters with the same template, language and format printed as one document.
    pdf_letters_per_print: int = Field(48, ge=1, le=200)
    # Letters handed to a PDF worker process at a time (progress is counted per letter).
    pdf_batch_letters: int = Field(48, ge=1, le=1000)
    # A progress line (counts and rate only) about every this many PDF letters.
    pdf_progress_every: int = Field(500, ge=1)
    # HTML letters: threads creating the letter files (in the letter writer process, letters/filewriter.py).
    render_workers: int = Field(2, ge=1, le=64)
    # HTML letters: made (rows, rendering, files) for at most this many people at a time, in NHS-number order.
    block_letters: int = Field(125_000, ge=1)

    @field_validator("format_precedence")
    @classmethod
    def _formats(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [f for f in v if f not in FORMATS or f == "standard"]
        if bad:
            raise ValueError(f"format_precedence items must be easy_read or large_print; got {bad}")
        return v
