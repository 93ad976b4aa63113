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


# Item keys (itemkeys.py): what an item list holds while a shape renders. A key is never
# printed by a template that qualifies; if one were, its marks would be strays and the shape's
# split would fail (the letters of that shape are then rendered person by person).
KEY_OPEN = OPEN + "key"


def item_key(field: int) -> str:
    """The key of an item whose words are fields ``field``, ``field + 1``, …"""
    return f"{KEY_OPEN}{field:03d}{CLOSE}"


class ItemTokens(dict):  # type: ignore[type-arg]
    """A template's item dictionary (flag id -> (what, why, …)) for rendering shapes: an item
    key answers the tokens of its fields, any other key the dictionary's own entry."""

    def __init__(self, real: dict, arity: int) -> None:  # type: ignore[type-arg]
        super().__init__(real)
        self.arity = arity

    def __getitem__(self, key: object) -> object:
        if isinstance(key, str) and key.startswith(KEY_OPEN) and key.endswith(CLOSE) and len(key) == len(KEY_OPEN) + 4:
            digits = key[len(KEY_OPEN) : len(KEY_OPEN) + 3]
            if digits.isascii() and digits.isdigit():
                field = int(digits)
                return tuple(token(field + k) for k in range(self.arity))
        return super().__getitem__(key)


def wrap_item_dictionaries(env: object, patches: list[tuple[str, str, int]]) -> None:
    """Make ``env``'s item dictionaries ``ItemTokens`` (``patches``: defining template, name, arity).

    Jinja imports a template's module once per environment (``{% from … import ITEMS %}`` reads
    the cached module), so wrapping the module's dictionary is what every letter template of
    this environment then sees. Only for an environment that renders shapes."""
    for template, name, arity in patches:
        module = env.get_template(template).module  # type: ignore[attr-defined]
        setattr(module, name, ItemTokens(getattr(module, name), arity))
