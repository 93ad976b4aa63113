"""Letters: personal invitations for what is due, in the person's format and language.

``stage(ctx)`` decides who gets a letter (``choose.py``), renders the HTML letters
into ``ctx.staging/letters/<practice_code>/<nhs_number>.html`` (``render.py``),
adds a PDF beside each when ``ctx.make_pdf``, writes ``letters/index.csv``
(contract columns ``nhs_number, letter, language, format, path``) and sets
``ctx.letters_index`` (those columns plus ``letter_note``). ``decide(ctx)`` is
cheap and deterministic; the worklists call it again for the notes of people who
get no letter. No names, NHS numbers or addresses are logged.
"""

from __future__ import annotations

import logging

import polars as pl

from longerlives.context import RunContext
from longerlives.crashpoints import crash_point
from longerlives.letters.choose import choose_letters
from longerlives.letters.ledger import cadence_flags, carry_forward
from longerlives.letters.render import available_templates, clinrisk_disclaimer, environment, letter_rows, render_all, write_pdfs
from longerlives.outputs.csvfile import write_csv

log = logging.getLogger(__name__)
INDEX_COLUMNS = ["nhs_number", "letter", "language", "format", "path"]
INDEX_SCHEMA = {c: pl.String for c in INDEX_COLUMNS}


def decide(ctx: RunContext) -> pl.DataFrame:
    """Letter decisions for every plan (also used by the worklists for the notes).

    After who-can-get-a-letter (``choose.py``), the letter cadence from the run
    store applies: no letter again within the cadence unless something new is due,
    and never twice on one day (``longerlives.store.letters_allowed``).
    """
    from longerlives.store import letters_allowed

    decisions = choose_letters(
        ctx.plans, ctx.people, available_templates(), ctx.settings.letters, ctx.settings.outreach.manual_needs
    )
    covered = cadence_flags(ctx.flags, ctx.plans)  # safety letters are covered by the cadence too (issue 12)
    if covered.height == 0:
        return decisions
    allowed = letters_allowed(ctx, covered).select("nhs_number", "letter_allowed", "letter_blocked_reason")
    blocked = pl.col("send") & (pl.col("letter_allowed") == False)  # noqa: E712 - null means no history
    return (
        decisions.join(allowed, on="nhs_number", how="left")
        .with_columns(
            pl.when(blocked).then(pl.col("letter_blocked_reason")).otherwise(pl.col("suppressed_because")).alias("suppressed_because"),
            pl.when(blocked).then(pl.format("no letter: {}", pl.col("letter_blocked_reason"))).otherwise(pl.col("letter_note")).alias("letter_note"),
            pl.when(blocked).then(False).otherwise(pl.col("send")).alias("send"),
        )
        .drop("letter_allowed", "letter_blocked_reason")
        .sort("nhs_number")
    )


def stage(ctx: RunContext) -> None:
    s = ctx.settings.letters
    decisions = decide(ctx)
    ctx.letter_decisions = decisions
    disclaimer = clinrisk_disclaimer() if s.show_risk_scores else None
    extract = ctx.extract
    rows = letter_rows(
        decisions, ctx.people, ctx.flags, ctx.plans,
        extract.practices if extract is not None else None,
        extract.teams if extract is not None else None,
        show_risk=s.show_risk_scores and disclaimer is not None,
    )
    paths = render_all(rows, ctx.staging, ctx.as_of, s, env=environment(), disclaimer=disclaimer)
    crash_point("letters.rendered")
    index = rows.select("nhs_number", "letter", "language", "format").with_columns(
        pl.Series("path", paths, dtype=pl.String)
    ).cast(INDEX_SCHEMA).sort("nhs_number")
    index, carried = carry_forward(ctx.out_dir, ctx.staging, ctx.as_of, ctx.last_letters, index)
    write_csv(index, ctx.staging / "letters" / "index.csv")
    ctx.files += ["letters/index.csv", *paths, *carried]
    if ctx.make_pdf:
        ctx.files += write_pdfs(paths, ctx.staging, workers=s.pdf_workers)
    notes = decisions.select("nhs_number", "letter_note")
    ctx.letters_index = index.join(notes, on="nhs_number", how="left")
    suppressed = decisions.filter(~pl.col("send")).group_by("suppressed_because").len()
    ctx.summary["letters"] = {
        "written": index.height,
        "kept_from_earlier_today": index.height - len(paths),
        "pdf": ctx.make_pdf,
        "not_sent": dict(zip(suppressed["suppressed_because"].to_list(), suppressed["len"].to_list())),
    }
    log.info("letters: %d written (%d plans without a letter)", index.height, decisions.height - index.height)
