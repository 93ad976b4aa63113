"""Outreach: marginalisation ranking, safety-first engagement plans (issue 5).

``rank_and_plan(people, flags, as_of, settings) -> Outreach`` adds
``marginalisation_score``, ``marginalisation_rank``, ``outreach``, ``outreach_strict``
and ``outreach_reasons`` to the people, appends an ``outreach.marginalised`` flag for
everyone selected, and builds the engagement plans (one per person with open flags or
a safety item).

Safety items are the ``safety.*`` flags (registered rules); plans put them first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import polars as pl

from longerlives.columnwise import sorted_by
from longerlives.frames import FeatureRef, feature
from longerlives.outreach.items import OUTREACH_FLAG
from longerlives.outreach.plans import PLAN_FEATURES, build_plans
from longerlives.outreach.plans import refresh_urgency as refresh_urgency  # the pipeline calls it after outcomes
from longerlives.outreach.score import (
    FEATURES,
    OPTIONAL_FEATURES,
    Ranking,
    rank,
    rank_keys,
    score_people,
    select,
)
from longerlives.rules._spec import FLAG_SCHEMA
from longerlives.settings.outreach import OutreachSettings

log = logging.getLogger(__name__)


def declared_features(settings: OutreachSettings) -> tuple[FeatureRef, ...]:
    """Every feature column outreach reads (its own, and the configured multimorbidity concepts)."""
    configured = (feature(c, "last_date") for c in settings.inclusion.multimorbidity_concepts)
    return tuple(dict.fromkeys((*FEATURES, *configured)))


def read_features(settings: OutreachSettings) -> tuple[FeatureRef, ...]:
    """Every feature column outreach may read: those it declares, and those it reads when present
    (the screening non-responder and DNA lists not every programme has yet). The pipeline keeps
    exactly these beside the rules' results (pipeline._rules_in_blocks)."""
    return tuple(dict.fromkeys((*declared_features(settings), *OPTIONAL_FEATURES)))


def features_after_score() -> tuple[FeatureRef, ...]:
    """The feature columns outreach reads once the people are scored (``select_and_plan``: the
    plans' lead signals and adjustments); the pipeline lets every other feature go after the score."""
    return PLAN_FEATURES


def outreach_flags(people: pl.DataFrame, cohort_size: int) -> pl.DataFrame:
    """One ``outreach.marginalised`` flag per selected person. ``since`` is empty: when
    somebody became marginalised is not knowable from one extract (contract: else empty).
    ``cohort_size``: the number ranked in the whole register (``rank N of cohort_size``), never
    read from ``people``, which may be one block of it."""
    sel = people.filter(pl.col("outreach") & pl.col("in_scope"))
    prefix = (
        pl.when(pl.col("outreach_strict"))
        .then(
            pl.format(
                "Meets the strict Longer Lives definition (rank {} of {})",
                pl.col("marginalisation_rank"),
                pl.lit(cohort_size),
            )
        )
        .otherwise(
            pl.format(
                "Among the most marginalised (rank {} of {})", pl.col("marginalisation_rank"), pl.lit(cohort_size)
            )
        )
    )
    return sel.select(
        pl.col("nhs_number"),
        pl.lit(OUTREACH_FLAG).alias("flag"),
        pl.lit(None, dtype=pl.Date).alias("since"),
        pl.format("{}: {}", prefix, pl.col("outreach_reasons").fill_null("no signal recorded")).alias("reason"),
        pl.lit("routine").alias("urgency"),
    ).cast(FLAG_SCHEMA)


@dataclass(frozen=True)
class Outreach:
    """What outreach adds: people with their ranking columns, the flags with
    ``outreach.marginalised`` added, and one engagement plan per person with open flags."""

    people: pl.DataFrame
    flags: pl.DataFrame
    plans: pl.DataFrame
    summary: dict[str, int]


def rank_and_plan(
    people: pl.DataFrame, flags: pl.DataFrame, as_of: date, settings: OutreachSettings, contacts_known: bool = True
) -> Outreach:
    """Score and rank the health-check cohort, select the outreach cohort, build the plans.

    ``contacts_known`` is False when the extract carried no encounters at all (contacts
    unknown, not absent): contact signals are then not scored.

    The same three passes the pipeline takes a block of people at a time (issue 16): ``score_people``
    each block, ``rank`` the whole cohort once, then ``select_and_plan`` each block."""
    warn_if_contacts_unknown(contacts_known)
    scored = score_people(people, flags, as_of, settings, contacts_known)
    ranking = rank(rank_keys(scored), settings)
    reached = select_and_plan(scored, flags, ranking, as_of, settings)
    log_outreach(reached.summary)
    return reached


def select_and_plan(
    scored: pl.DataFrame, flags: pl.DataFrame, ranking: Ranking, as_of: date, settings: OutreachSettings
) -> Outreach:
    """Outreach's last pass over (a block of) scored people: who is selected by the whole cohort's
    ``ranking``, their ``outreach.marginalised`` flags (beside the block's own, in NHS-number and
    flag order) and the block's engagement plans. The summary's counts add up over blocks."""
    people = select(scored, ranking, settings)
    kept = flags.filter(pl.col("flag") != OUTREACH_FLAG).cast(FLAG_SCHEMA)
    flags = pl.concat([kept, outreach_flags(people, ranking.cohort_size)])
    del kept  # then sorted a column at a time: no second copy of every flag at once (columnwise.py; issue 16)
    flags = sorted_by(flags, ["nhs_number", "flag"])
    plans = build_plans(people, flags, as_of, settings)
    summary = {
        "selected": int(people["outreach"].sum()),
        "strict": int(people["outreach_strict"].sum()),
        "plans": plans.height,
        "with_safety_items": int(plans["has_safety"].sum()),
    }
    return Outreach(people, flags, plans, summary)


def warn_if_contacts_unknown(contacts_known: bool) -> None:
    """Said once a run: without encounters the contact signals are not scored."""
    if not contacts_known:
        log.warning("outreach: extract has no encounters; contact signals not scored, strict = no check elements only")


def log_outreach(summary: dict[str, int]) -> None:
    log.info("outreach: %d selected (%d strict), %d plans", summary["selected"], summary["strict"], summary["plans"])
