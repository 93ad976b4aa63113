"""Settings for the operations area (defaults in config/operations.toml).

Nightly operation: letter cadence, what an outreach outcome does to open flags,
the scheduler's time, and where exports are delivered (outbox or MESH).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from longerlives.settings.safeguards import SafeguardSettings

OUTCOME_RESULTS = (
    "contacted",
    "no_answer",
    "booked",
    "attended",
    "declined",
    "moved_away",
    "deceased",
    "wrong_contact_details",
    "completed",
)
# What a person reads for each result (web form, worklist, CLI help).
OUTCOME_LABELS = {
    "contacted": "Contacted",
    "no_answer": "No answer",
    "booked": "Booked an appointment",
    "attended": "Attended",
    "declined": "Declined",
    "moved_away": "Moved away",
    "deceased": "Deceased",
    "wrong_contact_details": "Wrong contact details",
    "completed": "Completed",
}


class OutcomeAction(BaseModel):
    """What the latest outreach outcome does to a person's open flags.

    ``none`` leaves them; ``snooze`` hides ``flags`` for ``days`` after the outcome
    date; ``close`` hides them until a newer outcome is recorded (or for ``days``
    when given). ``flags = ["*"]`` means every flag.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["none", "snooze", "close"] = "none"
    flags: tuple[str, ...] = ("*",)
    days: int | None = Field(default=None, ge=1)
    # Letters: ``hold_letters`` stops new letters from the outcome date for
    # ``hold_letters_days`` days (until a newer outcome when not given).
    hold_letters: bool = False
    hold_letters_days: int | None = Field(default=None, ge=1)

    @field_validator("days")
    @classmethod
    def _days_for_snooze(cls, v: int | None, info) -> int | None:  # noqa: ANN001
        if info.data.get("action") == "snooze" and v is None:
            raise ValueError("a snooze needs `days`")
        return v


class SchedulerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    hour: int = Field(default=2, ge=0, le=23)
    minute: int = Field(default=30, ge=0, le=59)
    timezone: str = "Europe/London"
    misfire_grace_seconds: int = Field(default=6 * 3600, ge=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(v)
        except Exception:  # noqa: BLE001
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


class MeshSettings(BaseModel):
    """MESH sending mailbox. Secrets come from environment variables, never from TOML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = None  # e.g. https://msg.int.spine2.ncrs.nhs.uk ; None = MESH off (outbox only)
    mailbox: str | None = None  # our sending mailbox id
    password_env: str = "LONGERLIVES_MESH_PASSWORD"
    shared_key_env: str = "LONGERLIVES_MESH_SHARED_KEY"
    # Issued by NHS England for this flow (MESH mailbox request: "if the workflows that you
    # require do not currently exist please raise a request for a new workflow"); no default,
    # MESH sending is off (outbox, with the reason in the audit trail) until it is set.
    workflow_id: str | None = None
    workflow_id_source: str = ""
    cert_file: str | None = None  # client TLS certificate (PEM) for the real MESH
    key_file: str | None = None
    ca_file: str | None = None
    max_chunk_size_bytes: int = Field(default=75 * 1024 * 1024, ge=1024)


class OperationsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    letter_cadence_days: int = Field(default=28, ge=0)
    outcome_actions: dict[str, OutcomeAction] = Field(default_factory=dict)
    scheduler: SchedulerSettings = SchedulerSettings()
    mesh: MeshSettings = MeshSettings()
    outbox_dir: str | None = None  # default <state>/outbox
    fhir_flag_code_system: str = "https://longerlives.nhs.uk/CodeSystem/flag"
    fhir_flag_code_system_source: str = ""
    fhir_model_sample: int = Field(1, ge=0)  # Flags per distinct Flag shape checked by fhir.resources; 0 = all
    # registers up to this many people have their flag history written as the output half starts (issue 16)
    flag_history_early_max_people: int = Field(250_000, ge=0)
    flag_history_early_max_people_source: str = ""
    # the output half's passes by group (issue 16, session 31): the practice exports a group of practices
    # of at most this many flags at a time, the worklist files a group of teams of at most this many rows
    export_group_flags: int = Field(125_000, ge=1)
    export_group_flags_source: str = ""
    worklist_group_rows: int = Field(30_000, ge=1)
    worklist_group_rows_source: str = ""
    # a register in several blocks of people has each block's outputs waiting in parts of at most this
    # many people (the output half's letters, files and web worklist a part at a time; session 32)
    output_block_people: int = Field(30_000, ge=1)
    output_block_people_source: str = ""
    safeguards: SafeguardSettings = SafeguardSettings()

    @field_validator("outcome_actions")
    @classmethod
    def _known_results(cls, v: dict[str, OutcomeAction]) -> dict[str, OutcomeAction]:
        unknown = sorted(set(v) - set(OUTCOME_RESULTS))
        if unknown:
            raise ValueError(f"unknown outcome result(s) {unknown}; expected one of {list(OUTCOME_RESULTS)}")
        return v

    def action_for(self, result: str) -> OutcomeAction:
        return self.outcome_actions.get(result, OutcomeAction())
