"""Urgency of flags (run-outputs-v2): ``same_day``, ``soon`` (within two weeks) or ``routine``.

Every flag carries its urgency from its rule (``RuleSpec.urgency``, or per row for
``safety.bp_severe``); this module ranks and words it for letters, worklists and exports.
"""

from __future__ import annotations

import polars as pl

from longerlives.rules._spec import URGENCIES, URGENCY_ORDER

URGENCY_RANK: dict[str, int] = dict(URGENCY_ORDER)
URGENCY_WORDS: dict[str, str] = {"same_day": "same day", "soon": "within two weeks", "routine": "routine"}
SAFETY_PREFIX = "safety."
FLAG_SCHEMA = pl.Schema(
    {"nhs_number": pl.String(), "flag": pl.String(), "since": pl.Date(), "reason": pl.String(), "urgency": pl.String()}
)


def urgency_rank(urgency: pl.Expr) -> pl.Expr:
    """0 for same_day, 1 for soon, 2 for routine (and for anything unknown)."""
    return urgency.replace_strict(URGENCY_RANK, default=URGENCY_RANK["routine"], return_dtype=pl.Int8)


def person_urgency(flags: pl.DataFrame) -> pl.DataFrame:
    """``nhs_number, urgency``: the most urgent of each person's flags (flags with ``urgency``)."""
    if flags.height == 0:
        return pl.DataFrame(schema={"nhs_number": pl.String, "urgency": pl.String})
    return (
        flags.group_by("nhs_number")
        .agg(urgency_rank(pl.col("urgency")).min().alias("_rank"))
        .select(
            "nhs_number",
            pl.col("_rank").replace_strict(dict(enumerate(URGENCIES)), return_dtype=pl.String).alias("urgency"),
        )
        .sort("nhs_number")
    )
