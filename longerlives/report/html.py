"""The report page: one self-contained, accessible HTML file (charts drawn inline as SVG,
no scripts, no fonts or styles fetched). ``render_report_html`` is pure: numbers in, text out,
so the web app can render the same page from the run store.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from longerlives.report import charts
from longerlives.report.coverage import GROUP_BYS, MEASURES, NOT_KNOWN, format_percent
from longerlives.report.stats import Z95, funnel_position, slope_index_of_inequality, wilson_interval, xmr_chart
from longerlives.settings.report import ReportSettings

BREAKDOWN_TITLES = {
    "all": "Whole ICS",
    "practice_code": "GP practice",
    "core_team": "Core team",
    "imd_quintile": "IMD quintile (1 = most deprived 20%)",
    "imd_decile": "IMD decile (1 = most deprived 10%)",
    "ethnic_group": "Ethnic group",
    "sex": "Sex",
    "age_band": "Age band",
}
BAR_BREAKDOWNS = ("imd_quintile", "ethnic_group", "sex", "age_band")
IN_WORDS = {"imd_quintile": "IMD quintile", "ethnic_group": "ethnic group", "sex": "sex", "age_band": "age band"}


@dataclass
class Chart:
    id: str
    heading: str
    summary: str
    svg: Markup  # one inline <svg role="img"> named by the heading and described by the summary
    columns: list[str]
    rows: list[list[str]]
    caption: str


@dataclass
class MeasureSection:
    id: str
    title: str
    numerator: str
    denominator: str
    headline: str
    charts: list[Chart] = field(default_factory=list)
    teams: list[list[str]] = field(default_factory=list)


def _inline(svg: str) -> Markup:
    """The chart's SVG text, built by ``charts`` with every label escaped, trusted by the template."""
    return Markup(svg)  # noqa: S704 - built from escaped text in charts.py


def _with_suppression(counts: pl.DataFrame, settings: ReportSettings) -> pl.DataFrame:
    if "suppressed" in counts.columns:
        return counts
    flags = [settings.is_suppressed(n, d) for n, d in zip(counts["numerator"], counts["denominator"])]
    return counts.with_columns(pl.Series("suppressed", flags, dtype=pl.Boolean))


Rows = dict[tuple[str, str], list[dict[str, Any]]]  # (measure, group_by) -> that breakdown's rows, in order


def _rows_by_breakdown(counts: pl.DataFrame) -> Rows:
    """The night's counts (a few thousand rows) read once, grouped by measure and breakdown."""
    out: Rows = {}
    for r in counts.iter_rows(named=True):
        out.setdefault((r["measure"], r["group_by"]), []).append(r)
    return out


def _ci(num: int, den: int) -> tuple[float, float]:
    lo, hi = wilson_interval(num, den)
    return 100 * lo, 100 * hi


def _cell_counts(num: int, den: int, suppressed: bool) -> list[str]:
    if suppressed:
        return ["suppressed", "suppressed", "suppressed", ""]
    if den == 0:
        return ["0", "0", "no one in the denominator", ""]
    lo, hi = _ci(num, den)
    return [f"{num:,}", f"{den:,}", format_percent(num, den), f"{lo:.1f} to {hi:.1f}"]


def _funnel(measure: str, rows: list[dict[str, Any]], ics: tuple[int, int], settings: ReportSettings) -> Chart:
    title = MEASURES[measure].title
    target = ics[0] / ics[1] if ics[1] else 0.0
    shown, table, named, outside95 = [], [], [], []
    for r in rows:
        num, den, sup = r["numerator"], r["denominator"], r["suppressed"]
        position = ""
        if not sup and den >= settings.funnel_min_denominator and den > 0:
            position = funnel_position(num, den, target)
            shown.append((r["group"], num, den))
            if "99.8" in position:
                named.append(r["group"])
            if position != "within":
                outside95.append(f"{r['group']} ({position.replace('%', '% limit')})")
        elif not sup and den > 0:
            position = f"not plotted (fewer than {settings.funnel_min_denominator})"
        table.append([r["group"], *_cell_counts(num, den, sup), position])
    if outside95:
        summary = (
            f"{title}: {len(outside95)} of {len(shown)} practices plotted lie outside the 95% limits around "
            f"the ICS mean of {100 * target:.1f}%: " + "; ".join(outside95) + "."
        )
    else:
        summary = (
            f"{title}: all {len(shown)} practices plotted lie within the 95% limits around the ICS mean "
            f"of {100 * target:.1f}%."
        )
    ident, heading = f"{measure}-funnel", f"{title} by GP practice (funnel plot)"
    return Chart(
        id=ident,
        heading=heading,
        summary=summary,
        svg=_inline(charts.funnel_chart(shown, target, named, ident=ident, title=heading, desc=summary)),
        columns=["Practice", "Numerator", "Denominator", "Per cent", "95% interval", "Against the ICS mean"],
        rows=table,
        caption=f"{title} by GP practice, with position against the funnel limits",
    )


def _bars(measure: str, by: Rows) -> Chart:
    title = MEASURES[measure].title
    panels, table, gaps = [], [], []
    for group_by in BAR_BREAKDOWNS:
        rows: list[tuple[Any, float | None, float | None, float | None]] = []
        best: list[tuple[float, str]] = []
        for r in by.get((measure, group_by), []):
            num, den, sup = r["numerator"], r["denominator"], r["suppressed"]
            if sup or den == 0:
                rows.append((r["group"], None, None, None))
            else:
                lo, hi = _ci(num, den)
                rows.append((r["group"], 100 * num / den, lo, hi))
                if r["group"] not in (NOT_KNOWN, "Not stated", "unknown"):
                    best.append((100 * num / den, r["group"]))
            table.append([BREAKDOWN_TITLES[group_by], r["group"], *_cell_counts(num, den, sup)])
        panels.append((BREAKDOWN_TITLES[group_by], rows))
        if len(best) >= 2:
            lo_g, hi_g = min(best), max(best)
            gaps.append(f"{IN_WORDS[group_by]} from {lo_g[0]:.1f}% ({lo_g[1]}) to {hi_g[0]:.1f}% ({hi_g[1]})")
    summary = (
        f"{title} ranges by " + "; by ".join(gaps) + "."
        if gaps
        else f"{title}: too few people in the groups to compare."
    )
    ident, heading = f"{measure}-groups", f"{title} by deprivation, ethnic group, sex and age"
    return Chart(
        id=ident,
        heading=heading,
        summary=summary,
        svg=_inline(charts.interval_bars(panels, ident=ident, title=heading, desc=summary)),
        columns=["Breakdown", "Group", "Numerator", "Denominator", "Per cent", "95% interval"],
        rows=table,
        caption=f"{title} by deprivation, ethnic group, sex and age band, with Wilson 95% intervals",
    )


def _trend(measure: str, trend: pl.DataFrame, settings: ReportSettings) -> Chart:
    title = MEASURES[measure].title
    pts = trend.filter((pl.col("measure") == measure) & (pl.col("denominator") > 0)).sort("as_of")
    pts = pts.tail(settings.trend_max_points)
    days = pts["as_of"].to_list()
    pct = [100 * n / d for n, d in zip(pts["numerator"], pts["denominator"])]
    table = [
        [d.isoformat(), f"{n:,}", f"{den:,}", f"{p:.1f}", ""]
        for d, n, den, p in zip(days, pts["numerator"], pts["denominator"], pct)
    ]
    if len(pct) >= settings.spc_min_points:
        chart = xmr_chart(pct)
        for row, s in zip(table, chart.special):
            row[4] = s or "common cause"
        specials = [f"{d.isoformat()} ({s})" for d, s in zip(days, chart.special) if s]
        summary = (
            f"{title} over {len(pct)} nights: mean {chart.mean:.1f}%, process limits "
            f"{max(0.0, chart.lower):.1f}% to {min(100.0, chart.upper):.1f}%; "
            + (
                f"special cause on {len(specials)} nights, latest {specials[-1]}."
                if specials
                else "only common-cause variation."
            )
        )
        heading = f"{title} night by night (SPC chart)"
        svg = charts.trend_chart(
            days,
            pct,
            chart.mean,
            chart.lower,
            chart.upper,
            chart.special,
            ident=f"{measure}-trend",
            title=heading,
            desc=summary,
        )
    else:
        summary = (
            f"{title} over {len(pct)} night{'s' if len(pct) != 1 else ''}"
            + (f", latest {pct[-1]:.1f}%" if pct else "")
            + f"; an SPC chart with process limits appears once there are {settings.spc_min_points} nights."
        )
        heading = f"{title} night by night"
        svg = charts.trend_chart(days, pct, ident=f"{measure}-trend", title=heading, desc=summary)
    return Chart(
        id=f"{measure}-trend",
        heading=heading,
        summary=summary,
        svg=_inline(svg),
        columns=["Night (as-of date)", "Numerator", "Denominator", "Per cent", "Special cause"],
        rows=table,
        caption=f"{title} across nights (whole ICS, unsuppressed totals)",
    )


def _sii(by: Rows, settings: ReportSettings) -> Chart | None:
    rows, table = [], []
    for measure in settings.measures:
        part = sorted(
            (
                (int(r["group"]), r["numerator"], r["denominator"])
                for r in by.get((measure, "imd_decile"), [])
                if r["group"] != NOT_KNOWN and r["denominator"] > 0
            ),
        )
        if len(part) < 2:
            table.append([MEASURES[measure].title, "too few deciles with people", "", ""])
            continue
        values, pops, ses = [], [], []
        for _, n, d in part:
            lo, hi = _ci(n, d)
            values.append(100 * n / d)
            pops.append(d)
            ses.append(max((hi - lo) / (2 * Z95), 1e-9))
        result = slope_index_of_inequality(values, pops, ses)
        rows.append((MEASURES[measure].title, result.sii, result.lower, result.upper))
        table.append(
            [
                MEASURES[measure].title,
                f"{result.sii:.1f}",
                f"{result.lower:.1f} to {result.upper:.1f}",
                str(len(part)),
            ]
        )
    if not rows:
        return None
    widest = max(rows, key=lambda r: abs(r[1]))
    direction = "less" if widest[1] > 0 else "more"
    summary = (
        f"The widest gap by deprivation is in {widest[0].lower()}: {abs(widest[1]):.1f} percentage points "
        f"higher in the {direction} deprived areas across the IMD deciles."
    )
    heading = "Slope index of inequality across IMD deciles"
    return Chart(
        id="sii",
        heading=heading,
        summary=summary,
        svg=_inline(charts.sii_chart(rows, ident="sii", title=heading, desc=summary)),
        columns=["Measure", "SII (percentage points)", "95% interval", "Deciles with people"],
        rows=table,
        caption="Slope index of inequality for each measure: least deprived minus most deprived, in percentage points",
    )


def _makeup(makeup: pl.DataFrame, settings: ReportSettings) -> list[Chart]:
    out = []
    for group_by in ("imd_quintile", "ethnic_group"):
        part = makeup.filter(pl.col("group_by") == group_by)
        tot_o, tot_c = int(part["outreach"].sum()), int(part["cohort"].sum())
        groups, o_pct, c_pct, table = [], [], [], []
        for r in part.iter_rows(named=True):
            o, c = r["outreach"], r["cohort"]
            sup = settings.is_suppressed(o, tot_o) or settings.is_suppressed(c, tot_c) or settings.is_suppressed(o, c)
            groups.append(r["group"])
            o_pct.append(None if sup or not tot_o else 100 * o / tot_o)
            c_pct.append(None if sup or not tot_c else 100 * c / tot_c)
            table.append(
                [
                    r["group"],
                    "suppressed" if sup else f"{o:,}",
                    "suppressed" if sup else f"{c:,}",
                    "" if o_pct[-1] is None else f"{o_pct[-1]:.1f}",
                    "" if c_pct[-1] is None else f"{c_pct[-1]:.1f}",
                ]
            )
        name = IN_WORDS[group_by]
        pairs = [(o - c, g) for g, o, c in zip(groups, o_pct, c_pct) if o is not None and c is not None]
        if pairs:
            diff, grp = max(pairs)
            summary = (
                f"Of {tot_o:,} people in the outreach cohort, the group most over-represented by "
                f"{name} compared with the health-check cohort is {grp} ({diff:+.1f} percentage points)."
            )
        else:
            summary = f"The outreach cohort by {name}: too few people to show."
        ident, heading = f"makeup-{group_by}", f"Outreach cohort by {name}"
        svg = charts.makeup_chart(
            groups, o_pct, c_pct, BREAKDOWN_TITLES[group_by], ident=ident, heading=heading, desc=summary
        )
        out.append(
            Chart(
                id=ident,
                heading=heading,
                summary=summary,
                svg=_inline(svg),
                columns=[
                    "Group",
                    "Outreach cohort",
                    "Health-check cohort",
                    "% of outreach",
                    "% of health-check cohort",
                ],
                rows=table,
                caption=f"Make-up of the outreach cohort by {name}",
            )
        )
    return out


def _safety(safety: pl.DataFrame) -> Chart:
    labels, counts = safety["open_for"].to_list(), safety["flags"].to_list()
    total = sum(counts)
    older = sum(c for lab, c in zip(labels, counts) if lab.startswith("over"))
    summary = (
        f"{total:,} safety flags are open; {older:,} of them for longer than the last band."
        if total
        else "No safety flags are open."
    )
    heading = "Safety flags outstanding by how long they have been open"
    return Chart(
        id="safety-open",
        heading=heading,
        summary=summary,
        svg=_inline(charts.count_bars(labels, counts, ident="safety-open", title=heading, desc=summary)),
        columns=["Open for", "Safety flags"],
        rows=[[lab, f"{c:,}"] for lab, c in zip(labels, counts)],
        caption="Open safety flags by days since the flag began (counts are not suppressed: no person is named)",
    )


@functools.cache  # templates compiled once per process (the web app renders the page again and again)
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("longerlives.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report_html(
    coverage: pl.DataFrame,
    trends: pl.DataFrame,
    *,
    as_of: date,
    settings: ReportSettings,
    run_id: str | None = None,
    outreach: pl.DataFrame | None = None,
    safety: pl.DataFrame | None = None,
) -> str:
    """The page from plain frames.

    ``coverage``: one night's counts (``measure, group_by, group, numerator, denominator``;
    ``suppressed`` is worked out from ``settings`` when absent). ``trends``: the ICS-wide
    counts night by night (``as_of, measure, numerator, denominator``). ``outreach``: from
    ``composition.outreach_makeup``; ``safety``: from ``composition.safety_open``.
    """
    by = _rows_by_breakdown(_with_suppression(coverage, settings))
    sections = []
    overview = []
    for measure in settings.measures:
        m = MEASURES[measure]
        ics = by[(measure, "all")][0]
        cells = _cell_counts(ics["numerator"], ics["denominator"], ics["suppressed"])
        overview.append([m.title, *cells])
        headline = f"{cells[2]}% ({cells[0]} of {cells[1]}; 95% interval {cells[3]})" if cells[3] else cells[2]
        section = MeasureSection(measure, m.title, m.numerator, m.denominator, headline)
        section.charts.append(
            _funnel(
                measure,
                by.get((measure, "practice_code"), []),
                (ics["numerator"], ics["denominator"]),
                settings,
            )
        )
        section.charts.append(_bars(measure, by))
        section.charts.append(_trend(measure, trends, settings))
        teams = [
            [r["group"], *_cell_counts(r["numerator"], r["denominator"], r["suppressed"])]
            for r in by.get((measure, "core_team"), [])
        ]
        section.teams = teams
        sections.append(section)
    sii = _sii(by, settings)
    makeup = _makeup(outreach, settings) if outreach is not None else []
    safety_chart = _safety(safety) if safety is not None else None
    return (
        _env()
        .get_template("index.html.j2")
        .render(
            as_of=as_of.isoformat(),
            run_id=run_id,
            settings=settings,
            overview=overview,
            sections=sections,
            sii=sii,
            makeup=makeup,
            safety=safety_chart,
            group_bys=[BREAKDOWN_TITLES[g] for g in GROUP_BYS],
        )
    )
