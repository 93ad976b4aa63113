"""Grouped letter rendering: Jinja once per letter *shape*, personal fields filled in by Polars.

Most letters share their structure; only a few fields are personal (names, address lines,
NHS number, practice and team contacts). ``render_grouped`` therefore

1. groups the letter rows by their *shape*: every ``LETTER_ROW`` column that is not
   personal (template, format, language, urgency, the items due, the interpreter offer…)
   and, for each personal field, whether it is null, empty or has a value (templates test
   fields for truth: ``{% if p.team_phone %}``, ``p.practice_name or …``), and how many
   address lines there are;
2. renders the template once per shape with a unique placeholder token for each personal
   value, and splits the result at the tokens;
3. checks that every token came through exactly as Jinja's autoescape writes a value once
   (``&`` → ``&amp;`` inside the token) and untouched otherwise (a token changed by a
   filter — ``upper``, ``trim``, ``safe``, ``truncate`` … — or not escaped, leaves a
   stray token mark): a shape that fails is rendered person by person with Jinja, the
   reference implementation (``render._render_jinja``);
4. fills the personal values of all people of all shapes at once — one ``concat_str`` over
   the shapes' segments, the values HTML-escaped exactly as markupsafe does
   (``& < > " '`` → ``&amp; &lt; &gt; &#34; &#39;``).

Rule for templates (docs/letters.md): a personal field may be printed (escaped) and tested
for truth; anything that depends on its value otherwise (its length, a comparison) belongs
in ``letter_rows`` as a column of its own. ``tests/letters/test_grouped_render.py`` renders
every letter kind, language and format both ways and asserts every byte equal.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import polars as pl

from longerlives.letters.context import LETTER_ROW

# Personal string fields: their values are filled in after rendering, never seen by Jinja
# (nhs_number and practice_dir name the file; they are tokens too, so a template that
# printed one would still be right).
PERSONAL = (
    "nhs_number",
    "practice_dir",
    "title",
    "given_name",
    "family_name",
    "nhs_spaced",
    "practice_name",
    "practice_phone",
    "practice_address",
    "team_name",
    "team_phone",
    "team_email",
)
PERSONAL_LISTS = ("address",)  # list of personal strings (one token per line)
STRUCTURAL = tuple(c for c in LETTER_ROW.names if c not in PERSONAL and c not in PERSONAL_LISTS)

# A token: private-use marks around a mixed-case tag (so "upper", "lower", "title" show), the
# field's number, 48 underscores (so "truncate" and other length-bound filters show) and an
# "&" (so autoescape must turn it into "&amp;": "safe" or a second escape shows), with a
# space either side (so "trim" shows).
_OPEN, _CLOSE = "\ue000", "\ue001"
_PAD = "_" * 48
_TOKEN = re.compile(" " + _OPEN + r"qX(\d{3})" + _PAD + "&amp;" + _CLOSE + " ")


@functools.cache
def token(i: int) -> str:
    return f" {_OPEN}qX{i:03d}{_PAD}&{_CLOSE} "


def escape_expr(e: pl.Expr) -> pl.Expr:
    """``markupsafe.escape`` for a string column (``&`` first, then ``< > " '``)."""
    return (
        e.str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
        .str.replace_all('"', "&#34;", literal=True)
        .str.replace_all("'", "&#39;", literal=True)
    )


def _state(e: pl.Expr) -> pl.Expr:
    return pl.when(e.is_null()).then(pl.lit("n")).when(e == "").then(pl.lit("e")).otherwise(pl.lit("v"))


@dataclass(frozen=True)
class Shapes:
    """Rows numbered by shape (``_shape``, ``_row``), one representative row per shape."""

    rows: pl.DataFrame  # the letter rows plus _row (position) and _shape (shape number)
    first: pl.DataFrame  # one row per shape (the first of its rows), ordered by _shape
    address_slots: int  # most address lines anyone has


def shapes(rows: pl.DataFrame) -> Shapes:
    states = [_state(pl.col(c)).alias(f"_s_{c}") for c in PERSONAL]
    lists = [
        pl.col(c).list.eval(_state(pl.element())).list.join("").fill_null("N").alias(f"_s_{c}") for c in PERSONAL_LISTS
    ]
    keyed = rows.with_row_index("_row").with_columns(*states, *lists)
    key = [*STRUCTURAL, *(f"_s_{c}" for c in (*PERSONAL, *PERSONAL_LISTS))]
    groups = keyed.group_by(key, maintain_order=True).agg(pl.col("_row")).with_row_index("_shape")
    shape_of = groups.select("_shape", "_row").explode("_row")
    numbered = keyed.join(shape_of, on="_row", how="left").drop(key[len(STRUCTURAL) :]).sort("_row")
    first = numbered.group_by("_shape", maintain_order=True).first().sort("_shape")
    slots = int(rows.select(pl.col("address").list.len().max()).item() or 0) if rows.height else 0
    return Shapes(numbered, first, slots)


def _value_columns(slots: int) -> list[str]:
    return [*PERSONAL, *(f"address_{i}" for i in range(slots))]


def placeholder_row(row: dict[str, Any], slots: int) -> dict[str, Any]:
    """The row with every non-empty personal value replaced by its token (nulls and '' kept)."""
    out = dict(row)
    for i, c in enumerate(PERSONAL):
        if row[c]:
            out[c] = token(i)
    out["address"] = [token(len(PERSONAL) + j) if line else line for j, line in enumerate(row["address"] or [])]
    if row["address"] is None:
        out["address"] = None
    return out


_MARK = " " + _OPEN + "qX"  # a token starts with this; the field number and _TAIL follow
_TAIL = _PAD + "&amp;" + _CLOSE + " "


def split_rendered(html: str) -> tuple[list[str], list[int]] | None:
    """Segments and field numbers of a rendered placeholder letter; None when any token
    was transformed, left unescaped or escaped twice (a stray token mark remains).

    ``str.split`` at the token's opening mark, then each piece must start with three digits
    and the token's exact tail: the same answer as splitting with ``_TOKEN`` (a regular
    expression scan of every letter costs several times more)."""
    parts = html.split(_MARK)
    segments = [parts[0]]
    fields: list[int] = []
    width = 3 + len(_TAIL)
    for part in parts[1:]:
        number = part[:3]
        if not (number.isascii() and number.isdigit()) or not part.startswith(_TAIL, 3):
            return None
        fields.append(int(number))
        segments.append(part[width:])
    if html.count(_OPEN) != len(fields) or html.count(_CLOSE) != len(fields):
        return None  # a mark outside the tokens accepted above: a stray or changed token
    return segments, fields


def render_grouped(
    rows: pl.DataFrame,
    render_row: Callable[[dict[str, Any]], str],
    chunk: int = 8192,
    shape_block: int = 2048,
    render_blocks: Callable[[Iterator[list[dict[str, Any]]]], Iterator[list[str]]] | None = None,
) -> Iterator[tuple[pl.DataFrame, pl.Series, bool]]:
    """Letters for ``rows`` as (rows part with ``_row``, HTML Series, one_by_one) pieces, made
    one at a time so that only ``chunk`` letters are in memory at once and the caller can
    write one piece while the next is rendered.

    Shapes are rendered ``shape_block`` at a time (in order of their first letter); each
    block's letters are then filled in by Polars. A shape that fails the token check is
    rendered person by person with Jinja (``one_by_one`` true for those pieces).
    ``render_row(row)`` renders one ``LETTER_ROW`` dict with the real template;
    ``render_blocks`` (optional) renders the blocks of placeholder rows the same way, in order,
    e.g. in another process while this one fills in the block before (``render.ShapeRenderer``)."""
    if rows.height == 0:
        return
    sh = shapes(rows)
    slots = sh.address_slots
    values = [
        *(pl.col(c) for c in PERSONAL),
        *(pl.col("address").list.get(j, null_on_oob=True) for j in range(slots)),
    ]
    by_shape = sh.rows.sort("_shape", maintain_order=True)  # stable: row order within a shape
    starts = by_shape["_shape"].search_sorted(pl.Series(range(0, sh.first.height + 1), dtype=pl.UInt32), side="left")
    block_starts = range(0, sh.first.height, shape_block)
    placeholders = (
        [placeholder_row(rep, slots) for rep in sh.first.slice(b, shape_block).iter_rows(named=True)]
        for b in block_starts
    )
    rendered = (
        render_blocks(placeholders)
        if render_blocks is not None
        else ([render_row(r) for r in block] for block in placeholders)
    )
    for b, block_html in zip(block_starts, rendered):
        reps = sh.first.slice(b, shape_block)["_shape"].to_list()
        seg_rows: list[dict[str, Any]] = []
        failed: list[int] = []
        for shape, shape_html in zip(reps, block_html):
            split = split_rendered(shape_html)
            if split is None:
                failed.append(shape)
                continue
            segments, fields = split
            seg_rows.append({"_shape": shape, "_segs": segments, "_fields": fields})
        lo, hi = int(starts[b]), int(starts[min(b + shape_block, sh.first.height)])
        letters = by_shape.slice(lo, hi - lo)
        if failed:
            fallback = letters.filter(pl.col("_shape").is_in(failed))
            html = [render_row(r) for r in fallback.drop("_row", "_shape").iter_rows(named=True)]
            yield fallback, pl.Series("html", html, dtype=pl.String), True
            letters = letters.filter(~pl.col("_shape").is_in(failed))
        if seg_rows:
            yield from _fill(letters, _segment_table(seg_rows), values, chunk)


def _segment_table(seg_rows: list[dict[str, Any]]) -> tuple[pl.DataFrame, int]:
    """One row per shape: its segments ``_seg<k>`` and the field number ``_f<k>`` between them
    (columns built from Python lists directly: a frame made from dicts of lists cost seconds)."""
    width = max(len(r["_fields"]) for r in seg_rows)
    segs = [r["_segs"] + [None] * (width + 1 - len(r["_segs"])) for r in seg_rows]
    fields = [r["_fields"] + [None] * (width - len(r["_fields"])) for r in seg_rows]
    columns: dict[str, pl.Series] = {"_shape": pl.Series("_shape", [r["_shape"] for r in seg_rows], dtype=pl.UInt32)}
    for k in range(width + 1):
        columns[f"_seg{k}"] = pl.Series(f"_seg{k}", [row[k] for row in segs], dtype=pl.String)
    for k in range(width):
        columns[f"_f{k}"] = pl.Series(f"_f{k}", [row[k] for row in fields], dtype=pl.Int64)
    return pl.DataFrame(columns), width


def _fill(
    good: pl.DataFrame, shaped: tuple[pl.DataFrame, int], values: list[pl.Expr], chunk: int
) -> Iterator[tuple[pl.DataFrame, pl.Series, bool]]:
    table, width = shaped
    for start in range(0, good.height, chunk):
        part = good.slice(start, chunk)
        vals = part.select(
            "_row",
            "_shape",
            pl.concat_list(*(escape_expr(v.cast(pl.String)) for v in values)).alias("_vals"),
        ).join(table, on="_shape", how="left", maintain_order="left")
        pieces_expr: list[pl.Expr] = [pl.col("_seg0")]
        for k in range(width):
            pieces_expr.append(pl.col("_vals").list.get(pl.col(f"_f{k}"), null_on_oob=True))
            pieces_expr.append(pl.col(f"_seg{k + 1}"))
        html = vals.select(pl.concat_str(pieces_expr, ignore_nulls=True).alias("html")).to_series()
        yield part, html, False
