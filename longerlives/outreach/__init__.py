"""Outreach: marginalisation ranking, safety-first engagement plans (issue 5).

``stage(ctx)`` adds ``marginalisation_score``, ``marginalisation_rank``,
``outreach``, ``outreach_strict`` and ``outreach_reasons`` to ``ctx.people``,
appends an ``outreach.marginalised`` flag for everyone selected, and builds
``ctx.plans`` (one engagement plan per person with open flags or a safety item).

``safety_items`` on ``ctx.people`` comes from ``longerlives/rules/safety.py``
(joined by the pipeline before this stage); when it is absent nobody has a
safety item and a warning is logged.
"""

from __future__ import annotations

import logging

import polars as pl

from longerlives.context import RunContext
from longerlives.outcomes import apply_outcomes, closed_people
from longerlives.outreach.items import OUTREACH_FLAG
from longerlives.outreach.plans import build_plans
from longerlives.outreach.score import OUT_COLUMNS, score_and_rank

log = logging.getLogger(__name__)
FLAG_SCHEMA = {"nhs_number": pl.String, "flag": pl.String, "since": pl.Date, "reason": pl.String}


def outreach_flags(people: pl.DataFrame) -> pl.DataFrame:
    """One ``outreach.marginalised`` flag per selected person. ``since`` is empty: when
    somebody became marginalised is not knowable from one extract (contract: else empty)."""
    sel = people.filter(pl.col("outreach") & pl.col("in_scope"))
    n = int(people["marginalisation_rank"].max() or 0)
    prefix = (
        pl.when(pl.col("outreach_strict"))
        .then(pl.format("Meets the strict Longer Lives definition (rank {} of {})", pl.col("marginalisation_rank"), pl.lit(n)))
        .otherwise(pl.format("Among the most marginalised (rank {} of {})", pl.col("marginalisation_rank"), pl.lit(n)))
    )
    return sel.select(
        pl.col("nhs_number"),
        pl.lit(OUTREACH_FLAG).alias("flag"),
        pl.lit(None, dtype=pl.Date).alias("since"),
        pl.format("{}: {}", prefix, pl.col("outreach_reasons").fill_null("no signal recorded")).alias("reason"),
    ).cast(FLAG_SCHEMA)


def contacts_known(ctx: RunContext) -> bool:
    """False when the extract carried no encounters at all (contacts unknown, not absent)."""
    if ctx.extract is None:
        return True
    return bool(ctx.extract.rows_read.get("encounters", 0))


def _after_outcomes(ctx: RunContext, selected: pl.DataFrame) -> pl.DataFrame:
    """The outreach flags recorded outcomes leave open (declined snoozes, moved away closes)."""
    kept = apply_outcomes(selected, ctx.outcomes, ctx.as_of, ctx.settings)
    ctx.summary["flags_held_by_outcomes"] = ctx.summary.get("flags_held_by_outcomes", 0) + selected.height - kept.height
    return kept


def stage(ctx: RunContext) -> None:
    s = ctx.settings.outreach
    people = ctx.people.drop([c for c in OUT_COLUMNS if c in ctx.people.columns])
    if "safety_items" not in people.columns:
        log.warning("outreach: no safety_items column on people; plans carry no safety items")
        people = people.with_columns(pl.lit(None, dtype=pl.String).alias("safety_items"))
    known = contacts_known(ctx)
    if not known:
        log.warning("outreach: extract has no encounters; contact signals not scored, strict = no check elements only")
    people = score_and_rank(people, ctx.flags, ctx.as_of, s, contacts_known=known)
    flags = ctx.flags.filter(pl.col("flag") != OUTREACH_FLAG)
    selected = _after_outcomes(ctx, outreach_flags(people))
    ctx.flags = pl.concat([flags.cast(FLAG_SCHEMA), selected]).sort("nhs_number", "flag")
    ctx.people = people
    ctx.plans = build_plans(people, ctx.flags, ctx.as_of, s)
    closed = closed_people(ctx.outcomes, ctx.as_of, ctx.settings)  # moved away, deceased: off the worklist
    if closed:
        ctx.plans = ctx.plans.filter(~pl.col("nhs_number").is_in(sorted(closed)))
    ctx.summary["outreach"] = {
        "selected": int(people["outreach"].sum()),
        "strict": int(people["outreach_strict"].sum()),
        "plans": ctx.plans.height,
        "with_safety_items": int(ctx.plans["has_safety"].sum()),
    }
    log.info("outreach: %d selected (%d strict), %d plans", ctx.summary["outreach"]["selected"],
             ctx.summary["outreach"]["strict"], ctx.plans.height)
