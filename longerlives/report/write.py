"""Write ``report/coverage.csv`` and ``report/index.html`` for one run (files private, 0600)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl

from longerlives.report.composition import SAFETY_PREFIX, outreach_makeup, safety_open
from longerlives.report.coverage import GROUP_SOURCES, MEASURES, coverage_counts, measure_inputs, publish
from longerlives.report.html import render_report_html
from longerlives.settings.report import ReportSettings

TREND_COLUMNS = pl.Schema({"as_of": pl.Date, "measure": pl.String, "numerator": pl.Int64, "denominator": pl.Int64})


def _write_private(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.chmod(path, 0o600)
    return path


def report_columns(settings: ReportSettings) -> list[str]:
    """The patients.csv columns the report reads (the pipeline passes only these, not all ~450)."""
    used = {"outreach", "health_check_cohort", *GROUP_SOURCES, *measure_inputs(settings)}
    return sorted(used)


def report_flags(settings: ReportSettings) -> pl.Expr:
    """The flags.csv rows the report reads: each measure's flag (whose absence is its numerator) and the
    safety flags (how long they have been open). The pipeline passes only these (issue 16, session 35: about
    half of everybody's 2.3 million open flags at 600,000 people)."""
    measured = sorted({m.flag for mid in settings.measures if (m := MEASURES[mid]).flag is not None})
    flag = pl.col("flag").cast(pl.String)
    return flag.is_in(measured) | flag.str.starts_with(SAFETY_PREFIX)


def trends_with_tonight(earlier: pl.DataFrame, counts: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Earlier nights from the store (other as-of dates) plus tonight's ICS-wide numbers."""
    tonight = counts.filter(pl.col("group_by") == "all").select(
        pl.lit(as_of).alias("as_of"), "measure", "numerator", "denominator"
    )
    before = (
        earlier.filter(pl.col("as_of") != as_of).select(list(TREND_COLUMNS))
        if earlier.height
        else pl.DataFrame(schema=TREND_COLUMNS)
    )
    return pl.concat([before.cast(TREND_COLUMNS), tonight.cast(TREND_COLUMNS)]).sort("as_of", "measure")


def write_report(
    folder: Path,
    patients: pl.DataFrame,
    flags: pl.DataFrame,
    earlier: pl.DataFrame,
    *,
    as_of: date,
    settings: ReportSettings,
    run_id: str | None = None,
) -> tuple[list[Path], pl.DataFrame]:
    """Both report files from the rows of patients.csv and flags.csv; returns (paths, raw counts for the store)."""
    counts = coverage_counts(patients, flags, settings)
    report = folder / "report"
    csv_text = publish(counts).write_csv(line_terminator="\n")
    html = render_report_html(
        counts,
        trends_with_tonight(earlier, counts, as_of),
        as_of=as_of,
        settings=settings,
        run_id=run_id,
        outreach=outreach_makeup(patients, settings),
        safety=safety_open(flags, as_of, settings.open_age_bands_days),
    )
    paths = [_write_private(report / "coverage.csv", csv_text), _write_private(report / "index.html", html)]
    return paths, counts.drop("suppressed")
