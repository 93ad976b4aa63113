"""Settings for per-person features and cohorts (config/features.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from longerlives.vocabulary import SERVICES


class FeatureSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_age_years: int = Field(18, ge=0, le=120)
    min_age_source: str = ""
    ecg_medicine_months: int = Field(6, ge=1, le=24)
    ecg_medicines: tuple[str, ...] = ("antipsychotic", "lithium", "mood_stabiliser")
    ecg_source: str = ""
    qof_lithium_months: int = Field(6, ge=1, le=24)
    qof_source: str = ""
    sbp_sd_years: int = Field(5, ge=1, le=10)
    sbp_sd_source: str = ""
    planned_services: tuple[str, ...] = ()
    crisis_services: tuple[str, ...] = ()
    services_source: str = ""
    # People per block of the feature pass and the rules (issue 16): a register larger than this is
    # worked through in blocks, so the wide per-person table never holds everybody at once.
    block_people: int = Field(125_000, ge=1)
    block_people_source: str = ""
    # a register larger than ``block_people`` is worked in blocks of at most this many (issue 16, session 34)
    split_block_people: int = Field(60_000, ge=1)
    split_block_people_source: str = ""

    def model_post_init(self, _context: object) -> None:
        for s in (*self.planned_services, *self.crisis_services):
            if s not in SERVICES:
                raise ValueError(f"unknown service {s!r}; expected one of {', '.join(SERVICES)}")
