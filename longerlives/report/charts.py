"""Static SVG charts for the report, drawn with matplotlib's SVG backend (no browser, no
network, deterministic: fixed hash salt and no date in the file).

Every function takes plain numbers and returns the SVG text; the page embeds it as an
image with alternative text and puts the same numbers in a table beside it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

# Figure objects are drawn straight to SVG (no pyplot, no GUI backend, safe in threads).
from matplotlib import rcParams
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from longerlives.report.stats import funnel_limits

rcParams["svg.hashsalt"] = "longerlives-report"
rcParams["svg.fonttype"] = "none"  # text kept as text (smaller, faster, readable by tools); sans-serif fallback
rcParams["font.family"] = "sans-serif"
rcParams["font.sans-serif"] = ["DejaVu Sans", "Liberation Sans"]
rcParams["font.size"] = 9

NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_GREY = "#425563"
NHS_MID_GREY = "#768692"
NHS_ORANGE = "#ED8B00"
NHS_RED = "#D5281B"
IMPROVING = NHS_BLUE  # Making Data Count: blue = special cause, improvement (higher coverage)
CONCERN = NHS_ORANGE  # orange = special cause, concern


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def _percent_axis(ax: Axes, axis: str = "y") -> None:
    if axis == "y":
        ax.set_ylim(0, 100)
        ax.set_ylabel("per cent")
    else:
        ax.set_xlim(0, 100)
        ax.set_xlabel("per cent")
    ax.grid(True, axis=axis, color="#D8DDE0", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def funnel_chart(points: Sequence[tuple[str, int, int]], target: float, named: Sequence[str]) -> str:
    """Coverage (%) against denominator, one dot per unit; ICS mean and 95 % / 99.8 % limits; ``named`` units labelled."""
    fig = Figure(figsize=(6.4, 3.8), layout="tight")
    ax = fig.subplots()
    max_n = max((d for _, _, d in points), default=10)
    xs = [max(1, int(max_n * 1.1 * i / 200)) for i in range(1, 201)]
    xs = sorted(set([1] + xs))
    lims = [funnel_limits(target, n) for n in xs]
    ax.plot(xs, [100 * x.upper998 for x in lims], color=NHS_GREY, linewidth=1, linestyle="--", label="99.8% limits")
    ax.plot(xs, [100 * x.lower998 for x in lims], color=NHS_GREY, linewidth=1, linestyle="--")
    ax.plot(xs, [100 * x.upper95 for x in lims], color=NHS_MID_GREY, linewidth=1, linestyle=":", label="95% limits")
    ax.plot(xs, [100 * x.lower95 for x in lims], color=NHS_MID_GREY, linewidth=1, linestyle=":")
    ax.axhline(100 * target, color=NHS_DARK_BLUE, linewidth=1, label=f"ICS mean {100 * target:.1f}%")
    inside = [(d, 100 * n / d) for lab, n, d in points if lab not in named]
    outside = [(lab, d, 100 * n / d) for lab, n, d in points if lab in named]
    if inside:
        ax.scatter([x for x, _ in inside], [y for _, y in inside], s=22, color=NHS_BLUE, zorder=3)
    if outside:
        ax.scatter([x for _, x, _ in outside], [y for *_, y in outside], s=26, color=NHS_RED, marker="D", zorder=3)
        for label, x, y in outside:
            ax.annotate(label, (x, y), xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.set_xlabel("people in the denominator")
    _percent_axis(ax)
    ax.set_xlim(0, max_n * 1.1)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    return _svg(fig)


def interval_bars(panels: Sequence[tuple[str, Sequence[tuple[str, float | None, float | None, float | None]]]]) -> str:
    """Horizontal bars with 95 % Wilson intervals; one panel per breakdown.

    ``panels`` = [(panel title, [(group, percent, lower, upper)])]; a ``None`` percent is a
    suppressed or empty group, drawn as no bar and marked "suppressed".
    """
    heights = [max(1, len(rows)) for _, rows in panels]
    fig = Figure(figsize=(6.4, 0.28 * sum(heights) + 0.55 * len(panels) + 0.4), layout="tight")
    axes = fig.subplots(len(panels), 1, gridspec_kw={"height_ratios": heights}, squeeze=False)[:, 0]
    for ax, (title, rows) in zip(axes, panels):
        labels = [g for g, *_ in rows]
        ys = list(range(len(rows)))[::-1]
        shown = [(y, pct, lo, hi) for y, (_, pct, lo, hi) in zip(ys, rows) if pct is not None]
        for y, (_, pct, _lo, _hi) in zip(ys, rows):
            if pct is None:
                ax.text(1, y, "suppressed or none", va="center", fontsize=7, color=NHS_GREY)
        if shown:
            ax.barh([r[0] for r in shown], [r[1] for r in shown], color=NHS_BLUE, height=0.6)
            ax.errorbar(
                [r[1] for r in shown],
                [r[0] for r in shown],
                xerr=[[r[1] - r[2] for r in shown], [r[3] - r[1] for r in shown]],
                fmt="none",
                ecolor="#212B32",
                capsize=2,
                linewidth=0.8,
            )
        ax.set_yticks(ys)
        ax.set_yticklabels(labels, fontsize=7.5)
        ax.set_title(title, fontsize=8.5, loc="left")
        _percent_axis(ax, "x")
    return _svg(fig)


def sii_chart(rows: Sequence[tuple[str, float, float | None, float | None]]) -> str:
    """SII (percentage points) per measure with its 95 % interval; positive = less deprived areas covered better."""
    fig = Figure(figsize=(6.4, 0.3 * len(rows) + 0.9), layout="tight")
    ax = fig.subplots()
    ys = list(range(len(rows)))[::-1]
    for y, (_, sii, lo, hi) in zip(ys, rows):
        ax.scatter([sii], [y], color=NHS_BLUE, zorder=3, s=18)
        if lo is not None and hi is not None:
            ax.hlines(y, lo, hi, color="#212B32", linewidth=0.9)
    ax.axvline(0, color=NHS_GREY, linewidth=0.8)
    ax.set_yticks(ys)
    ax.set_yticklabels([r[0] for r in rows], fontsize=7.5)
    ax.set_xlabel("percentage points (least deprived minus most deprived)")
    ax.grid(True, axis="x", color="#D8DDE0", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _svg(fig)


def trend_chart(
    days: Sequence[date],
    percents: Sequence[float],
    mean: float | None = None,
    lower: float | None = None,
    upper: float | None = None,
    special: Sequence[str] | None = None,
) -> str:
    """Coverage night by night; with ``mean`` and limits an XmR chart, special-cause points coloured."""
    fig = Figure(figsize=(6.4, 2.6), layout="tight")
    ax = fig.subplots()
    ax.plot(
        list(days),
        list(percents),
        color=NHS_MID_GREY,
        linewidth=1,
        marker="o",
        markersize=3.5,
        markerfacecolor=NHS_MID_GREY,
        zorder=2,
    )
    if mean is not None and lower is not None and upper is not None:
        ax.axhline(mean, color="#212B32", linewidth=1, label=f"mean {mean:.1f}%")
        ax.axhline(min(100.0, upper), color=NHS_GREY, linewidth=1, linestyle="--", label="process limits")
        ax.axhline(max(0.0, lower), color=NHS_GREY, linewidth=1, linestyle="--")
        flagged = [(d, p) for d, p, s in zip(days, percents, special or []) if s]
        high = [(d, p) for d, p in flagged if p > mean]
        low = [(d, p) for d, p in flagged if p <= mean]
        for pts, colour in ((high, IMPROVING), (low, CONCERN)):
            if pts:
                ax.scatter([d for d, _ in pts], [p for _, p in pts], color=colour, s=26, zorder=3)
        ax.legend(loc="lower left", fontsize=7, frameon=False)
    _percent_axis(ax)
    fig.autofmt_xdate()
    return _svg(fig)


def makeup_chart(
    groups: Sequence[str], outreach: Sequence[float | None], cohort: Sequence[float | None], title: str
) -> str:
    """Share of the outreach cohort vs share of the health-check cohort in each group (paired bars)."""
    fig = Figure(figsize=(6.4, 0.34 * len(groups) + 0.9), layout="tight")
    ax = fig.subplots()
    ys = list(range(len(groups)))[::-1]
    ax.barh([y + 0.18 for y in ys], [v or 0 for v in outreach], height=0.34, color=NHS_BLUE, label="outreach cohort")
    ax.barh(
        [y - 0.18 for y in ys], [v or 0 for v in cohort], height=0.34, color=NHS_MID_GREY, label="health-check cohort"
    )
    ax.set_yticks(ys)
    ax.set_yticklabels(groups, fontsize=7.5)
    ax.set_title(title, fontsize=8.5, loc="left")
    _percent_axis(ax, "x")
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    return _svg(fig)


def count_bars(labels: Sequence[str], counts: Sequence[int]) -> str:
    """Vertical bars of counts (safety flags outstanding by how long they have been open)."""
    fig = Figure(figsize=(6.4, 2.4), layout="tight")
    ax = fig.subplots()
    ax.bar(list(labels), list(counts), color=NHS_BLUE)
    ax.set_ylabel("people")
    ax.grid(True, axis="y", color="#D8DDE0", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _svg(fig)
