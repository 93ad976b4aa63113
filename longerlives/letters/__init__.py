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
from longerlives.outputs.csvfile import CsvBlocks
from longerlives.settings.letters import LetterSettings

__all__ = [
    "PEOPLE_READ",
    "INDEX_COLUMNS",
    "LETTER_ROW",
    "LetterContext",
    "LetterInputs",
    "LettersInBlocks",
    "LettersWritten",
    "decide_letters",
    "letter_blocks",
    "write_letters",
]
log = logging.getLogger(__name__)
INDEX_COLUMNS = ["nhs_number", "letter", "language", "format", "path"]
INDEX_FILE = "letters/index.csv"
PEOPLE_READ = (*CHOICE_READS, *ROW_READS)  # what the letters read of the people
INDEX_SCHEMA = pl.Schema({c: pl.String for c in INDEX_COLUMNS})


@dataclass(frozen=True)
class LettersWritten:
    """What the letters stage wrote: the index (contract columns plus ``letter_note``; ``write_letters``
    only: ``LettersInBlocks`` returned each block's from ``add`` and holds none), how many letter files
    (HTML and PDF) and where. ``files`` lists them, read back from the index on disk: a run of 600,000
    people does not hold half a million paths through its output half (issue 16, session 33)."""

    index: pl.DataFrame
    out_dir: Path
    letters: int  # letter files written: every HTML letter, and its PDF when asked
    pdf_files: tuple[str, ...] = ()
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def files(self) -> tuple[str, ...]:
        """Every file written: ``letters/index.csv``, each HTML letter in the index's order, each PDF."""
        return (INDEX_FILE, *written_letters(self.out_dir), *self.pdf_files)


def written_letters(out_dir: Path) -> list[str]:
    """The HTML letters' paths (relative to ``out_dir``) as ``letters/index.csv`` lists them."""
    paths = pl.read_csv(out_dir / INDEX_FILE, columns=["path"], schema_overrides={"path": pl.String})
    return paths["path"].to_list()


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
    blocks = LettersInBlocks(out_dir, as_of, settings)
    index = blocks.add(inputs)
    return dataclasses.replace(blocks.finish(make_pdf), index=index)


class LettersInBlocks:
    """``write_letters`` for inputs given a block of people at a time, in NHS-number order (the
    pipeline's output half; issue 16, session 31): ``add`` renders a block's letters, appends its rows
    to ``letters/index.csv`` and returns them; ``finish`` closes the index (and writes the PDFs when
    asked) once every block is in. Every letter depends only on its own person's rows, so the letters
    and index of the blocks are those of the whole; neither the index rows nor the letters' paths of
    the blocks already in are held (issue 16, session 33: 40 MB and 46 MB at 600,000 people)."""

    def __init__(self, out_dir: Path, as_of: date, settings: LetterSettings) -> None:
        self.out_dir, self.as_of, self.settings = out_dir, as_of, settings
        self._index = CsvBlocks(out_dir / INDEX_FILE)
        self._opened = False
        self._written = 0
        self._plans = 0
        self._not_sent: dict[str, int] = {}

    def add(self, inputs: LetterInputs) -> pl.DataFrame:
        """Render this block's letters; returns its index rows (contract columns and ``letter_note``)."""
        decisions = inputs.decisions
        paths: list[str] = []
        made = []
        for block in letter_blocks(inputs, self.settings.block_letters):  # one block's rows held at a time
            rows = letter_rows(block)
            paths += render_all(rows, self.out_dir, self.as_of, self.settings)  # the shipped templates
            made.append(rows.select("nhs_number", "letter", "language", "format"))
            del rows
        index = (
            pl.concat(made, how="vertical")
            .with_columns(pl.Series("path", paths, dtype=pl.String))
            .cast(INDEX_SCHEMA)
            .sort("nhs_number")
        )
        del paths
        notes = decisions.select("nhs_number", "letter_note")
        suppressed = decisions.filter(~pl.col("send")).group_by("suppressed_because").len()
        for reason, n in zip(suppressed["suppressed_because"].to_list(), suppressed["len"].to_list()):
            self._not_sent[reason] = self._not_sent.get(reason, 0) + n
        self._plans += decisions.height
        self._append(index)
        return index.join(notes, on="nhs_number", how="left")

    def _append(self, index: pl.DataFrame) -> None:
        if not self._opened:
            self._index.open()
            self._opened = True
        self._index.add(index.select(INDEX_COLUMNS))
        self._written += index.height

    def finish(self, make_pdf: bool = False) -> LettersWritten:
        crash_point("letters.rendered")
        if not self._opened:  # no block given: the index is its header alone
            self._append(pl.DataFrame(schema=INDEX_SCHEMA))
        self._index.close()
        pdfs: tuple[str, ...] = ()
        if make_pdf:
            from longerlives.letters.pdf_engine import write_pdf_letters

            pdfs = tuple(write_pdf_letters(written_letters(self.out_dir), self.out_dir, self.settings))
        summary = {"written": self._written, "pdf": make_pdf, "not_sent": dict(self._not_sent)}
        log.info("letters: %d written (%d plans without a letter)", self._written, self._plans - self._written)
        empty = pl.DataFrame(schema={**INDEX_SCHEMA, "letter_note": pl.String})
        return LettersWritten(empty, self.out_dir, self._written + len(pdfs), pdfs, summary)
