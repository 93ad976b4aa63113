"""Engagement plans: one per person with open flags, safety flags included (vectorised).

A plan is: ordered actions (safety items first, then what one appointment can
cover together, then screening, then lifestyle support), a suggested lead (first
matching rule in config), a channel (contact preference and communication needs)
and reasonable adjustments (domain.md §9). Stored on ``ctx.plans`` and written as
``worklists/plans.json`` by the worklists stage.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.columnwise import sorted_by
from longerlives.dates import months_before
from longerlives.frames import PLANS, FeatureRef
from longerlives.outreach.items import GROUP_LEADS, GROUPS, OUTREACH_FLAG, flag_items_frame
from longerlives.outreach.score import AUTISM, HOMELESS, LEARNING_DISABILITY, SUBSTANCE, col
from longerlives.rules._spec import URGENCY_ORDER
from longerlives.settings.outreach import OutreachSettings

PLAN_COLUMNS = PLANS.names  # declared once, with dtypes: longerlives/frames.py


# The feature columns a plan reads (its lead signals and adjustments): after the score, the only ones
# outreach still reads (pipeline._rules_in_blocks keeps no other feature for its last pass).
PLAN_FEATURES: tuple[FeatureRef, ...] = (HOMELESS, SUBSTANCE, LEARNING_DISABILITY, AUTISM)
# Every people column a plan reads (PLAN_COLUMNS, the lead signals, channel and adjustments).
_PLAN_INPUTS = frozenset(
    {
        *PLAN_COLUMNS,
        "in_scope",
        "communication_needs",
        *(f.name for f in PLAN_FEATURES),
        "phone",
        "email",
        "contact_by_letter",
        "preferred_language",
        "interpreter_required",
    }
)


def safety_and_urgency(flags: pl.DataFrame) -> pl.DataFrame:
    """Per person with open flags: ``safety`` (the reasons of their ``safety.*`` flags, most
    urgent first) and ``urgency`` (the most urgent of all their flags)."""
    ranked = flags.with_columns(pl.col("urgency").replace_strict(URGENCY_ORDER, return_dtype=pl.Int8).alias("_u"))
    safety = (
        ranked.filter(pl.col("flag").str.starts_with("safety."))
        .sort("nhs_number", "_u", "flag")
        .group_by("nhs_number", maintain_order=True)
        .agg(pl.col("reason").alias("safety"))
    )
    most = ranked.group_by("nhs_number").agg(pl.col("_u").min())
    names = {v: k for k, v in URGENCY_ORDER.items()}
    return most.join(safety, on="nhs_number", how="left").select(
        "nhs_number",
        pl.col("safety").fill_null([]),
        pl.col("_u").replace_strict(names, return_dtype=pl.String).alias("urgency"),
    )


def refresh_urgency(plans: pl.DataFrame, flags: pl.DataFrame) -> pl.DataFrame:
    """Plans with ``urgency`` worked out again from ``flags`` (after outcomes held some);
    a plan whose flags were all held keeps no urgency (null)."""
    fresh = safety_and_urgency(flags).select("nhs_number", pl.col("urgency").alias("_fresh"))
    return (
        plans.join(fresh, on="nhs_number", how="left")
        .with_columns(pl.col("_fresh").alias("urgency"))
        .drop("_fresh")
        .select(plans.columns)
    )


def needs_list(people: pl.DataFrame) -> pl.Expr:
    return (
        col(people, "communication_needs", pl.String)
        .fill_null("")
        .str.split(";")
        .list.eval(pl.element().filter(pl.element() != ""))
    )


def _group_steps(flag_sets: pl.DataFrame) -> pl.DataFrame:
    """For each distinct set of flags (``flags``: a sorted list; one row each), the plan's steps after
    its safety items: what one appointment can cover, then screening, then lifestyle support — each
    group's words in the group's order — and the engagement contact when outreach is all there is.

    Made once a distinct set rather than once a person (issue 16, session 27): a plan's steps depend
    on nothing but the person's flags: 92,228 plans of a 100,000-person run have 10,548 distinct sets."""
    key = flag_sets.select("flags", pl.int_range(pl.len(), dtype=pl.UInt32).alias("_set"))
    per_group = (
        key.explode("flags")
        .rename({"flags": "flag"})
        .join(flag_items_frame().select("flag", "group", "order", "words"), on="flag", how="inner")
        .sort("_set", "group", "order")
        .group_by("_set", "group", maintain_order=True)
        .agg(pl.col("words").str.join(", "))
    )
    wide = per_group.pivot(on="group", index="_set", values="words") if per_group.height else per_group.select("_set")
    for g in GROUPS:
        if g not in wide.columns:
            wide = wide.with_columns(pl.lit(None, dtype=pl.String).alias(g))
    texts = key.join(wide, on="_set", how="left", maintain_order="left").select(
        "flags", *[pl.format("{}{}", pl.lit(GROUP_LEADS[g]), pl.col(g)).alias(f"_a_{g}") for g in GROUPS]
    )
    engage = pl.when(
        pl.col("flags").list.contains(OUTREACH_FLAG)
        & pl.col("_a_appointment").is_null()
        & pl.col("_a_screening").is_null()
        & pl.col("_a_lifestyle").is_null()
    ).then(pl.lit("Engagement contact: check in and offer support"))
    return texts.select(
        "flags",
        pl.concat_list(pl.col("_a_appointment"), pl.col("_a_screening"), pl.col("_a_lifestyle"), engage)
        .list.drop_nulls()
        .alias("_steps"),
    )


def _lead(p: pl.DataFrame, as_of: date, s: OutreachSettings) -> tuple[pl.Expr, pl.Expr]:
    home = col(p, HOMELESS)
    signals = {
        "safety": pl.col("has_safety"),
        "outreach": pl.col("outreach").fill_null(False),
        "outreach_strict": pl.col("outreach_strict").fill_null(False),
        "core_team": pl.col("core_team").is_not_null(),
        "no_core_team": pl.col("core_team").is_null(),
        "homeless": home.is_not_null() & (home > months_before(as_of, s.inclusion.homeless_months)),
        "substance_dependence": col(p, SUBSTANCE).is_not_null(),
        "learning_disability": col(p, LEARNING_DISABILITY).is_not_null(),
        "autism": col(p, AUTISM).is_not_null(),
    }
    lead, why = pl.lit("GP practice"), pl.lit("default")
    for rule in reversed(s.lead_rules):
        cond = pl.all_horizontal([signals[w] for w in rule.when]) if rule.when else pl.lit(True)
        lead = pl.when(cond).then(pl.lit(rule.lead)).otherwise(lead)
        why = pl.when(cond).then(pl.lit(rule.why)).otherwise(why)
    return lead, why


def _channel(p: pl.DataFrame, s: OutreachSettings) -> tuple[pl.Expr, pl.Expr]:
    needs = pl.col("_needs")
    manual = needs.list.eval(pl.element().filter(pl.element().is_in(list(s.manual_needs)))).list.join(";")
    manual = pl.when(manual == "").then(None).otherwise(manual)
    phone, email = col(p, "phone", pl.String), col(p, "email", pl.String)
    by_letter = col(p, "contact_by_letter", pl.Boolean).fill_null(True)
    channel = (
        pl.when(manual.is_not_null())
        .then(pl.format("phone or in person ({} needed, no standard letter)", manual))
        .when(~by_letter & phone.is_not_null())
        .then(pl.lit("phone (no letters)"))
        .when(~by_letter & email.is_not_null())
        .then(pl.lit("email (no letters)"))
        .when(~by_letter)
        .then(pl.lit("in person (no letters)"))
        .when(needs.list.contains("email") & email.is_not_null())
        .then(pl.lit("email"))
        .when(needs.list.contains("easy_read"))
        .then(pl.lit("letter (easy read)"))
        .when(needs.list.contains("large_print"))
        .then(pl.lit("letter (large print)"))
        .otherwise(pl.lit("letter"))
    )
    return channel, manual


def _adjustments(p: pl.DataFrame, s: OutreachSettings) -> pl.Series:
    """Each plan's reasonable adjustments, in the configuration's order: which of them apply to each
    person is worked out column-wise, and the texts are listed once for each distinct combination
    (issue 16, session 27: a list built a person at a time cost 0.2 CPU-s at 100,000 people)."""
    needs = pl.col("_needs")
    lang = col(p, "preferred_language", pl.String).fill_null("en")
    conds = {
        "interpreter": col(p, "interpreter_required", pl.Boolean).fill_null(False) | (lang != "en"),
        "learning_disability": col(p, LEARNING_DISABILITY).is_not_null(),
        "autism": col(p, AUTISM).is_not_null(),
        "outreach_strict": pl.col("outreach_strict").fill_null(False),
    }
    texts = list(s.adjustments.values())
    if not texts:
        return pl.Series("reasonable_adjustments", [[]] * p.height, dtype=pl.List(pl.String))
    wanted = p.select(  # whether each configured adjustment applies (a null condition: it does not)
        pl.struct(
            conds.get(key, needs.list.contains(key)).fill_null(False).alias(f"_a{i}")
            for i, key in enumerate(s.adjustments)
        ).alias("_set")
    )
    distinct = wanted.unique()
    lists = distinct.with_columns(
        pl.Series(
            "reasonable_adjustments",
            [[t for t, on in zip(texts, row.values()) if on] for row in distinct["_set"].to_list()],
            dtype=pl.List(pl.String),
        )
    )
    return wanted.join(lists, on="_set", how="left", maintain_order="left")["reasonable_adjustments"]


def build_plans(people: pl.DataFrame, flags: pl.DataFrame, as_of: date, settings: OutreachSettings) -> pl.DataFrame:
    """One row per in-scope person with an open flag (safety flags included), sorted by NHS number."""
    people = people.select([c for c in people.columns if c in _PLAN_INPUTS])  # not every feature column
    p = people.filter(pl.col("in_scope")).with_columns(needs_list(people).alias("_needs"))
    flag_lists = (
        flags.select("nhs_number", "flag").sort("flag").group_by("nhs_number").agg(pl.col("flag").alias("flags"))
    )
    p = p.join(flag_lists, on="nhs_number", how="inner").join(safety_and_urgency(flags), on="nhs_number", how="left")
    p = p.with_columns((pl.col("safety").list.len() > 0).alias("has_safety"))
    steps = _group_steps(p.select(pl.col("flags").unique()))
    p = p.join(steps, on="flags", how="left", maintain_order="left")
    actions = pl.concat_list(pl.col("safety").list.eval(pl.lit("Safety: ") + pl.element()), pl.col("_steps"))
    lead, why = _lead(p, as_of, settings)
    channel, manual = _channel(p, settings)
    plans = p.with_columns(
        actions.alias("actions"),
        lead.alias("lead"),
        why.alias("lead_why"),
        channel.alias("channel"),
        manual.alias("manual_needs"),
        _adjustments(p, settings).alias("reasonable_adjustments"),
        col(p, "preferred_language", pl.String).fill_null("en").alias("language"),
        col(p, "interpreter_required", pl.Boolean).fill_null(False).alias("interpreter_required"),
    ).select(PLAN_COLUMNS)
    del p
    return sorted_by(plans, ["nhs_number"])  # a column at a time (columnwise.py; issue 16)
