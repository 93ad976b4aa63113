"""Settings for the outreach area (defaults in config/outreach.toml).

Marginalisation points follow domain.md §5.2 (transparent points; ethnicity never
scores). Every group carries a ``source``; ``VERIFY`` in the TOML marks values a
clinical owner must sign off.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

_FROZEN = ConfigDict(extra="forbid", frozen=True)
LEADS = ("GP practice", "core team", "peer worker", "voluntary sector")
LEAD_SIGNALS = (
    "safety",
    "outreach",
    "outreach_strict",
    "core_team",
    "no_core_team",
    "homeless",
    "substance_dependence",
    "learning_disability",
    "autism",
)


class DisengagementPoints(BaseModel):
    """A. Disengagement (Longer Lives core)."""

    model_config = _FROZEN
    none_done: int = Field(20, ge=0)
    few_done: int = Field(10, ge=0)
    few_done_max: int = Field(3, ge=1, le=5)
    no_planned_contact: int = Field(10, ge=0)
    crisis_only: int = Field(10, ge=0)
    missed_appointments: int = Field(5, ge=0)
    missed_appointments_min: int = Field(2, ge=1)
    no_bp: int = Field(5, ge=0)
    no_bp_months: int = Field(18, ge=1, le=60)
    cap: int = Field(50, ge=0)
    source: str = ""


class MissedInterventionPoints(BaseModel):
    """B. Missed key interventions (seed 2.5.6)."""

    model_config = _FROZEN
    usc_not_attended: int = Field(10, ge=0)
    usc_window_weeks: int = Field(8, ge=1, le=52)
    usc_grace_days: int = Field(14, ge=0, le=90)
    never_screened: int = Field(5, ge=0)
    abnormal_no_followup: int = Field(5, ge=0)
    abnormal_flags: tuple[str, ...] = ("followup.hba1c", "followup.blood_pressure", "risk.qrisk3")
    cap: int = Field(20, ge=0)
    source: str = ""


class DeprivationPoints(BaseModel):
    """C. Core20 (deprivation) by IMD decile."""

    model_config = _FROZEN
    decile: dict[str, int] = Field(default_factory=lambda: {"1": 15, "2": 10, "3": 3, "4": 3})
    unknown: int = Field(5, ge=0)
    cap: int = Field(15, ge=0)
    source: str = ""

    @field_validator("decile")
    @classmethod
    def _deciles(cls, v: dict[str, int]) -> dict[str, int]:
        bad = [k for k in v if k not in {str(i) for i in range(1, 11)}]
        if bad:
            raise ValueError(f"IMD deciles are 1-10; got {bad}")
        return v


class InclusionPoints(BaseModel):
    """D. PLUS / inclusion health (capped). Ethnicity never scores."""

    model_config = _FROZEN
    homeless: int = Field(10, ge=0)
    homeless_months: int = Field(24, ge=1)
    substance_dependence: int = Field(5, ge=0)
    learning_disability_or_autism: int = Field(5, ge=0)
    language: int = Field(5, ge=0)
    multimorbidity: int = Field(3, ge=0)
    multimorbidity_min: int = Field(2, ge=1)
    multimorbidity_concepts: tuple[str, ...] = ()
    cap: int = Field(25, ge=0)
    source: str = ""


class LeadRule(BaseModel):
    """First rule whose signals all hold names the suggested lead."""

    model_config = _FROZEN
    when: tuple[str, ...] = ()
    lead: str
    why: str = ""

    @field_validator("lead")
    @classmethod
    def _lead(cls, v: str) -> str:
        if v not in LEADS:
            raise ValueError(f"lead must be one of {', '.join(LEADS)}")
        return v

    @field_validator("when")
    @classmethod
    def _signals(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        bad = [s for s in v if s not in LEAD_SIGNALS]
        if bad:
            raise ValueError(f"unknown signal(s) {bad}; expected some of {', '.join(LEAD_SIGNALS)}")
        return v


class OutreachSettings(BaseModel):
    model_config = _FROZEN

    fraction: float = Field(0.2, gt=0, le=1)
    fraction_source: str = ""
    min_score: int = Field(1, ge=0)
    min_score_source: str = ""
    disengagement: DisengagementPoints = DisengagementPoints()
    missed: MissedInterventionPoints = MissedInterventionPoints()
    deprivation: DeprivationPoints = DeprivationPoints()
    inclusion: InclusionPoints = InclusionPoints()
    lead_rules: tuple[LeadRule, ...]  # config/outreach.toml [[lead_rules]]
    lead_source: str = ""
    manual_needs: tuple[str, ...] = ("braille", "bsl", "audio")
    adjustments: dict[str, str] = Field(default_factory=dict)
    adjustments_source: str = ""
