"""Who gets a letter, in which format and language (vectorised, one row per plan).

Rules, in order (the first that applies decides):

1. out of scope → no letter;
2. ``contact_by_letter = false`` → no letter;
3. nothing actionable (no letter-worthy flag and no safety item; the
   ``outreach.marginalised`` flag alone is not something to invite a person to) → no letter;
4. a need a letter cannot meet (braille, BSL, audio; ``outreach.manual_needs``)
   → no letter, the worklist names the need;
5. otherwise a letter. Format: the first of ``letters.format_precedence`` found
   in the person's communication needs, else ``standard``. Language: the
   preferred language when a template exists for it in that format and its
   translation is marked reviewed in ``config/letters.toml`` (``usable_templates``),
   else English with an offer of an interpreter (and a note on the worklist).
"""

from __future__ import annotations

import polars as pl

from longerlives.outreach.items import FLAG_ITEMS
from longerlives.outreach.plans import needs_list
from longerlives.outreach.score import col
from longerlives.settings.letters import LetterSettings

# Template kind for each format: large print is the standard letter printed large.
FORMAT_KIND = {"standard": "letter", "large_print": "letter", "easy_read": "easy_read"}
DECISION_COLUMNS = (
    "nhs_number",
    "send",
    "suppressed_because",
    "format",
    "language",
    "template",
    "interpreter_offer",
    "letter_note",
)


def usable_templates(available: set[tuple[str, str]], settings: LetterSettings) -> set[tuple[str, str]]:
    """The (language, kind) templates that may be sent: the default language, and any
    other language only when ``settings.translations[language].reviewed`` is true."""
    reviewed = {lang for lang, t in settings.translations.items() if t.reviewed}
    return {(lang, kind) for lang, kind in available if lang == settings.default_language or lang in reviewed}


# what the choice of letters reads of the people
PEOPLE_READ = (
    "nhs_number",
    "in_scope",
    "contact_by_letter",
    "communication_needs",
    "preferred_language",
    "interpreter_required",
)


def choose_letters(
    plans: pl.DataFrame,
    people: pl.DataFrame,
    available: set[tuple[str, str]],
    settings: LetterSettings,
    manual_needs: tuple[str, ...],
) -> pl.DataFrame:
    """One decision row per plan. ``available`` holds (language, template kind) pairs."""
    p = plans.select("nhs_number", "flags", "has_safety").join(
        people.select([c for c in PEOPLE_READ if c in people.columns]), on="nhs_number", how="left"
    )
    needs = needs_list(p)
    actionable = pl.col("flags").list.eval(pl.element().is_in(list(FLAG_ITEMS))).list.any() | pl.col("has_safety")
    manual = needs.list.eval(pl.element().filter(pl.element().is_in(list(manual_needs)))).list.join(";")
    by_letter = col(p, "contact_by_letter", pl.Boolean).fill_null(True)
    suppressed = (
        pl.when(~col(p, "in_scope", pl.Boolean).fill_null(False))
        .then(pl.lit("out of scope"))
        .when(~by_letter)
        .then(pl.lit("contact_by_letter is false"))
        .when(~actionable.fill_null(False))
        .then(pl.lit("nothing actionable"))
        .when(manual != "")
        .then(pl.format("needs {}: no standard letter", manual))
    )
    fmt = pl.lit("standard")
    for f in reversed(settings.format_precedence):
        fmt = pl.when(needs.list.contains(f)).then(pl.lit(f)).otherwise(fmt)
    default = settings.default_language
    pref = col(p, "preferred_language", pl.String).fill_null(default)
    kind = pl.col("format").replace_strict(FORMAT_KIND, return_dtype=pl.String)
    have = pl.concat_str(pref, pl.lit("/"), kind).is_in([f"{lang}/{k}" for lang, k in sorted(available)])
    out = p.with_columns(suppressed.alias("suppressed_because"), fmt.alias("format"))
    out = out.with_columns(
        pl.col("suppressed_because").is_null().alias("send"),
        pl.when(have).then(pref).otherwise(pl.lit(default)).alias("language"),
        kind.alias("_kind"),
        (~have & (pref != default)).alias("_fallback"),
    )
    interp = col(p, "interpreter_required", pl.Boolean).fill_null(False)
    note = (
        pl.when(~pl.col("send"))
        .then(pl.format("no letter: {}", pl.col("suppressed_because")))
        .when(pl.col("_fallback"))
        .then(pl.format("letter in English (no reviewed {} letter); interpreter offered", pref))
    )
    return (
        out.with_columns(
            pl.format("{}/{}.html.j2", pl.col("language"), pl.col("_kind")).alias("template"),
            (pl.col("_fallback") | interp).alias("interpreter_offer"),
            note.alias("letter_note"),
        )
        .select(DECISION_COLUMNS)
        .sort("nhs_number")
    )
