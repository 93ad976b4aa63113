"""Settings for the risk area (defaults in config/risk.toml).

Every choice has a ``*_source`` string naming where it comes from, or says it is
a local choice; ``VERIFY`` marks values a clinician should confirm.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from longerlives.settings.extract import PlausibleRange

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class CurrentMedicineSettings(BaseModel):
    """When is a medicine "current" (QRISK3/QDiabetes atypical antipsychotic,
    oral steroid, antihypertensive, statin)?"""

    model_config = _FROZEN
    min_issues_12m: int = Field(ge=1)
    latest_within_days: int = Field(ge=1, le=365)
    source: str


class WindowSettings(BaseModel):
    """Look-back windows in days before the as-of date for each measured input."""

    model_config = _FROZEN
    bmi_days: int = Field(ge=1)
    weight_days: int = Field(ge=1)
    systolic_bp_days: int = Field(ge=1)
    cholesterol_days: int = Field(ge=1)
    cholesterol_pair_max_gap_days: int = Field(ge=0)
    hba1c_days: int = Field(ge=1)
    fasting_glucose_days: int = Field(ge=1)
    source: str


# The concepts whose plausible ranges the risk inputs read. The ranges themselves are the
# one plausibility table, [extract.plausible] in config/extract.toml (load_settings hands it
# to the risk settings); no other file holds one (tests/meta/test_configuration.py).
RISK_PLAUSIBLE = ("bmi", "height", "weight", "systolic_bp", "cholesterol_hdl_ratio")


class SmokingSettings(BaseModel):
    model_config = _FROZEN
    light_below: float = Field(gt=0)
    heavy_from: float = Field(gt=0)
    amount_unknown_category: Literal[2, 3, 4]
    never_after_smoker_is_ex: bool
    source: str


class DiabetesSettings(BaseModel):
    model_config = _FROZEN
    unspecified_type: Literal["type1", "type2"]
    tie: Literal["type1", "type2"]
    source: str


class CalculatorLimits(BaseModel):
    """Inclusive limits a calculator accepts for one input."""

    model_config = _FROZEN
    low: float
    high: float


class CalculatorRangeSettings(BaseModel):
    """Input ranges ClinRisk's QRISK calculators accept. A usable (plausible) value outside
    is moved to the nearest limit for QRISK3 and named ``<input>_clamped`` next to the score."""

    model_config = _FROZEN
    bmi: CalculatorLimits
    systolic_bp: CalculatorLimits
    cholesterol_hdl_ratio: CalculatorLimits
    source: str


class Qrisk3Settings(BaseModel):
    model_config = _FROZEN
    calculator_range: CalculatorRangeSettings
    impute_when_missing: list[Literal["systolic_bp_sd_5y", "smoking_status"]]
    impute_source: str
    flag_threshold_percent: float = Field(gt=0, lt=100)
    flag_threshold_source: str


class QdiabetesSettings(BaseModel):
    model_config = _FROZEN
    skip_when_glucose_in_diabetes_range: bool
    skip_source: str
    flag_threshold_percent: float = Field(gt=0, lt=100)
    flag_threshold_source: str


class EthnicitySettings(BaseModel):
    """NHS Data Dictionary ethnic category (A..Z) -> ClinRisk ``ethrisk`` (1..9)."""

    model_config = _FROZEN
    ethrisk: dict[str, int]
    unknown_ethrisk: int = Field(ge=1, le=9)
    source: str

    @model_validator(mode="after")
    def _codes(self) -> EthnicitySettings:
        bad = {k: v for k, v in self.ethrisk.items() if not 1 <= v <= 9 or len(k) != 1}
        if bad:
            raise ValueError(f"ethrisk must map one letter to 1..9, got {bad}")
        return self


class RiskSettings(BaseModel):
    model_config = _FROZEN

    current_medicine: CurrentMedicineSettings
    windows: WindowSettings
    plausible: dict[str, PlausibleRange]  # = ExtractSettings.plausible: the one table

    @model_validator(mode="after")
    def _has_ranges(self) -> RiskSettings:
        missing = [c for c in RISK_PLAUSIBLE if c not in self.plausible]
        if missing:
            raise ValueError(f"[extract.plausible] needs a range for {', '.join(missing)} (the risk inputs read it)")
        return self

    smoking: SmokingSettings
    diabetes: DiabetesSettings
    ethnicity: EthnicitySettings
    qrisk3: Qrisk3Settings
    qdiabetes: QdiabetesSettings
    manicschiz_source: str
    semi_source: str
