"""The run store: one SQLAlchemy engine per URL, migrated to head when opened.

SQLite (a file in the state folder) by default; PostgreSQL by URL
(``postgresql+psycopg://user:pw@host/db``). Bulk work (flag history, letters)
goes through SQLAlchemy Core in chunks so a night with tens of thousands of
flags stays quick; frames go in and out as Polars.
"""

from __future__ import annotations

import io
import json
import logging
import os
import threading
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

import polars as pl
from sqlalchemy import ARRAY, Integer, Text, bindparam, create_engine, event, func, inspect, select, text, update
from sqlalchemy.engine import Connection, Engine

from longerlives.columnwise import in_order
from longerlives.history import LAST_LETTERS_SCHEMA, OUTCOMES_SCHEMA, Delivered
from longerlives.store.models import AuditEvent, CoverageRow, FlagHistory, LetterIssued, OutreachOutcome, Run

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
CHUNK = 5000
LETTER_BLOCK = 100_000  # letters recorded at a time (record_letters; issue 16)
SQLITE_PAGE_SIZE = 8192  # bytes; a new SQLite store only (an existing one keeps its pages until VACUUM)
_MIGRATE_LOCK_KEY = 0x4C4C_0006  # "LL" issue 6: serialises concurrent migrations on PostgreSQL

RUNS = Run.__table__
FLAG_HISTORY = FlagHistory.__table__
LETTERS = LetterIssued.__table__
OUTCOMES = OutreachOutcome.__table__
AUDIT = AuditEvent.__table__
COLLECTED = "collected"  # audit_events.kind of a letter batch collected (issue 12)
COVERAGE = CoverageRow.__table__
COVERAGE_COLUMNS = ("measure", "group_by", "group", "numerator", "denominator")


def utcnow() -> datetime:
    """Aware UTC: SQLModel's UTCDateTime columns refuse naive datetimes."""
    return datetime.now(timezone.utc)


def redact_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "<unparseable url>"


# The newest migration under migrations/versions. A store already there is opened without
# loading Alembic and its migration scripts (about 0.3 s of every nightly run; issue 16,
# session 10); test_store.py holds it equal to Alembic's own head, so a new migration that
# forgets to move it fails the tests, and a store at any other revision is upgraded as before.
HEAD_REVISION = "0006_no_repeated_indexes"


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    """The head of the migration scripts, as Alembic reads them."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _chunks(items: list, n: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


class Store:
    def __init__(self, url: str, engine: Engine) -> None:
        self.url = url
        self.engine = engine

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    # -- schema -----------------------------------------------------------------
    def current_revision(self) -> str | None:
        """The store's revision (``alembic_version``), read without loading Alembic; None when empty."""
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        if len(versions) > 1:
            raise RuntimeError(f"run store has {len(versions)} Alembic heads; expected one")  # never made here
        return versions[0] if versions else None

    def migrate(self, revision: str = "head") -> None:
        from alembic import command

        cfg = alembic_config()
        with self.engine.begin() as conn:
            if self.is_postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATE_LOCK_KEY})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    # -- runs -------------------------------------------------------------------
    def start_run(
        self,
        run_id: str,
        as_of: date,
        *,
        engine_version: str | None,
        out_dir: str | None,
        config_hash: str | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                RUNS.insert().values(
                    run_id=run_id,
                    as_of=as_of,
                    status="running",
                    started_at=utcnow(),
                    engine_version=engine_version,
                    out_dir=out_dir,
                    config_hash=config_hash,
                )
            )

    def finish_run(self, conn: Connection, run_id: str, status: str, **values: Any) -> None:
        conn.execute(update(RUNS).where(RUNS.c.run_id == run_id).values(status=status, finished_at=utcnow(), **values))

    def fail_run(
        self,
        run_id: str,
        as_of: date | None,
        error: str,
        *,
        engine_version: str | None = None,
        out_dir: str | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            exists = conn.execute(select(RUNS.c.run_id).where(RUNS.c.run_id == run_id)).first()
            if exists:
                self.finish_run(conn, run_id, "failed", error=error)
            else:
                now = utcnow()
                conn.execute(
                    RUNS.insert().values(
                        run_id=run_id,
                        as_of=as_of or now.date(),
                        status="failed",
                        started_at=now,
                        finished_at=now,
                        engine_version=engine_version,
                        out_dir=out_dir,
                        error=error,
                    )
                )

    def runs(self) -> pl.DataFrame:
        with self.engine.connect() as conn:
            rows = conn.execute(select(RUNS).order_by(RUNS.c.started_at, RUNS.c.run_id)).mappings().all()
        cols = [c.name for c in RUNS.columns]
        return (
            pl.DataFrame([dict(r) for r in rows], schema=_polars_schema(RUNS), orient="row")
            if rows
            else pl.DataFrame(schema=_polars_schema(RUNS)).select(cols)
        )

    # -- flag history -----------------------------------------------------------
    def update_flag_history(self, conn: Connection, flags: pl.DataFrame, as_of: date, run_id: str) -> tuple[int, int]:
        """Open new episodes, extend the ones still raised, resolve the ones gone. Returns (opened, closed).

        Bulk throughout (issue 16): open episodes read in one query; the gone ones resolved by
        one statement over their ids; then every episode still open (and not seen after
        ``as_of``) extended by one statement over a condition, not a list of ids — once the gone
        ones are resolved, those are exactly the ones still raised (session 9, 100,000 people, a
        night extending 379,012 episodes: PostgreSQL 8.3 → 2.6 s, SQLite 2.8 → 2.4 s); new episodes written last (``COPY`` on
        PostgreSQL, JSON on SQLite), so the extension never rewrites a row it has just written.
        Revision ``0005_flag_history_nightly``: no index holds ``resolved_on``, and on PostgreSQL
        half of each page is kept free, so the extension is a heap-only update beside the row."""
        key = ["nhs_number", "flag"]
        current = flags.select(
            pl.col("nhs_number").cast(pl.String), pl.col("flag").cast(pl.String), _as_date(flags, "since")
        )
        # the run's flags are already one row a flag in this order: then no copy is made to make them so
        # (a copy for the unique, one for the sort and one for the join: 2.2 million rows at 600,000
        # people, beside the letters; issue 16, session 24)
        if not in_order(current, key, unique=True):
            current = current.unique(subset=key, keep="first").sort(key)
        open_ = self._open_episodes(conn)
        if open_.height == 0:  # a first night: every flag opens an episode, none is resolved
            new, gone = current, open_
        else:
            new = current.join(open_, on=key, how="anti")
            gone = open_.join(current, on=key, how="anti").filter(pl.col("last_seen") <= as_of)
        self._update_by_ids(conn, gone["id"], resolved_on=as_of, last_run_id=run_id)
        if open_.height > gone.height:  # the rest of the open episodes seen up to tonight are still raised
            conn.execute(
                update(FLAG_HISTORY)
                .where(FLAG_HISTORY.c.resolved_on.is_(None), FLAG_HISTORY.c.last_seen <= as_of)
                .values(last_seen=as_of, last_run_id=run_id)
            )
        if new.height:
            bulk_insert(
                conn,
                FLAG_HISTORY.name,
                new.select("nhs_number", "flag", "since"),
                constants={
                    "first_seen": as_of,
                    "last_seen": as_of,
                    "resolved_on": None,
                    "first_run_id": run_id,
                    "last_run_id": run_id,
                },
            )
        return new.height, gone.height

    def _open_episodes(self, conn: Connection) -> pl.DataFrame:
        """id, nhs_number, flag, last_seen of every unresolved episode (one query, no per-row objects)."""
        schema = {"id": pl.Int64, "nhs_number": pl.String, "flag": pl.String, "last_seen": pl.Date}
        sql = f"SELECT id, nhs_number, flag, last_seen FROM {FLAG_HISTORY.name} WHERE resolved_on IS NULL"
        if self.is_postgres:
            buffer = io.BytesIO()
            driver = conn.connection.driver_connection
            with driver.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:  # type: ignore[union-attr]
                for block in copy:
                    buffer.write(block)
            if buffer.tell() == 0:
                return pl.DataFrame(schema=schema)
            buffer.seek(0)
            return pl.read_csv(buffer, has_header=False, new_columns=list(schema), schema_overrides=schema)
        if self.engine.dialect.name == "sqlite":  # dates are ISO text there
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            rows = cursor.execute(sql).fetchall()  # plain tuples, no per-row Result objects
            cursor.close()
            text_schema = schema | {"last_seen": pl.String}
            return pl.DataFrame(rows, schema=text_schema, orient="row").with_columns(pl.col("last_seen").str.to_date())
        rows = conn.execute(
            select(FLAG_HISTORY.c.id, FLAG_HISTORY.c.nhs_number, FLAG_HISTORY.c.flag, FLAG_HISTORY.c.last_seen).where(
                FLAG_HISTORY.c.resolved_on.is_(None)
            )
        ).all()
        return pl.DataFrame(rows, schema=schema, orient="row")

    def _update_by_ids(self, conn: Connection, ids: pl.Series, **values: Any) -> None:
        """One UPDATE of flag_history rows by id: an array parameter on PostgreSQL, a JSON list on SQLite."""
        if ids.len() == 0:
            return
        if self.is_postgres:
            conn.execute(
                update(FLAG_HISTORY)
                .where(FLAG_HISTORY.c.id == func.any(bindparam("ids", type_=ARRAY(Integer))))
                .values(**values),
                {"ids": ids.to_list()},
            )
        elif self.engine.dialect.name == "sqlite":
            ids_json = bindparam("ids", type_=Text)
            chosen = select(text("value")).select_from(func.json_each(ids_json))
            conn.execute(
                update(FLAG_HISTORY).where(FLAG_HISTORY.c.id.in_(chosen)).values(**values),
                {"ids": json.dumps(ids.to_list())},
            )
        else:
            for chunk in _chunks(ids.to_list()):
                conn.execute(update(FLAG_HISTORY).where(FLAG_HISTORY.c.id.in_(chunk)).values(**values))

    def flag_history(self) -> pl.DataFrame:
        with self.engine.connect() as conn:
            rows = conn.execute(select(FLAG_HISTORY).order_by(FLAG_HISTORY.c.id)).mappings().all()
        return pl.DataFrame([dict(r) for r in rows], schema=_polars_schema(FLAG_HISTORY), orient="row")

    # -- letters ----------------------------------------------------------------
    def record_letters(
        self,
        conn: Connection,
        letters_index: pl.DataFrame,
        flags: pl.DataFrame | None,
        as_of: date,
        run_id: str,
        block_letters: int = LETTER_BLOCK,
    ) -> int:
        """Record letters produced by a run. A letter already recorded for that person on that day is skipped.

        ``flags`` (``nhs_number, flag``, any order, ``letters.ledger.cadence_flags``): what each letter
        covered, kept as the person's sorted flag ids. Made ``block_letters`` letters at a time, by ranges
        of NHS numbers (ten digits: text order is number order): grouping every open flag at once held
        500 MB more for 600,000 people, at the moment the worklists were made (issue 16, session 25).
        The rows are written in NHS-number, then letter, order, as before."""
        if letters_index is None or letters_index.height == 0:
            return 0
        idx = letters_index.with_columns(pl.col("nhs_number").cast(pl.String))
        for col in ("language", "format", "path"):
            if col not in idx.columns:
                idx = idx.with_columns(pl.lit(None, dtype=pl.String).alias(col))
        idx = idx.unique(subset=["nhs_number", "letter"], keep="first").sort("nhs_number", "letter")
        # only these people's letters of the day: a run records its letters a block of people at a time,
        # and every block asking for the whole day's letters read back each earlier block's (issue 16,
        # session 32: 5.6 million rows for 600,000 people in 20 blocks)
        lo, hi = idx["nhs_number"][0], idx["nhs_number"][-1]
        existing = conn.execute(
            select(LETTERS.c.nhs_number, LETTERS.c.letter).where(
                (LETTERS.c.issued_on == as_of) & LETTERS.c.nhs_number.between(lo, hi)
            )
        ).all()
        have = pl.DataFrame(existing, schema={"nhs_number": pl.String, "letter": pl.String}, orient="row")
        covered = None
        if flags is not None and flags.height:
            covered = flags.select(pl.col("nhs_number").cast(pl.String), pl.col("flag").cast(pl.String))
        written = 0
        for start in range(0, idx.height, max(1, block_letters)):
            block = idx.slice(start, block_letters)
            if covered is not None:
                lo, hi = block["nhs_number"][0], block["nhs_number"][-1]
                per_person = (
                    covered.filter(pl.col("nhs_number").is_between(pl.lit(lo), pl.lit(hi)))
                    .group_by("nhs_number")
                    .agg(pl.col("flag").unique().sort().str.join(";").alias("flags"))
                )
                block = block.join(per_person, on="nhs_number", how="left", maintain_order="left")
            else:
                block = block.with_columns(pl.lit(None, dtype=pl.String).alias("flags"))
            block = block.join(have, on=["nhs_number", "letter"], how="anti", maintain_order="left")
            bulk_insert(
                conn,
                LETTERS.name,
                block.select(
                    "nhs_number",
                    pl.col("letter").cast(pl.String),
                    *[pl.col(c).cast(pl.String) for c in ("language", "format", "path", "flags")],
                ),
                constants={"run_id": run_id, "issued_on": as_of},
            )
            written += block.height
        return written

    def last_letters(self) -> pl.DataFrame:
        """Latest letter per person: nhs_number, last_letter, last_letter_flags (union of that day's letters)."""
        with self.engine.connect() as conn:
            latest = (
                select(LETTERS.c.nhs_number, func.max(LETTERS.c.issued_on).label("d"))
                .group_by(LETTERS.c.nhs_number)
                .subquery()
            )
            rows = conn.execute(
                select(LETTERS.c.nhs_number, LETTERS.c.issued_on, LETTERS.c.flags).join(
                    latest, (latest.c.nhs_number == LETTERS.c.nhs_number) & (latest.c.d == LETTERS.c.issued_on)
                )
            ).all()
        frame = pl.DataFrame(
            rows, schema={"nhs_number": pl.String, "last_letter": pl.Date, "flags": pl.String}, orient="row"
        )
        return (
            frame.with_columns(pl.col("flags").fill_null("").str.split(";"))
            .explode("flags")
            .filter(pl.col("flags") != "")
            .group_by("nhs_number", "last_letter")
            .agg(pl.col("flags").unique().sort().str.join(";").alias("last_letter_flags"))
            .join(frame.select("nhs_number", "last_letter").unique(), on=["nhs_number", "last_letter"], how="right")
            .select("nhs_number", "last_letter", pl.col("last_letter_flags").fill_null(""))
            .sort("nhs_number")
            .cast(LAST_LETTERS_SCHEMA)
        )

    def letters(self) -> pl.DataFrame:
        with self.engine.connect() as conn:
            rows = conn.execute(select(LETTERS).order_by(LETTERS.c.id)).mappings().all()
        return pl.DataFrame([dict(r) for r in rows], schema=_polars_schema(LETTERS), orient="row")

    # -- outcomes ---------------------------------------------------------------
    def record_outcome(
        self, nhs_number: str, team: str, result: str, outcome_date: date, note: str | None = None
    ) -> int:
        with self.engine.begin() as conn:
            res = conn.execute(
                OUTCOMES.insert().values(
                    nhs_number=nhs_number,
                    team=team,
                    result=result,
                    outcome_date=outcome_date,
                    note=note,
                    recorded_at=utcnow(),
                )
            )
            return int(res.inserted_primary_key[0])

    def latest_outcomes(self, as_of: date) -> pl.DataFrame:
        """Latest outcome per person dated on or before ``as_of`` (ties: the later recorded)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(OUTCOMES.c.id, OUTCOMES.c.nhs_number, OUTCOMES.c.result, OUTCOMES.c.outcome_date).where(
                    OUTCOMES.c.outcome_date <= as_of
                )
            ).all()
        frame = pl.DataFrame(
            rows,
            schema={"id": pl.Int64, "nhs_number": pl.String, "last_outcome": pl.String, "last_outcome_date": pl.Date},
            orient="row",
        )
        return (
            frame.sort("nhs_number", "last_outcome_date", "id")
            .group_by("nhs_number", maintain_order=True)
            .last()
            .select(list(OUTCOMES_SCHEMA))
            .sort("nhs_number")
            .cast(OUTCOMES_SCHEMA)
        )

    def outcomes(self) -> pl.DataFrame:
        with self.engine.connect() as conn:
            rows = conn.execute(select(OUTCOMES).order_by(OUTCOMES.c.id)).mappings().all()
        return pl.DataFrame([dict(r) for r in rows], schema=_polars_schema(OUTCOMES), orient="row")

    # -- audit ------------------------------------------------------------------
    def add_audit(self, run_id: str, as_of: date, kind: str, practice_code: str, status: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                AUDIT.insert().values(
                    run_id=run_id,
                    as_of=as_of,
                    at=utcnow(),
                    kind=kind,
                    practice_code=practice_code,
                    status=status,
                    **values,
                )
            )

    def add_audit_many(self, conn: Connection, rows: Iterable[dict]) -> None:
        now = utcnow()
        payload = [{"at": now, **r} for r in rows]
        for chunk in _chunks(payload):
            conn.execute(AUDIT.insert(), chunk)

    def already_delivered(self, practice_code: str, as_of: date, channel: str, target: str, sha256: str) -> bool:
        with self.engine.connect() as conn:
            return (
                conn.execute(
                    select(AUDIT.c.id)
                    .where(
                        AUDIT.c.kind == "delivery",
                        AUDIT.c.status == "ok",
                        AUDIT.c.practice_code == practice_code,
                        AUDIT.c.as_of == as_of,
                        AUDIT.c.channel == channel,
                        AUDIT.c.target == target,
                        AUDIT.c.sha256 == sha256,
                    )
                    .limit(1)
                ).first()
                is not None
            )

    def delivered_on(self, as_of: date) -> frozenset[Delivered]:
        """Every export delivered successfully for ``as_of`` (so a second run that day sends nothing twice)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(AUDIT.c.practice_code, AUDIT.c.channel, AUDIT.c.target, AUDIT.c.sha256).where(
                    AUDIT.c.kind == "delivery",
                    AUDIT.c.status == "ok",
                    AUDIT.c.as_of == as_of,
                )
            ).all()
        return frozenset(Delivered(str(p), str(c), str(t), str(h)) for p, c, t, h in rows)

    # -- letter batches collected (issue 12) -------------------------------------
    def record_collected(self, batch: str, as_of: date, letters: int, out_dir: str) -> bool:
        """Record that a letter batch was collected (printed and posted); False if it already was."""
        with self.engine.begin() as conn:
            done = conn.execute(
                select(AUDIT.c.id).where(AUDIT.c.kind == COLLECTED, AUDIT.c.run_id == batch).limit(1)
            ).first()
            if done is not None:
                return False
            conn.execute(
                AUDIT.insert().values(
                    run_id=batch,
                    as_of=as_of,
                    at=utcnow(),
                    kind=COLLECTED,
                    practice_code="",
                    status="ok",
                    channel="letters",
                    target=out_dir,
                    rows=letters,
                    detail="letter batch collected; the next run removes it from the output folder",
                )
            )
        return True

    def collected_batches(self) -> frozenset[str]:
        """Run ids whose letter batch was recorded as collected."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(AUDIT.c.run_id).where(AUDIT.c.kind == COLLECTED).distinct()).all()
        return frozenset(str(r[0]) for r in rows)

    # -- coverage (issue 14) ----------------------------------------------------
    def record_coverage(self, conn: Connection, counts: pl.DataFrame, as_of: date, run_id: str) -> int:
        """Store one run's coverage counts in bulk (measure, group_by, group, numerator, denominator)."""
        payload = [
            {"run_id": run_id, "as_of": as_of, **dict(zip(COVERAGE_COLUMNS, row))}
            for row in counts.select(COVERAGE_COLUMNS).iter_rows()
        ]
        for chunk in _chunks(payload):
            conn.execute(COVERAGE.insert(), chunk)
        return len(payload)

    def coverage_of_run(self, run_id: str) -> pl.DataFrame:
        """One run's coverage counts, every breakdown (measure, group_by, group, numerator, denominator)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    COVERAGE.c.measure,
                    COVERAGE.c.group_by,
                    COVERAGE.c.group,
                    COVERAGE.c.numerator,
                    COVERAGE.c.denominator,
                ).where(COVERAGE.c.run_id == run_id)
            ).all()
        return pl.DataFrame(
            rows,
            schema={
                "measure": pl.String,
                "group_by": pl.String,
                "group": pl.String,
                "numerator": pl.Int64,
                "denominator": pl.Int64,
            },
            orient="row",
        )

    def coverage_trends(self, group_by: str = "all", limit: int | None = None) -> pl.DataFrame:
        """Coverage counts of succeeded runs, one row per night (the latest run of each as-of date) x measure x group."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    COVERAGE.c.run_id,
                    COVERAGE.c.as_of,
                    COVERAGE.c.measure,
                    COVERAGE.c.group,
                    COVERAGE.c.numerator,
                    COVERAGE.c.denominator,
                    RUNS.c.started_at,
                )
                .join(RUNS, RUNS.c.run_id == COVERAGE.c.run_id)
                .where(RUNS.c.status == "succeeded", COVERAGE.c.group_by == group_by)
            ).all()
        frame = pl.DataFrame(
            rows,
            schema={
                "run_id": pl.String,
                "as_of": pl.Date,
                "measure": pl.String,
                "group": pl.String,
                "numerator": pl.Int64,
                "denominator": pl.Int64,
                "started_at": pl.Datetime("us", "UTC"),
            },
            orient="row",
        )
        latest = frame.group_by("as_of").agg(pl.col("run_id").sort_by("started_at").last())
        frame = frame.join(latest, on=["as_of", "run_id"], how="semi")
        if limit:
            keep = frame["as_of"].unique().sort().tail(limit)
            frame = frame.filter(pl.col("as_of").is_in(keep.implode()))
        return frame.drop("started_at").sort("as_of", "measure", "group")

    def audit(self) -> pl.DataFrame:
        with self.engine.connect() as conn:
            rows = conn.execute(select(AUDIT).order_by(AUDIT.c.id)).mappings().all()
        return pl.DataFrame([dict(r) for r in rows], schema=_polars_schema(AUDIT), orient="row")


def _as_date(frame: pl.DataFrame, col: str) -> pl.Expr:
    if col not in frame.columns:
        return pl.lit(None, dtype=pl.Date).alias(col)
    dtype = frame.schema[col]
    if dtype == pl.Date:
        return pl.col(col)
    if dtype == pl.String:
        return pl.col(col).str.to_date("%Y-%m-%d", strict=False).alias(col)
    return pl.col(col).cast(pl.Date, strict=False).alias(col)


def _polars_schema(table) -> dict[str, pl.DataType]:  # noqa: ANN001
    import sqlalchemy as sa

    out: dict[str, pl.DataType] = {}
    for c in table.columns:
        t = c.type
        t = getattr(t, "impl_instance", t)
        if isinstance(t, sa.DateTime):
            out[c.name] = pl.Datetime("us", "UTC")
        elif isinstance(t, sa.Date):
            out[c.name] = pl.Date
        elif isinstance(t, sa.Integer):
            out[c.name] = pl.Int64
        else:
            out[c.name] = pl.String
    return out


_engines: dict[str, Store] = {}
_engines_lock = threading.Lock()


BULK_ROWS = 10_000  # rows per chunk of a bulk insert: Python tuples / CSV text of one chunk at a time (issue 16)


def _sql_literal(value: Any) -> str:
    """A constant as an SQLite literal, stored exactly as SQLAlchemy binds it there (dates as ISO text)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (date, str)):
        text_value = value.isoformat() if isinstance(value, date) else value
        return "'" + text_value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


#: column types SQLite reads back from JSON (``->>``) exactly as ``executemany`` would bind them:
#: text as text, integers as integers, booleans as 0/1, dates as the ISO text SQLAlchemy stores
_JSON_SAFE = (pl.String, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.Boolean, pl.Date)


def _json_safe(rows: pl.DataFrame) -> bool:
    return all(isinstance(dtype, _JSON_SAFE) for dtype in rows.dtypes)


def bulk_insert(
    conn: Connection,
    table: str,
    rows: pl.DataFrame,
    *,
    constants: Mapping[str, Any] | None = None,
    chunk_rows: int = BULK_ROWS,
    sqlite_json: bool = True,
) -> None:
    """Insert a frame's rows (columns named as the table's) in the caller's transaction.

    ``constants`` are columns with one value for every row (a run id, the as-of date):
    written once into the statement on SQLite instead of bound row by row.

    Written ``chunk_rows`` rows at a time, so the frame is never held a second time as
    Python objects or text (issue 16, session 5). PostgreSQL: ``COPY ... FROM STDIN`` of
    CSV written by Polars chunk by chunk (null as ``\\N``, so an empty string stays an
    empty string). SQLite (issue 16, session 6): one ``INSERT … SELECT value ->> 'col' … FROM
    json_each(?)`` per chunk of JSON written by Polars (no Python object per row or value;
    ``sqlite_json=True`` and every column text, integer, boolean or date), else
    ``executemany`` of plain tuples per chunk — faster for wide rows of long texts (the web
    worklist: JSON 2× the CPU there); dates as ISO text as SQLAlchemy stores them there. Others: SQLAlchemy Core in chunks. Measured in
    bench/bench_store.py (docs/benchmarks.md)."""
    if rows.height == 0:
        return
    constants = dict(constants or {})
    names = ", ".join([*rows.columns, *constants])
    chunks = (rows.slice(offset, chunk_rows) for offset in range(0, rows.height, chunk_rows))
    dialect = conn.dialect.name
    if dialect == "postgresql":
        fixed = [pl.lit(v, dtype=pl.String if v is None else None).alias(k) for k, v in constants.items()]
        driver = conn.connection.driver_connection
        sql = f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        with driver.cursor() as cur, cur.copy(sql) as copy:  # type: ignore[union-attr]
            for chunk in chunks:
                copy.write(chunk.with_columns(fixed).write_csv(include_header=False, null_value=r"\N").encode())
    elif dialect == "sqlite":
        fixed_sql = [_sql_literal(v) for v in constants.values()]
        if sqlite_json and _json_safe(rows):  # one statement per chunk over JSON written by Polars: no row objects
            picks = ", ".join([f"value ->> {_sql_literal(c)}" for c in rows.columns] + fixed_sql)
            sql = f"INSERT INTO {table} ({names}) SELECT {picks} FROM json_each(?)"
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            try:
                for chunk in chunks:
                    cursor.execute(sql, (chunk.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d")).write_json(),))
            finally:
                cursor.close()
        else:
            insert_tuples(conn, table, rows.columns, (sqlite_tuples(chunk) for chunk in chunks), constants)
    else:
        for chunk in chunks:
            conn.execute(RUNS.metadata.tables[table].insert(), [{**r, **constants} for r in chunk.to_dicts()])


def sqlite_tuples(rows: pl.DataFrame) -> list[tuple[Any, ...]]:
    """A frame's rows as the plain tuples ``insert_tuples`` binds on SQLite (dates as the ISO text
    SQLAlchemy stores there)."""
    return rows.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d")).rows()


def insert_tuples(
    conn: Connection,
    table: str,
    columns: list[str],
    parts: Iterable[list[tuple[Any, ...]]],
    constants: Mapping[str, Any] | None = None,
) -> None:
    """SQLite: ``executemany`` of each part's tuples (``sqlite_tuples``; values in ``columns``' order)
    in the caller's transaction; ``constants`` written once into the statement."""
    constants = dict(constants or {})
    names = ", ".join([*columns, *constants])
    marks = ", ".join(["?"] * len(columns) + [_sql_literal(v) for v in constants.values()])
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
    for part in parts:
        if part:
            conn.exec_driver_sql(sql, part)  # type: ignore[arg-type]


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        from longerlives.privacy import tighten_store

        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not Path(path).exists():  # created private whatever the umask (issue 12)
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            tighten_store(url)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            # 8 KiB pages for a new store (ignored by a store that already has pages): a web worklist row
            # is about 1.45 kB, so a 4 KiB page held two of them and a third of the table was empty space,
            # written to the WAL and checkpointed every night (issue 16, session 10)
            cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
            cur.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a commit survives the process being killed (the WAL is in the OS's
            # cache), not a power cut; a power cut after the outputs are in place loses at most
            # the last record, which the next run's recovery completes from the outputs
            # (store/recovery.py; docs/benchmarks-output.md "Session 6, S").
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def open_store(url: str, *, migrate: bool = True, revision: str = "head") -> Store:
    """The store at ``url``, upgraded to ``revision`` (head by default) on first open in this process."""
    key = f"{url}#{revision if migrate else 'nomigrate'}"
    with _engines_lock:
        store = _engines.get(key)
        if store is None:
            store = Store(url, _make_engine(url))
            if migrate:
                before = store.current_revision()
                at_head = revision in ("head", HEAD_REVISION) and before == HEAD_REVISION
                if not at_head:  # nothing to do for a store at the head: Alembic is not even loaded
                    store.migrate(revision)
                after = before if at_head else store.current_revision()
                if before != after:
                    log.info("run store %s migrated %s -> %s", redact_url(url), before or "empty", after)
            _engines[key] = store
    return store


def dispose_all() -> None:
    """Close every pooled connection (tests, and before a process forks)."""
    with _engines_lock:
        for store in _engines.values():
            store.engine.dispose()
        _engines.clear()


def summary_json(summary: dict) -> str:
    return json.dumps(summary, sort_keys=True, default=str)
