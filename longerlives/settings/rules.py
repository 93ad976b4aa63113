"""Settings for the rules (defaults in config/rules.toml).

Every threshold, window and concept choice a rule uses lives here, each with a
``*_source`` string naming where it comes from; ``VERIFY`` marks values a clinical
owner must confirm before clinical use.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PHC_ELEMENTS = ("bmi", "blood_pressure", "lipids", "glucose", "alcohol", "smoking")
SEXES = ("female", "male", "unknown")
ETHNIC_CATEGORIES = tuple("ABCDEFGHJKLMNPRSZ")

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class ScreeningBand(BaseModel):
    """Ages (whole years on the as-of date, inclusive) screened at one interval."""

    model_config = _FROZEN
    min_age: int = Field(ge=0, le=120)
    max_age: int = Field(ge=0, le=120)
    interval_months: int = Field(ge=1, le=240)


class ScreeningProgramme(BaseModel):
    model_config = _FROZEN
    name: str  # in words, e.g. "cervical screening"
    sexes: tuple[str, ...]
    bands: tuple[ScreeningBand, ...]
    done: tuple[str, ...]  # concepts: a completed test
    declined: tuple[str, ...] = ()
    missed: tuple[str, ...] = ()  # did not attend / did not respond
    missed_phrase: str = "did not attend on"
    unsuitable: tuple[str, ...] = ()  # suppresses the flag unless a later test exists
    decline_valid_months: int = Field(12, ge=0, le=60)
    source: str

    @field_validator("sexes")
    @classmethod
    def _known_sexes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [s for s in v if s not in SEXES]
        if bad:
            raise ValueError(f"unknown sex {bad}; expected some of {SEXES}")
        return v

    @model_validator(mode="after")
    def _bands_ordered(self) -> "ScreeningProgramme":
        prev = -1
        for b in self.bands:
            if b.min_age > b.max_age or b.min_age <= prev:
                raise ValueError("screening bands must be non-overlapping, in age order, min_age <= max_age")
            prev = b.max_age
        return self


class RulesSettings(BaseModel):
    model_config = _FROZEN

    # The six-element annual health check
    phc_months: int = Field(12, ge=1, le=36)
    phc_source: str = ""
    phc_elements: dict[str, tuple[str, ...]]
    phc_elements_source: str = ""
    phc_declines: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    phc_declines_source: str = ""

    # ecg.annual
    ecg_months: int = Field(12, ge=1, le=36)
    ecg_source: str = ""

    # Diagnoses that silence follow-ups
    diabetes_concepts: tuple[str, ...] = ("diabetes_type1", "diabetes_type2")
    diabetes_resolved_concept: str | None = None
    hypertension_concepts: tuple[str, ...] = ("hypertension",)
    diagnoses_source: str = ""

    # Follow-ups of abnormal results
    followup_months: int = Field(12, ge=1, le=36)
    followup_source: str = ""
    bp_systolic_threshold: float = 140
    bp_diastolic_threshold: float = 90
    bp_threshold_source: str = ""
    bp_out_of_clinic_systolic_threshold: float = 135
    bp_out_of_clinic_diastolic_threshold: float = 85
    bmi_obesity_threshold: float = 30
    bmi_obesity_threshold_lower: float = 27.5
    bmi_lower_threshold_ethnic_categories: tuple[str, ...] = ()
    bmi_threshold_source: str = ""
    hba1c_threshold: float = 42
    hba1c_diabetes_threshold: float = 48
    hba1c_threshold_source: str = ""
    audit_c_threshold: float = 5
    alcohol_units_threshold: float = 14  # flagged when MORE than this
    alcohol_threshold_source: str = ""

    # Smoking cessation
    smoking_offer_months: int = Field(12, ge=1, le=36)
    smoking_offer_definition: Literal["qof", "strict"] = "qof"
    smoking_offer_concepts: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    smoking_offer_medicines: tuple[str, ...] = ("smoking_cessation_drug",)
    smoking_min_age_at_record: int = Field(11, ge=0, le=18)
    smoking_source: str = ""

    # Risk scores
    risk_qrisk3_threshold: float = Field(10, gt=0, lt=100)
    risk_qrisk3_source: str = ""
    risk_qrisk3_treatment: tuple[str, ...] = ("lipid_lowering",)
    risk_qrisk3_treatment_months: int = Field(6, ge=1, le=24)
    risk_qdiabetes_threshold: float = Field(10, gt=0, lt=100)
    risk_qdiabetes_source: str = ""

    # Cancer screening
    screening: dict[str, ScreeningProgramme] = Field(default_factory=dict)

    # Safety items
    usc_window_weeks: int = Field(8, ge=1, le=52)
    usc_source: str = ""
    safety_hba1c_threshold: float = 48
    safety_bp_systolic: float = 180
    safety_bp_diastolic: float = 120
    safety_months: int = Field(12, ge=1, le=36)
    safety_source: str = ""

    @field_validator("phc_elements")
    @classmethod
    def _six_elements(cls, v: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        missing = [e for e in PHC_ELEMENTS if e not in v]
        if missing:
            raise ValueError(f"every one of the six elements needs concepts; missing {missing}")
        return v

    @field_validator("phc_declines")
    @classmethod
    def _known_elements(cls, v: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        bad = [e for e in v if e not in PHC_ELEMENTS]
        if bad:
            raise ValueError(f"declines for unknown element(s) {bad}; expected some of {PHC_ELEMENTS}")
        return v

    @field_validator("bmi_lower_threshold_ethnic_categories")
    @classmethod
    def _known_categories(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [c for c in v if c not in ETHNIC_CATEGORIES]
        if bad:
            raise ValueError(f"unknown ethnic category {bad}; expected NHS Data Dictionary codes {ETHNIC_CATEGORIES}")
        return v

    @model_validator(mode="after")
    def _offer_definitions(self) -> "RulesSettings":
        for needed in ("qof", "strict"):
            if needed not in self.smoking_offer_concepts:
                raise ValueError(f"smoking_offer_concepts needs a `{needed}` list")
        for prog in ("cervical", "breast", "bowel"):
            if prog not in self.screening:
                raise ValueError(f"screening needs a `{prog}` programme")
        return self

    def concepts_used(self) -> set[str]:
        """Every SNOMED/medicine concept named in these settings (checked against code lists)."""
        out: set[str] = set()
        for cs in self.phc_elements.values():
            out.update(c for c in cs if c not in ("bp", "abpm_day_bp", "home_bp"))  # BP pairs by setting
        for cs in (*self.phc_declines.values(), *self.smoking_offer_concepts.values()):
            out.update(cs)
        out.update(self.diabetes_concepts, self.hypertension_concepts, self.smoking_offer_medicines)
        out.update(self.risk_qrisk3_treatment)
        if self.diabetes_resolved_concept:
            out.add(self.diabetes_resolved_concept)
        for p in self.screening.values():
            out.update((*p.done, *p.declined, *p.missed, *p.unsuitable))
        return out

    def optional_concepts(self) -> set[str]:
        """Concepts that only silence or annotate a flag (declines, missed appointments,
        unsuitability). With no code list loaded they count as never recorded — the safe
        direction: more flags, not fewer. Every other concept must have a code list."""
        out: set[str] = set()
        for cs in self.phc_declines.values():
            out.update(cs)
        for p in self.screening.values():
            out.update((*p.declined, *p.missed, *p.unsuitable))
        return out
