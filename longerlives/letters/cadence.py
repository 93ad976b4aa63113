"""Letter cadence: nobody gets a letter again within ``letter_cadence_days`` (default 28)
unless something new is due, and never twice on one day.

``letters_allowed(flags, last_letters, as_of, cadence_days)`` is pure: it takes the
open flags a letter would speak to and each person's last letter (from the run
store's ``History``, read once by the pipeline) and answers, for every person with
open flags, whether a letter may go in this run.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.history import LAST_LETTERS_SCHEMA

ALLOWED_SCHEMA = pl.Schema({"nhs_number": pl.String, "letter_allowed": pl.Boolean, "letter_blocked_reason": pl.String})


def letters_allowed(flags: pl.DataFrame, last_letters: pl.DataFrame, as_of: date, cadence_days: int) -> pl.DataFrame:
    """``nhs_number, letter_allowed, letter_blocked_reason`` for everyone with open flags.

    Pass only the flags a letter speaks to, so a new non-letter flag does not count as
    "something new due".
    """
    cadence = int(cadence_days)
    if flags.height == 0:
        return pl.DataFrame(schema=ALLOWED_SCHEMA)
    last = last_letters
    for name, dtype in LAST_LETTERS_SCHEMA.items():
        if name not in last.columns:
            last = last.with_columns(pl.lit(None, dtype=dtype).alias(name))
    now = flags.group_by(pl.col("nhs_number").cast(pl.String)).agg(pl.col("flag").unique().sort().alias("_now"))
    j = now.join(
        last.select(pl.col("nhs_number").cast(pl.String), "last_letter", "last_letter_flags"),
        on="nhs_number",
        how="left",
    )
    j = j.with_columns(
        pl.col("_now")
        .list.set_difference(
            pl.col("last_letter_flags").fill_null("").str.split(";").list.eval(pl.element().filter(pl.element() != ""))
        )
        .alias("_new"),
        (pl.lit(as_of) - pl.col("last_letter")).dt.total_days().alias("_days"),
    )
    d = pl.col("last_letter").dt.to_string("%Y-%m-%d")
    reason = (
        pl.when(pl.col("last_letter").is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(pl.col("_days") <= 0)
        .then(pl.lit("a letter already went on ") + d)
        .when((pl.col("_days") < cadence) & (pl.col("_new").list.len() == 0))
        .then(pl.lit("last letter went on ") + d + pl.lit(f", less than {cadence} days ago, and nothing new is due"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    return (
        j.with_columns(reason.alias("letter_blocked_reason"))
        .select(
            "nhs_number", pl.col("letter_blocked_reason").is_null().alias("letter_allowed"), "letter_blocked_reason"
        )
        .sort("nhs_number")
        .cast(ALLOWED_SCHEMA)
    )
