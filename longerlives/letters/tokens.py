"""The placeholder tokens of grouped letter rendering, and the split of a rendered shape at them.

Standard library only: the shape renderer process (``shapeworker.py``, ``python -I``: no
package imports) loads this file by its path and splits each shape it renders, so the run's
own process receives the segments and field numbers ready (issue 16, session 7: the split cost
the run's letters thread about 2.5 s of interpreter time at 100,000 people, beside the exports
thread). ``grouped.py`` uses the same functions for the shapes it renders itself.

A token: private-use marks around a mixed-case tag (so "upper", "lower", "title" show), the
field's number, 48 underscores (so "truncate" and other length-bound filters show) and an
"&" (so autoescape must turn it into "&amp;": "safe" or a second escape shows), with a space
either side (so "trim" shows).
"""

from __future__ import annotations

OPEN, CLOSE = "\ue000", "\ue001"
PAD = "_" * 48
MARK = " " + OPEN + "qX"  # a token starts with this; the field number and TAIL follow
TAIL = PAD + "&amp;" + CLOSE + " "  # after the number, as autoescape writes the token once


Split = tuple[list[str], list[int]]  # a shape's segments and the field number between each two


def token(i: int) -> str:
    """Field ``i``'s placeholder as it goes into the template (before autoescape)."""
    return f" {OPEN}qX{i:03d}{PAD}&{CLOSE} "


def split_rendered(html: str) -> Split | None:
    """Segments and field numbers of a rendered placeholder letter; None when any token
    was transformed, left unescaped or escaped twice (a stray token mark remains).

    ``str.split`` at the token's opening mark, then each piece must start with three digits
    and the token's exact tail: the same answer as splitting with a regular expression of the
    token (a regular expression scan of every letter costs several times more)."""
    parts = html.split(MARK)
    segments = [parts[0]]
    fields: list[int] = []
    width = 3 + len(TAIL)
    for part in parts[1:]:
        number = part[:3]
        if not (number.isascii() and number.isdigit()) or not part.startswith(TAIL, 3):
            return None
        fields.append(int(number))
        segments.append(part[width:])
    if html.count(OPEN) != len(fields) or html.count(CLOSE) != len(fields):
        return None  # a mark outside the tokens accepted above: a stray or changed token
    return segments, fields
