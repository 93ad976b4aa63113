"""Grouped rendering (Jinja once per letter shape, personal fields filled in by Polars) writes
exactly the bytes the per-person Jinja rendering writes: every letter kind, language and
format, same-day and soon letters, names and addresses with ``& < > " '`` and non-ASCII
letters, missing and empty fields."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import markupsafe
import polars as pl
from jinja2 import DictLoader, Environment, StrictUndefined

from longerlives.letters import render
from longerlives.letters.context import LETTER_ROW
from longerlives.letters.grouped import escape_expr, render_grouped
from longerlives.outreach.items import FLAG_ITEMS, GROUPS
from longerlives.settings import load_settings

AS_OF = date(2026, 11, 1)
AWKWARD = [
    "O'Brien",
    'Ann "Nan" Smith',
    "Smith & Jones",
    "<b>Bold</b>",
    "Łucja Żółć",
    "Zoë Ğül",
    "José",
    "  spaced  ",
    "Nguyễn",
    "&amp; already",
    "a>b<c",
]
PLAIN = ["Alex", "Sam", "Jo", "Amina", "Ravi", "Kofi", "Mary"]
TEMPLATES = [  # (template, language, formats it is sent in)
    ("en/letter.html.j2", "en", ("standard", "large_print")),
    ("en/easy_read.html.j2", "en", ("easy_read",)),
    ("pl/letter.html.j2", "pl", ("standard", "large_print")),
]


def _maybe(rng: random.Random, value: str) -> str | None:
    return rng.choice([value, value, value, None, ""])


def generated_rows(n: int, seed: int = 16) -> pl.DataFrame:
    """``n`` made-up letter rows (no real people) covering every shape the templates branch on."""
    rng = random.Random(seed)
    by_group = {g: [f for f, (grp, _, _) in FLAG_ITEMS.items() if grp == g] for g in GROUPS}
    names = AWKWARD + PLAIN
    rows = []
    for i in range(n):
        template, language, formats = TEMPLATES[i % len(TEMPLATES)]
        urgency = rng.choice(["routine", "routine", "soon", "same_day"])
        nhs = f"{9_990_000_000 + i}"
        rows.append(
            {
                "nhs_number": nhs,
                "format": rng.choice(formats),
                "language": language,
                "template": template,
                "interpreter_offer": rng.random() < 0.3,
                "practice_dir": rng.choice(["A81001", "B82002", "unknown"]),
                "title": rng.choice(["Mr", "Ms", "Dr", "", "Mx & Co"]),
                "given_name": rng.choice(names),
                "family_name": rng.choice([*names, ""]),
                "address": [rng.choice(names) + f" {j} Street" for j in range(rng.randint(0, 5))]
                + ([""] if rng.random() < 0.05 else []),
                "nhs_spaced": f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}",
                "practice_name": _maybe(rng, rng.choice(["Riverside Surgery", "Smith & Jones <Practice>"])),
                "practice_phone": _maybe(rng, "020 7946 0000"),
                "practice_address": _maybe(rng, "1 High Street, Tësttown ZZ99 1AA"),
                "team_name": _maybe(rng, rng.choice(["North Team", "O'Neill's \"East\" Team"])),
                "team_phone": _maybe(rng, "020 7946 0999"),
                "team_email": _maybe(rng, "north.team@example.invalid"),
                **{g: rng.sample(by_group[g], rng.randint(0, min(3, len(by_group[g])))) for g in GROUPS},
                "urgency": urgency,
                "urgent": urgency != "routine",
                "letter": "health_check_invitation" if urgency == "routine" else "urgent_invitation",
            }
        )
    return pl.DataFrame(rows, schema=LETTER_ROW.polars_schema)


def _written(rows: pl.DataFrame, out: Path, grouped: bool, env: Environment | None = None) -> dict[str, bytes]:
    paths = render._render_serial(rows, out, AS_OF, load_settings().letters, env, grouped=grouped)
    return {p: (out / p).read_bytes() for p in paths}


def test_grouped_letters_are_byte_identical_to_letters_rendered_one_by_one(tmp_path):
    rows = generated_rows(600)
    one_by_one = _written(rows, tmp_path / "jinja", grouped=False)
    grouped = _written(rows, tmp_path / "grouped", grouped=True)
    assert len(one_by_one) == 600
    assert list(grouped) == list(one_by_one)  # same paths, same order
    different = [p for p in one_by_one if grouped[p] != one_by_one[p]]
    assert different == []
    # the generated letters really do carry the awkward characters, escaped
    texts = b"".join(one_by_one.values()).decode()
    assert "O&#39;Brien" in texts and "Smith &amp; Jones" in texts and "&lt;b&gt;Bold&lt;/b&gt;" in texts
    assert "Łucja Żółć" in texts and "&#34;Nan&#34;" in texts
    assert {r for r in rows["template"]} == {t for t, _, _ in TEMPLATES}


def test_grouped_letters_are_private_files(tmp_path):
    rows = generated_rows(30)
    written = _written(rows, tmp_path, grouped=True)
    assert written
    assert {(tmp_path / p).stat().st_mode & 0o777 for p in written} == {0o600}


def test_a_template_that_transforms_a_personal_field_falls_back_to_jinja_for_that_shape(tmp_path):
    """Filters that change a value (upper, trim, safe, truncate) cannot be
    filled in afterwards: those letters are rendered person by person, still exact."""
    env = Environment(
        loader=DictLoader(
            {
                "t/upper.html.j2": "<p>{{ p.given_name | upper }} {{ p.family_name }}</p>",
                "t/trim.html.j2": "<p>{{ p.given_name | trim }}</p>",
                "t/safe.html.j2": "<p>{{ p.family_name | safe }}</p>",
                "t/cut.html.j2": "<p>{{ p.given_name | truncate(6, true, '') }}</p>",
                "t/plain.html.j2": "<p>{{ p.given_name }} {{ p.family_name }}</p>",
            }
        ),
        autoescape=True,
        undefined=StrictUndefined,
    )
    rows = generated_rows(60).with_columns(
        pl.Series("template", [f"t/{k}.html.j2" for k in ("upper", "trim", "safe", "cut", "plain")] * 12)
    )
    one_by_one = _written(rows, tmp_path / "jinja", grouped=False, env=env)
    grouped = _written(rows, tmp_path / "grouped", grouped=True, env=env)
    assert grouped == one_by_one
    pieces = render_grouped(rows, render._row_renderer(env, AS_OF, load_settings().letters))
    fell_back = pl.concat([part for part, _, one_by_one in pieces if one_by_one])
    assert set(fell_back["template"].to_list()) == {f"t/{k}.html.j2" for k in ("upper", "trim", "safe", "cut")}


def test_polars_escaping_matches_jinja_autoescape():
    values = [*AWKWARD, "", "'\"&<>", "&&&;", "plain text"]
    escaped = pl.DataFrame({"v": values}).select(escape_expr(pl.col("v")))["v"].to_list()
    assert escaped == [str(markupsafe.escape(v)) for v in values]


def test_token_split_finds_the_same_fields_as_the_token_pattern_and_refuses_any_changed_token():
    """The fast split at the tokens' marks agrees with the token regular expression on every
    kind of damage a template filter can do to a token."""
    import re as _re

    from longerlives.letters import grouped

    ok = "<p>" + grouped.token(3).replace("&", "&amp;") + "and" + grouped.token(12).replace("&", "&amp;") + "</p>"
    damaged = [
        ok.replace("qX003", "QX003"),  # upper/lower/title
        ok.replace(" \ue000qX003", "\ue000qX003"),  # trim
        ok.replace("&amp;\ue001 and", "&\ue001 and"),  # safe: not escaped
        ok.replace("&amp;\ue001 and", "&amp;amp;\ue001 and"),  # escaped twice
        ok.replace("_" * 48 + "&amp;\ue001 and", "_" * 20),  # truncate
        ok.replace("qX012", "qX01"),  # a digit lost
        ok + "\ue000",  # a stray mark
    ]
    segments, fields = grouped.split_rendered(ok)
    parts = _re.split(" \ue000qX(\\d{3})" + "_" * 48 + "&amp;\ue001 ", ok)
    assert (segments, fields) == (parts[0::2], [int(f) for f in parts[1::2]])
    assert fields == [3, 12] and segments == ["<p>", "and", "</p>"]
    assert [grouped.split_rendered(d) for d in damaged] == [None] * len(damaged)


def test_placeholder_blocks_sent_to_the_shape_renderer_hold_the_same_rows_as_placeholder_row():
    """The block of placeholder rows built column by column by Polars (what the shape renderer
    process receives) is, row for row, the reference ``placeholder_row``: every non-empty
    personal value and address line a token, nulls and empty strings kept."""
    from longerlives.letters import grouped

    rows = generated_rows(400).with_columns(
        pl.when(pl.int_range(pl.len()) % 7 == 0).then(pl.lit("")).otherwise(pl.col("team_phone")).alias("team_phone"),
        pl.when(pl.int_range(pl.len()) % 5 == 0)
        .then(pl.lit(["1 High St", "", None], dtype=pl.List(pl.String)))
        .otherwise(pl.col("address"))
        .alias("address"),
    )
    first = grouped.shapes(rows).first
    slots = grouped.shapes(rows).address_slots
    block = grouped.placeholder_block(first)
    assert grouped.block_rows(block) == [grouped.placeholder_row(r, slots) for r in first.iter_rows(named=True)]
    assert any(r["team_phone"] == "" for r in grouped.block_rows(block))  # an empty value stays empty
    assert any(r["address"] and "" in r["address"] for r in grouped.block_rows(block))
