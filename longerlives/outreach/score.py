"""Marginalisation points and ranking (domain.md §5.2), vectorised.

Each signal is a pair of Polars expressions: the points it adds and the reason it
gives (with its evidence), null when the signal is absent. Groups are capped as in
§5.2: ``score = min(A, 50) + min(B, 20) + min(C, 15) + min(D, 25)``. Ethnicity is
never read here. Ranking is within the health-check cohort; ties are broken by the
strict Longer Lives definition, then the longest time since any check element,
then NHS number, so the order never depends on input row order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from longerlives.columnwise import beside, sorted_by
from longerlives.dates import months_before
from longerlives.frames import OUTREACH_COLUMNS, FeatureRef, feature
from longerlives.outreach.items import ELEMENT_WORDS, FLAG_ITEMS
from longerlives.rules.safety_usc_not_attended import ATTENDANCE, usc_not_attended
from longerlives.settings.outreach import OutreachSettings

OUT_COLUMNS = tuple(c.name for c in OUTREACH_COLUMNS)  # declared once: longerlives/frames.py
Signal = tuple[pl.Expr, pl.Expr]  # (points, reason or null)
LTC_WORDS = {
    "diabetes_type1": "type 1 diabetes",
    "diabetes_type2": "type 2 diabetes",
    "cvd": "heart disease or stroke",
    "ckd_3_5": "chronic kidney disease",
    "sle": "lupus",
    "atrial_fibrillation": "atrial fibrillation",
    "rheumatoid_arthritis": "rheumatoid arthritis",
    "hypertension": "hypertension",
}


# Feature columns outreach reads (pipeline.run checks them against the loaded code lists).
DNA_MH, MH_INVITES = feature("dna_mental_health", "n_12m"), feature("mh_invite", "n_12m")
CLINIC_BP_DAY = feature("bp", "last_date")
USC_REFERRAL = feature("usc_referral", "last_date")
HOMELESS, SUBSTANCE = feature("homeless", "last_date"), feature("substance_dependence", "last_date")
LEARNING_DISABILITY, AUTISM = feature("learning_disability", "last_date"), feature("autism", "last_date")
SCREENING_PROGRAMMES = ("cervical", "breast", "bowel")
SCREENED = {prog: feature(f"{prog}_screening", "last_date") for prog in SCREENING_PROGRAMMES}
FEATURES: tuple[FeatureRef, ...] = (
    DNA_MH,
    MH_INVITES,
    CLINIC_BP_DAY,
    USC_REFERRAL,
    *ATTENDANCE,
    HOMELESS,
    SUBSTANCE,
    LEARNING_DISABILITY,
    AUTISM,
    *SCREENED.values(),
)
# Read when present: not every programme has a published non-responder / DNA code list yet.
OPTIONAL_FEATURES: tuple[FeatureRef, ...] = tuple(
    feature(f"{prog}_screening_{kind}", "last_date")
    for prog in SCREENING_PROGRAMMES
    for kind in ("nonresponder", "dna")
)


def col(
    people: pl.DataFrame | pl.LazyFrame, name: str | FeatureRef, dtype: pl.DataType | type[pl.DataType] | None = None
) -> pl.Expr:
    """The column if the features have it, else typed nulls (a code list may be absent)."""
    if isinstance(name, FeatureRef):
        column, dtype = name.name, dtype or name.dtype
    else:
        column = name
    names = people.collect_schema().names()
    return pl.col(column) if column in names else pl.lit(None, dtype=dtype or pl.Date)


def _iso(e: pl.Expr) -> pl.Expr:
    return e.dt.strftime("%Y-%m-%d")


def _sig(cond: pl.Expr, points: int, reason: pl.Expr) -> Signal:
    cond = cond.fill_null(False)
    return pl.when(cond).then(pl.lit(points)).otherwise(0), pl.when(cond).then(reason)


def _disengagement(p, as_of: date, s, contacts_known: bool) -> list[Signal]:
    a = s.disengagement
    done = pl.col("phc_elements_done")
    last_any = pl.col("phc_last_any")
    all_six = (
        "no " + ", ".join(list(ELEMENT_WORDS.values())[:-1]) + " or " + list(ELEMENT_WORDS.values())[-1] + " record"
    )
    none_reason = (
        pl.when(last_any.is_null())
        .then(pl.lit(f"{all_six} on file"))
        .otherwise(pl.format("{} since {}", pl.lit(all_six), _iso(last_any)))
    )
    missing = pl.concat_str(
        [pl.when(~pl.col(f"phc_{e}_done")).then(pl.lit(w)) for e, w in ELEMENT_WORDS.items()],
        separator=", ",
        ignore_nulls=True,
    )
    few_reason = pl.format("only {} of 6 health-check elements in 12 months (missing {})", done, missing)
    out = [
        _sig(done == 0, a.none_done, none_reason),
        _sig((done >= 1) & (done <= a.few_done_max), a.few_done, few_reason),
    ]
    planned, crisis = pl.col("planned_contacts_12m"), pl.col("crisis_contacts_12m")
    if contacts_known:
        contact_reason = (
            pl.when(crisis > 0)
            .then(
                pl.format(
                    "{} crisis contact{}, no planned contact in 12 months",
                    crisis,
                    pl.when(crisis == 1).then(pl.lit("")).otherwise(pl.lit("s")),
                )
            )
            .otherwise(pl.lit("no planned contact in 12 months"))
        )
        pts_planned, reason_planned = _sig(planned == 0, a.no_planned_contact, contact_reason)
        pts_crisis, _ = _sig((planned == 0) & (crisis > 0), a.crisis_only, pl.lit(""))
        out.append((pts_planned + pts_crisis, reason_planned))
    dna = pl.max_horizontal(col(p, "dna_12m", pl.Int64).fill_null(0), col(p, DNA_MH).fill_null(0))
    invites = col(p, MH_INVITES).fill_null(0)
    n = a.missed_appointments_min
    dna_reason = (
        pl.when(dna >= n)
        .then(pl.format("{} missed appointments in 12 months", dna))
        .otherwise(pl.format("{} health-check invitations not answered in 12 months", invites))
    )
    out.append(_sig((dna >= n) | ((invites >= n) & (done < 6)), a.missed_appointments, dna_reason))
    bp = col(p, CLINIC_BP_DAY)
    bp_reason = (
        pl.when(bp.is_null())
        .then(pl.lit("no blood pressure on file"))
        .otherwise(pl.format("no blood pressure since {}", _iso(bp)))
    )
    # points always count; the words are left out when the 0-of-6 reason already says it
    pts, reason = _sig(bp.is_null() | (bp <= months_before(as_of, a.no_bp_months)), a.no_bp, bp_reason)
    out.append((pts, pl.when(done != 0).then(reason)))
    return out


def _missed(p, flags: pl.DataFrame, as_of: date, s) -> list[Signal]:
    b = s.missed
    ref = col(p, USC_REFERRAL)
    seen = pl.max_horizontal([col(p, c) for c in ATTENDANCE])
    usc = (
        usc_not_attended(ref, seen)
        & (ref > as_of - timedelta(weeks=b.usc_window_weeks))
        & (ref <= as_of - timedelta(days=b.usc_grace_days))
    )
    out = [_sig(usc, b.usc_not_attended, pl.format("urgent suspected cancer referral {} not attended", _iso(ref)))]
    pieces = []
    for prog in SCREENING_PROGRAMMES:
        has_flag = pl.col(f"_f_screening.{prog}")
        known = SCREENED[prog].name in p.columns  # no code list: "never" is unknown, not true
        never = has_flag & pl.lit(known) & col(p, SCREENED[prog]).is_null()
        nonresp = has_flag & pl.any_horizontal(
            col(p, feature(f"{prog}_screening_nonresponder", "last_date")).is_not_null(),
            col(p, feature(f"{prog}_screening_dna", "last_date")).is_not_null(),
        )
        pieces.append(
            pl.when(never)
            .then(pl.lit(f"{prog} screening never done"))
            .when(nonresp)
            .then(pl.lit(f"{prog} screening invitations not answered"))
        )
    scr = pl.concat_str(pieces, separator=", ", ignore_nulls=True)
    out.append(_sig(scr != "", b.never_screened, scr))
    abn = [pl.when(pl.col(f"_f_{f}")).then(pl.lit(FLAG_ITEMS.get(f, ("", 0, f))[2])) for f in b.abnormal_flags]
    abn_words = pl.concat_str(abn, separator=", ", ignore_nulls=True)
    out.append(
        _sig(abn_words != "", b.abnormal_no_followup, pl.format("abnormal result not yet followed up ({})", abn_words))
    )
    return out


def _deprivation(p, s) -> list[Signal]:
    c = s.deprivation
    imd = col(p, "imd_decile", pl.Int64)
    pts = pl.lit(0)
    for d, v in sorted(c.decile.items()):
        pts = pl.when(imd == int(d)).then(pl.lit(v)).otherwise(pts)
    reason_known = pl.when(imd.is_in([int(d) for d, v in c.decile.items() if v > 0])).then(
        pl.format("IMD decile {}", imd)
    )
    return [
        (pl.when(imd.is_not_null()).then(pts).otherwise(0), reason_known),
        _sig(imd.is_null(), c.unknown, pl.lit("deprivation unknown (no IMD decile)")),
    ]


def _inclusion(p, as_of: date, s) -> list[Signal]:
    d = s.inclusion
    home = col(p, HOMELESS)
    sub = col(p, SUBSTANCE)
    ld, aut = col(p, LEARNING_DISABILITY), col(p, AUTISM)
    lang = col(p, "preferred_language", pl.String).fill_null("en")
    interp = col(p, "interpreter_required", pl.Boolean).fill_null(False)
    lang_reason = (
        pl.when(interp)
        .then(pl.format("interpreter needed ({})", lang))
        .otherwise(pl.format("main language not English ({})", lang))
    )
    ld_reason = pl.concat_str(
        [
            pl.when(ld.is_not_null()).then(pl.lit("learning disability")),
            pl.when(aut.is_not_null()).then(pl.lit("autism")),
        ],
        separator=" and ",
        ignore_nulls=True,
    )
    ltcs = [
        (LTC_WORDS.get(c, c.replace("_", " ")), col(p, feature(c, "last_date")).is_not_null())
        for c in d.multimorbidity_concepts
    ]
    n_ltc = pl.sum_horizontal([e.cast(pl.Int64) for _, e in ltcs]) if ltcs else pl.lit(0)
    ltc_words = (
        pl.concat_str([pl.when(e).then(pl.lit(w)) for w, e in ltcs], separator=", ", ignore_nulls=True)
        if ltcs
        else pl.lit("")
    )
    return [
        _sig(
            home > months_before(as_of, d.homeless_months),
            d.homeless,
            pl.format("homelessness recorded {}", _iso(home)),
        ),
        _sig(sub.is_not_null(), d.substance_dependence, pl.format("drug or alcohol dependence recorded {}", _iso(sub))),
        _sig(
            ld.is_not_null() | aut.is_not_null(), d.learning_disability_or_autism, pl.format("{} recorded", ld_reason)
        ),
        _sig(interp | (lang != "en"), d.language, lang_reason),
        _sig(
            n_ltc >= d.multimorbidity_min, d.multimorbidity, pl.format("{} long-term conditions ({})", n_ltc, ltc_words)
        ),
    ]


def _capped(signals: list[Signal], cap: int) -> tuple[pl.Expr, list[pl.Expr]]:
    total = pl.sum_horizontal([pts for pts, _ in signals]) if signals else pl.lit(0)
    return pl.min_horizontal(total, pl.lit(cap)), [r for _, r in signals]


def _flag_columns(people: pl.DataFrame, flags: pl.DataFrame, ids: list[str]) -> pl.DataFrame:
    """One boolean column ``_f_<flag>`` per flag id read by the score."""
    have = flags.filter(pl.col("flag").is_in(ids)).select("nhs_number", "flag").unique()
    wide = (
        have.with_columns(pl.lit(True).alias("v")).pivot(on="flag", index="nhs_number", values="v")
        if have.height
        else have.select("nhs_number")
    )
    wide = wide.rename({c: f"_f_{c}" for c in wide.columns if c != "nhs_number"})
    out = people.join(wide, on="nhs_number", how="left")
    return out.with_columns(
        [
            (pl.col(f"_f_{f}").fill_null(False) if f"_f_{f}" in out.columns else pl.lit(False)).alias(f"_f_{f}")
            for f in ids
        ]
    )


def n_selected_by_rank(n_cohort: int, fraction: float) -> int:
    """ceil(fraction × cohort), computed without float fuzz (0.2 × 15 = 3, not 4)."""
    return math.ceil(round(n_cohort * fraction, 9))


@dataclass(frozen=True)
class Ranking:
    """The health-check cohort's order (``nhs_number, marginalisation_rank``), how many of the top
    ranks are selected, and the cohort's size: made once for the whole register from every block's
    ``rank_keys`` (issue 16: the people themselves are scored and selected a block at a time)."""

    ranks: pl.DataFrame
    n_top: int
    cohort_size: int


def score_people(
    people: pl.DataFrame, flags: pl.DataFrame, as_of: date, settings: OutreachSettings, contacts_known: bool = True
) -> pl.DataFrame:
    """Outreach's first pass over (a block of) people: ``marginalisation_score``, ``outreach_strict`` and
    the reasons (``_reasons``) added (any outreach columns of an earlier run replaced), every value a
    fact about the person and their own flags, so a block of people is scored alone."""
    s = settings
    people = people.drop([c for c in OUT_COLUMNS if c in people.columns])
    ids = sorted({*s.missed.abnormal_flags, "screening.cervical", "screening.breast", "screening.bowel"})
    p = _flag_columns(people, flags, ids)
    groups = [
        _capped(_disengagement(p, as_of, s, contacts_known), s.disengagement.cap),
        _capped(_missed(p, flags, as_of, s), s.missed.cap),
        _capped(_deprivation(p, s), s.deprivation.cap),
        _capped(_inclusion(p, as_of, s), s.inclusion.cap),
    ]
    score = pl.sum_horizontal([g for g, _ in groups])
    reasons = pl.concat_str([r for _, rs in groups for r in rs], separator="; ", ignore_nulls=True)
    strict = pl.col("phc_elements_done") == 0
    if contacts_known:
        strict = strict & (pl.col("planned_contacts_12m").fill_null(0) == 0)
    p = p.with_columns(
        pl.when(_COHORT).then(score.cast(pl.Float64)).alias("marginalisation_score"),
        (_COHORT & strict.fill_null(False)).alias("outreach_strict"),
        pl.when(_COHORT).then(pl.when(reasons == "").then(None).otherwise(reasons)).alias("_reasons"),
    )
    return sorted_by(p.drop([c for c in p.columns if c.startswith("_f_")]), ["nhs_number"])


_COHORT = pl.col("health_check_cohort").fill_null(False) & pl.col("in_scope").fill_null(False)
_RANK_KEYS = ["marginalisation_score", "outreach_strict", "phc_last_any", "nhs_number"]


def rank_keys(scored: pl.DataFrame) -> pl.DataFrame:
    """The four columns the cohort is ranked by, for the cohort's members of these scored people."""
    return scored.lazy().filter(_COHORT).select(_RANK_KEYS).collect()


def rank(keys: pl.DataFrame, settings: OutreachSettings) -> Ranking:
    """The cohort ranked: highest score first, ties broken by the strict definition, then the longest
    time since any check element, then NHS number (so the order never depends on input row order)."""
    ranks = keys.sort(_RANK_KEYS, descending=[True, True, False, False], nulls_last=[True, False, False, False])
    ranks = ranks.select("nhs_number", pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("marginalisation_rank"))
    return Ranking(ranks, n_selected_by_rank(ranks.height, settings.fraction), ranks.height)


def select(scored: pl.DataFrame, ranking: Ranking, settings: OutreachSettings) -> pl.DataFrame:
    """Scored people with their rank, ``outreach`` (strict, or among the top ranks with at least the
    minimum score) and ``outreach_reasons`` (the reasons of the selected), in NHS-number order."""
    p = beside(scored, [ranking.ranks])  # the rank laid beside the people's columns, not every column copied
    by_rank = (pl.col("marginalisation_rank") <= ranking.n_top) & (
        pl.col("marginalisation_score") >= settings.min_score
    )
    outreach = pl.col("outreach_strict") | by_rank.fill_null(False)
    p = p.with_columns(outreach.alias("outreach"))
    p = p.with_columns(pl.when(pl.col("outreach")).then(pl.col("_reasons")).alias("outreach_reasons"))
    return p.drop("_reasons")


def score_and_rank(
    people: pl.DataFrame, flags: pl.DataFrame, as_of: date, settings: OutreachSettings, contacts_known: bool = True
) -> pl.DataFrame:
    """People with the five outreach columns added (null/false outside the health-check cohort):
    ``score_people``, ``rank`` and ``select`` over one frame of everybody."""
    scored = score_people(people, flags, as_of, settings, contacts_known)
    return select(scored, rank(rank_keys(scored), settings), settings)
