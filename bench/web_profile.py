"""Per-request cost of each web page with ONE signed-in user (issue 13), not a timed test.

The load benchmark (``bench/web_load.py``) says how long pages take under 50 users on a
shared machine; this says *why*, page by page, with nothing else competing:

* **server CPU ms per request** — ``longerlives serve --workers 1`` in its own process;
  its user+system CPU time (``/proc/<pid>/stat``) before and after N sequential requests
  of one page, divided by N; the PostgreSQL backends' CPU the same way (their pids from
  ``pg_stat_activity``);
* **SQL statements and database wait per request** — the app in-process (ASGI test
  client) with SQLAlchemy cursor events counting statements and timing them, and
  counting transactions that wrote (each one a durable commit, a WAL flush);
* **EXPLAIN ANALYZE** of the page queries on PostgreSQL.

    .venv/bin/python -m bench.web_profile [--url URL | --people 7000] [--n 100] [--explain]

Needs the local PostgreSQL (``scripts/services.sh start postgres``) unless ``--url`` is SQLite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx

from bench.web_load import (
    AS_OF,
    LL,
    PASSWORD,
    ROOT,
    _biggest_team,
    _drop_database,
    _free_port,
    _fresh_database,
    _pg_admin_url,
    _sign_in,
)

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGES = ("worklist", "worklist_filtered", "person", "outcome")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _children_cpu(pid: int) -> float:
    """CPU of a process and all its descendants (uvicorn may fork a worker)."""
    total = 0.0
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            total += _cpu_seconds(p)
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        todo += [int(k) for k in kids]
    return total


def _pg_backend_pids(url: str) -> list[int]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    db = make_url(url).database
    e = create_engine(url, poolclass=NullPool)
    with e.connect() as c:
        pids = [
            int(p)
            for (p,) in c.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"), {"d": db}
            )
        ]
    e.dispose()
    return pids


def _pg_cpu(pids: list[int]) -> float:
    total = 0.0
    for p in pids:
        try:
            total += _cpu_seconds(p)
        except OSError:
            pass
    return total


def _paths(team: str, size: int, keys: list[str], rnd: random.Random) -> dict[str, Callable[[], str]]:
    pages = max(1, -(-size // 50))
    filtered = ["urgency=soon", "kind=screening", "not_contacted=1", "outreach=1&kind=phc", "kind=safety"]
    return {
        "worklist": lambda: f"/worklist/{team}?page={rnd.randint(1, pages)}",
        "worklist_filtered": lambda: f"/worklist/{team}?" + rnd.choice(filtered),
        "person": lambda: f"/person/{rnd.choice(keys)}",
        "outcome": lambda: f"/person/{rnd.choice(keys)}/outcome",
    }


OUTCOME_FORM = {"result": "no_answer", "day": "1", "month": "11", "year": "2026"}


def server_cpu(url: str, team: str, size: int, n: int, web_config: Path) -> dict[str, dict[str, float]]:
    """CPU ms per request of the uvicorn process and of the PostgreSQL backends, page by page."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [LL, "serve", "--db", url, "--port", str(port), "--workers", "1", "--web-config", str(web_config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        c, _ = _sign_in(base, "bench0")
        first = c.get(f"/worklist/{team}")
        keys = re.findall(r'href="/person/([0-9a-f]{24})"', first.text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get(f"/person/{keys[0]}").text).group(1)  # type: ignore[union-attr]
        rnd = random.Random(1)
        paths = _paths(team, size, keys, rnd)
        out: dict[str, dict[str, float]] = {}
        pg = url.startswith("postgresql")
        for page in PAGES:
            for _ in range(5):  # warm: templates compiled, pool filled
                _request(c, page, paths[page](), csrf)
            pids = _pg_backend_pids(url) if pg else []
            cpu0, pg0, t0 = _children_cpu(server.pid), _pg_cpu(pids), time.perf_counter()
            for _ in range(n):
                _request(c, page, paths[page](), csrf)
            wall = time.perf_counter() - t0
            cpu1, pg1 = _children_cpu(server.pid), _pg_cpu(pids)
            out[page] = {
                "server_cpu_ms": round((cpu1 - cpu0) * 1000 / n, 2),
                "postgres_cpu_ms": round((pg1 - pg0) * 1000 / n, 2) if pg else float("nan"),
                "wall_ms": round(wall * 1000 / n, 2),
            }
        return out
    finally:
        server.terminate()
        server.wait(timeout=30)


def _request(c: Any, page: str, path: str, csrf: str) -> None:
    if page == "outcome":
        r = c.post(path, data={**OUTCOME_FORM, "csrf_token": csrf})
        assert r.status_code == 303, (path, r.status_code)
    else:
        r = c.get(path)
        assert r.status_code == 200, (path, r.status_code)


def statements(url: str, team: str, size: int, n: int, web_config: Path) -> dict[str, dict[str, float]]:
    """SQL statements, database wait and writing transactions per request, in-process."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from longerlives.web.app import create_app
    from longerlives.web.settings import load_web_settings

    app = create_app(url, load_web_settings(web_config))
    engine = app.state.engine
    counts = {"statements": 0, "db_s": 0.0, "commits_with_writes": 0}
    started: dict[int, float] = {}
    wrote = {"flag": False}

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        started[id(cursor)] = time.perf_counter()
        counts["statements"] += 1
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            wrote["flag"] = True

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        counts["db_s"] += time.perf_counter() - started.pop(id(cursor), time.perf_counter())

    @event.listens_for(engine, "commit")
    def _commit(conn) -> None:  # noqa: ANN001
        if wrote["flag"]:
            counts["commits_with_writes"] += 1
        wrote["flag"] = False

    @event.listens_for(engine, "rollback")
    def _rollback(conn) -> None:  # noqa: ANN001
        wrote["flag"] = False

    out: dict[str, dict[str, float]] = {}
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:
        page0 = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page0.text).group(1)  # type: ignore[union-attr]
        r = c.post("/login", data={"username": "bench1", "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 303, r.status_code
        keys = re.findall(r'href="/person/([0-9a-f]{24})"', c.get(f"/worklist/{team}").text)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get(f"/person/{keys[0]}").text).group(1)  # type: ignore[union-attr]
        rnd = random.Random(2)
        paths = _paths(team, size, keys, rnd)
        for page in PAGES:
            for _ in range(3):
                _request(c, page, paths[page](), csrf)
            counts.update(statements=0, db_s=0.0, commits_with_writes=0)
            cpu0, t0 = time.process_time(), time.perf_counter()
            for _ in range(n):
                _request(c, page, paths[page](), csrf)
            out[page] = {
                "sql_statements": round(counts["statements"] / n, 2),
                "db_wait_ms": round(counts["db_s"] * 1000 / n, 2),
                "durable_commits": round(counts["commits_with_writes"] / n, 2),
                "in_process_cpu_ms": round((time.process_time() - cpu0) * 1000 / n, 2),
                "in_process_wall_ms": round((time.perf_counter() - t0) * 1000 / n, 2),
            }
    return out


def explain(url: str, team: str) -> dict[str, str]:
    """EXPLAIN ANALYZE of the list and person queries (PostgreSQL), the plan's last lines."""
    from sqlalchemy import create_engine, text

    e = create_engine(url)
    out: dict[str, str] = {}
    with e.connect() as c:
        run_id = c.execute(
            text("SELECT run_id FROM runs WHERE status='succeeded' ORDER BY finished_at DESC LIMIT 1")
        ).scalar_one()
        key, nhs = c.execute(
            text("SELECT person_key, nhs_number FROM worklist_entries WHERE run_id=:r AND team=:t LIMIT 1"),
            {"r": run_id, "t": team},
        ).one()
        queries = {
            "list page 40 (OFFSET 1950)": (
                "SELECT person_key, nhs_number, name, practice_code, priority, urgency, outreach, flag_words, "
                "safety, last_letter, marginalisation_rank FROM worklist_entries WHERE run_id=:r AND team=:t "
                "ORDER BY urgency_order, priority LIMIT 50 OFFSET 1950"
            ),
            "list count": "SELECT count(*) FROM worklist_entries WHERE run_id=:r AND team=:t",
            "list kind=screening": (
                "SELECT person_key FROM worklist_entries WHERE run_id=:r AND team=:t AND kinds LIKE '%;screening;%' "
                "ORDER BY urgency_order, priority LIMIT 50"
            ),
            "list not contacted": (
                "SELECT person_key FROM worklist_entries e WHERE run_id=:r AND team=:t AND NOT EXISTS "
                "(SELECT 1 FROM outreach_outcomes o WHERE o.nhs_number=e.nhs_number AND o.outcome_date >= "
                "'2025-11-01') ORDER BY urgency_order, priority LIMIT 50"
            ),
            "person": "SELECT * FROM worklist_entries WHERE run_id=:r AND person_key=:k",
            "letters sent": "SELECT * FROM letters_issued WHERE nhs_number=:n ORDER BY issued_on DESC, id DESC",
            "outcome history": (
                "SELECT * FROM outreach_outcomes WHERE nhs_number=:n ORDER BY outcome_date DESC, id DESC"
            ),
            "last successful run": (
                "SELECT run_id FROM runs WHERE status='succeeded' ORDER BY finished_at DESC, run_id DESC LIMIT 1"
            ),
        }
        for name, q in queries.items():
            plan = [r[0] for r in c.execute(text("EXPLAIN ANALYZE " + q), {"r": run_id, "t": team, "k": key, "n": nhs})]
            out[name] = " | ".join(line.strip() for line in plan if "Scan" in line or "Execution" in line)
    e.dispose()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", help="an existing run store with a nightly run in it (default: build one)")
    ap.add_argument("--people", type=int, default=7000)
    ap.add_argument("--n", type=int, default=100, help="requests per page")
    ap.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the page queries (PostgreSQL)")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ll-webprof-"))
    admin = dbname = ""
    url = args.url
    try:
        if url is None:
            admin = _pg_admin_url()
            url, dbname = _fresh_database(admin)
            for cmd in (
                ["synth", "--patients", str(args.people), "--seed", "5", "--out", str(work / "extract")]
                + ["--format", "parquet", "--as-of", AS_OF.isoformat()],
                ["run", "--extract", str(work / "extract"), "--out", str(work / "out")]
                + ["--as-of", AS_OF.isoformat(), "--db", url],
            ):
                subprocess.run([LL, *cmd], check=True, capture_output=True)
        team, size = _biggest_team(url)
        from longerlives.store import open_store
        from longerlives.web.auth import USERS, add_user
        from longerlives.web.settings import load_web_settings

        with open_store(url).engine.begin() as conn:
            for i in range(2):
                if not conn.execute(USERS.select().where(USERS.c.username == f"bench{i}")).first():
                    add_user(conn, f"bench{i}", "team", [team], PASSWORD, load_web_settings())
        web_config = work / "web.toml"
        web_config.write_text(
            (ROOT / "config" / "web.toml")
            .read_text()
            .replace("sign_in_attempts_per_minute = 10", "sign_in_attempts_per_minute = 100000")
        )
        result: dict[str, Any] = {
            "people_on_team_list": size,
            "requests_per_page": args.n,
            "load_average_1m_at_start": round(os.getloadavg()[0], 2),
            "server": server_cpu(url, team, size, args.n, web_config),
            "in_process": statements(url, team, size, args.n, web_config),
        }
        if args.explain and url.startswith("postgresql"):
            result["explain"] = explain(url, team)
        result["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
        print(json.dumps(result, indent=2))
        return 0
    finally:
        from longerlives.store import dispose_all

        dispose_all()
        if dbname:
            _drop_database(admin, dbname)


if __name__ == "__main__":
    sys.exit(main())
