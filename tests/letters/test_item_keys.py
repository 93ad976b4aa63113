"""Item lists as keys in letter shapes (issue 16, session 10): a letter template that only
looks an item up to print its words is rendered once per *number* of items, and every
letter is still byte for byte what Jinja writes person by person. A template that does
anything else with an item keeps its items in the shape."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from jinja2 import DictLoader, Environment, StrictUndefined, UndefinedError

from longerlives.letters import grouped, render
from longerlives.letters.itemkeys import item_texts, shape_environment
from longerlives.outreach.items import FLAG_ITEMS, GROUPS
from longerlives.settings import load_settings

from .test_grouped_render import _written, generated_rows

AS_OF = date(2026, 11, 1)
BY_GROUP = {g: [f for f, (grp, _, _) in FLAG_ITEMS.items() if grp == g] for g in GROUPS}


def test_standard_and_large_print_letters_qualify_and_the_easy_read_letter_keeps_its_items():
    env = render.environment()
    items = item_texts(env, ["en/letter.html.j2", "pl/letter.html.j2", "en/easy_read.html.j2"])
    assert items is not None
    assert sorted(items.texts) == ["en/letter.html.j2", "pl/letter.html.j2"]  # easy read: pictures by item
    assert items.words["en/letter.html.j2"] == ("en/_words.j2", "ITEMS")
    assert items.arity == 2  # (what, why)
    assert "phc.blood_pressure" in items.texts["pl/letter.html.j2"]


def test_letters_listing_different_items_of_the_same_number_share_one_shape():
    rows = generated_rows(3).head(1)  # one English standard letter
    assert rows["template"].item() == "en/letter.html.j2"
    two = pl.concat(
        [
            rows.with_columns(
                pl.lit(["phc.bmi", "phc.lipids"]).alias("appointment"), pl.lit("9990000001").alias("nhs_number")
            ),
            rows.with_columns(
                pl.lit(["phc.alcohol", "ecg.annual"]).alias("appointment"), pl.lit("9990000002").alias("nhs_number")
            ),
            rows.with_columns(pl.lit(["phc.bmi"]).alias("appointment"), pl.lit("9990000003").alias("nhs_number")),
        ]
    )
    items = item_texts(render.environment(), two["template"].unique().to_list())
    assert grouped.shapes(two).first.height == 3  # without item keys: one shape per list
    assert grouped.shapes(two, items).first.height == 2  # with them: one per number of items


def test_letters_with_every_item_of_every_group_are_byte_identical_whether_or_not_their_items_are_keys(tmp_path):
    """Long lists switch the 'why it matters' sentences off (more items than a letter explains):
    that switch is the number of items, so it is in the shape, and the words still land right."""
    rows = generated_rows(240, seed=7)
    full = rows.with_columns(*(pl.lit(BY_GROUP[g]).alias(g) for g in GROUPS))
    mixed = pl.concat([rows, full.with_columns((pl.col("nhs_number").cast(pl.Int64) + 1000).cast(pl.String))])
    one_by_one = _written(mixed, tmp_path / "jinja", grouped=False)
    keyed = _written(mixed, tmp_path / "grouped", grouped=True)
    assert len(one_by_one) == 480 and list(keyed) == list(one_by_one)
    assert [p for p in one_by_one if keyed[p] != one_by_one[p]] == []
    text = b"".join(one_by_one.values()).decode()
    assert "We will tell you why each one matters when you come." in text  # the long lists' wording is there
    assert "A bowel test kit you use at home" in text


def test_a_letter_listing_an_item_its_template_has_no_words_for_fails_as_jinja_fails(tmp_path):
    rows = generated_rows(3).head(1).with_columns(pl.lit(["phc.bmi", "no.such_item"]).alias("appointment"))
    with pytest.raises(UndefinedError):
        _written(rows, tmp_path / "jinja", grouped=False)
    with pytest.raises(UndefinedError):
        _written(rows, tmp_path / "grouped", grouped=True)


WORDS = '{% set ITEMS = {"phc.bmi": ("Weight & height", "Why <it> matters"), "phc.lipids": ("Cholesterol", "Heart")} %}'
USES = {
    "t/plain.html.j2": "{% for f in p.appointment %}<li>{{ ITEMS[f][0] }}: {{ ITEMS[f][1] }}</li>{% endfor %}",
    "t/branch.html.j2": '{% for f in p.appointment %}{% if f == "phc.bmi" %}<b>{% endif %}{{ ITEMS[f][0] }}{% endfor %}',
    "t/print_id.html.j2": "{% for f in p.appointment %}{{ f }} {{ ITEMS[f][0] }}{% endfor %}",
    "t/filtered.html.j2": "{% for f in p.appointment %}{{ ITEMS[f][0] | upper }}{% endfor %}",
    "t/joined.html.j2": '{{ p.appointment | join(", ") }}',
    "t/macro.html.j2": '{% import "t/_m.j2" as m %}{{ m.items(p) }}',
}


def _custom_env() -> Environment:
    sources = {k: '{% from "t/_words.j2" import ITEMS %}' + v for k, v in USES.items()}
    sources["t/_words.j2"] = WORDS
    sources["t/_m.j2"] = "{% macro items(p) %}{% for f in p.appointment %}{{ f }}{% endfor %}{% endmacro %}"
    return Environment(loader=DictLoader(sources), autoescape=True, undefined=StrictUndefined)


def test_only_a_template_that_prints_an_items_words_as_they_are_gets_item_keys():
    items = item_texts(_custom_env(), list(USES))
    assert items is not None and sorted(items.texts) == ["t/plain.html.j2"]


def test_item_words_are_escaped_once_as_autoescape_prints_them(tmp_path):
    env = _custom_env()
    rows = generated_rows(40).with_columns(
        pl.lit("t/plain.html.j2").alias("template"),
        pl.when(pl.int_range(pl.len()) % 2 == 0)
        .then(pl.lit(["phc.bmi", "phc.lipids"]))
        .otherwise(pl.lit(["phc.lipids"]))
        .alias("appointment"),
    )
    items = item_texts(env, ["t/plain.html.j2"])
    render_row = render._row_renderer(env, AS_OF, load_settings().letters)
    render_shape = render._row_renderer(shape_environment(env, items), AS_OF, load_settings().letters)
    pieces = list(grouped.render_grouped(rows, render_row, items=items, render_shape=render_shape))
    assert not any(one_by_one for _, _, one_by_one in pieces)  # every letter filled in, none rendered alone
    html = {n: h for part, h, _ in pieces for n, h in zip(part["nhs_number"], h)}
    for row in rows.iter_rows(named=True):
        assert html[row["nhs_number"]] == render_row(row)
    assert "<li>Weight &amp; height: Why &lt;it&gt; matters</li>" in "".join(html.values())


def test_the_shape_environment_leaves_the_real_item_dictionary_alone():
    env = render.environment()
    items = item_texts(env, ["en/letter.html.j2"])
    shape_environment(env, items)
    real = env.get_template("en/_words.j2").module.ITEMS
    assert type(real) is dict and "phc.bmi" in real


def test_placeholder_blocks_with_item_keys_hold_the_same_rows_as_placeholder_row():
    rows = generated_rows(300)
    items = item_texts(render.environment(), rows["template"].unique().to_list())
    sh = grouped.shapes(rows, items)
    assert sh.layout is not None
    block = grouped.placeholder_block(sh.first, sh.layout)
    expected = [grouped.placeholder_row(r, sh.address_slots, sh.layout) for r in sh.first.iter_rows(named=True)]
    assert grouped.block_rows(block) == expected
    keyed = [r for r in expected if r[grouped.KEYED] and r["appointment"]]
    assert keyed and all(k.startswith("\ue000key") for r in keyed for k in r["appointment"])


def test_letters_with_more_fields_than_a_token_can_number_are_shaped_without_item_keys(tmp_path):
    """A token carries a three-digit field number: a run whose longest address would push the
    items' words past field 999 shapes its letters as before, and every letter is still exact."""
    rows = generated_rows(6).filter(pl.col("template") == "en/letter.html.j2").head(1)
    long_address = [f"{i} Long Road" for i in range(990)]
    rows = pl.concat(
        [rows, rows.with_columns(pl.lit(long_address).alias("address"), pl.lit("9990009999").alias("nhs_number"))]
    ).with_columns(pl.lit(["phc.bmi", "phc.lipids"]).alias("appointment"))
    items = item_texts(render.environment(), ["en/letter.html.j2"])
    assert grouped.shapes(rows, items).layout is None
    assert _written(rows, tmp_path / "grouped", grouped=True) == _written(rows, tmp_path / "jinja", grouped=False)


def test_an_item_key_answers_as_many_words_as_its_own_dictionarys_entries(tmp_path):
    """Two templates, one with (what, why) items and one with (what,) only: both keyed, every
    letter exact; a template reading a word its dictionary does not have fails as Jinja fails;
    a dictionary whose entries differ in length is not keyed at all."""
    sources = {
        "t/_two.j2": WORDS,
        "t/_one.j2": '{% set ITEMS = {"phc.bmi": ("Weight",), "phc.lipids": ("Cholesterol",)} %}',
        "t/_mixed.j2": '{% set ITEMS = {"phc.bmi": ("Weight",), "phc.lipids": ("Cholesterol", "Heart")} %}',
        "t/two.html.j2": '{% from "t/_two.j2" import ITEMS %}' + USES["t/plain.html.j2"],
        "t/one.html.j2": '{% from "t/_one.j2" import ITEMS %}{% for f in p.appointment %}<i>{{ ITEMS[f][0] }}</i>{% endfor %}',
        "t/past.html.j2": '{% from "t/_one.j2" import ITEMS %}{% for f in p.appointment %}{{ ITEMS[f][1] }}{% endfor %}',
        "t/mixed.html.j2": '{% from "t/_mixed.j2" import ITEMS %}{% for f in p.appointment %}{{ ITEMS[f][0] }}{% endfor %}',
    }
    env = Environment(loader=DictLoader(sources), autoescape=True, undefined=StrictUndefined)
    items = item_texts(env, ["t/two.html.j2", "t/one.html.j2", "t/past.html.j2", "t/mixed.html.j2"])
    assert items is not None and sorted(items.texts) == ["t/one.html.j2", "t/past.html.j2", "t/two.html.j2"]
    assert ("t/_one.j2", "ITEMS", 1) in items.patches() and ("t/_two.j2", "ITEMS", 2) in items.patches()
    rows = generated_rows(40).with_columns(
        pl.Series("template", ["t/two.html.j2", "t/one.html.j2"] * 20),
        pl.lit(["phc.bmi", "phc.lipids"]).alias("appointment"),
    )
    assert _written(rows, tmp_path / "g", grouped=True, env=env) == _written(
        rows, tmp_path / "j", grouped=False, env=env
    )
    past = rows.head(1).with_columns(pl.lit("t/past.html.j2").alias("template"))
    with pytest.raises(UndefinedError):
        _written(past, tmp_path / "pj", grouped=False, env=env)
    with pytest.raises(UndefinedError):
        _written(past, tmp_path / "pg", grouped=True, env=env)
