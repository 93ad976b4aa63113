"""Outreach a block of people at a time (issue 16, session 29): each block is scored alone, the
whole health-check cohort is ranked once, then each block's selection, outreach flags and plans
are made. Who is selected, their rank, the "rank N of M" a practice reads, and every plan must be
exactly what outreach over everybody at once gives: a person cannot tell how big the blocks were."""

from __future__ import annotations

import random
from datetime import date

import polars as pl
import pytest

from longerlives import outreach
from longerlives.outreach.items import OUTREACH_FLAG
from longerlives.settings import load_settings
from tests.outreach.helpers import AS_OF, flags_frame, missing_flags, people_frame, person

S = load_settings().outreach
S_PEOPLE = 60


def _register(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A register of people with every mix of missing checks, contacts, deprivation and needs."""
    rng = random.Random(seed)
    rows = []
    for i in range(S_PEOPLE):
        rows.append(
            person(
                i,
                phc_elements_done=rng.randint(0, 6),
                planned_contacts_12m=rng.choice([0, 0, 1, 3]),
                crisis_contacts_12m=rng.choice([0, 1, 2]),
                imd_decile=rng.choice([None, 1, 2, 5, 9]),
                homeless_last_date=rng.choice([None, date(2025, 1, 5)]),
                health_check_cohort=rng.random() > 0.1,
                in_scope=rng.random() > 0.05,
                phc_last_any=rng.choice([None, date(2023, 5, 1), date(2024, 11, 2)]),
                communication_needs=rng.choice([None, "easy_read", "large_print;bsl"]),
                core_team=rng.choice(["CT01", "CT02", None]),
            )
        )
    people = people_frame(rows).sort("nhs_number")
    flags = flags_frame([f for r in rows for f in missing_flags(r)]).sort("nhs_number", "flag")
    return people, flags


def _in_blocks(people: pl.DataFrame, flags: pl.DataFrame, size: int) -> outreach.Outreach:
    """The pipeline's passes: score each block, rank everybody's keys once, select and plan each block."""
    scored, keys = [], []
    for start in range(0, people.height, size):
        block = people.slice(start, size)
        own = flags.filter(pl.col("nhs_number").is_in(block["nhs_number"].implode()))
        s = outreach.score_people(block, own, AS_OF, S, contacts_known=True)
        keys.append(outreach.rank_keys(s))
        scored.append((s, own))
    ranking = outreach.rank(pl.concat(keys), S)
    parts = [outreach.select_and_plan(s, own, ranking, AS_OF, S) for s, own in scored]
    return outreach.Outreach(
        pl.concat([p.people for p in parts]),
        pl.concat([p.flags for p in parts]),
        pl.concat([p.plans for p in parts]),
        {k: sum(p.summary[k] for p in parts) for k in parts[0].summary},
    )


@pytest.mark.parametrize("size", [1, 7, 25])
def test_selection_ranks_flags_and_plans_are_the_same_in_blocks_as_for_everybody(size: int) -> None:
    people, flags = _register(seed=size)
    whole = outreach.rank_and_plan(people, flags, AS_OF, S)
    blocks = _in_blocks(people, flags, size)
    assert whole.people["outreach"].sum() > 0  # somebody is selected: the comparison means something
    assert blocks.people.equals(whole.people)
    assert blocks.flags.equals(whole.flags)
    assert blocks.plans.equals(whole.plans)
    assert blocks.summary == whole.summary


def test_outreach_reason_names_the_whole_cohorts_size_not_the_blocks() -> None:
    people, flags = _register(seed=3)
    blocks = _in_blocks(people, flags, 7)
    cohort = people.filter(pl.col("health_check_cohort") & pl.col("in_scope")).height
    reasons = blocks.flags.filter(pl.col("flag") == OUTREACH_FLAG)["reason"].to_list()
    assert reasons and all(f" of {cohort})" in reason for reason in reasons)


def test_a_block_with_nobody_in_the_cohort_still_gets_its_plans() -> None:
    people, flags = _register(seed=5)
    first = people.head(7)["nhs_number"].implode()
    people = people.with_columns(
        pl.when(pl.col("nhs_number").is_in(first))
        .then(False)
        .otherwise(pl.col("health_check_cohort"))
        .alias("health_check_cohort")
    )
    whole = outreach.rank_and_plan(people, flags, AS_OF, S)
    blocks = _in_blocks(people, flags, 7)
    assert blocks.plans.equals(whole.plans)
    out_of_cohort = blocks.people.head(7)
    assert out_of_cohort["marginalisation_rank"].is_null().all() and not out_of_cohort["outreach"].any()
    assert blocks.plans.filter(pl.col("nhs_number").is_in(first)).height > 0  # their missing checks still planned
