"""The worklist as the web app reads it: one row per person with open flags, built
from the same rows the worklist files are written from (``worklists.worklist_rows``),
plus what the person page shows — each flag's title, reason and evidence, the plan
steps in order, risk scores — and each person's ``urgency``.

Pure: frames and the as-of date in, a frame out (``SNAPSHOT_SCHEMA``). The run store
writes it (``longerlives.store.worklist.save_worklist``).

Urgency follows run-outputs-v2: ``same_day`` first, then ``soon``, then ``routine``.
When the rows already carry ``urgency`` (safety items as ``safety.*`` flags) it is
used as it is; otherwise it is derived from the safety items: a blood pressure of
180/120 or more read in the last ``same_day_days`` days is ``same_day``, any other
safety item ``soon``, the rest ``routine``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import polars as pl

from longerlives.outputs.jsontext import json_string
from longerlives.outreach.items import OUTREACH_FLAG

if TYPE_CHECKING:
    from longerlives.outputs.worklists import WorklistOrder

URGENCY_ORDER = {"same_day": 0, "soon": 1, "routine": 2}

SNAPSHOT_SCHEMA: dict[str, pl.DataType] = {
    "team": pl.String(),
    "nhs_number": pl.String(),
    "name": pl.String(),
    "practice_code": pl.String(),
    "priority": pl.Int64(),
    "urgency": pl.String(),
    "urgency_order": pl.Int64(),
    "marginalisation_rank": pl.Int64(),
    "outreach": pl.Boolean(),
    "flags": pl.String(),
    "flag_words": pl.String(),
    "kinds": pl.String(),
    "safety": pl.String(),
    "reasons_json": pl.String(),
    "plan_json": pl.String(),
    "outreach_reasons": pl.String(),
    "lead": pl.String(),
    "communication_needs": pl.String(),
    "reasonable_adjustments": pl.String(),
    "language": pl.String(),
    "contact": pl.String(),
    "last_letter": pl.Date(),
    "letter_this_run": pl.String(),
    "letter_note": pl.String(),
    "risk_json": pl.String(),
}
RISK_COLUMNS = ("qrisk3", "qrisk3_missing", "qdiabetes", "qdiabetes_model")
PEOPLE_READ = ("nhs_number", "safety_items", "bp_last_date", *RISK_COLUMNS)  # what the snapshot reads of the people
FLAGS_READ = ("nhs_number", "flag", "reason", "since")  # what the snapshot reads of the flags
# what the snapshot reads of a block's people, flags and plans (``lazy_snapshot``, ``_plan``)
SNAPSHOT_READS = {"people": PEOPLE_READ, "flags": FLAGS_READ, "plans": ("nhs_number", "actions")}
ROW = "_row"  # a worklist row's place in the rows it was made from (``LazySnapshot.rest``)
ORDER_COLUMNS = ("nhs_number", "team", "urgency", "marginalisation_rank", "outreach", "flags")  # what orders a list
SORT_COLUMNS = ORDER_COLUMNS[:4]  # what sorts it: all the list holds for every row given as positions
SHOWN_FILLED = {"outreach": False, "flags": ""}  # shown cells filled when empty
OUTREACH_TITLE = "Selected for proactive core-team outreach"
SAFETY_TITLE = "Safety item"


def flag_titles() -> dict[str, str]:
    """Flag id -> what a clinician calls it (from each rule's metadata)."""
    from longerlives.rules import REGISTRY

    titles = {rule.spec.id: rule.spec.title for rule in REGISTRY}
    titles[OUTREACH_FLAG] = OUTREACH_TITLE
    return titles


def _titles_frame() -> pl.DataFrame:
    t = flag_titles()
    return pl.DataFrame({"flag": list(t), "title": list(t.values())}, schema={"flag": pl.String, "title": pl.String})


def _col(frame: pl.DataFrame, name: str, dtype: pl.DataType) -> pl.Expr:
    return pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype=dtype).alias(name)


def derive_urgency(people: pl.DataFrame, as_of: date, same_day_days: int) -> pl.DataFrame:
    """``nhs_number, urgency`` from the safety items (used until safety items are flags)."""
    safety = _col(people, "safety_items", pl.String()).fill_null("")
    bp_day = _col(people, "bp_last_date", pl.Date())
    recent_severe_bp = safety.str.contains("Blood pressure", literal=True) & (
        bp_day > pl.lit(as_of - timedelta(days=same_day_days))
    )
    return people.select(
        pl.col("nhs_number").cast(pl.String),
        pl.when(recent_severe_bp)
        .then(pl.lit("same_day"))
        .when(safety != "")
        .then(pl.lit("soon"))
        .otherwise(pl.lit("routine"))
        .alias("urgency"),
    )


def _reasons(flags: pl.DataFrame) -> pl.DataFrame:
    """``nhs_number, reasons_json, flag_words, kinds`` — a JSON list of {flag, title, reason, since} each."""
    since = (
        pl.col("since").cast(pl.Date, strict=False).dt.strftime("%Y-%m-%d")
        if "since" in flags.columns
        else pl.lit(None, dtype=pl.String)
    )
    f = (
        flags.select(
            pl.col("nhs_number").cast(pl.String),
            pl.col("flag").cast(pl.String),
            pl.col("reason").cast(pl.String),
            since.alias("since"),
        )
        .join(_titles_frame(), on="flag", how="left")
        .with_columns(pl.coalesce("title", "flag").alias("title"))
    )
    # each flag's JSON and kind made row-wise, gathered into lists per person and joined list-wise:
    # joining strings inside the group-by cost 2.2-3.5 times as much (issue 16, session 15)
    return (
        f.sort("nhs_number", "flag")
        .with_columns(
            pl.struct("flag", "title", "reason", "since").struct.json_encode().alias("_json"),
            pl.col("flag").str.split(".").list.first().alias("_kind"),
        )
        .group_by("nhs_number", maintain_order=True)
        .agg("title", "_json", "_kind")
        .select(
            "nhs_number",
            pl.col("title").list.join("; ").alias("flag_words"),
            pl.format(";{};", pl.col("_kind").list.unique().list.sort().list.join(";")).alias("kinds"),
            pl.format("[{}]", pl.col("_json").list.join(",")).alias("reasons_json"),
        )
    )


def _risk(people: pl.DataFrame) -> pl.DataFrame:
    cols = [c for c in RISK_COLUMNS if c in people.columns]
    if not cols:
        return people.select(pl.col("nhs_number").cast(pl.String), pl.lit(None, dtype=pl.String).alias("risk_json"))
    values = [pl.col(c).round(1) if people.schema[c].is_float() else pl.col(c) for c in cols]
    return people.select(
        pl.col("nhs_number").cast(pl.String),
        pl.when(pl.any_horizontal([pl.col(c).is_not_null() for c in cols]))
        .then(pl.struct(values).struct.json_encode())
        .alias("risk_json"),
    )


def _plan(plans: pl.DataFrame | None) -> pl.DataFrame:
    if plans is None or "actions" not in plans.columns:
        return pl.DataFrame(schema={"nhs_number": pl.String, "plan_json": pl.String})
    # exactly json.dumps(actions or [], ensure_ascii=False), column-wise (the same encoder the
    # FHIR export uses for each string; a test holds the two identical)
    empty = pl.lit([], dtype=pl.List(pl.String))
    items = pl.col("actions").cast(pl.List(pl.String)).fill_null(empty).list.eval(json_string(pl.element()))
    return plans.select(
        pl.col("nhs_number").cast(pl.String),
        pl.concat_str(pl.lit("["), items.list.join(", "), pl.lit("]")).alias("plan_json"),
    )


@dataclass(frozen=True)
class LazySnapshot:
    """The snapshot built lazily (issue 16): ``order`` is every row in list order with its
    urgency and priority; ``details(part)`` adds the per-person text (reasons, plan, risk) to
    a slice of it and returns it as ``SNAPSHOT_SCHEMA``. The store writes it a part at a
    time, so the long JSON texts of the whole list are never held at once."""

    order: pl.DataFrame
    flags: pl.DataFrame  # nhs_number, flag, reason, since (each part takes its own people's)
    plans: pl.DataFrame | None
    people: pl.DataFrame  # nhs_number and the risk columns (each part takes its own people's)
    ready: Details | None = None  # the per-person texts built before the list was known (``details_ahead``)
    # the rows' other columns in the rows' own order, taken for each part by its ``_row`` (``order`` then
    # holds only what sorts the list: never a second, sorted copy of every row; session 15)
    rest: pl.DataFrame | None = None
    # or made for each part from its ``_row``s (the rows given as a ``WorklistOrder``: issue 16, session 30)
    cells: Callable[[pl.Series], pl.DataFrame] | None = None

    def parts(self, part_rows: int) -> Iterator[pl.DataFrame]:
        for offset in range(0, self.order.height, part_rows):
            yield self.details(self.order.slice(offset, part_rows))

    def details(self, part: pl.DataFrame) -> pl.DataFrame:
        if self.rest is not None:
            part = pl.concat([part.drop(ROW), self.rest.select(pl.all().gather(part[ROW]))], how="horizontal")
        elif self.cells is not None:
            part = pl.concat([part.drop(ROW), self.cells(part[ROW])], how="horizontal")
        if self.ready is not None:
            out = (
                part.join(self.ready.reasons, on="nhs_number", how="left")
                .join(self.ready.plan, on="nhs_number", how="left")
                .join(self.ready.risk, on="nhs_number", how="left")
            )
            return out.select([_col(out, c, t) for c, t in SNAPSHOT_SCHEMA.items()])
        keep = part["nhs_number"].implode()
        plans = None if self.plans is None else self.plans.filter(pl.col("nhs_number").cast(pl.String).is_in(keep))
        out = (
            part.join(_reasons(self.flags.filter(pl.col("nhs_number").is_in(keep))), on="nhs_number", how="left")
            .join(_plan(plans), on="nhs_number", how="left")
            .join(_risk(self.people.filter(pl.col("nhs_number").is_in(keep))), on="nhs_number", how="left")
        )
        return out.select([_col(out, c, t) for c, t in SNAPSHOT_SCHEMA.items()])

    def frame(self) -> pl.DataFrame:
        """The whole snapshot at once (``build_snapshot``)."""
        return self.details(self.order)


@dataclass(frozen=True)
class Details:
    """The snapshot's per-person texts for everyone with an open flag: they depend on the
    flags, plans and people only, not on the letters, so they can be built while the letters
    are written (issue 16, session 6); joined to each part exactly as ``details`` builds them."""

    reasons: pl.DataFrame  # nhs_number, flag_words, kinds, reasons_json
    plan: pl.DataFrame  # nhs_number, plan_json
    risk: pl.DataFrame  # nhs_number, risk_json


def details_ahead(plans: pl.DataFrame | None, flags: pl.DataFrame, people: pl.DataFrame) -> Details:
    """``Details`` of everyone with an open flag (a superset of tonight's worklist)."""
    nhs = pl.col("nhs_number").cast(pl.String)
    flags_cols = [c for c in FLAGS_READ if c in flags.columns]
    flags_sub = flags.select(flags_cols).with_columns(nhs)
    keep = flags_sub["nhs_number"].unique().implode()
    risk_cols = [c for c in ("nhs_number", *RISK_COLUMNS) if c in people.columns]
    people_sub = people.select(risk_cols).with_columns(nhs).filter(pl.col("nhs_number").is_in(keep))
    return Details(_reasons(flags_sub), _plan(plans), _risk(people_sub))


def in_list_order(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows sorted as each team's list shows them, ``priority`` numbered from 1 within each team."""
    return frame.sort(["team", "urgency_order", "marginalisation_rank", "nhs_number"], nulls_last=True).with_columns(
        pl.int_range(1, pl.len() + 1).over("team").cast(pl.Int64).alias("priority")
    )


def _cells_of(
    listed: WorklistOrder, positions: pl.DataFrame, shown: tuple[str, ...]
) -> Callable[[pl.Series], pl.DataFrame]:
    """The shown cells of the rows at ``_row``s ``at``: ``positions`` is each row's team and plan."""
    from longerlives.outputs.worklists import PLAN_ROW

    def cells(at: pl.Series) -> pl.DataFrame:
        made = listed.rows(positions.select(pl.all().gather(at)), columns=shown).drop("team", PLAN_ROW)
        return made.with_columns(pl.col(c).fill_null(v) for c, v in SHOWN_FILLED.items() if c in made.columns)

    return cells


def lazy_snapshot(
    rows: pl.DataFrame | WorklistOrder,
    plans: pl.DataFrame | None,
    flags: pl.DataFrame,
    people: pl.DataFrame,
    as_of: date,
    same_day_days: int,
    ready: Details | None = None,
) -> LazySnapshot:
    """The snapshot's order now, its per-person details when each part is written (or, given
    ``ready``, joined from the details built ahead). ``rows``: the lean rows, or the list as
    positions (``worklists.WorklistOrder``), whose other cells are then made a part at a time."""
    from longerlives.outputs.worklists import NO_TEAM, PLAN_ROW, UNALLOCATED, WorklistOrder

    listed = rows if isinstance(rows, WorklistOrder) else None
    # given as positions: what orders the list made now, the rest of a part's cells when it is written
    given = rows if isinstance(rows, pl.DataFrame) else rows.rows(columns=SORT_COLUMNS)
    # people with no core team are the web app's "unallocated" list (the files keep NO_TEAM internally)
    base = given.with_columns(pl.col("nhs_number").cast(pl.String), pl.col("team").replace(NO_TEAM, UNALLOCATED))
    # only the columns read here: never a second copy of the wide people frame (hundreds of feature
    # columns) while the store writes (issue 16). Not filtered to the people on the list here: a
    # selection of columns shares the frames' memory, a filter copies it (nearly every flag is on the
    # list), and each part takes its own people's rows anyway (``details``; session 15)
    people_cols = [c for c in PEOPLE_READ if c in people.columns]
    flags_cols = [c for c in FLAGS_READ if c in flags.columns]
    nhs = pl.col("nhs_number").cast(pl.String)
    people_sub = people.select(people_cols).with_columns(nhs)
    flags_sub = flags.select(flags_cols).with_columns(nhs)
    base = base.with_row_index(ROW)
    sorts = [ROW, *[c for c in ORDER_COLUMNS if c in base.columns]]
    # what the snapshot shows of the rows' other columns (priority and urgency_order are made again by
    # in_list_order); the worklist files' own texts (the numbered plan, the flag labels) are not held
    shown = [c for c in SNAPSHOT_SCHEMA if c not in (*sorts, "priority", "urgency_order")]
    rest = None if listed is not None else base.select(c for c in base.columns if c in shown)
    cells = None if listed is None else _cells_of(listed, base.select("team", PLAN_ROW), tuple(shown))
    base = base.select(sorts)
    if "urgency" not in base.columns:
        base = base.join(derive_urgency(people_sub, as_of, same_day_days), on="nhs_number", how="left")
    order = _listed(base)
    return LazySnapshot(
        order,
        flags_sub,
        plans,
        people_sub.select([c for c in people_cols if c not in ("safety_items", "bp_last_date")]),
        ready,
        rest,
        cells,
    )


def _listed(base: pl.DataFrame) -> pl.DataFrame:
    """``base`` (the rows' order columns) in list order, its urgency and shown cells filled."""
    return in_list_order(
        base.with_columns(
            pl.col("urgency").fill_null("routine"),
            pl.col("urgency")
            .fill_null("routine")
            .replace_strict(URGENCY_ORDER, default=2)
            .cast(pl.Int64)
            .alias("urgency_order"),
            *[pl.col(c).fill_null(v) for c, v in SHOWN_FILLED.items() if c in base.columns],
        )
    )


def web_list_order(keys: pl.DataFrame) -> pl.DataFrame:
    """The web worklist's order of every row (``lazy_snapshot``'s ``order`` without its ``_row``), from
    each row's ``SORT_COLUMNS`` (``worklists.list_keys``): the pipeline writes the web worklist a
    block of people at a time, each block's rows numbered in the whole list (issue 16, session 31)."""
    from longerlives.outputs.worklists import NO_TEAM, UNALLOCATED

    base = keys.select(
        pl.col("nhs_number").cast(pl.String),
        pl.col("team").replace(NO_TEAM, UNALLOCATED),
        "urgency",
        "marginalisation_rank",
    )
    return _listed(base)


def build_snapshot(
    rows: pl.DataFrame,
    plans: pl.DataFrame | None,
    flags: pl.DataFrame,
    people: pl.DataFrame,
    as_of: date,
    same_day_days: int,
) -> pl.DataFrame:
    """One row per worklist row (``SNAPSHOT_SCHEMA``), in list order within each team."""
    if rows.height == 0:
        return pl.DataFrame(schema=SNAPSHOT_SCHEMA)
    return lazy_snapshot(rows, plans, flags, people, as_of, same_day_days).frame()
