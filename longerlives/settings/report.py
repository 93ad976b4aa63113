"""Settings for the coverage and inequalities report (defaults in config/report.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from longerlives.settings.rules import ETHNIC_CATEGORIES

_FROZEN = ConfigDict(extra="forbid", frozen=True)

# Every measure the report knows how to compute (longerlives/report/coverage.py defines them).
KNOWN_MEASURES = (
    "phc_all_six",
    "phc_bmi",
    "phc_blood_pressure",
    "phc_lipids",
    "phc_glucose",
    "phc_alcohol",
    "phc_smoking",
    "ecg",
    "screening_cervical",
    "screening_breast",
    "screening_bowel",
    "smoking_cessation_offer",
)


class AgeBand(BaseModel):
    model_config = _FROZEN
    label: str
    min_age_years: int = Field(ge=0, le=130)
    max_age_years: int = Field(ge=0, le=130)


class EthnicGroup(BaseModel):
    model_config = _FROZEN
    label: str
    codes: tuple[str, ...]

    @field_validator("codes")
    @classmethod
    def _known_codes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [c for c in v if c not in ETHNIC_CATEGORIES]
        if bad:
            raise ValueError(f"unknown ethnic category {bad}; expected some of {''.join(ETHNIC_CATEGORIES)}")
        return v


class ReportSettings(BaseModel):
    model_config = _FROZEN

    measures: tuple[str, ...] = KNOWN_MEASURES
    suppress_min: int = Field(1, ge=1)
    suppress_max: int = Field(7, ge=0)
    suppress_complement: bool = False
    suppression_source: str = ""
    spc_min_points: int = Field(12, ge=2)
    spc_source: str = ""
    trend_max_points: int = Field(60, ge=2)
    funnel_min_denominator: int = Field(8, ge=1)
    open_age_bands_days: tuple[int, ...] = (7, 14, 28, 90)
    age_bands: tuple[AgeBand, ...]
    age_bands_source: str = ""
    ethnic_groups: tuple[EthnicGroup, ...]
    ethnic_groups_source: str = ""

    @field_validator("measures")
    @classmethod
    def _known_measures(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [m for m in v if m not in KNOWN_MEASURES]
        if bad:
            raise ValueError(f"unknown measure {bad}; expected some of {list(KNOWN_MEASURES)}")
        return v

    @model_validator(mode="after")
    def _bands_and_groups(self) -> ReportSettings:
        prev = -1
        for b in self.age_bands:
            if b.min_age_years > b.max_age_years or b.min_age_years <= prev:
                raise ValueError("age_bands must be non-overlapping, in age order, min_age_years <= max_age_years")
            prev = b.max_age_years
        codes = [c for g in self.ethnic_groups for c in g.codes]
        if len(codes) != len(set(codes)):
            raise ValueError("an ethnic category code is in more than one ethnic group")
        if sorted(self.open_age_bands_days) != list(self.open_age_bands_days):
            raise ValueError("open_age_bands_days must be in increasing order")
        return self

    def is_suppressed(self, numerator: int, denominator: int) -> bool:
        def small(x: int) -> bool:
            return self.suppress_min <= x <= self.suppress_max

        return small(numerator) or small(denominator) or (self.suppress_complement and small(denominator - numerator))
