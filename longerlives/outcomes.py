"""Outreach outcomes: what teams record after contacting someone, and what that does
to the person's open flags on the next run.

``apply_outcomes(flags, outcomes, as_of, settings)`` is pure: it takes the open
flags and each person's latest outcome (``ctx.outcomes``: ``nhs_number,
last_outcome, last_outcome_date``) and returns the flags still to show. What each
result does comes from ``[outcome_actions]`` in ``config/operations.toml``:

* ``snooze`` hides the listed flags from the outcome date for ``days`` days
  (declined → ``outreach.marginalised`` for 90 days by default);
* ``close`` hides them until a newer outcome is recorded, or for ``days`` when set
  (moved_away → every flag by default);
* ``none`` leaves the flags alone (completed: the next extract shows the checks).

Outcomes dated after the as-of date are ignored, as every event is.
"""

from __future__ import annotations

import re
from datetime import date

import polars as pl

from longerlives.settings.operations import OperationsSettings


def held_flags(
    flags: pl.DataFrame, outcomes: pl.DataFrame | None, as_of: date, ops: OperationsSettings
) -> pl.DataFrame:
    """The (nhs_number, flag) rows an outcome hides on ``as_of``, with the outcome that does it."""
    empty = (
        flags.head(0)
        .select("nhs_number", "flag")
        .with_columns(pl.lit(None, dtype=pl.String).alias("last_outcome"), pl.lit(None, dtype=pl.Date).alias("until"))
    )
    if outcomes is None or outcomes.height == 0 or flags.height == 0:
        return empty
    rules = []
    for result, act in ops.outcome_actions.items():
        if act.action == "none":
            continue
        for flag in act.flags:
            rules.append({"last_outcome": result, "_flag": flag, "_days": act.days})
    if not rules:
        return empty
    rule_frame = pl.DataFrame(rules, schema={"last_outcome": pl.String, "_flag": pl.String, "_days": pl.Int64})
    current = (
        outcomes.select(pl.col("nhs_number").cast(pl.String), "last_outcome", "last_outcome_date")
        .filter(pl.col("last_outcome_date") <= as_of)
        .join(rule_frame, on="last_outcome", how="inner")
        .with_columns(
            pl.when(pl.col("_days").is_not_null())
            .then(pl.col("last_outcome_date") + pl.duration(days=pl.col("_days")))
            .otherwise(pl.lit(None, dtype=pl.Date))
            .alias("until")
        )
        .filter(pl.col("until").is_null() | (pl.lit(as_of) < pl.col("until")))
    )
    keyed = flags.select(pl.col("nhs_number").cast(pl.String), "flag")
    hits = keyed.join(current, on="nhs_number", how="inner").filter(
        (pl.col("_flag") == "*") | (pl.col("_flag") == pl.col("flag"))
    )
    return (
        hits.sort("nhs_number", "flag", "until", nulls_last=True)
        .unique(subset=["nhs_number", "flag"], keep="last")
        .select("nhs_number", "flag", "last_outcome", "until")
        .sort("nhs_number", "flag")
    )


def apply_outcomes(
    flags: pl.DataFrame, outcomes: pl.DataFrame | None, as_of: date, ops: OperationsSettings
) -> pl.DataFrame:
    """The flags still open once recorded outcomes have closed or snoozed theirs (order kept)."""
    if flags is None or outcomes is None or outcomes.height == 0:
        return flags
    held = held_flags(flags, outcomes, as_of, ops)
    if held.height == 0:
        return flags
    cast = flags.schema["nhs_number"]
    return flags.join(
        held.select(pl.col("nhs_number").cast(cast), "flag"),
        on=["nhs_number", "flag"],
        how="anti",
        maintain_order="left",
    )


_NHS = re.compile(r"^[0-9]{10}$")  # ASCII digits only: \d also matches Arabic-Indic and other digits


def valid_nhs_number(text: str) -> bool:
    """Ten digits with a correct modulus-11 check digit."""
    t = text.replace(" ", "").replace("-", "")
    if not t.isascii() or not _NHS.match(t):
        return False
    total = sum(int(d) * w for d, w in zip(t[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(t[9])


# -- issue 13: outcomes recorded on the web reach every part of the next run ------------
LETTER_HOLD_SCHEMA = pl.Schema({"nhs_number": pl.String, "letter_hold_reason": pl.String})


def closed_people(outcomes: pl.DataFrame | None, as_of: date, ops: OperationsSettings) -> set[str]:
    """NHS numbers whose latest outcome closes every flag on ``as_of`` (moved away, deceased):
    they leave the worklist altogether, safety items included."""
    if outcomes is None or outcomes.height == 0:
        return set()
    closing = sorted(r for r, act in ops.outcome_actions.items() if act.action == "close" and "*" in act.flags)
    latest = outcomes.filter(pl.col("last_outcome").is_in(closing))
    probe = latest.select(pl.col("nhs_number").cast(pl.String), pl.lit("*probe*").alias("flag")).unique()
    return set(held_flags(probe, latest, as_of, ops)["nhs_number"].to_list())


def after_outreach(
    flags: pl.DataFrame, plans: pl.DataFrame, outcomes: pl.DataFrame | None, as_of: date, ops: OperationsSettings
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Outcomes again once outreach has added its flags: declined snoozes ``outreach.marginalised``,
    moved away / deceased close it too and take the person's plan (so their worklist row) away.
    Returns ``(flags, plans, flags_held)``."""
    kept = apply_outcomes(flags, outcomes, as_of, ops)
    held = flags.height - kept.height
    closed = closed_people(outcomes, as_of, ops)
    if held == 0 and not closed:
        return flags, plans, 0
    per_person = kept.group_by(pl.col("nhs_number").cast(pl.String)).agg(pl.col("flag").sort().alias("_kept"))
    plans = (
        plans.filter(~pl.col("nhs_number").cast(pl.String).is_in(sorted(closed)))
        .join(per_person, on="nhs_number", how="left")
        .with_columns(pl.col("_kept").fill_null(pl.lit([], dtype=pl.List(pl.String))).alias("flags"))
        .drop("_kept")
    )
    return kept, plans, held


def letters_held(outcomes: pl.DataFrame | None, as_of: date, ops: OperationsSettings) -> pl.DataFrame:
    """``nhs_number, letter_hold_reason`` for people whose latest outcome holds letters on ``as_of``.

    ``hold_letters`` in ``[outcome_actions.<result>]``: from the outcome date for
    ``hold_letters_days`` days, or until a newer outcome when no days are given
    (issue 13: a booking holds letters)."""
    holds = [
        {"last_outcome": r, "_days": act.hold_letters_days}
        for r, act in ops.outcome_actions.items()
        if act.hold_letters
    ]
    if outcomes is None or outcomes.height == 0 or not holds:
        return pl.DataFrame(schema=LETTER_HOLD_SCHEMA)
    rules = pl.DataFrame(holds, schema={"last_outcome": pl.String, "_days": pl.Int64})
    until = pl.col("last_outcome_date") + pl.duration(days=pl.col("_days"))
    return (
        outcomes.select(pl.col("nhs_number").cast(pl.String), "last_outcome", "last_outcome_date")
        .filter(pl.col("last_outcome_date") <= as_of)
        .join(rules, on="last_outcome", how="inner")
        .filter(pl.col("_days").is_null() | (pl.lit(as_of) < until))
        .select(
            "nhs_number",
            pl.format(
                "outcome '{}' recorded on {} holds letters",
                pl.col("last_outcome").str.replace_all("_", " "),
                pl.col("last_outcome_date").dt.strftime("%Y-%m-%d"),
            ).alias("letter_hold_reason"),
        )
        .sort("nhs_number")
        .cast(LETTER_HOLD_SCHEMA)
    )


def hold_letters(
    decisions: pl.DataFrame, outcomes: pl.DataFrame | None, as_of: date, ops: OperationsSettings
) -> pl.DataFrame:
    """Letter decisions with no letter for people whose latest outcome holds letters (the note says why)."""
    held = letters_held(outcomes, as_of, ops)
    if held.height == 0 or decisions.height == 0:
        return decisions
    cast = decisions.schema["nhs_number"]
    hit = pl.col("send") & pl.col("letter_hold_reason").is_not_null()
    return (
        decisions.join(
            held.with_columns(pl.col("nhs_number").cast(cast)), on="nhs_number", how="left", maintain_order="left"
        )
        .with_columns(
            pl.when(hit)
            .then(pl.col("letter_hold_reason"))
            .otherwise(pl.col("suppressed_because"))
            .alias("suppressed_because"),
            pl.when(hit)
            .then(pl.format("no letter: {}", pl.col("letter_hold_reason")))
            .otherwise(pl.col("letter_note"))
            .alias("letter_note"),
            pl.when(hit).then(False).otherwise(pl.col("send")).alias("send"),
        )
        .drop("letter_hold_reason")
    )
