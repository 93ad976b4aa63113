"""What the letters stage reads, and exactly what a letter template receives.

* ``LetterInputs`` — the frames ``write_letters`` / ``letter_rows`` read (one value instead
  of a long argument list).
* ``LETTER_ROW`` — one letter's fields (the ``p`` a template reads), declared once with
  their dtypes; ``letter_rows`` produces a frame of exactly these columns.
* ``LetterContext`` — every variable a template under ``templates/letters/`` receives;
  ``tests/letters/test_letter_context.py`` fails when a template uses a variable that is
  not a field here, or a ``p.<field>`` that is not a ``LETTER_ROW`` column.

No risk score is ever a field: letters never show one (run-outputs-v2).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import polars as pl

from longerlives.frames import Col, FrameSchema

_STR, _BOOL = pl.String(), pl.Boolean()
_LIST = pl.List(pl.String())


@dataclass(frozen=True)
class LetterInputs:
    """The frames the letters are written from.

    ``decisions``: ``letters.decide_letters`` (after outcomes hold some): who gets which
    template, format and language (``send`` true); ``people``: the outreach people frame
    (names, address, practice, core team); ``flags``: open flags (FLAGS); ``plans``:
    engagement plans (PLANS; ``has_safety`` and ``urgency`` per person); ``practices`` /
    ``teams``: the extract's contact details (None or empty: the letter says so plainly)."""

    decisions: pl.DataFrame
    people: pl.DataFrame
    flags: pl.DataFrame
    plans: pl.DataFrame
    practices: pl.DataFrame | None = None
    teams: pl.DataFrame | None = None


LETTER_ROW = FrameSchema(
    "letter rows",
    (
        Col("nhs_number", _STR, "ten digits (file name; never shown unspaced)"),
        Col("format", _STR, "standard, large_print or easy_read"),
        Col("language", _STR, "ISO 639-1 code of the template's language"),
        Col("template", _STR, "template path under templates/letters/"),
        Col("interpreter_offer", _BOOL, "offer an interpreter (language not English or one asked for)"),
        Col("practice_dir", _STR, "practice code made safe as a folder name"),
        Col("title", _STR, "title ('' when none)"),
        Col("given_name", _STR, "given name ('' when none)"),
        Col("family_name", _STR, "family name ('' when none)"),
        Col("address", _LIST, "postal address lines then postcode, empty lines left out"),
        Col("nhs_spaced", _STR, "NHS number as 3 3 4 digits"),
        Col("practice_name", _STR, "GP practice name (null when unknown)"),
        Col("practice_phone", _STR, "GP practice phone (null when unknown)"),
        Col("practice_address", _STR, "GP practice address (null when unknown)"),
        Col("team_name", _STR, "core team name (null when no core team)"),
        Col("team_phone", _STR, "core team phone"),
        Col("team_email", _STR, "core team email"),
        Col("appointment", _LIST, "open appointment-group flag ids, in plan order"),
        Col("screening", _LIST, "open screening-group flag ids, in plan order"),
        Col("lifestyle", _LIST, "open lifestyle-group flag ids, in plan order"),
        Col("urgency", _STR, "same_day (phone today), soon (within two weeks) or routine"),
        Col("urgent", _BOOL, "urgency is not routine"),
        Col("letter", _STR, "urgent_invitation or health_check_invitation (letters/index.csv)"),
    ),
)


@dataclass(frozen=True)
class LetterContext:
    """Exactly the variables a letter template receives (``render(**context.variables())``)."""

    p: dict[str, Any]  # one row of LETTER_ROW: the person's letter fields
    as_of: date  # the run's as-of date: the letter's date
    font_pt: float  # body font size for the letter's format (config/letters.toml)
    large_print: bool  # large print or easy read: bigger type, fewer items per page
    pictures: dict[str, str]  # easy read: picture name -> data URI (templates/letters/pictures/)
    picture_credit: str  # easy read: the pictures' licence credit line
    large_print_reasons_max: int  # at most this many items listed in a large-print letter
    standard_reasons_max: int  # at most this many items listed in a standard letter

    def variables(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


CONTEXT_FIELDS = tuple(f.name for f in fields(LetterContext))
