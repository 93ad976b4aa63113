"""Settings shared by several rules (defaults in config/rules.toml), and the door to each
rule's own parameters.

Values every rule module reads in common (the health-check look-back and elements, the
diagnoses that silence follow-ups, the follow-up look-back) are fields
here. A threshold or window that belongs to one rule lives in that rule's own table,
``["<flag id>"]`` in config/rules.toml, and is typed by the rule module's ``Params``
model (``RULE.params``); ``RulesSettings.params(rule_id, Params)`` returns it. Each key
has a ``*_source`` string naming where it comes from; ``VERIFY`` marks values a clinical
owner must confirm before clinical use.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from longerlives.errors import ConfigError

PHC_ELEMENTS = ("bmi", "blood_pressure", "lipids", "glucose", "alcohol", "smoking")
SEXES = ("female", "male", "unknown")
ETHNIC_CATEGORIES = tuple("ABCDEFGHJKLMNPRSZ")

FROZEN = ConfigDict(extra="forbid", frozen=True)
P = TypeVar("P", bound=BaseModel)


class RulesSettings(BaseModel):
    # extra="allow": each rule's own table (["<flag id>"]) arrives as an extra field and is
    # checked against the rule's Params model by ``longerlives.rules.check_settings``.
    model_config = ConfigDict(extra="allow", frozen=True)

    # The six-element annual health check
    phc_months: int = Field(ge=1, le=36)
    phc_source: str
    phc_elements: dict[str, tuple[str, ...]]
    phc_elements_source: str
    phc_declines: dict[str, tuple[str, ...]]
    phc_declines_source: str

    # Diagnoses that silence follow-ups
    diabetes_concepts: tuple[str, ...]
    diabetes_resolved_concept: str | None = None
    hypertension_concepts: tuple[str, ...]
    diagnoses_source: str

    # Follow-ups of abnormal results: the look-back shared by every followup.* rule
    followup_months: int = Field(ge=1, le=36)
    followup_source: str

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

    def rule_tables(self) -> dict[str, dict[str, Any]]:
        """Every ``["<flag id>"]`` table as configured (validated by the rules registry)."""
        return {k: v for k, v in (self.model_extra or {}).items()}

    def params(self, rule_id: str, model: type[P]) -> P:
        """The typed parameters of one rule, from its ``["<rule_id>"]`` table."""
        table = self.rule_tables().get(rule_id)
        if not isinstance(table, dict):
            raise ConfigError(f'config/rules.toml: rule {rule_id!r} needs its table ["{rule_id}"]')
        return model.model_validate(table)

    def concepts_used(self) -> set[str]:
        """Every concept named in the shared settings (rule tables add their own)."""
        out: set[str] = set()
        for cs in self.phc_elements.values():
            out.update(c for c in cs if c not in ("bp", "abpm_day_bp", "home_bp"))  # BP pairs by setting
        for cs in self.phc_declines.values():
            out.update(cs)
        out.update(self.diabetes_concepts, self.hypertension_concepts)
        if self.diabetes_resolved_concept:
            out.add(self.diabetes_resolved_concept)
        return out

    def optional_concepts(self) -> set[str]:
        """Shared concepts that only silence or annotate a flag (declines). With no code list
        loaded they count as never recorded — the safe direction: more flags, not fewer."""
        out: set[str] = set()
        for cs in self.phc_declines.values():
            out.update(cs)
        return out
