"""worklists/<team_code>.csv and .html per core team, unallocated.csv, plans.json.

One row per person with open flags (or a safety item) — ``same_day`` first, then
``soon``, then most marginalised first (rank 1 = most), then NHS number
(run-outputs-v2). Contract columns come first; ``flags`` keeps the ids and
``flag_labels`` beside it names them for people; extra columns help the team act.
The HTML shows the same rows with labels instead of ids, wrapped to be read at 1280 px.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from longerlives.columnwise import beside, parts_by, sorted_by
from longerlives.outputs.csvfile import write_csv
from longerlives.outputs.filenames import file_stems
from longerlives.outputs.flag_labels import label_expr
from longerlives.outputs.urgency import URGENCY_WORDS, urgency_rank
from longerlives.paths import TEMPLATES_DIR

WORKLIST_COLUMNS = [
    "priority",
    "nhs_number",
    "name",
    "practice_code",
    "outreach",
    "flags",
    "safety",
    "plan",
    "communication_needs",
    "language",
    "contact",
    "last_letter",
    "urgency",
]
# flag_labels first after the contract columns (whose order other systems may rely on).
EXTRA_COLUMNS = [
    "flag_labels",
    "marginalisation_rank",
    "marginalisation_score",
    "outreach_reasons",
    "lead",
    "channel",
    "reasonable_adjustments",
    "letter_this_run",
    "letter_note",
]
# The HTML table: what a person reads, in this order, with these headings (the CSV keeps every column).
HTML_COLUMNS: dict[str, str] = {
    "priority": "Priority",
    "urgency": "Urgency",
    "person": "Person",
    "contact": "Contact",
    "flag_labels": "What is open",
    "safety": "Safety items",
    "plan": "Plan",
    "communication": "Language and needs",
    "letters": "Letters",
}
# Cells whose "; "-separated parts each get their own line in the HTML.
_LINES = ("person", "contact", "flag_labels", "safety", "plan", "communication", "letters")


def _html_frame(part: pl.DataFrame) -> pl.DataFrame:
    """The worklist rows with the composite cells the HTML table shows."""
    return part.with_columns(
        pl.concat_str(pl.col("name").fill_null(""), pl.lit("; NHS "), pl.col("nhs_number")).alias("person"),
        pl.concat_str(
            pl.col("language"),
            pl.format("cannot use a letter: {}", pl.col("communication_needs")),
            separator="; ",
            ignore_nulls=True,
        ).alias("communication"),
        pl.concat_str(
            pl.format("last letter {}", pl.col("last_letter").cast(pl.String)),
            pl.col("letter_note"),
            separator="; ",
            ignore_nulls=True,
        ).alias("letters"),
    )


UNALLOCATED = "unallocated"  # file stem for people with no core team
# Internal key for "no core team": a control character can never be a team code (quarantined
# on input), so a team really coded `unallocated` keeps its own worklist.
NO_TEAM = "\x00no-team"
PLANS_JSON_SLICE = 20_000  # plans per slice of plans.json (about 15 MB of text)
PLAN_ROW = "_plan_row"  # a lean worklist row's plan: its place in the plans (``lean_worklist_rows``)
PLAN_TEXTS = ("plan", "flag_labels")  # the texts made a team at a time (``with_plan_texts``)
NAME_PARTS = ("title", "given_name", "family_name")
CONTACT_DETAILS = ("phone", "email")
PEOPLE_READ = ("nhs_number", *NAME_PARTS, *CONTACT_DETAILS)  # what the worklists read of the people


def _opt(frame: pl.DataFrame | None, cols: dict[str, type[pl.DataType]]) -> pl.DataFrame:
    if frame is None:
        return pl.DataFrame(schema=cols)
    return frame.select(
        [pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c) for c, t in cols.items()]
    )


def worklist_rows(
    plans: pl.DataFrame,
    people: pl.DataFrame,
    letters_index: pl.DataFrame | None,
    decisions: pl.DataFrame | None,
    last_letters: pl.DataFrame | None,
) -> pl.DataFrame:
    """All worklist rows (every team), with ``team`` and ``priority`` within the team.

    The urgency is the plan's (the most urgent of the person's open flags); a plan without
    one is ``soon`` when it has a safety item, else ``routine``."""
    return with_plan_texts(lean_worklist_rows(plans, people, letters_index, decisions, last_letters), plans)


def with_plan_texts(rows: pl.DataFrame, plans: pl.DataFrame) -> pl.DataFrame:
    """Lean worklist rows (``lean_worklist_rows``, any selection of them) with their ``plan`` and
    ``flag_labels`` texts made from each row's own plan (its ``PLAN_ROW``), in the rows' columns."""
    own = plans.select(pl.col("actions", "flags").gather(rows[PLAN_ROW]))
    texts = own.select(
        pl.col("actions")
        .list.eval(pl.format("{}. {}", pl.int_range(1, pl.len() + 1), pl.element()))
        .list.join("; ")
        .alias("plan"),
        pl.col("flags").list.eval(label_expr(pl.element())).list.join("; ").alias("flag_labels"),
    )
    out = pl.concat([rows.drop(PLAN_ROW), texts], how="horizontal")
    return out.select([c for c in ("team", *WORKLIST_COLUMNS, *EXTRA_COLUMNS) if c in out.columns])


def lean_worklist_rows(
    plans: pl.DataFrame,
    people: pl.DataFrame,
    letters_index: pl.DataFrame | None,
    decisions: pl.DataFrame | None,
    last_letters: pl.DataFrame | None,
) -> pl.DataFrame:
    """``worklist_rows`` without their two longest texts, ``plan`` and ``flag_labels`` (half the
    rows' text), which are made a team at a time as its files are written (``with_plan_texts``):
    ``PLAN_ROW`` is each row's plan's place in ``plans``. Every row's cells at once: the pipeline
    holds the list as positions instead (``worklist_order``) and makes a team's or a part's cells
    when they are written."""
    return worklist_order(plans, people, letters_index, decisions, last_letters).rows()


def _most_urgent() -> pl.Expr:
    return (
        pl.when(pl.col("urgency").is_in(["same_day", "soon"]))
        .then(pl.col("urgency"))
        .when(pl.col("has_safety").fill_null(False))
        .then(pl.lit("soon"))
        .otherwise(pl.lit("routine"))
    )


def _cells() -> dict[str, pl.Expr]:
    """A worklist row's cells (but ``team``, ``priority`` and the plan texts), each made from its own
    plan's row of ``WorklistOrder.source`` alone."""
    language = pl.concat_str(
        pl.col("language"),
        pl.when(pl.col("interpreter_required")).then(pl.lit(" (interpreter needed)")),
        pl.when(pl.col("letter_note").str.starts_with("letter in English")).then(
            pl.lit("; letter in English, interpreter offered")
        ),
        ignore_nulls=True,
    )
    contact = pl.concat_str(
        pl.col("channel"),
        pl.when(pl.col("phone").is_not_null()).then(pl.format("phone {}", pl.col("phone"))),
        pl.when(pl.col("email").is_not_null()).then(pl.format("email {}", pl.col("email"))),
        separator="; ",
        ignore_nulls=True,
    )
    return {
        "nhs_number": pl.col("nhs_number"),
        "name": pl.col("name"),
        "practice_code": pl.col("practice_code"),
        "outreach": pl.col("outreach"),
        "flags": pl.col("flags").list.join(";"),
        "safety": pl.col("safety").list.join("; ").replace("", None),
        "communication_needs": pl.col("manual_needs"),
        "language": language,
        "contact": contact,
        "last_letter": pl.col("last_letter"),
        "urgency": _most_urgent(),
        "marginalisation_rank": pl.col("marginalisation_rank"),
        "marginalisation_score": pl.col("marginalisation_score"),
        "outreach_reasons": pl.col("outreach_reasons"),
        "lead": pl.col("lead"),
        "channel": pl.col("channel"),
        "reasonable_adjustments": pl.col("reasonable_adjustments").list.join("; "),
        "letter_this_run": pl.col("letter_this_run"),
        "letter_note": pl.col("letter_note"),
    }


# what the cells read of their plan's row, found from the cells' own expressions (never a second list)
_SOURCE_COLUMNS = tuple(dict.fromkeys(name for cell in _cells().values() for name in cell.meta.root_names()))
# what the list's order reads of a plan beyond the cells' sources (``in_worklist_order``)
_ORDER_READS = ("core_team", "urgency", "has_safety", "marginalisation_rank", "nhs_number")
LEAN_COLUMNS = ("team", *[c for c in (*WORKLIST_COLUMNS, *EXTRA_COLUMNS) if c not in PLAN_TEXTS], PLAN_ROW)


@dataclass(frozen=True)
class WorklistOrder:
    """Every worklist row in list order, held as positions (issue 16, session 30): ``order`` is each
    row's ``team``, ``priority`` and ``PLAN_ROW`` (its plan's place in ``source``, the plans with each
    person's name, contact details and letters beside them, one row a plan); every other cell is made
    only for the rows asked for (``rows``): a team's as its files are written, a part's as the web
    worklist is. Every row's cells at once, sorted, were 258 MB of live memory at 600,000 people,
    held from the worklists' start to the web worklist's last part."""

    order: pl.DataFrame
    source: pl.DataFrame

    @property
    def height(self) -> int:
        return self.order.height

    def rows(self, part: pl.DataFrame | None = None, columns: tuple[str, ...] | None = None) -> pl.DataFrame:
        """``part`` (a selection of ``order``; all of it when None) with its cells: the lean rows'
        columns (``lean_worklist_rows``), or only ``team``, ``columns`` and ``PLAN_ROW``."""
        part = self.order if part is None else part
        cells = _cells()
        wanted = [c for c in cells if columns is None or c in columns]
        read = dict.fromkeys(name for c in wanted for name in cells[c].meta.root_names())  # only these gathered
        made = self.source.select(pl.col(list(read)).gather(part[PLAN_ROW])).select(cells[c].alias(c) for c in wanted)
        out = pl.concat([part, made], how="horizontal")
        if columns is not None:
            return out.select("team", *[c for c in columns if c in made.columns], PLAN_ROW)
        return out.select(LEAN_COLUMNS)


def worklist_order(
    plans: pl.DataFrame,
    people: pl.DataFrame,
    letters_index: pl.DataFrame | None,
    decisions: pl.DataFrame | None,
    last_letters: pl.DataFrame | None,
) -> WorklistOrder:
    """The worklist rows in list order (``worklist_rows``' order), as positions into their plans.

    Only what orders the rows is made for all of them: team, urgency, marginalisation rank, NHS
    number. The web worklist reads neither of the files' plan texts either (issue 16)."""
    return in_worklist_order(worklist_source(plans, people, letters_index, decisions, last_letters))


def worklist_source(
    plans: pl.DataFrame,
    people: pl.DataFrame,
    letters_index: pl.DataFrame | None,
    decisions: pl.DataFrame | None,
    last_letters: pl.DataFrame | None,
) -> pl.DataFrame:
    """One row a plan (the plans' order): what the worklist's cells, its order and its plan texts
    read — the plan's own columns, the person's name and contact details, tonight's letter and its
    note and the last letter. Any selection of whole teams' rows is the source of their lists
    (``in_worklist_order``): the pipeline keeps each block of people's and lists a group of teams
    at a time (issue 16, session 31)."""
    names = people.select(
        "nhs_number",
        pl.concat_str(
            [pl.col(c) for c in NAME_PARTS if c in people.columns],
            separator=" ",
            ignore_nulls=True,
        ).alias("name"),
        *[pl.col(c) if c in people.columns else pl.lit(None, dtype=pl.String).alias(c) for c in CONTACT_DETAILS],
    )
    idx = _opt(letters_index, {"nhs_number": pl.String, "path": pl.String}).rename({"path": "letter_this_run"})
    notes = _opt(decisions, {"nhs_number": pl.String, "letter_note": pl.String})
    last = _opt(last_letters, {"nhs_number": pl.String, "last_letter": pl.Date})
    kept = [*dict.fromkeys((*_SOURCE_COLUMNS, *_ORDER_READS)), *(["actions"] if "actions" in plans.columns else [])]
    return beside(plans, (names, idx, notes, last)).select(kept)


def list_keys(plans: pl.DataFrame) -> pl.DataFrame:
    """What sorts each plan's worklist row (the web worklist's ``SORT_COLUMNS``): its team (``NO_TEAM``
    when it has none), NHS number, urgency and marginalisation rank, one row a plan."""
    return plans.select(
        pl.col("core_team").fill_null(NO_TEAM).alias("team"),
        "nhs_number",
        _most_urgent().alias("urgency"),
        "marginalisation_rank",
    )


def source_read_by(cells: Iterable[str]) -> list[str]:
    """The columns of ``worklist_source``'s rows that the list's order (``in_worklist_order``) and the
    cells ``cells`` read (the web worklist reads neither the plans' actions nor the scores: issue 16,
    session 34)."""
    made = _cells()
    read = {"core_team", "marginalisation_rank", "nhs_number", *_most_urgent().meta.root_names()}
    for cell in cells:
        if cell in made:
            read.update(made[cell].meta.root_names())
    return sorted(read)


def in_worklist_order(source: pl.DataFrame) -> WorklistOrder:
    """``source`` (``worklist_source``'s rows, whole teams' of them) in list order: by team, most
    urgent first, then most marginalised, then NHS number; ``priority`` numbered within each team."""
    keys = source.select(
        pl.col("core_team").fill_null(NO_TEAM).alias("team"),
        urgency_rank(_most_urgent()).alias("_urgency_rank"),
        "marginalisation_rank",
        "nhs_number",
        pl.int_range(pl.len(), dtype=pl.UInt32).alias(PLAN_ROW),
    )
    keys = sorted_by(keys, ["team", "_urgency_rank", "marginalisation_rank", "nhs_number"], nulls_last=True)
    order = keys.select("team", pl.int_range(1, pl.len() + 1).over("team").cast(pl.Int64).alias("priority"), PLAN_ROW)
    return WorklistOrder(order, source)


def _html_env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR / "worklists")),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _escape(expr: pl.Expr) -> pl.Expr:
    """HTML-escape text column-wise (same characters Jinja's autoescape replaces)."""
    out = expr.cast(pl.String).fill_null("")
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;")):
        out = out.str.replace_all(raw, entity, literal=True)
    return out


def _html_rows(part: pl.DataFrame, columns: list[str]) -> str:
    """The table body, built column-wise: one Jinja loop per cell was most of the
    worklist stage at 100,000 people."""
    if part.height == 0:
        return ""
    safety = pl.col("safety").fill_null("") != ""
    cells = []
    for c in columns:
        if c == "priority":
            cells.append(
                pl.concat_str(
                    pl.lit('<th scope="row">'),
                    _escape(pl.col(c)),
                    pl.when(safety).then(pl.lit(' <span class="tag tag-red">safety</span>')).otherwise(pl.lit("")),
                    pl.lit("</th>"),
                )
            )
        elif c == "outreach":
            cells.append(
                pl.when(pl.col(c).fill_null(False))
                .then(pl.lit('<td><span class="tag">outreach</span></td>'))
                .otherwise(pl.lit('<td><span class="visually-hidden">no</span></td>'))
            )
        elif c == "urgency":
            words = pl.col(c).replace_strict(URGENCY_WORDS, default=pl.col(c), return_dtype=pl.String)
            cells.append(
                pl.concat_str(
                    pl.when(pl.col(c) == "same_day")
                    .then(pl.lit('<td class="c-urgency"><span class="tag tag-red">'))
                    .when(pl.col(c) == "soon")
                    .then(pl.lit('<td class="c-urgency"><span class="tag tag-amber">'))
                    .otherwise(pl.lit('<td class="c-urgency"><span>')),
                    _escape(words),
                    pl.lit("</span></td>"),
                )
            )
        elif part.schema[c] == pl.Date:
            cells.append(
                pl.concat_str(
                    pl.lit(f'<td class="c-{c}">'), _escape(pl.col(c).dt.strftime("%Y-%m-%d")), pl.lit("</td>")
                )
            )
        elif c in _LINES:
            lines = _escape(pl.col(c)).str.replace_all("; ", "<br>", literal=True)
            if c == "contact":  # a phone number never breaks across lines
                lines = lines.str.replace_all(
                    r"phone ([0-9+()][0-9+() ]*[0-9])", r'phone <span class="tel">${1}</span>'
                )
            cells.append(pl.concat_str(pl.lit(f'<td class="c-{c}">'), lines, pl.lit("</td>")))
        else:
            cells.append(pl.concat_str(pl.lit(f'<td class="c-{c}">'), _escape(pl.col(c)), pl.lit("</td>")))
    row = pl.concat_str(
        pl.when(safety).then(pl.lit('    <tr class="safety">')).otherwise(pl.lit("    <tr>")),
        pl.concat_str(cells),
        pl.lit("</tr>"),
    )
    return str(part.select(row.str.join("\n").alias("r")).item())  # one string, no Python string per row


def write_worklists(
    rows: pl.DataFrame | WorklistOrder,
    out_dir: Path,
    teams: pl.DataFrame | None,
    as_of: date,
    run_id: str,
    plans: pl.DataFrame | None = None,
) -> list[str]:
    """CSV + HTML per team; returns paths relative to ``out_dir``. Lean rows (``lean_worklist_rows``)
    need their ``plans``: each team's texts are made as its files are written; given as a
    ``WorklistOrder``, each team's cells too."""
    listed = rows if isinstance(rows, pl.DataFrame) else rows.order
    files = TeamFiles(out_dir, teams, as_of, run_id, listed["team"].unique().to_list())
    files.write(rows, plans, files.teams)
    return files.finish()


class TeamFiles:
    """Every team's worklist files, written a group of teams at a time (``write``) and indexed once
    all are (``finish``): the pipeline lists a group of teams at a time from each block of people's
    sources (issue 16, session 31). ``listed``: every team with a row tonight; every team of the
    teams table gets a file too, empty when nobody is on it today."""

    def __init__(self, out_dir: Path, teams: pl.DataFrame | None, as_of: date, run_id: str, listed: list[str]) -> None:
        self.folder = out_dir / "worklists"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.as_of, self.run_id = as_of, run_id
        self.names: dict[str, str | None] = {}
        if teams is not None and teams.height:
            labels = teams["name"].to_list() if "name" in teams.columns else [None] * teams.height
            self.names = dict(zip(teams["team_code"].to_list(), labels))
        self.teams = sorted({*listed, *self.names})  # the files' order: NO_TEAM ("\x00...") first
        self.stems = file_stems([t for t in self.teams if t != NO_TEAM], reserved=[UNALLOCATED])  # collision-free
        self.stems[NO_TEAM] = UNALLOCATED
        self._tpl = _html_env().get_template("worklist.html.j2")
        self._index: list[tuple[str, str | None, str, int]] = []
        self._written: list[str] = []

    def write(self, rows: pl.DataFrame | WorklistOrder, plans: pl.DataFrame | None, teams: list[str]) -> None:
        """The files of ``teams`` (each with all of its rows in ``rows``)."""
        cells: Callable[[pl.DataFrame], pl.DataFrame] = (
            (lambda part: part) if isinstance(rows, pl.DataFrame) else rows.rows
        )
        listed = rows if isinstance(rows, pl.DataFrame) else rows.order
        parts = parts_by(listed, "team")  # the rows leave each team's rows together: slices, not a copy
        for team in sorted(teams):
            stem = self.stems[team]
            part = cells(parts.get(team, listed.clear())).drop("team")
            if not part["priority"].is_sorted():
                part = part.sort("priority")
            if PLAN_ROW in part.columns:
                if plans is None:
                    raise ValueError("lean worklist rows need their plans")
                part = with_plan_texts(part, plans)
            write_csv(part, self.folder / f"{stem}.csv", float_precision=1)
            self._index.append((team, None if team == NO_TEAM else team, f"worklists/{stem}.csv", part.height))
            label = UNALLOCATED if team == NO_TEAM else team
            html = self._tpl.render(
                team=label,
                team_name=self.names.get(team) or ("No core team" if team == NO_TEAM else team),
                as_of=self.as_of.isoformat(),
                run_id=self.run_id,
                columns=list(HTML_COLUMNS),
                headings=HTML_COLUMNS,
                n_rows=part.height,
                body=_html_rows(_html_frame(part), list(HTML_COLUMNS)),
            )
            (self.folder / f"{stem}.html").write_text(html, encoding="utf-8")
            self._written += [f"worklists/{stem}.csv", f"worklists/{stem}.html"]

    def finish(self) -> list[str]:
        """worklists/index.csv — which file is whose: a team code that is not a plain file name is
        hashed (filenames.py) — after every team's files; returns every path written."""
        index = [entry[1:] for entry in sorted(self._index, key=lambda entry: entry[0])]
        write_csv(
            pl.DataFrame(index, schema={"team_code": pl.String, "file": pl.String, "rows": pl.Int64}, orient="row"),
            self.folder / "index.csv",
        )
        return [*self._written, "worklists/index.csv"]


def write_plans_json(plans: pl.DataFrame, out_dir: Path, as_of: date, run_id: str) -> str:
    # Polars writes the records (a Python dict per plan took 8 s at 100,000 people), straight into the
    # file: the whole text (65 MB at 100,000 people) was held up to four times over, in a buffer, its
    # copy and two joins, and set the run's peak memory at the end of the worklists (session 8).
    # The records go out a slice at a time (issue 16, session 17): the whole text at once (400 MB
    # at 600,000 people) and its sorted copy of the plans set the run's peak memory at that size.
    with PlansJson(out_dir, as_of, run_id) as out:
        out.add(plans if plans["nhs_number"].is_sorted() else plans.sort("nhs_number"))
    return PlansJson.PATH


class PlansJson:
    """worklists/plans.json written a block of plans at a time, in the order given (the pipeline
    gives each block of people's plans in NHS-number order; issue 16, session 31)."""

    PATH = "worklists/plans.json"

    def __init__(self, out_dir: Path, as_of: date, run_id: str) -> None:
        self.path = out_dir / self.PATH
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._head = json.dumps({"as_of": as_of.isoformat(), "run_id": run_id}, ensure_ascii=False)[:-1]
        self._out: io.BufferedWriter | None = None
        self._any = False

    def open(self) -> PlansJson:
        self._out = self.path.open("wb")
        self._out.write(self._head.encode() + b', "plans": [')
        return self

    def add(self, plans: pl.DataFrame) -> None:
        assert self._out is not None
        for start in range(0, plans.height, PLANS_JSON_SLICE):
            text = io.BytesIO()
            plans.slice(start, PLANS_JSON_SLICE).write_json(text)  # [{...},{...}]
            self._out.write((b"," if self._any else b"") + text.getbuffer()[1:-1])
            self._any = True

    def close(self) -> None:
        """The file's end written and the file closed (after the last ``add``)."""
        assert self._out is not None
        try:
            self._out.write(b"]}\n")
        finally:
            self._out.close()

    def __enter__(self) -> PlansJson:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        elif self._out is not None:
            self._out.close()


@dataclass(frozen=True)
class WorklistsWritten:
    files: tuple[str, ...]
    rows: int
    teams: int


def write_worklist_files(
    plans: pl.DataFrame,
    people: pl.DataFrame,
    letters_index: pl.DataFrame | None,
    decisions: pl.DataFrame | None,
    last_letters: pl.DataFrame | None,
    teams: pl.DataFrame | None,
    out_dir: Path,
    as_of: date,
    run_id: str,
    rows_known: Callable[[WorklistOrder], object] | None = None,
    plans_json: bool = True,
) -> WorklistsWritten:
    """Every team's worklist (CSV + HTML), the unallocated list and plans.json.

    ``rows_known``: called with the worklist rows as soon as they are known, before any file
    is written (the pipeline starts the web worklist's store copy there; issue 16).
    ``plans_json=False``: plans.json is left to the caller (``write_plans_json``; the pipeline
    writes it on the output half's other thread, which needs nothing the letters decide)."""
    listed = worklist_order(plans, people, letters_index, decisions if plans.height else None, last_letters)
    if rows_known is not None:
        rows_known(listed)
    files = write_worklists(listed, out_dir, teams, as_of, run_id, plans)
    if plans_json:
        files.append(write_plans_json(plans, out_dir, as_of, run_id))
    return WorklistsWritten(tuple(files), listed.height, listed.order["team"].n_unique())
