"""Who is in the outreach cohort, and how long safety flags have been open (plain frames in, frames out)."""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.report.coverage import group_columns, group_order
from longerlives.settings.report import ReportSettings

MAKEUP_BREAKDOWNS = ("imd_quintile", "ethnic_group", "sex", "age_band")


def outreach_makeup(patients: pl.DataFrame, settings: ReportSettings) -> pl.DataFrame:
    """Per breakdown and group: people in the outreach cohort and in the health-check cohort.

    Columns ``group_by, group, outreach, cohort`` (raw counts; suppress when shown).
    The outreach cohort is everyone with ``outreach`` true; the comparison is the
    health-check cohort it is drawn from.
    """
    frame = group_columns(patients, settings).with_columns(
        pl.col("outreach").cast(pl.String).str.to_lowercase().is_in(["true", "1"]).fill_null(False).alias("_o"),
        pl.col("health_check_cohort")
        .cast(pl.String)
        .str.to_lowercase()
        .is_in(["true", "1"])
        .fill_null(False)
        .alias("_c"),
    )
    parts = []
    for group_by in MAKEUP_BREAKDOWNS:
        order = group_order(frame, group_by, settings)
        sums = frame.group_by(pl.col(group_by).alias("group")).agg(
            pl.col("_o").sum().cast(pl.Int64).alias("outreach"), pl.col("_c").sum().cast(pl.Int64).alias("cohort")
        )
        table = pl.DataFrame({"group": order}).join(sums, on="group", how="left", maintain_order="left")
        parts.append(
            table.select(
                pl.lit(group_by).alias("group_by"),
                "group",
                pl.col("outreach").fill_null(0),
                pl.col("cohort").fill_null(0),
            )
        )
    return pl.concat(parts)


SAFETY_PREFIX = "safety."  # the flags of the safety items that must reach someone the same day


def safety_open(flags: pl.DataFrame, as_of: date, bands_days: tuple[int, ...]) -> pl.DataFrame:
    """Open ``safety.*`` flags by how long they have been open (days from ``since`` to the as-of date).

    Columns ``open_for, flags`` in band order ("up to 7 days", "8-14 days", …, "over 90 days",
    "date not known"), zero rows included.
    """
    labels: list[str] = []
    lo = 0
    for hi in bands_days:
        labels.append(f"up to {hi} days" if lo == 0 else f"{lo + 1}-{hi} days")
        lo = hi
    labels.append(f"over {lo} days")
    labels.append("date not known")
    safety = flags.filter(pl.col("flag").cast(pl.String).str.starts_with(SAFETY_PREFIX))
    since = (
        pl.col("since").cast(pl.String).str.to_date("%Y-%m-%d", strict=False)
        if "since" in safety.columns and safety.schema["since"] == pl.String
        else pl.col("since").cast(pl.Date)
    )
    days = (pl.lit(as_of) - since).dt.total_days()
    band = pl.lit(labels[-2])
    edges = [0, *bands_days]
    for i in range(len(bands_days) - 1, -1, -1):
        band = pl.when(days <= edges[i + 1]).then(pl.lit(labels[i])).otherwise(band)
    band = pl.when(since.is_null()).then(pl.lit(labels[-1])).otherwise(band)
    counted = safety.select(band.alias("open_for")).group_by("open_for").len()
    out = pl.DataFrame({"open_for": labels}).join(counted, on="open_for", how="left", maintain_order="left")
    return out.select("open_for", pl.col("len").fill_null(0).cast(pl.Int64).alias("flags"))
