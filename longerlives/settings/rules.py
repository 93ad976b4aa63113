"""Settings for the rules (defaults in config/rules.toml)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

PHC_ELEMENTS = ("bmi", "blood_pressure", "lipids", "glucose", "alcohol", "smoking")


class RulesSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    phc_months: int = Field(12, ge=1, le=36)
    phc_source: str = ""
    phc_elements: dict[str, tuple[str, ...]]
    phc_elements_source: str = ""

    @field_validator("phc_elements")
    @classmethod
    def _six_elements(cls, v: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        missing = [e for e in PHC_ELEMENTS if e not in v]
        if missing:
            raise ValueError(f"every one of the six elements needs concepts; missing {missing}")
        return v
