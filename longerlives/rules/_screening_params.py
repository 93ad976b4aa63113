"""The typed parameters of the three ``screening.*`` rules (``["screening.<name>"]`` in config/rules.toml)."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator, model_validator

from longerlives.settings.rules import FROZEN, SEXES


class ScreeningBand(BaseModel):
    """Ages (whole years on the as-of date, inclusive) screened at one interval."""

    model_config = FROZEN
    min_age_years: int = Field(ge=0, le=120)
    max_age_years: int = Field(ge=0, le=120)
    interval_months: int = Field(ge=1, le=240)


class ScreeningProgramme(BaseModel):
    """The parameters of one screening rule."""

    model_config = FROZEN
    name: str  # in words, e.g. "cervical screening"
    sexes: tuple[str, ...]
    bands: tuple[ScreeningBand, ...]
    done: tuple[str, ...]  # concepts: a completed test
    declined: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()  # did not attend / did not respond
    missed_phrase: str = "did not attend on"
    unsuitable: tuple[str, ...] = ()  # suppresses the flag unless a later test exists
    # results that need action (a repeat, further tests, referral): never count as screened (run-outputs v2)
    needs_action: tuple[str, ...] = ()
    needs_action_phrase: str = "a result that needs action"
    # "never screened" is raised only from this age (the first invitation is due by then); None = from the band start
    never_screened_from_age_years: int | None = Field(default=None, ge=0, le=120)
    decline_valid_months: int = Field(ge=0, le=60)
    source: str

    @field_validator("sexes")
    @classmethod
    def _known_sexes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [s for s in v if s not in SEXES]
        if bad:
            raise ValueError(f"unknown sex {bad}; expected some of {SEXES}")
        return v

    @model_validator(mode="after")
    def _bands_ordered(self) -> ScreeningProgramme:
        prev = -1
        for b in self.bands:
            if b.min_age_years > b.max_age_years or b.min_age_years <= prev:
                raise ValueError(
                    "screening bands must be non-overlapping, in age order, min_age_years <= max_age_years"
                )
            prev = b.max_age_years
        return self

    def concepts_used(self) -> set[str]:
        return {*self.done, *self.declined, *self.missed, *self.unsuitable, *self.needs_action}

    def optional_concepts(self) -> set[str]:
        """Declines, missed appointments and unsuitability only silence or annotate the flag."""
        return {*self.declined, *self.missed, *self.unsuitable}
