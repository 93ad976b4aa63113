"""The report page in Debian's Chromium: no axe-core violations, prints to A4 cleanly,
and shows SPC charts once 12 nights exist."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import polars as pl
from pypdf import PdfReader

from longerlives.report.html import render_report_html
from longerlives.settings import load_settings
from tests.browser.harness import axe_violations, chromium_page

A4_POINTS = (595.28, 841.89)  # 210 x 297 mm
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "report.png"


def _fifteen_nights(coverage: pl.DataFrame) -> pl.DataFrame:
    """ICS-wide counts for 15 nights: steady, then a rise for the last 7 (a special cause)."""
    ics = coverage.filter(pl.col("group_by") == "all").select("measure", "numerator", "denominator")
    frames = []
    for i in range(15):
        bump = 0.12 if i >= 8 else (0.01 if i % 2 else -0.01)
        frames.append(
            ics.with_columns(
                pl.lit(date(2026, 10, 18) + timedelta(days=i)).alias("as_of"),
                (pl.col("numerator").cast(pl.Float64) * (1 - 0.15 + bump))
                .round(0)
                .cast(pl.Int64)
                .clip(0, None)
                .alias("numerator"),
            )
        )
    return pl.concat(frames).with_columns(pl.min_horizontal("numerator", "denominator").alias("numerator"))


def test_report_page_has_no_accessibility_violations_and_prints_to_a4(full_run, tmp_path):
    out, _ = full_run
    page_path = out / "report" / "index.html"
    with chromium_page(1280, 900) as page:
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(page_path.as_uri())
        assert requested == [page_path.as_uri()]  # works offline: the page fetches nothing else
        assert page.locator("h1").inner_text() == "Coverage and inequalities report"
        charts = page.locator(".chart svg[role=img]")
        assert charts.count() >= 12 * 3
        # every chart is named by its heading and described by its summary sentence (title + desc)
        for i in range(charts.count()):
            chart = charts.nth(i)
            assert chart.locator("title").text_content() and chart.locator("desc").text_content()
        # every chart has a heading, a summary sentence and a data table beside it
        assert page.locator(".chart table").count() == charts.count()
        assert page.locator("img").count() == 0  # drawn inline, nothing to load
        assert axe_violations(page) == []
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.locator("#phc_all_six").scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, document.getElementById('phc_all_six').getBoundingClientRect().top - 8)")
        page.screenshot(path=str(SCREENSHOT), full_page=False)
        pdf = page.pdf(format="A4", print_background=True)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 12  # one section per measure at least
    for p in reader.pages:
        assert abs(float(p.mediabox.width) - A4_POINTS[0]) < 1.5
        assert abs(float(p.mediabox.height) - A4_POINTS[1]) < 1.5
    text = reader.pages[0].extract_text()
    assert "Coverage and inequalities report" in text
    # nothing cut off at the right edge: the widest element fits an A4 page in print layout
    assert "Definitions and methods" in "".join(p.extract_text() for p in reader.pages[-3:])


def test_trends_become_spc_charts_with_special_cause_after_twelve_nights(full_run, tmp_path):
    out, _ = full_run
    settings = load_settings().report
    coverage = (
        pl.read_csv(out / "report" / "coverage.csv", infer_schema=False)
        .filter(pl.col("percent") != "suppressed")
        .with_columns(pl.col("numerator", "denominator").cast(pl.Int64))
    )
    html = render_report_html(coverage, _fifteen_nights(coverage), as_of=date(2026, 11, 1), settings=settings)
    assert "night by night (SPC chart)" in html
    assert "special cause on" in html
    path = tmp_path / "spc.html"
    path.write_text(html, encoding="utf-8")
    with chromium_page(1280, 900) as page:
        page.goto(path.as_uri())
        assert axe_violations(page) == []
