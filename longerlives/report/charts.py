"""Static SVG charts for the report, built as text from the numbers already computed (no
chart library, no browser, no network). The bytes depend only on the numbers: coordinates
are rounded to one decimal place and nothing random or dated goes in.

Every function takes plain numbers and returns one ``<svg role="img">`` element with a
``<title>`` (``title``) and a ``<desc>`` (``desc``, the chart's summary sentence) that
name it for assistive technology; the page puts the same numbers in a table beside it.
Suppressed or empty groups (``None``) are never drawn: the row says "suppressed or none".

Colours (NHS identity) all have at least 3:1 contrast with the white background, as
WCAG 1.4.11 asks of graphics, and no meaning rests on colour alone: limits differ by
dash pattern, special-cause points by shape, named practices by shape and a label.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from html import escape

from longerlives.report.stats import funnel_limits

NHS_BLUE = "#005EB8"  # 6.4:1 on white
NHS_DARK_BLUE = "#003087"  # 11.9:1
NHS_GREY = "#425563"  # 7.8:1
NHS_MID_GREY = "#768692"  # 3.8:1
NHS_RED = "#D5281B"  # 5.1:1
NHS_BLACK = "#212B32"  # 14.4:1
GRID = "#D8DDE0"  # gridlines only (decoration, carries no information)
IMPROVING = NHS_BLUE  # Making Data Count: blue = special cause, improvement (higher coverage)
CONCERN = "#C25700"  # orange = special cause, concern; darker than NHS orange (#ED8B00, 2.5:1) to reach 4.5:1
WIDTH = 640
FONT = "Arial, 'Liberation Sans', Helvetica, sans-serif"
LABEL_WIDTH = 170  # room for group names left of horizontal bars
Scale = Callable[[float], float]


def _n(x: float) -> str:
    """A coordinate, rounded to 0.1 (no ``-0.0``)."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


def _text(
    x: float, y: float, s: str, *, size: float = 11, anchor: str = "start", fill: str = NHS_BLACK, **attrs: str
) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{size:g}" text-anchor="{anchor}" fill="{fill}"{extra}>'
        f"{escape(str(s))}</text>"
    )


def _line(
    x1: float, y1: float, x2: float, y2: float, colour: str, width: float = 1, dash: str = "", cls: str = ""
) -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    c = f' class="{cls}"' if cls else ""
    return (
        f'<line{c} x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{colour}" '
        f'stroke-width="{width:g}"{d}/>'
    )


def _polyline(
    points: Sequence[tuple[float, float]], colour: str, width: float = 1, dash: str = "", cls: str = ""
) -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    c = f' class="{cls}"' if cls else ""
    pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
    return f'<polyline{c} points="{pts}" fill="none" stroke="{colour}" stroke-width="{width:g}"{d}/>'


def _svg(height: float, body: list[str], *, ident: str, title: str, desc: str) -> str:
    """The element: role="img", named by its title and described by its summary."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_n(height)}" width="{WIDTH}" '
        f'height="{_n(height)}" role="img" aria-labelledby="{ident}-title {ident}-desc" font-family="{FONT}">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(desc)}</desc>'
        f'<rect width="{WIDTH}" height="{_n(height)}" fill="#FFFFFF"/>' + "".join(body) + "</svg>"
    )


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Round tick values (steps of 1, 2, 2.5 or 5 x 10^k) covering ``low``..``high``, at most ``most``+1."""
    if high <= low:
        high = low + 1
    raw = (high - low) / most
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(i * step, 10) for i in range(first, last + 1)]


def _tick_label(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:g}"


def _x_axis(
    left: float, right: float, top: float, bottom: float, ticks: Sequence[float], scale: Scale, label: str
) -> list[str]:
    out = []
    for t in ticks:
        x = scale(t)
        out.append(_line(x, top, x, bottom, GRID, 0.6))
        out.append(_text(x, bottom + 13, _tick_label(t), size=10, anchor="middle", fill=NHS_GREY))
    out.append(_line(left, bottom, right, bottom, NHS_GREY, 0.8))
    if label:
        out.append(_text((left + right) / 2, bottom + 28, label, size=10, anchor="middle", fill=NHS_GREY))
    return out


def _y_axis(
    left: float, right: float, ticks: Sequence[float], scale: Scale, label: str, top: float, bottom: float
) -> list[str]:
    out = []
    for t in ticks:
        y = scale(t)
        out.append(_line(left, y, right, y, GRID, 0.6))
        out.append(_text(left - 5, y + 3.5, _tick_label(t), size=10, anchor="end", fill=NHS_GREY))
    out.append(_line(left, top, left, bottom, NHS_GREY, 0.8))
    if label:
        mid = (top + bottom) / 2
        out.append(
            _text(14, mid, label, size=10, anchor="middle", fill=NHS_GREY, transform=f"rotate(-90 14 {_n(mid)})")
        )
    return out


def _legend(x: float, y: float, items: Sequence[tuple[str, str]]) -> list[str]:
    """Legend rows (swatch markup drawn at 0,0 of a 22 x 10 box, label) from (x, y) downwards."""
    out = []
    for i, (swatch, label) in enumerate(items):
        yy = y + 14 * i
        out.append(f'<g transform="translate({_n(x)} {_n(yy - 5)})">{swatch}</g>')
        out.append(_text(x + 28, yy + 3.5, label, size=10))
    return out


def _diamond(x: float, y: float, r: float, colour: str, cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    pts = f"{_n(x)},{_n(y - r)} {_n(x + r)},{_n(y)} {_n(x)},{_n(y + r)} {_n(x - r)},{_n(y)}"
    return f'<polygon{c} points="{pts}" fill="{colour}"/>'


def _triangle(x: float, y: float, r: float, colour: str, up: bool, cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    s = -1 if up else 1
    pts = f"{_n(x)},{_n(y + s * r)} {_n(x + r)},{_n(y - s * r * 0.8)} {_n(x - r)},{_n(y - s * r * 0.8)}"
    return f'<polygon{c} points="{pts}" fill="{colour}"/>'


def funnel_chart(
    points: Sequence[tuple[str, int, int]],
    target: float,
    named: Sequence[str],
    *,
    ident: str = "funnel",
    title: str = "Funnel plot",
    desc: str = "",
) -> str:
    """Coverage (%) against denominator, one dot per unit; ICS mean and 95 % / 99.8 % limits; ``named`` units labelled."""
    height, left, right, top, bottom = 380.0, 56.0, 624.0, 12.0, 330.0
    max_n = max((d for _, _, d in points), default=10)
    x_max = max_n * 1.1

    def sx(v: float) -> float:
        return left + (right - left) * v / x_max

    def sy(p: float) -> float:
        return bottom - (bottom - top) * p / 100

    body = _y_axis(left, right, [0, 20, 40, 60, 80, 100], sy, "per cent", top, bottom)
    body += _x_axis(
        left, right, top, bottom, [t for t in nice_ticks(0, x_max) if t <= x_max], sx, "people in the denominator"
    )
    xs = sorted({1} | {max(1, int(max_n * 1.1 * i / 200)) for i in range(1, 201)})
    lims = [funnel_limits(target, n) for n in xs]
    for attr, colour, dash, cls in (
        ("upper998", NHS_GREY, "6 3", "limit-998"),
        ("lower998", NHS_GREY, "6 3", "limit-998"),
        ("upper95", NHS_MID_GREY, "2 2", "limit-95"),
        ("lower95", NHS_MID_GREY, "2 2", "limit-95"),
    ):
        body.append(
            _polyline([(sx(n), sy(100 * getattr(lim, attr))) for n, lim in zip(xs, lims)], colour, 1, dash, cls)
        )
    body.append(_line(left, sy(100 * target), right, sy(100 * target), NHS_DARK_BLUE, 1, cls="mean"))
    for label, num, den in points:
        if label in named:
            continue
        body.append(
            f'<circle class="unit" data-unit="{escape(label)}" cx="{_n(sx(den))}" cy="{_n(sy(100 * num / den))}" '
            f'r="3.2" fill="{NHS_BLUE}"/>'
        )
    for label, num, den in points:
        if label not in named:
            continue
        x, y = sx(den), sy(100 * num / den)
        body.append(
            _diamond(x, y, 4.5, NHS_RED, cls="named").replace("<polygon", f'<polygon data-unit="{escape(label)}"', 1)
        )
        body.append(_text(x + 6, y - 5, label, size=10))
    body += _legend(
        right - 150,
        bottom - 48,
        [
            (_line(0, 5, 22, 5, NHS_GREY, 1, "6 3"), "99.8% limits"),
            (_line(0, 5, 22, 5, NHS_MID_GREY, 1, "2 2"), "95% limits"),
            (_line(0, 5, 22, 5, NHS_DARK_BLUE, 1), f"ICS mean {100 * target:.1f}%"),
        ],
    )
    return _svg(height, body, ident=ident, title=title, desc=desc)


def interval_bars(
    panels: Sequence[tuple[str, Sequence[tuple[str, float | None, float | None, float | None]]]],
    *,
    ident: str = "bars",
    title: str = "Coverage by group",
    desc: str = "",
) -> str:
    """Horizontal bars with 95 % Wilson intervals; one panel per breakdown.

    ``panels`` = [(panel title, [(group, percent, lower, upper)])]; a ``None`` percent is a
    suppressed or empty group, drawn as no bar and marked "suppressed or none".
    """
    left, right, row = float(LABEL_WIDTH), 620.0, 20.0

    def sx(p: float) -> float:
        return left + (right - left) * p / 100

    body: list[str] = []
    y = 4.0
    for panel_title, rows in panels:
        body.append(_text(8, y + 13, panel_title, size=11, font_weight="bold"))
        top = y + 20
        bottom = top + row * max(1, len(rows))
        body += _x_axis(left, right, top, bottom, [0, 20, 40, 60, 80, 100], sx, "")
        body.append(f'<g class="panel" data-panel="{escape(panel_title)}">')
        for i, (group, pct, lo, hi) in enumerate(rows):
            cy = top + row * i + row / 2
            body.append(_text(left - 6, cy + 4, group, size=10.5, anchor="end"))
            if pct is None:
                body.append(_text(left + 4, cy + 4, "suppressed or none", size=10, fill=NHS_GREY))
                continue
            body.append(
                f'<rect class="bar" data-group="{escape(group)}" x="{_n(left)}" y="{_n(cy - 6)}" '
                f'width="{_n(sx(pct) - left)}" height="12" fill="{NHS_BLUE}"/>'
            )
            if lo is not None and hi is not None:
                body.append(
                    f'<g class="interval" data-group="{escape(group)}" stroke="{NHS_BLACK}" stroke-width="1">'
                    f'<line x1="{_n(sx(lo))}" y1="{_n(cy)}" x2="{_n(sx(hi))}" y2="{_n(cy)}"/>'
                    f'<line x1="{_n(sx(lo))}" y1="{_n(cy - 4)}" x2="{_n(sx(lo))}" y2="{_n(cy + 4)}"/>'
                    f'<line x1="{_n(sx(hi))}" y1="{_n(cy - 4)}" x2="{_n(sx(hi))}" y2="{_n(cy + 4)}"/></g>'
                )
        body.append("</g>")
        y = bottom + 20
    body.append(
        _text(
            (left + right) / 2,
            y,
            "per cent (bar), with 95% interval (whiskers)",
            size=10,
            anchor="middle",
            fill=NHS_GREY,
        )
    )
    return _svg(y + 8, body, ident=ident, title=title, desc=desc)


def sii_chart(
    rows: Sequence[tuple[str, float, float | None, float | None]],
    *,
    ident: str = "sii",
    title: str = "Slope index of inequality",
    desc: str = "",
) -> str:
    """SII (percentage points) per measure with its 95 % interval; positive = less deprived areas covered better."""
    left, right, row, top = float(LABEL_WIDTH + 60), 620.0, 20.0, 8.0
    bottom = top + row * max(1, len(rows))
    values = [0.0] + [v for _, s, lo, hi in rows for v in (s, lo, hi) if v is not None]
    ticks = nice_ticks(min(values), max(values))
    lo_x, hi_x = min(ticks[0], min(values)), max(ticks[-1], max(values))

    def sx(v: float) -> float:
        return left + (right - left) * (v - lo_x) / (hi_x - lo_x)

    body = _x_axis(left, right, top, bottom, ticks, sx, "percentage points (least deprived minus most deprived)")
    body.append(_line(sx(0), top, sx(0), bottom, NHS_GREY, 1))
    for i, (label, sii, lo, hi) in enumerate(rows):
        cy = top + row * i + row / 2
        body.append(_text(left - 6, cy + 4, label, size=10.5, anchor="end"))
        if lo is not None and hi is not None:
            body.append(_line(sx(lo), cy, sx(hi), cy, NHS_BLACK, 1, cls="interval"))
        body.append(
            f'<circle class="sii" data-measure="{escape(label)}" cx="{_n(sx(sii))}" cy="{_n(cy)}" r="3.5" fill="{NHS_BLUE}"/>'
        )
    return _svg(bottom + 36, body, ident=ident, title=title, desc=desc)


def trend_chart(
    days: Sequence[date],
    percents: Sequence[float],
    mean: float | None = None,
    lower: float | None = None,
    upper: float | None = None,
    special: Sequence[str] | None = None,
    *,
    ident: str = "trend",
    title: str = "Trend",
    desc: str = "",
) -> str:
    """Coverage night by night; with ``mean`` and limits an XmR chart, special-cause points marked
    by shape and colour (triangle up, blue: higher; triangle down, orange: lower)."""
    height, left, right, top, bottom = 260.0, 56.0, 624.0, 12.0, 196.0
    ords = [d.toordinal() for d in days]
    first, last = (min(ords), max(ords)) if ords else (0, 1)
    pad = max(1.0, (last - first) * 0.05)

    def sx(o: float) -> float:
        return left + (right - left) * (o - first + pad) / (last - first + 2 * pad)

    def sy(p: float) -> float:
        return bottom - (bottom - top) * p / 100

    body = _y_axis(left, right, [0, 20, 40, 60, 80, 100], sy, "per cent", top, bottom)
    body.append(_line(left, bottom, right, bottom, NHS_GREY, 0.8))
    step = max(1, math.ceil(len(days) / 8))
    for i in range(0, len(days), step):
        x = sx(ords[i])
        body.append(_line(x, bottom, x, bottom + 4, NHS_GREY, 0.8))
        body.append(
            _text(
                x,
                bottom + 14,
                days[i].isoformat(),
                size=10,
                anchor="end",
                fill=NHS_GREY,
                transform=f"rotate(-30 {_n(x)} {_n(bottom + 14)})",
            )
        )
    xy = [(sx(o), sy(p)) for o, p in zip(ords, percents)]
    if mean is not None and lower is not None and upper is not None:
        body.append(_line(left, sy(mean), right, sy(mean), NHS_BLACK, 1, cls="mean"))
        for limit in (min(100.0, upper), max(0.0, lower)):
            body.append(_line(left, sy(limit), right, sy(limit), NHS_GREY, 1, "6 3", cls="limit"))
    if len(xy) > 1:
        body.append(_polyline(xy, NHS_MID_GREY, 1.2, cls="trend"))
    marks = list(special or [])
    for i, (x, y) in enumerate(xy):
        flagged = mean is not None and i < len(marks) and bool(marks[i])
        if flagged and mean is not None and percents[i] > mean:
            body.append(_triangle(x, y, 5.5, IMPROVING, True, cls="special-high"))
        elif flagged:
            body.append(_triangle(x, y, 5.5, CONCERN, False, cls="special-low"))
        else:
            body.append(f'<circle class="night" cx="{_n(x)}" cy="{_n(y)}" r="3" fill="{NHS_MID_GREY}"/>')
    if mean is not None and lower is not None and upper is not None:
        body += _legend(
            left + 10,
            bottom - 56,
            [
                (_line(0, 5, 22, 5, NHS_BLACK, 1), f"mean {mean:.1f}%"),
                (_line(0, 5, 22, 5, NHS_GREY, 1, "6 3"), "process limits"),
                (_triangle(11, 5, 5, IMPROVING, True), "special cause, higher"),
                (_triangle(11, 5, 5, CONCERN, False), "special cause, lower"),
            ],
        )
    return _svg(height, body, ident=ident, title=title, desc=desc)


def makeup_chart(
    groups: Sequence[str],
    outreach: Sequence[float | None],
    cohort: Sequence[float | None],
    title: str,
    *,
    ident: str = "makeup",
    heading: str = "",
    desc: str = "",
) -> str:
    """Share of the outreach cohort vs share of the health-check cohort in each group (paired bars,
    outreach above, each labelled with its value; a suppressed group is not drawn)."""
    left, right, row, top = float(LABEL_WIDTH), 580.0, 30.0, 26.0
    bottom = top + row * max(1, len(groups))

    def sx(p: float) -> float:
        return left + (right - left) * p / 100

    body = [_text(8, 15, title, size=11, font_weight="bold")]
    body += _x_axis(left, right, top, bottom, [0, 20, 40, 60, 80, 100], sx, "per cent of each cohort")
    for i, (group, o, c) in enumerate(zip(groups, outreach, cohort)):
        cy = top + row * i + row / 2
        body.append(_text(left - 6, cy + 4, group, size=10.5, anchor="end"))
        if o is None or c is None:
            body.append(_text(left + 4, cy + 4, "suppressed", size=10, fill=NHS_GREY))
            continue
        for value, colour, dy, cls in ((o, NHS_BLUE, -6.0, "outreach"), (c, NHS_MID_GREY, 6.0, "cohort")):
            body.append(
                f'<rect class="{cls}" data-group="{escape(group)}" x="{_n(left)}" y="{_n(cy + dy - 5)}" '
                f'width="{_n(sx(value) - left)}" height="10" fill="{colour}"/>'
            )
            body.append(_text(sx(value) + 4, cy + dy + 3.5, f"{value:.1f}%", size=9.5))
    body += _legend(
        left,
        bottom + 40,
        [
            (f'<rect width="22" height="10" fill="{NHS_BLUE}"/>', "outreach cohort (upper bar)"),
            (f'<rect width="22" height="10" fill="{NHS_MID_GREY}"/>', "health-check cohort (lower bar)"),
        ],
    )
    return _svg(bottom + 72, body, ident=ident, title=heading or title, desc=desc)


def count_bars(
    labels: Sequence[str],
    counts: Sequence[int],
    *,
    ident: str = "counts",
    title: str = "Counts",
    desc: str = "",
) -> str:
    """Vertical bars of counts (safety flags outstanding by how long they have been open), each labelled."""
    height, left, right, top, bottom = 240.0, 56.0, 624.0, 16.0, 200.0
    ticks = nice_ticks(0, max([1, *counts]))
    top_value = max(ticks[-1], max([1, *counts]))

    def sy(v: float) -> float:
        return bottom - (bottom - top) * v / top_value

    body = _y_axis(left, right, ticks, sy, "people", top, bottom)
    body.append(_line(left, bottom, right, bottom, NHS_GREY, 0.8))
    slot = (right - left) / max(1, len(labels))
    for i, (label, count) in enumerate(zip(labels, counts)):
        cx = left + slot * (i + 0.5)
        w = slot * 0.6
        body.append(
            f'<rect class="bar" data-group="{escape(label)}" x="{_n(cx - w / 2)}" y="{_n(sy(count))}" '
            f'width="{_n(w)}" height="{_n(bottom - sy(count))}" fill="{NHS_BLUE}"/>'
        )
        body.append(_text(cx, sy(count) - 4, f"{count:,}", size=10, anchor="middle"))
        body.append(_text(cx, bottom + 14, label, size=10, anchor="middle", fill=NHS_GREY))
    return _svg(height, body, ident=ident, title=title, desc=desc)
