"""Letters as a ledger: every letter issued exactly once, never lost (issue 12).

* ``cadence_flags`` — what a letter "covers" for the 28-day cadence: the person's open
  flags plus ``safety.item`` for anyone with a safety item. A person with a safety item
  and no other open flag was sent an urgent letter every night; now the cadence covers
  safety letters too (run-outputs-v2: "no person receives two letters within 28 days,
  safety letters included").
* letters not yet collected are kept in the outputs as batches (``batches.py``): a
  same-day rerun keeps the issued batch and writes none of its letters again. The
  store records each letter once per person and day.
"""

from __future__ import annotations

import logging

import polars as pl

log = logging.getLogger(__name__)
SAFETY_LETTER_FLAG = "safety.item"
FLAG_KEY_SCHEMA = {"nhs_number": pl.String, "flag": pl.String}


def cadence_flags(flags: pl.DataFrame | None, plans: pl.DataFrame | None) -> pl.DataFrame:
    """``nhs_number, flag`` a letter covers: open flags, plus ``safety.item`` per person with a safety item.

    In no particular order: every reader takes each person's flags as a sorted set
    (``cadence.letters_allowed``, ``Repository.record_letters``). The flags' columns are used as
    they are, not copied: a unique, sorted copy of every open flag (2.27 million at 600,000
    people) was made twice a run, the second beside the store's letters record at the end of
    the letters, the run's peak (issue 16, session 25)."""
    parts = []
    if flags is not None and flags.height:
        parts.append(flags.select(pl.col("nhs_number").cast(pl.String), pl.col("flag").cast(pl.String)))
    if plans is not None and plans.height and "has_safety" in plans.columns:
        parts.append(
            plans.filter(pl.col("has_safety").fill_null(False)).select(
                pl.col("nhs_number").cast(pl.String), pl.lit(SAFETY_LETTER_FLAG).alias("flag")
            )
        )
    if not parts:
        return pl.DataFrame(schema=FLAG_KEY_SCHEMA)
    return pl.concat(parts, rechunk=False)
