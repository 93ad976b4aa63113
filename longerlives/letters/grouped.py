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
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import markupsafe
import polars as pl

from longerlives.letters.context import LETTER_ROW
from longerlives.letters.itemkeys import ITEM_LISTS, ItemTexts
from longerlives.letters.tokens import CLOSE, KEY_OPEN, Split, item_key, split_rendered, token

__all__ = ["PERSONAL", "escape_expr", "render_grouped", "shapes", "split_rendered", "token"]

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

# The tokens and their split live in tokens.py (standard library only: the shape renderer
# process splits the shapes it renders with the same code).
token = functools.cache(token)


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


KEYED = "_items_keyed"  # the row's item lists are item keys in its shape (itemkeys.py)
MAX_FIELD = 999  # the highest field number a token or item key can carry (three digits)


@dataclass(frozen=True)
class ItemLayout:
    """Where the words of keyed items are among a shape's fields: after the personal fields
    and the address lines, list by list, ``arity`` fields per item (what, why, …)."""

    items: ItemTexts
    offsets: dict[str, int]  # item list -> field of its first item's first word
    slots: dict[str, int]  # item list -> most items a keyed row has in it

    def key_of(self, item_list: str, position: int) -> str:
        return item_key(self.offsets[item_list] + position * self.items.arity)


@dataclass(frozen=True)
class Shapes:
    """Rows numbered by shape (``_shape``, ``_row``), one representative row per shape."""

    rows: pl.DataFrame  # the letter rows plus _row (position) and _shape (shape number)
    first: pl.DataFrame  # one row per shape (the first of its rows), ordered by _shape
    address_slots: int  # most address lines anyone has
    layout: ItemLayout | None = field(default=None)  # keyed item lists (None: every list is in the shape)


def _keyed(items: ItemTexts) -> pl.Expr:
    """True for a row of a qualifying template whose every item its dictionary knows."""
    cases: Any = None
    for template, table in items.texts.items():
        known = pl.Series(list(table), dtype=pl.String)
        ok = pl.all_horizontal(
            [pl.col(c).list.eval(pl.element().is_in(known.implode())).list.all() for c in ITEM_LISTS]
        )
        test = pl.col("template") == template
        cases = pl.when(test).then(ok) if cases is None else cases.when(test).then(ok)
    return cases.otherwise(False).fill_null(False).alias(KEYED)


def shapes(rows: pl.DataFrame, items: ItemTexts | None = None) -> Shapes:
    """Rows grouped by shape. With ``items``, the rows of qualifying templates (itemkeys.py)
    are grouped by how many items each list has, not by which."""
    states = [_state(pl.col(c)).alias(f"_s_{c}") for c in PERSONAL]
    lists = [
        pl.col(c).list.eval(_state(pl.element())).list.join("").fill_null("N").alias(f"_s_{c}") for c in PERSONAL_LISTS
    ]
    keyed = rows.with_row_index("_row").with_columns(*states, *lists)
    structural = list(STRUCTURAL)
    helpers: list[str] = []
    if items is not None:
        keyed = keyed.with_columns(_keyed(items))
        k = pl.col(KEYED)
        keyed = keyed.with_columns(
            *(pl.when(k).then(pl.col(c).list.len()).alias(f"_n_{c}") for c in ITEM_LISTS),
            *(
                pl.when(k).then(pl.lit(None, dtype=pl.List(pl.String))).otherwise(pl.col(c)).alias(f"_v_{c}")
                for c in ITEM_LISTS
            ),
        )
        helpers = [*(f"_n_{c}" for c in ITEM_LISTS), *(f"_v_{c}" for c in ITEM_LISTS)]
        structural = [*(c for c in STRUCTURAL if c not in ITEM_LISTS), KEYED, *helpers]
    key = [*structural, *(f"_s_{c}" for c in (*PERSONAL, *PERSONAL_LISTS))]
    groups = keyed.group_by(key, maintain_order=True).agg(pl.col("_row")).with_row_index("_shape")
    shape_of = groups.select("_shape", "_row").explode("_row")
    numbered = keyed.join(shape_of, on="_row", how="left").drop(*key[len(structural) :], *helpers).sort("_row")
    first = numbered.group_by("_shape", maintain_order=True).first().sort("_shape")
    slots = int(rows.select(pl.col("address").list.len().max()).item() or 0) if rows.height else 0
    layout = None
    if items is not None:
        on = numbered.filter(pl.col(KEYED))
        most = {c: int(on.select(pl.col(c).list.len().max()).item() or 0) if on.height else 0 for c in ITEM_LISTS}
        offsets, at = {}, len(PERSONAL) + slots
        for c in ITEM_LISTS:
            offsets[c] = at
            at += most[c] * items.arity
        if at > MAX_FIELD + 1:  # a token's field number has three digits: shape these rows as before
            return shapes(rows)
        layout = ItemLayout(items, offsets, most)
    return Shapes(numbered, first, slots, layout)


def _value_columns(slots: int) -> list[str]:
    return [*PERSONAL, *(f"address_{i}" for i in range(slots))]


def item_words(layout: ItemLayout) -> list[pl.Expr]:
    """The keyed items' words as fields (``layout`` order), escaped once as autoescape prints
    them: each a lookup of (template, flag id) in the template's dictionary."""
    items = layout.items
    # per word k: (template, flag id) keys and that word escaped, built once for every item slot
    by_word: list[tuple[list[str], list[str]]] = []
    for k in range(items.arity):
        pairs = [
            (f"{t}\x00{f}", str(markupsafe.escape(words[k])))
            for t, table in items.texts.items()
            for f, words in table.items()
            if k < len(words)
        ]
        by_word.append(([key for key, _ in pairs], [word for _, word in pairs]))
    out: list[pl.Expr] = []
    for c in ITEM_LISTS:
        for j in range(layout.slots[c]):
            lookup = pl.concat_str(pl.col("template"), pl.lit("\x00"), pl.col(c).list.get(j, null_on_oob=True))
            for keys, words in by_word:
                out.append(lookup.replace_strict(keys, words, default=None, return_dtype=pl.String))
    return out


def placeholder_block(first: pl.DataFrame, layout: ItemLayout | None = None) -> dict[str, list[Any]]:
    """``placeholder_row`` for a block of representative rows, column by column (Polars puts
    the tokens in; no Python per row here): the shape renderer process makes the row dicts."""
    personal = [
        pl.when(pl.col(c).is_not_null() & (pl.col(c) != "")).then(pl.lit(token(i))).otherwise(pl.col(c)).alias(c)
        for i, c in enumerate(PERSONAL)
    ]
    base = len(PERSONAL)
    line = pl.element()
    numbered = (
        pl.lit(token(0)[:4]) + (pl.int_range(pl.len()) + base).cast(pl.String).str.zfill(3) + pl.lit(token(0)[7:])
    )
    address = pl.col("address").list.eval(pl.when(line.is_not_null() & (line != "")).then(numbered).otherwise(line))
    keys: list[pl.Expr] = []
    if layout is not None:
        for c in ITEM_LISTS:
            at = pl.int_range(pl.len()) * layout.items.arity + layout.offsets[c]
            key = pl.lit(KEY_OPEN) + at.cast(pl.String).str.zfill(3) + pl.lit(CLOSE)
            keys.append(pl.when(pl.col(KEYED)).then(pl.col(c).list.eval(key)).otherwise(pl.col(c)).alias(c))
    return first.with_columns(*personal, address, *keys).to_dict(as_series=False)


def block_rows(block: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The row dicts of a column block (as ``placeholder_block`` makes them)."""
    names = list(block)
    return [dict(zip(names, values, strict=True)) for values in zip(*block.values(), strict=True)]


def placeholder_row(row: dict[str, Any], slots: int, layout: ItemLayout | None = None) -> dict[str, Any]:
    """The row with every non-empty personal value replaced by its token (nulls and '' kept),
    and a keyed row's items by their keys."""
    out = dict(row)
    for i, c in enumerate(PERSONAL):
        if row[c]:
            out[c] = token(i)
    out["address"] = [token(len(PERSONAL) + j) if line else line for j, line in enumerate(row["address"] or [])]
    if row["address"] is None:
        out["address"] = None
    if layout is not None and row.get(KEYED):
        for c in ITEM_LISTS:
            out[c] = [layout.key_of(c, j) for j in range(len(row[c]))]
    return out


def render_grouped(
    rows: pl.DataFrame,
    render_row: Callable[[dict[str, Any]], str],
    chunk: int = 8192,
    shape_block: int = 2048,
    render_blocks: Callable[[Iterator[dict[str, list[Any]]]], Iterator[list[Split | None]]] | None = None,
    items: ItemTexts | None = None,
    render_shape: Callable[[dict[str, Any]], str] | None = None,
) -> Iterator[tuple[pl.DataFrame, pl.Series, bool]]:
    """Letters for ``rows`` as (rows part with ``_row``, HTML Series, one_by_one) pieces, made
    one at a time so that only ``chunk`` letters are in memory at once and the caller can
    write one piece while the next is rendered.

    Shapes are rendered ``shape_block`` at a time (in order of their first letter); each
    block's letters are then filled in by Polars. A shape that fails the token check is
    rendered person by person with Jinja (``one_by_one`` true for those pieces).
    ``render_row(row)`` renders one ``LETTER_ROW`` dict with the real template;
    ``render_blocks`` (optional) renders the blocks of placeholder rows (columns, as
    ``placeholder_block`` makes them) the same way and answers each shape's ``split_rendered``,
    in order, e.g. in another process while this one fills in the block before
    (``render.ShapeRenderer``).

    ``items`` (``itemkeys.item_texts``): the rows of those templates are shaped by how many
    items they list, not which; their placeholder rows then need ``render_shape``, a renderer
    whose item dictionaries answer item keys (``itemkeys.shape_environment``)."""
    if rows.height == 0:
        return
    if items is not None and render_shape is None:
        raise ValueError("render_grouped: item keys need a shape renderer (itemkeys.shape_environment)")
    render_placeholder = render_shape or render_row
    sh = shapes(rows, items)
    slots = sh.address_slots
    values = [
        *(pl.col(c) for c in PERSONAL),
        *(pl.col("address").list.get(j, null_on_oob=True) for j in range(slots)),
    ]
    ready = item_words(sh.layout) if sh.layout is not None else []
    by_shape = sh.rows.sort("_shape", maintain_order=True)  # stable: row order within a shape
    starts = by_shape["_shape"].search_sorted(pl.Series(range(0, sh.first.height + 1), dtype=pl.UInt32), side="left")
    block_starts = range(0, sh.first.height, shape_block)
    placeholders = (placeholder_block(sh.first.slice(b, shape_block), sh.layout) for b in block_starts)
    split_blocks = (
        render_blocks(placeholders)
        if render_blocks is not None
        else ([split_rendered(render_placeholder(r)) for r in block_rows(block)] for block in placeholders)
    )
    for b, block_splits in zip(block_starts, split_blocks):
        reps = sh.first.slice(b, shape_block)["_shape"].to_list()
        seg_rows: list[dict[str, Any]] = []
        failed: list[int] = []
        for shape, split in zip(reps, block_splits):
            if split is None:
                failed.append(shape)
                continue
            segments, fields = split
            seg_rows.append({"_shape": shape, "_segs": segments, "_fields": fields})
        lo, hi = int(starts[b]), int(starts[min(b + shape_block, sh.first.height)])
        letters = by_shape.slice(lo, hi - lo)
        if failed:
            fallback = letters.filter(pl.col("_shape").is_in(failed))
            html = [render_row(r) for r in fallback.drop("_row", "_shape", KEYED, strict=False).iter_rows(named=True)]
            yield fallback, pl.Series("html", html, dtype=pl.String), True
            letters = letters.filter(~pl.col("_shape").is_in(failed))
        if seg_rows:
            yield from _fill(letters, _segment_table(seg_rows), values, chunk, ready)


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
    good: pl.DataFrame,
    shaped: tuple[pl.DataFrame, int],
    values: list[pl.Expr],
    chunk: int,
    ready: list[pl.Expr] | None = None,
) -> Iterator[tuple[pl.DataFrame, pl.Series, bool]]:
    """``values`` are escaped here; ``ready`` (the items' words) are escaped already.

    Field ``f`` of a letter is value ``f`` of its row: the chunk's values are laid end to end, value
    by value, in one column, so field ``f`` of row ``r`` is element ``f × rows + r`` of it — one
    gather a field slot (issue 16, session 27: each row's values gathered into a list first, then
    picked from it, was 1.2 of the letters' 1.5 CPU-seconds of filling at 100,000 people)."""
    table, width = shaped
    exprs = [*(escape_expr(v.cast(pl.String)) for v in values), *(ready or [])]
    for start in range(0, good.height, chunk):
        part = good.slice(start, chunk)
        n = part.height
        laid = part.select(*(e.alias(f"_v{i}") for i, e in enumerate(exprs)))
        flat = pl.concat([laid.to_series(i) for i in range(laid.width)], rechunk=True)
        del laid
        shaped_rows = part.select("_shape").join(table, on="_shape", how="left", maintain_order="left")
        row = pl.int_range(pl.len(), dtype=pl.Int64)
        at = shaped_rows.select(
            pl.when(pl.col(f"_f{k}").is_between(0, len(exprs) - 1))  # a field number no value has: nothing
            .then(pl.col(f"_f{k}").cast(pl.Int64) * n + row)
            .alias(f"_at{k}")
            for k in range(width)
        )
        pieces = [shaped_rows.get_column("_seg0")]
        for k in range(width):
            pieces.append(flat.gather(at.get_column(f"_at{k}")).alias(f"_p{k}"))
            pieces.append(shaped_rows.get_column(f"_seg{k + 1}"))
        html = pl.DataFrame(pieces).select(pl.concat_str(pl.all(), ignore_nulls=True).alias("html")).to_series()
        yield part, html, False
