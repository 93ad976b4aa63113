"""Fixtures for the operations tests: hand-built run contexts, a mini pipeline that
calls the operations stages exactly where pipeline.run calls them, a PostgreSQL
database and a mesh-sandbox (both on 127.0.0.1, started by scripts/services.sh if
they are not already up)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import tomllib
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from longerlives.settings.operations import OperationsSettings
from longerlives.store.existing import team_codes

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "scripts" / "services.sh"


# -- data ------------------------------------------------------------------------
def nhs(i: int) -> str:
    """A valid NHS number (synthetic 9xxxxxxxxx range) for index i."""
    n = 900_000_000 + i * 7
    while True:
        body = f"{n:09d}"
        check = 11 - sum(int(d) * w for d, w in zip(body, range(10, 1, -1))) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return body + str(check)
        n += 1


def ops_settings(**overrides) -> OperationsSettings:
    data = tomllib.loads((ROOT / "config" / "operations.toml").read_text())
    data.update(overrides)
    return OperationsSettings.model_validate(data)


def people_frame(rows: list[tuple]) -> pl.DataFrame:
    """rows: (nhs, practice, team, in_scope, cohort, phc_done)."""
    return pl.DataFrame(
        rows,
        schema={
            "nhs_number": pl.String,
            "practice_code": pl.String,
            "core_team": pl.String,
            "in_scope": pl.Boolean,
            "health_check_cohort": pl.Boolean,
            "phc_elements_done": pl.Int64,
        },
        orient="row",
    )


def flags_frame(rows: list[tuple]) -> pl.DataFrame:
    """rows: (nhs, flag, since|None, reason[, urgency]); urgency defaults to routine."""
    rows = [(*r, "routine") if len(r) == 4 else r for r in rows]
    return pl.DataFrame(
        rows,
        schema={
            "nhs_number": pl.String,
            "flag": pl.String,
            "since": pl.Date,
            "reason": pl.String,
            "urgency": pl.String,
        },
        orient="row",
    )


PRACTICES = pl.DataFrame(
    {
        "practice_code": ["A81001", "B82002", "C83003"],
        "name": ["One", "Two", "Three"],
        "mesh_mailbox": [None, None, None],
    },
    schema_overrides={"mesh_mailbox": pl.String},
)


@dataclass
class World:
    """The inputs of one run, as later stages would see them."""

    people: pl.DataFrame
    flags: pl.DataFrame
    practices: pl.DataFrame = field(default_factory=lambda: PRACTICES)


def default_world() -> World:
    people = people_frame(
        [
            (nhs(1), "A81001", "T1", True, True, 2),
            (nhs(2), "A81001", "T1", True, True, 6),
            (nhs(3), "B82002", "T2", True, True, 0),
            (nhs(4), "B82002", "T2", False, True, 0),  # died: out of scope, no flags
            (nhs(5), "C83003", None, True, False, 0),
        ]
    )
    flags = flags_frame(
        [
            (
                nhs(1),
                "phc.blood_pressure",
                date(2024, 3, 3),
                "Last blood pressure recorded 2024-03-02, more than 12 months ago",
            ),
            (nhs(1), "phc.bmi", None, "No BMI ever recorded"),
            (nhs(3), "outreach.marginalised", None, "Most marginalised 20%: no contact in 12 months"),
            (nhs(3), "phc.lipids", date(2024, 6, 1), "Last cholesterol result 2024-05-31, more than 12 months ago"),
            (nhs(5), "screening.bowel", None, "Bowel screening overdue"),
        ]
    )
    return World(people, flags)


# -- a mini pipeline: the operations stages where pipeline.run calls them ---------------
@dataclass(frozen=True)
class MiniRun:
    """What one mini run did, as the tests look at it."""

    run_id: str
    as_of: date
    db_url: str
    out_dir: Path
    flags: pl.DataFrame
    letters_index: pl.DataFrame
    allowed: pl.DataFrame  # the letter cadence's answer for everyone with open flags
    last_letters: pl.DataFrame  # the History the run read at its start
    outcomes: pl.DataFrame
    summary: dict


def mini_run(
    tmp: Path,
    as_of: date,
    world: World,
    *,
    db_url: str | None = None,
    out: Path | None = None,
    settings: OperationsSettings | None = None,
    fail_at: str | None = None,
    letters: bool = True,
) -> MiniRun:
    """Mirror of pipeline.run with the operations stages in the order pipeline.run calls them."""
    from longerlives import delivery, store
    from longerlives.letters.cadence import letters_allowed
    from longerlives.lock import run_lock
    from longerlives.outcomes import apply_outcomes
    from longerlives.outputs.core import write_flags
    from longerlives.outputs.csvfile import write_csv
    from longerlives.outputs.exports import write_exports
    from longerlives.paths import state_dir
    from longerlives.pipeline import _phc_six_complete, _promote

    ops = settings or ops_settings()
    out = out or tmp / "out"
    out.parent.mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{tmp / 'state' / 'runs.sqlite'}"
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    run_id = f"{as_of.isoformat()}-{uuid.uuid4().hex[:8]}"
    with run_lock(db_url):
        run_store, history = store.begin_run(
            db_url, run_id, as_of, engine_version="test", out_dir=str(out), config_hash="0" * 64
        )  # 1. before validate
        try:
            people = world.people
            flags = apply_outcomes(world.flags, history.outcomes, as_of, ops)  # 2. in the rules stage
            summary = {
                "people_in_scope": int(people["in_scope"].sum()),
                "health_check_cohort": int(people.filter("in_scope")["health_check_cohort"].sum()),
                "flags_held_by_outcomes": world.flags.height - flags.height,
                "team_codes": team_codes(people, None),
            }  # as pipeline.run records them (issue 12)
            write_flags(flags, people, staging)
            write_exports(flags, people, world.practices, staging, as_of, ops)  # 3. exports stage
            if fail_at == "outputs":
                raise RuntimeError("simulated failure while writing outputs")
            allowed = letters_allowed(flags, history.last_letters, as_of, ops.letter_cadence_days)
            idx = pl.DataFrame(schema={c: pl.String for c in ("nhs_number", "letter", "language", "format", "path")})
            if letters:  # what the letters code does with letters_allowed
                idx = allowed.filter("letter_allowed").select(
                    "nhs_number",
                    pl.lit("phc_invite").alias("letter"),
                    pl.lit("en").alias("language"),
                    pl.lit("standard").alias("format"),
                    (pl.lit("letters/") + pl.col("nhs_number") + pl.lit(".html")).alias("path"),
                )
                write_csv(idx, staging / "letters" / "index.csv")
            _promote(staging, out)
            totals = {
                "people_in_scope": summary["people_in_scope"],
                "health_check_cohort": summary["health_check_cohort"],
                "phc_six_complete": _phc_six_complete(people),
                "outcomes_applied": summary["flags_held_by_outcomes"],
            }
            summary.update(
                store.record_run(
                    run_store, run_id, as_of, flags=flags, letters_index=idx, totals=totals, summary=summary
                )
            )  # 4. after promote
            outbox = Path(ops.outbox_dir) if ops.outbox_dir else state_dir(db_url, out) / "outbox"
            summary["deliveries"] = delivery.deliver(  # 5. after the store record
                out,
                delivery.mailboxes(world.practices),
                outbox,
                ops,
                history.delivered,
                run_id,
                as_of,
                lambda line: store.record_deliveries(run_store, run_id, as_of, [line]),
            )
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            store.record_failure(db_url, run_id, as_of, exc)
            raise
    return MiniRun(run_id, as_of, db_url, out, flags, idx, allowed, history.last_letters, history.outcomes, summary)


# -- services --------------------------------------------------------------------
def _services_env() -> dict[str, str]:
    out = subprocess.run(["bash", str(SERVICES), "env"], check=True, capture_output=True, text=True).stdout
    return dict(line.split("=", 1) for line in out.split())


def _start(what: str) -> None:
    subprocess.run(["bash", str(SERVICES), "start", what], check=True, capture_output=True, text=True, timeout=600)


def _stop(what: str) -> None:
    subprocess.run(["bash", str(SERVICES), "stop", what], check=False, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def pg_admin_url():
    url = os.environ.get("LONGERLIVES_TEST_PG_URL") or _services_env()["LONGERLIVES_TEST_PG_URL"]
    from sqlalchemy import create_engine, text

    def ok() -> bool:
        try:
            e = create_engine(url)
            with e.connect() as c:
                c.execute(text("select 1"))
            e.dispose()
            return True
        except Exception:  # noqa: BLE001
            return False

    started = False
    if not ok():
        _start("postgres")
        started = True
        assert ok(), "PostgreSQL did not come up on 127.0.0.1 (scripts/services.sh start postgres)"
    yield url
    if started:  # leave a server someone else started alone
        from longerlives.store import dispose_all

        dispose_all()
        _stop("postgres")


@pytest.fixture
def pg_url(pg_admin_url: str):
    """A fresh database for one test, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from longerlives.store import dispose_all

    name = f"ll_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    yield url
    dispose_all()
    import time

    from sqlalchemy.exc import DBAPIError

    for attempt in range(20):  # a server-side backend (e.g. autovacuum) can hold the database a moment
        try:
            with admin.connect() as c:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            break
        except DBAPIError:
            time.sleep(0.25)
    admin.dispose()


@pytest.fixture(scope="session")
def mesh_url():
    env = _services_env()
    url = os.environ.get("LONGERLIVES_TEST_MESH_URL") or env["LONGERLIVES_TEST_MESH_URL"]

    def ok() -> bool:
        try:
            urllib.request.urlopen(f"{url}/health", timeout=2).read()
            return True
        except Exception:  # noqa: BLE001
            return False

    started = False
    if not ok():
        _start("mesh")
        started = True
        assert ok(), "mesh-sandbox did not come up on 127.0.0.1 (scripts/services.sh start mesh)"
    os.environ.setdefault("LONGERLIVES_TEST_MESH_SHARED_KEY", env["LONGERLIVES_TEST_MESH_SHARED_KEY"])
    yield url
    if started:
        _stop("mesh")


@pytest.fixture(autouse=True)
def _fresh_engines():
    yield
    from longerlives.store import dispose_all

    dispose_all()
