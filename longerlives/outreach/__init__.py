"""Outreach: marginalisation ranking, safety items and engagement plans (issue 5).

Interim: the ranking is being built; until then no one is selected.
"""

from __future__ import annotations

import polars as pl

from longerlives.context import RunContext


def stage(ctx: RunContext) -> None:
    ctx.people = ctx.people.with_columns(
        pl.lit(None, dtype=pl.Float64).alias("marginalisation_score"),
        pl.lit(None, dtype=pl.Int64).alias("marginalisation_rank"),
        pl.lit(False).alias("outreach"),
        pl.lit(False).alias("outreach_strict"),
        pl.lit(None, dtype=pl.String).alias("outreach_reasons"),
    )
