"""Letters: personal invitations for what is due, in the person's format and language.

Two stage functions, both pure of the run store:

* ``decide_letters(...) -> pl.DataFrame`` — who gets a letter and why not
  (``choose.py``), then the letter cadence (``cadence.py``) over the last letters
  the pipeline read from the store's ``History``;
* ``write_letters(...) -> LettersWritten`` — renders the HTML letters into
  ``<staging>/letters/<practice_code>/<nhs_number>.html`` (``render.py``), a PDF beside
  each when asked, and ``letters/index.csv`` (contract columns ``nhs_number, letter,
  language, format, path``).

No names, NHS numbers or addresses are logged.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from longerlives.crashpoints import crash_point
from longerlives.letters.cadence import letters_allowed
from longerlives.letters.choose import PEOPLE_READ as CHOICE_READS
from longerlives.letters.choose import choose_letters, usable_templates
from longerlives.letters.context import LETTER_ROW, LetterContext, LetterInputs
from longerlives.letters.ledger import cadence_flags
from longerlives.letters.render import PEOPLE_READ as ROW_READS
from longerlives.letters.render import available_templates, letter_rows, render_all
from longerlives.outputs.csvfile import write_csv
from longerlives.settings.letters import LetterSettings

__all__ = [
    "PEOPLE_READ",
    "INDEX_COLUMNS",
    "LETTER_ROW",
    "LetterContext",
    "LetterInputs",
    "LettersWritten",
    "decide_letters",
    "letter_blocks",
    "write_letters",
]
log = logging.getLogger(__name__)
INDEX_COLUMNS = ["nhs_number", "letter", "language", "format", "path"]
PEOPLE_READ = (*CHOICE_READS, *ROW_READS)  # what the letters read of the people
INDEX_SCHEMA = pl.Schema({c: pl.String for c in INDEX_COLUMNS})


@dataclass(frozen=True)
class LettersWritten:
    """What the letters stage wrote: the index (contract columns plus ``letter_note``) and the files."""

    index: pl.DataFrame
    files: tuple[str, ...]
    summary: dict[str, Any] = field(default_factory=dict)


def decide_letters(
    plans: pl.DataFrame,
    people: pl.DataFrame,
    flags: pl.DataFrame,
    last_letters: pl.DataFrame,
    as_of: date,
    settings: LetterSettings,
    manual_needs: tuple[str, ...],
    cadence_days: int,
    covered: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Letter decisions for every plan (the worklists read them for the notes).

    After who-can-get-a-letter (``choose.py``), the letter cadence applies: no letter
    again within the cadence unless something new is due, and never twice on one day.
    ``covered``: ``cadence_flags(flags, plans)`` when the caller has made it already.
    """
    decisions = choose_letters(plans, people, usable_templates(available_templates(), settings), settings, manual_needs)
    if covered is None:
        covered = cadence_flags(flags, plans)  # safety letters are covered by the cadence too (issue 12)
    if covered.height == 0:
        return decisions
    allowed = letters_allowed(covered, last_letters, as_of, cadence_days).select(
        "nhs_number", "letter_allowed", "letter_blocked_reason"
    )
    blocked = pl.col("send") & (pl.col("letter_allowed") == False)  # noqa: E712 - null means no history
    return (
        decisions.join(allowed, on="nhs_number", how="left")
        .with_columns(
            pl.when(blocked)
            .then(pl.col("letter_blocked_reason"))
            .otherwise(pl.col("suppressed_because"))
            .alias("suppressed_because"),
            pl.when(blocked)
            .then(pl.format("no letter: {}", pl.col("letter_blocked_reason")))
            .otherwise(pl.col("letter_note"))
            .alias("letter_note"),
            pl.when(blocked).then(False).otherwise(pl.col("send")).alias("send"),
        )
        .drop("letter_allowed", "letter_blocked_reason")
        .sort("nhs_number")
    )


def letter_blocks(inputs: LetterInputs, block_letters: int) -> list[LetterInputs]:
    """The inputs cut into blocks of at most ``block_letters`` letters, by ranges of NHS numbers
    (ten digits: text order is number order); each block holds the decisions, people, flags and
    plans of its range only. Every letter depends only on its own person's rows, so the letters of
    the blocks are the letters of the whole. One block (the inputs as they are) when they fit."""
    sent = inputs.decisions.filter(pl.col("send"))["nhs_number"].cast(pl.String).unique().sort()
    if sent.len() <= block_letters:
        return [inputs]
    blocks = []
    for start in range(0, sent.len(), block_letters):
        lo, hi = sent[start], sent[min(start + block_letters, sent.len()) - 1]
        mine = pl.col("nhs_number").cast(pl.String).is_between(pl.lit(lo), pl.lit(hi))
        blocks.append(
            dataclasses.replace(
                inputs,
                decisions=inputs.decisions.filter(mine),
                people=inputs.people.filter(mine),
                flags=inputs.flags.filter(mine),
                plans=inputs.plans.filter(mine),
            )
        )
    return blocks


def write_letters(
    inputs: LetterInputs,
    out_dir: Path,
    as_of: date,
    settings: LetterSettings,
    make_pdf: bool = False,
) -> LettersWritten:
    """Render the letters decided on (``inputs.decisions``) into ``out_dir/letters/`` with their index.

    Each plan's ``urgency``: a ``same_day`` letter asks the person to phone today, ``soon``
    within two weeks. No letter shows a risk score or licence text (run-outputs-v2).

    Letters of earlier runs that were not collected stay in the outputs as batches
    (``batches.keep_uncollected``, issue 12); this writes tonight's batch only."""
    decisions = inputs.decisions
    paths: list[str] = []
    made = []
    for block in letter_blocks(inputs, settings.block_letters):  # one block's rows held at a time (issue 16)
        rows = letter_rows(block)
        paths += render_all(rows, out_dir, as_of, settings)  # the shipped templates (their shapes render in a process)
        made.append(rows.select("nhs_number", "letter", "language", "format"))
        del rows
    crash_point("letters.rendered")
    index = (
        pl.concat(made, how="vertical")
        .with_columns(pl.Series("path", paths, dtype=pl.String))
        .cast(INDEX_SCHEMA)
        .sort("nhs_number")
    )
    write_csv(index, out_dir / "letters" / "index.csv")
    files = ["letters/index.csv", *paths]
    if make_pdf:
        from longerlives.letters.pdf_engine import write_pdf_letters

        files += write_pdf_letters(paths, out_dir, settings)
    notes = decisions.select("nhs_number", "letter_note")
    suppressed = decisions.filter(~pl.col("send")).group_by("suppressed_because").len()
    summary = {
        "written": index.height,
        "pdf": make_pdf,
        "not_sent": dict(zip(suppressed["suppressed_because"].to_list(), suppressed["len"].to_list())),
    }
    log.info("letters: %d written (%d plans without a letter)", index.height, decisions.height - index.height)
    return LettersWritten(index.join(notes, on="nhs_number", how="left"), tuple(files), summary)
