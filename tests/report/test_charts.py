"""The report's charts are inline SVG drawn from the numbers: bars as long as the per cent,
whiskers at the Wilson limits, suppressed groups never drawn, special causes marked by shape,
every chart named for assistive technology, and no matplotlib in the nightly run."""

from __future__ import annotations

import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import polars as pl
import pytest

from longerlives.report import charts
from longerlives.report.html import render_report_html
from longerlives.settings import load_settings

SVG = "{http://www.w3.org/2000/svg}"
AS_OF = date(2026, 11, 1)


def _wilson(r: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval written out here (Newcombe 1998 method 3), in per cent."""
    p = r / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * (centre - half), 100 * (centre + half)


def _coverage(rows: dict[str, list[tuple[str, int, int]]]) -> pl.DataFrame:
    """One night's counts for every measure: the same breakdown rows for each."""
    settings = load_settings().report
    out = []
    for measure in settings.measures:
        for group_by, groups in rows.items():
            for group, num, den in groups:
                out.append((measure, group_by, group, num, den))
    return pl.DataFrame(
        out, schema=["measure", "group_by", "group", "numerator", "denominator"], orient="row"
    ).with_columns(pl.col("numerator", "denominator").cast(pl.Int64))


KNOWN = {
    "all": [("all", 600, 1200)],
    "practice_code": [("P1", 300, 400), ("P2", 100, 500), ("P3", 197, 296), ("P4", 3, 4)],
    "core_team": [("T1", 600, 1200)],
    "imd_quintile": [("1", 30, 120), ("2", 60, 120), ("3", 5, 60), ("4", 0, 0), ("5", 120, 120)],
    "imd_decile": [("1", 30, 120), ("2", 60, 120), ("10", 120, 120)],
    "ethnic_group": [("White", 400, 800), ("Asian or Asian British", 200, 400)],
    "sex": [("female", 300, 600), ("male", 300, 600)],
    "age_band": [("18-39", 300, 600), ("40+", 300, 600)],
}


def _trends(points: list[tuple[int, int]]) -> pl.DataFrame:
    rows = [
        (AS_OF - timedelta(days=len(points) - 1 - i), m, n, d)
        for i, (n, d) in enumerate(points)
        for m in load_settings().report.measures
    ]
    return pl.DataFrame(rows, schema=["as_of", "measure", "numerator", "denominator"], orient="row")


def _page(trend_points: list[tuple[int, int]] | None = None) -> str:
    return render_report_html(
        _coverage(KNOWN), _trends(trend_points or [(600, 1200)]), as_of=AS_OF, settings=load_settings().report
    )


def _svg(html: str, ident: str) -> ET.Element:
    start = html.index(f'aria-labelledby="{ident}-title')
    start = html.rindex("<svg", 0, start)
    end = html.index("</svg>", start) + len("</svg>")
    return ET.fromstring(html[start:end])


def _x_scale(svg: ET.Element) -> tuple[float, float]:
    """x of the 0 and 100 tick labels: the chart's own axis, read from the drawing."""
    ticks = {t.text: float(t.get("x", "nan")) for t in svg.iter(f"{SVG}text") if t.text in ("0", "100")}
    return ticks["0"], ticks["100"]


def test_group_bar_is_as_long_as_the_per_cent_with_whiskers_at_the_wilson_limits() -> None:
    svg = _svg(_page(), "phc_all_six-groups")
    x0, x100 = _x_scale(svg)
    bars = {(b.get("data-group")): b for b in svg.iter(f"{SVG}rect") if b.get("class") == "bar"}
    # IMD quintile 1: 30 of 120 = 25 %; quintile 2: 60 of 120 = 50 %; quintile 5: everyone
    assert float(bars["1"].get("width", "")) == pytest.approx(0.25 * (x100 - x0), abs=0.1)
    assert float(bars["2"].get("width", "")) == pytest.approx(0.50 * (x100 - x0), abs=0.1)
    assert float(bars["5"].get("width", "")) == pytest.approx(x100 - x0, abs=0.1)
    lo, hi = _wilson(30, 120)
    whisker = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "interval" and g.get("data-group") == "1")
    span = next(iter(whisker))
    assert float(span.get("x1", "")) == pytest.approx(x0 + lo / 100 * (x100 - x0), abs=0.1)
    assert float(span.get("x2", "")) == pytest.approx(x0 + hi / 100 * (x100 - x0), abs=0.1)


def test_suppressed_and_empty_groups_are_never_drawn_but_are_marked() -> None:
    svg = _svg(_page(), "phc_all_six-groups")
    drawn = {b.get("data-group") for b in svg.iter(f"{SVG}rect") if b.get("class") == "bar"}
    assert "3" not in drawn  # 5 of 60: a count of 1-7 is suppressed
    assert "4" not in drawn  # no one in the denominator
    labels = [t.text for t in svg.iter(f"{SVG}text")]
    assert labels.count("suppressed or none") == 2
    assert "5" in labels  # the group name stays on the axis, but not its numerator
    assert all("8.3" not in (t or "") for t in labels)  # 5/60 = 8.3 % never shown


def test_funnel_plots_practices_with_enough_people_and_names_those_beyond_99_8_percent() -> None:
    svg = _svg(_page(), "phc_all_six-funnel")
    plotted = {e.get("data-unit"): e for e in svg.iter() if e.get("class") in ("unit", "named")}
    assert "P4" not in plotted  # 4 people: fewer than funnel_min_denominator, and suppressed
    # ICS mean 50 %; P1 75 % of 400 and P2 20 % of 500 lie far beyond 3 SD (about 7 points); P3 66.6 % of 296 too
    sd = math.sqrt(0.25 / 296)
    assert (197 / 296 - 0.5) / sd > 3.09
    assert {k for k, e in plotted.items() if e.get("class") == "named"} == {"P1", "P2", "P3"}
    assert {"P1", "P2", "P3"} <= {t.text for t in svg.iter(f"{SVG}text")}
    ticks = {  # the per-cent axis: labels right-aligned left of the plot
        t.text: float(t.get("y", "nan"))
        for t in svg.iter(f"{SVG}text")
        if t.text in ("0", "100") and t.get("text-anchor") == "end"
    }
    y0, y100 = ticks["0"] - 3.5, ticks["100"] - 3.5  # labels sit 3.5 below their gridline
    mean = next(e for e in svg.iter(f"{SVG}line") if e.get("class") == "mean")
    assert float(mean.get("y1", "")) == pytest.approx(y0 + 0.5 * (y100 - y0), abs=0.1)


def test_trend_marks_special_causes_by_shape_as_well_as_colour() -> None:
    nights = [(600, 1200)] * 8 + [(900, 1200)] * 7  # 7 nights far above the mean: special cause
    svg = _svg(_page(nights), "phc_all_six-trend")
    shapes = [e.get("class") for e in svg.iter() if e.get("class") in ("night", "special-high", "special-low")]
    assert len(shapes) == 15
    assert shapes.count("special-high") >= 1
    assert all(s == "special-high" for s in shapes[8:])
    high = next(e for e in svg.iter(f"{SVG}polygon") if e.get("class") == "special-high")
    assert high.get("fill") == charts.IMPROVING


def test_makeup_chart_leaves_a_suppressed_group_undrawn() -> None:
    svg = ET.fromstring(charts.makeup_chart(["A", "B"], [60.0, None], [55.0, None], "Ethnic group", desc="x"))
    drawn = {(r.get("class"), r.get("data-group")) for r in svg.iter(f"{SVG}rect") if r.get("data-group")}
    assert drawn == {("outreach", "A"), ("cohort", "A")}
    assert "suppressed" in [t.text for t in svg.iter(f"{SVG}text")]


def test_every_chart_is_an_image_named_by_its_heading_and_described_by_its_summary() -> None:
    html = _page()
    idents = [f"{m}-{kind}" for m in load_settings().report.measures for kind in ("funnel", "groups", "trend")]
    for ident in idents:
        svg = _svg(html, ident)
        assert svg.get("role") == "img"
        title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
        assert title is not None and desc is not None
        assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert title.text and desc.text
        assert f">{title.text}</h3>" in html  # the same words as the heading above it


def test_the_same_numbers_draw_the_same_bytes() -> None:
    assert _page() == _page()


def test_graphics_colours_have_at_least_3_to_1_contrast_on_white() -> None:
    def luminance(hex_colour: str) -> float:
        chans = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in chans]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for colour in (charts.NHS_BLUE, charts.NHS_MID_GREY, charts.NHS_GREY, charts.NHS_RED, charts.CONCERN):
        assert 1.05 / (luminance(colour) + 0.05) >= 3.0, colour


def test_the_nightly_run_does_not_import_matplotlib() -> None:
    code = "import sys, longerlives.pipeline, longerlives.report.write; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
