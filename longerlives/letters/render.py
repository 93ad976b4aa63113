"""Bulk letter rendering: templates compiled once, one tight loop, minimal file I/O.

``letter_rows`` prepares everything a template needs in one vectorised pass (names,
address, practice and team contacts, items due by group, urgency); the loop
then only renders and writes. Templates: ``templates/letters/<language>/<kind>.html.j2``
(Jinja2, StrictUndefined, autoescape on).
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, Callable

import polars as pl
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from longerlives.letters.context import LetterContext, LetterInputs
from longerlives.letters.grouped import render_grouped, shapes
from longerlives.letters.pdf import PDF_BATCH_LETTERS, write_pdfs  # noqa: F401  (re-exported: the --pdf path)
from longerlives.letters.pictures import PICTURE_CREDIT, picture_uris
from longerlives.outreach.items import GROUPS, flag_items_frame
from longerlives.paths import LETTER_TEMPLATES_DIR
from longerlives.settings.letters import LetterSettings

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
WRITER_THREADS = 4
WRITE_BATCH = 256
_SAFE = re.compile(r"[^A-Za-z0-9_-]")
ADDRESS = ("address_line_1", "address_line_2", "address_line_3", "address_line_4", "postcode")


def environment(templates_dir: Path = LETTER_TEMPLATES_DIR) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(templates_dir)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )


def available_templates(templates_dir: Path = LETTER_TEMPLATES_DIR) -> set[tuple[str, str]]:
    """(language, kind) pairs that have a template, e.g. {("en", "letter"), ("pl", "letter")}."""
    return {
        (p.parent.name, p.name.removesuffix(".html.j2"))
        for p in templates_dir.glob("*/*.html.j2")
        if not p.name.startswith("_")
    }


def _str(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in frame.columns else pl.lit(None, dtype=pl.String)


def letter_rows(inputs: LetterInputs) -> pl.DataFrame:
    """One row per letter to send: exactly the ``LETTER_ROW`` columns the templates read as ``p``.

    The urgency is the plan's (the most urgent of the person's open flags); a plan without
    one counts as ``soon`` when it has a safety item. No risk score is carried: letters
    never show one (run-outputs-v2)."""
    decisions, people, flags, plans = inputs.decisions, inputs.people, inputs.flags, inputs.plans
    practices, teams = inputs.practices, inputs.teams
    send = decisions.filter(pl.col("send"))
    items = (
        flags.join(flag_items_frame(), on="flag", how="inner")
        .sort("nhs_number", "group", "order")
        .group_by("nhs_number", "group", maintain_order=True)
        .agg(pl.col("flag"))
    )
    wide = send.select("nhs_number")
    for g in GROUPS:
        part = items.filter(pl.col("group") == g).select("nhs_number", pl.col("flag").alias(g))
        wide = wide.join(part, on="nhs_number", how="left").with_columns(pl.col(g).fill_null([]))
    open_flags = flags.group_by("nhs_number").agg(pl.col("flag").alias("_flags"))
    pcols = ["nhs_number", "practice_code", "core_team", "title", "given_name", "family_name", *ADDRESS]
    p = people.select([c for c in pcols if c in people.columns])
    rows = (
        send.join(p, on="nhs_number", how="left")
        .join(wide, on="nhs_number", how="left")
        .join(open_flags, on="nhs_number", how="left")
        .join(
            plans.select("nhs_number", "has_safety", pl.col("urgency").alias("_urgency")), on="nhs_number", how="left"
        )
    )
    prac = (
        practices if practices is not None and practices.height else pl.DataFrame(schema={"practice_code": pl.String})
    )
    rows = rows.join(
        prac.select(
            "practice_code",
            _str(prac, "name").alias("practice_name"),
            _str(prac, "phone").alias("practice_phone"),
            _str(prac, "address").alias("practice_address"),
        ),
        on="practice_code",
        how="left",
    )
    team = teams if teams is not None and teams.height else pl.DataFrame(schema={"team_code": pl.String})
    rows = rows.join(
        team.select(
            pl.col("team_code").alias("core_team"),
            _str(team, "name").alias("team_name"),
            _str(team, "phone").alias("team_phone"),
            _str(team, "email").alias("team_email"),
        ),
        on="core_team",
        how="left",
    )
    safety = pl.col("has_safety").fill_null(False)
    urgency_expr = (
        pl.when(pl.col("_urgency").is_in(["same_day", "soon"]))
        .then(pl.col("_urgency"))
        .when(safety)
        .then(pl.lit("soon"))
        .otherwise(pl.lit("routine"))
    )
    nhs = pl.col("nhs_number")
    return rows.select(
        "nhs_number",
        "format",
        "language",
        "template",
        "interpreter_offer",
        pl.col("practice_code").fill_null("unknown").str.replace_all(_SAFE.pattern, "_").alias("practice_dir"),
        pl.col("title").fill_null(""),
        pl.col("given_name").fill_null(""),
        pl.col("family_name").fill_null(""),
        pl.concat_list([pl.col(c) for c in ADDRESS if c in rows.columns]).list.drop_nulls().alias("address"),
        pl.concat_str(nhs.str.slice(0, 3), nhs.str.slice(3, 3), nhs.str.slice(6, 4), separator=" ").alias("nhs_spaced"),
        "practice_name",
        "practice_phone",
        "practice_address",
        "team_name",
        "team_phone",
        "team_email",
        *GROUPS,
        urgency_expr.alias("urgency"),
        (urgency_expr != "routine").alias("urgent"),
        pl.when(urgency_expr != "routine")
        .then(pl.lit("urgent_invitation"))
        .otherwise(pl.lit("health_check_invitation"))
        .alias("letter"),
    ).sort("nhs_number")  # LETTER_ROW (letters/context.py)


PARALLEL_MIN_LETTERS = 4000  # below this, starting worker processes costs more than it saves


def render_all(
    rows: pl.DataFrame,
    out_dir: Path,
    as_of: date,
    settings: LetterSettings,
    env: Environment | None = None,
) -> list[str]:
    """Render and write every letter; returns paths relative to ``out_dir`` (row order).

    Large batches are split across ``settings.render_workers`` processes (spawned,
    not forked, so Polars' thread pool is never copied mid-flight); each renders and
    writes its own slice, and the paths come back in row order.
    """
    workers = min(settings.render_workers, max(1, rows.height // (PARALLEL_MIN_LETTERS // 2)))
    if workers <= 1 or rows.height < PARALLEL_MIN_LETTERS:
        return _render_serial(rows, out_dir, as_of, settings, env)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Whole shapes to each worker (grouped.py renders each shape once), paths in row order.
    share = shapes(rows).rows.select(pl.col("_shape") % workers).to_series()
    chunks = [rows.filter(share == w) for w in range(workers)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for _ in pool.map(
            _render_serial,
            chunks,
            [out_dir] * len(chunks),
            [as_of] * len(chunks),
            [settings] * len(chunks),
            [None] * len(chunks),
        ):
            pass  # re-raise any worker error
    return _paths(rows)


def _paths(rows: pl.DataFrame) -> list[str]:
    """Each letter's path relative to the output folder: letters/<practice>/<nhs_number>.html."""
    return rows.select(
        pl.concat_str(pl.lit("letters/"), "practice_dir", pl.lit("/"), "nhs_number", pl.lit(".html")).alias("p")
    )["p"].to_list()


def _row_renderer(env: Environment, as_of: date, settings: LetterSettings) -> Callable[[dict[str, Any]], str]:
    """Render one ``LETTER_ROW`` dict with its template (Jinja, the reference implementation)."""
    pictures = picture_uris()
    compiled: dict[str, Any] = {}
    fonts = {
        "standard": settings.base_font_pt,
        "large_print": settings.large_print_font_pt,
        "easy_read": settings.easy_read_font_pt,
    }

    def render(r: dict[str, Any]) -> str:
        tpl = compiled.get(r["template"])
        if tpl is None:
            tpl = compiled[r["template"]] = env.get_template(r["template"])
        context = LetterContext(
            p=r,
            as_of=as_of,
            font_pt=fonts[r["format"]],
            large_print=r["format"] != "standard",
            pictures=pictures,
            picture_credit=PICTURE_CREDIT,
            large_print_reasons_max=settings.large_print_reasons_max_items,
            standard_reasons_max=settings.standard_reasons_max_items,
        )
        return tpl.render(context.variables())

    return render


def _render_serial(
    rows: pl.DataFrame,
    out_dir: Path,
    as_of: date,
    settings: LetterSettings,
    env: Environment | None = None,
    grouped: bool = True,
) -> list[str]:
    """Render and write ``rows``' letters in this process; paths relative to ``out_dir`` in row order.

    ``grouped`` (the default): Jinja once per letter shape, personal fields filled in by
    Polars (``grouped.py``); otherwise, and for any shape that fails its token check, Jinja
    once per person (the reference implementation, byte for byte the same letters)."""
    render_row = _row_renderer(env or environment(), as_of, settings)
    for d in rows["practice_dir"].unique().to_list():
        (out_dir / "letters" / d).mkdir(parents=True, exist_ok=True)
    paths = _paths(rows)
    base = str(out_dir)
    # Creating files is metadata I/O that releases the GIL: a few writer threads overlap it
    # with rendering.
    with ThreadPoolExecutor(max_workers=WRITER_THREADS) as pool:
        pending = []
        if grouped:
            pieces, one_by_one = render_grouped(rows, render_row)
            for part, html in pieces:
                data = html.cast(pl.Binary).to_list()
                where = [f"{base}/{paths[i]}" for i in part["_row"].to_list()]
                for s in range(0, len(where), WRITE_BATCH):
                    pending.append(
                        pool.submit(_write_batch, list(zip(where[s : s + WRITE_BATCH], data[s : s + WRITE_BATCH])))
                    )
            todo = one_by_one.drop("_row", "_shape") if one_by_one.height else one_by_one
            positions = one_by_one["_row"].to_list() if one_by_one.height else []
        else:
            todo, positions = rows, list(range(rows.height))
        batch: list[tuple[str, bytes]] = []
        for i, r in zip(positions, todo.iter_rows(named=True)):
            batch.append((f"{base}/{paths[i]}", render_row(r).encode("utf-8")))
            if len(batch) >= WRITE_BATCH:
                pending.append(pool.submit(_write_batch, batch))
                batch = []
        if batch:
            pending.append(pool.submit(_write_batch, batch))
        for f in pending:
            f.result()  # re-raise any write error
    return paths


def _write_batch(batch: list[tuple[str, bytes]]) -> None:
    for path, data in batch:
        fd = os.open(path, _FLAGS, 0o600)  # private (issue 12); raw fd: no buffered file object per letter
        try:
            while data:
                data = data[os.write(fd, data) :]
        finally:
            os.close(fd)
