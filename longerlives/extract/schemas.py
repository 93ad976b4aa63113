"""One declared schema per input table, word for word from register-extract-v1.md.

A column's ``kind`` says how it is parsed and checked (see ``validate.py``):

* ``nhs_number`` — 10 digits after removing spaces and dashes, modulus-11 check digit
* ``string`` — free text (``regex`` optional)
* ``date`` — ISO ``YYYY-MM-DD``
* ``float`` / ``int`` — numbers, with optional inclusive ``min``/``max``
* ``bool`` — true/false, t/f, yes/no, y/n, 1/0 in any case
* ``enum`` — one of ``values`` (``aliases`` map other spellings, case-insensitive)
* ``needs`` — ``;``-separated list of ``values``
"""

from __future__ import annotations

from dataclasses import dataclass, field

CONTRACT = "register-extract-v1"

# NHS Organisation Data Service codes are upper-case letters and digits (a GP practice:
# one letter and five digits, e.g. F83004; other organisations 3 to 9 characters).
# Anything else (`f85729`, `../../x`, a NUL byte) is quarantined: practice codes name
# export folders and letter folders. Source: NHS ODS, "ODS codes" (digital.nhs.uk).
ODS_CODE = r"^[A-Z0-9]{3,10}$"
# Team codes are local: any printable text, mapped to collision-free file names
# (longerlives/outputs/filenames.py); a control character (NUL, newline) is quarantined.
TEAM_CODE = r"^[^\x00-\x1f\x7f]+$"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = False
    description: str = ""
    values: tuple[str, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    regex: str | None = None
    default: object = None


@dataclass(frozen=True)
class TableSchema:
    name: str
    required: bool
    columns: tuple[Column, ...]
    unique: str | None = None  # column whose value must be unique in the file
    belongs_to_patient: bool = False  # nhs_number must match a valid patient row

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


from longerlives.vocabulary import (  # noqa: E402 - re-exported for readers of the schema
    COMMUNICATION_NEEDS,
    ETHNIC_CATEGORIES,
    SERVICES,
    SEX_ALIASES,
    SEX_VALUES,
)

PATIENTS = TableSchema(
    name="patients",
    required=True,
    unique="nhs_number",
    columns=(
        Column("nhs_number", "nhs_number", True, "NHS number; spaces/dashes removed; modulus-11 check; unique"),
        Column("practice_code", "string", True, "ODS code of the registered GP practice", regex=ODS_CODE),
        Column("date_of_birth", "date", True, "date of birth"),
        Column("sex", "enum", True, "sex as recorded in the GP record", SEX_VALUES, SEX_ALIASES),
        Column(
            "ethnic_category",
            "enum",
            False,
            "NHS Data Dictionary ethnic category; empty or Z = not stated",
            ETHNIC_CATEGORIES,
        ),
        Column("lsoa_code", "string", False, "2011 or 2021 LSOA of residence"),
        Column("imd_decile", "int", False, "English IMD decile, 1 = most deprived", min=1, max=10),
        Column("townsend_score", "float", False, "Townsend deprivation score"),
        Column("title", "string", False, "title"),
        Column("given_name", "string", True, "given name"),
        Column("family_name", "string", True, "family name"),
        Column("address_line_1", "string", True, "postal address line 1"),
        Column("address_line_2", "string", False, "postal address line 2"),
        Column("address_line_3", "string", False, "postal address line 3"),
        Column("address_line_4", "string", False, "postal address line 4"),
        Column("postcode", "string", True, "UK postcode"),
        Column("phone", "string", False, "phone"),
        Column("email", "string", False, "email"),
        Column("preferred_language", "string", False, "ISO 639-1 code; default en", regex=r"^[a-z]{2}$", default="en"),
        Column("interpreter_required", "bool", False, "interpreter required; default false", default=False),
        Column("communication_needs", "needs", False, "Accessible Information Standard needs", COMMUNICATION_NEEDS),
        Column(
            "contact_by_letter", "bool", False, "false = never generate a postal letter; default true", default=True
        ),
        Column("registered_from", "date", False, "registration start"),
        Column("registered_to", "date", False, "out of scope from this day"),
        Column("date_of_death", "date", False, "a dead person is out of scope"),
        Column("core_team", "string", False, "community mental health core team code", regex=TEAM_CODE),
    ),
)

EVENTS = TableSchema(
    name="events",
    required=True,
    belongs_to_patient=True,
    columns=(
        Column("nhs_number", "nhs_number", True, "must match a patient"),
        Column("date", "date", True, "date the event happened"),
        Column("code", "string", True, "SNOMED CT concept id", regex=r"^[0-9]{6,18}$"),
        Column("value", "float", False, "numeric result where the concept has one"),
        Column("unit", "string", False, "free text, informational"),
    ),
)

MEDICATIONS = TableSchema(
    name="medications",
    required=False,
    belongs_to_patient=True,
    columns=(
        Column("nhs_number", "nhs_number", True, "must match a patient"),
        Column("date", "date", True, "issue date"),
        Column("bnf_code", "string", True, "BNF presentation or chemical code", regex=r"^[0-9A-Za-z]{2,15}$"),
        Column("dmd_code", "string", False, "dm+d id, informational"),
        Column("name", "string", False, "product name, informational"),
    ),
)

ENCOUNTERS = TableSchema(
    name="encounters",
    required=False,
    belongs_to_patient=True,
    columns=(
        Column("nhs_number", "nhs_number", True, "must match a patient"),
        Column("date", "date", True, "date of the contact"),
        Column("service", "enum", True, "where the contact was", SERVICES),
        Column("attended", "bool", True, "false = booked but did not attend"),
    ),
)

TEAMS = TableSchema(
    name="teams",
    required=False,
    unique="team_code",
    columns=(
        Column("team_code", "string", True, "core team code", regex=TEAM_CODE),
        Column("name", "string", False, "team name"),
        Column("phone", "string", False, "phone"),
        Column("email", "string", False, "email"),
        Column("address", "string", False, "address, one line"),
    ),
)

PRACTICES = TableSchema(
    name="practices",
    required=False,
    unique="practice_code",
    columns=(
        Column("practice_code", "string", True, "ODS code", regex=ODS_CODE),
        Column("name", "string", False, "practice name"),
        Column("phone", "string", False, "phone"),
        Column("address", "string", False, "address, one line"),
        Column("mesh_mailbox", "string", False, "MESH mailbox id for delivering exports"),
    ),
)

SCHEMAS: dict[str, TableSchema] = {s.name: s for s in (PATIENTS, EVENTS, MEDICATIONS, ENCOUNTERS, TEAMS, PRACTICES)}
