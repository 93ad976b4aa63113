"""Trends across runs for ``longerlives history``: one row per run."""

from __future__ import annotations

import polars as pl

from longerlives.store.repository import Store

HISTORY_COLUMNS = [
    "as_of",
    "status",
    "run_id",
    "people_in_scope",
    "health_check_cohort",
    "phc_six_complete",
    "phc_six_pct",
    "open_flags",
    "flags_opened",
    "flags_closed",
    "letters_issued",
    "outcomes_recorded",
    "flags_held_by_outcomes",
    "deliveries_ok",
    "deliveries_failed",
]


def history_frame(store: Store, limit: int | None = None) -> pl.DataFrame:
    runs = store.runs()
    if limit:
        runs = runs.tail(limit)
    outcomes = store.outcomes().select("recorded_at")
    audit = store.audit().filter(pl.col("kind") == "delivery")
    # Per practice, what finally happened: a MESH attempt that fell back to the outbox
    # is a delivery, not a failure (the audit trail keeps both lines).
    per_practice = audit.group_by("run_id", "practice_code").agg(
        (pl.col("status") == "ok").any().alias("_ok"),
        pl.col("status").is_in(["ok", "skipped"]).any().alias("_done"),
    )
    deliveries = per_practice.group_by("run_id").agg(
        pl.col("_ok").sum().cast(pl.Int64).alias("deliveries_ok"),
        (~pl.col("_done")).sum().cast(pl.Int64).alias("deliveries_failed"),
    )
    # outcomes recorded since the previous run started, up to this run's start
    starts = (
        runs.select("run_id", "started_at")
        .sort("started_at")
        .with_columns(pl.col("started_at").shift(1).alias("_prev"))
    )
    counts = []
    rec = outcomes["recorded_at"].to_list()
    for r in starts.iter_rows(named=True):
        counts.append(sum(1 for t in rec if (r["_prev"] is None or t > r["_prev"]) and t <= r["started_at"]))
    starts = starts.with_columns(pl.Series("outcomes_recorded", counts, dtype=pl.Int64)).select(
        "run_id", "outcomes_recorded"
    )
    return (
        runs.join(starts, on="run_id", how="left")
        .join(deliveries, on="run_id", how="left")
        .with_columns(
            pl.col("outcomes_applied").alias("flags_held_by_outcomes"),
            pl.when(pl.col("health_check_cohort") > 0)
            .then((100 * pl.col("phc_six_complete") / pl.col("health_check_cohort")).round(1))
            .alias("phc_six_pct"),
            pl.col("deliveries_ok").fill_null(0),
            pl.col("deliveries_failed").fill_null(0),
        )
        .sort("started_at")
        .select(HISTORY_COLUMNS)
    )
