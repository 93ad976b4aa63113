"""Urgency of flags (run-outputs-v2): ``same_day``, ``soon`` (within two weeks) or ``routine``.

run-outputs-v2 makes the safety items registered ``safety.*`` flags with an ``urgency``
column in flags.csv. Until that lands on ``main`` (issue 10), the one function
``interim_safety_flags`` derives those rows from the ``safety_items`` column that the
rules stage writes today. When flags.csv carries ``urgency`` itself,
``flags_with_urgency`` uses it and ``interim_safety_flags`` is no longer called:
delete it then.

Everything here is pure: the as-of date and the threshold are passed in.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from longerlives.errors import LongerlivesError
from longerlives.settings.rules import RulesSettings

URGENCIES: tuple[str, ...] = ("same_day", "soon", "routine")
URGENCY_RANK: dict[str, int] = {u: i for i, u in enumerate(URGENCIES)}
URGENCY_WORDS: dict[str, str] = {"same_day": "same day", "soon": "within two weeks", "routine": "routine"}
SAFETY_PREFIX = "safety."
FLAG_SCHEMA = pl.Schema(
    {"nhs_number": pl.String(), "flag": pl.String(), "since": pl.Date(), "reason": pl.String(), "urgency": pl.String()}
)

# How each item of ``safety_items`` (longerlives/rules/safety.py) starts -> its run-outputs-v2 flag id.
_ITEM_FLAGS: tuple[tuple[str, str], ...] = (
    ("Urgent suspected cancer referral", "safety.usc_not_attended"),
    ("HbA1c", "safety.diabetes_range_undiagnosed"),
    ("Blood pressure", "safety.bp_severe"),
)
_ISO_DATE = r"(\d{4}-\d{2}-\d{2})"


class UnrecognisedSafetyItem(LongerlivesError):
    """A safety item this module cannot name (it must never drop out of letters and exports)."""


def urgency_rank(urgency: pl.Expr) -> pl.Expr:
    """0 for same_day, 1 for soon, 2 for routine (and for anything unknown)."""
    return urgency.replace_strict(URGENCY_RANK, default=URGENCY_RANK["routine"], return_dtype=pl.Int8)


def interim_safety_flags(people: pl.DataFrame, as_of: date, bp_same_day_days: int) -> pl.DataFrame:
    """``safety.*`` flag rows (``nhs_number, flag, since, reason, urgency``) from ``safety_items``.

    INTERIM, replaced at the issue-10 merge by the registered ``safety.*`` flags:
    ``safety.bp_severe`` is ``same_day`` when the reading is within ``bp_same_day_days``
    of the as-of date, else ``soon``; every other safety item is ``soon``
    (run-outputs-v2 flags table). ``since`` is the date the item names.
    """
    if "safety_items" not in people.columns or people.height == 0:
        return pl.DataFrame(schema=FLAG_SCHEMA)
    items = (
        people.select("nhs_number", pl.col("safety_items").str.split(";").alias("reason"))
        .explode("reason")
        .filter(pl.col("reason").is_not_null() & (pl.col("reason").str.strip_chars() != ""))
        .with_columns(pl.col("reason").str.strip_chars())
    )
    flag = pl.lit(None, dtype=pl.String)
    for prefix, flag_id in reversed(_ITEM_FLAGS):
        flag = pl.when(pl.col("reason").str.starts_with(prefix)).then(pl.lit(flag_id)).otherwise(flag)
    since = pl.col("reason").str.extract(_ISO_DATE, 1).str.to_date("%Y-%m-%d", strict=False)
    recent = since > pl.lit(as_of - timedelta(days=bp_same_day_days))
    urgency = pl.when((pl.col("flag") == "safety.bp_severe") & recent).then(pl.lit("same_day")).otherwise(pl.lit("soon"))
    out = items.with_columns(flag.alias("flag"), since.alias("since"))
    unknown = out.filter(pl.col("flag").is_null()).height
    if unknown:  # a safety item must never drop silently out of the exports and letters
        raise UnrecognisedSafetyItem(
            f"{unknown} safety item(s) not recognised as a safety.* flag (longerlives/outputs/urgency.py)"
        )
    return out.with_columns(urgency.alias("urgency")).select(list(FLAG_SCHEMA)).cast(FLAG_SCHEMA)


def flags_with_urgency(flags: pl.DataFrame, safety: pl.DataFrame | None = None) -> pl.DataFrame:
    """Every open flag with its ``urgency``, safety flags included, sorted by NHS number then flag.

    ``flags`` without an ``urgency`` column (today's flags.csv) take the urgency their rule
    declares (``RuleSpec.urgency``, ``routine`` for every registered rule today) and the
    ``safety`` rows (from ``interim_safety_flags``) are added; flags that already carry
    ``urgency`` (run-outputs-v2) are returned as they are.
    """
    if "urgency" in flags.columns:
        return flags.sort("nhs_number", "flag")
    from longerlives.rules import REGISTRY  # each rule declares its flag's urgency (RuleSpec.urgency)

    declared = {r.spec.id: r.spec.urgency for r in REGISTRY}
    base = flags.select(
        pl.col("nhs_number").cast(pl.String), pl.col("flag").cast(pl.String), pl.col("since").cast(pl.Date),
        pl.col("reason").cast(pl.String),
        pl.col("flag").cast(pl.String).replace_strict(declared, default="routine", return_dtype=pl.String).alias("urgency"),
    )
    parts = [base] + ([safety.select(list(FLAG_SCHEMA)).cast(FLAG_SCHEMA)] if safety is not None else [])
    return pl.concat(parts, how="vertical").unique(["nhs_number", "flag"], keep="first").sort("nhs_number", "flag")


def person_urgency(flags: pl.DataFrame) -> pl.DataFrame:
    """``nhs_number, urgency``: the most urgent of each person's flags (flags with ``urgency``)."""
    if flags.height == 0:
        return pl.DataFrame(schema={"nhs_number": pl.String, "urgency": pl.String})
    return (
        flags.group_by("nhs_number")
        .agg(urgency_rank(pl.col("urgency")).min().alias("_rank"))
        .select("nhs_number", pl.col("_rank").replace_strict(dict(enumerate(URGENCIES)), return_dtype=pl.String).alias("urgency"))
        .sort("nhs_number")
    )


def run_flags_with_urgency(
    flags: pl.DataFrame | None, people: pl.DataFrame | None, as_of: date, rules: RulesSettings
) -> pl.DataFrame:
    """This run's open flags with ``urgency``, safety flags included (letters, worklists, exports)."""
    if flags is None:
        flags = pl.DataFrame(schema=pl.Schema({c: FLAG_SCHEMA[c] for c in ("nhs_number", "flag", "since", "reason")}))
    if "urgency" in flags.columns or people is None:
        return flags_with_urgency(flags)
    in_scope = people.filter(pl.col("in_scope").fill_null(False)) if "in_scope" in people.columns else people
    return flags_with_urgency(flags, interim_safety_flags(in_scope, as_of, rules.safety_bp_same_day_days))
