"""Open a run store that must already exist (``history``, ``outcome record``).

Reading history or recording an outcome never creates a store: a mistyped path would
otherwise make a new, empty one and the team's outcome would be lost in it.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from longerlives.errors import StoreError
from longerlives.store.repository import RUNS, Store, open_store, redact_url


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases or in-memory)."""
    if not url.startswith("sqlite"):
        return None
    db = url.split("///", 1)[1] if "///" in url else ""
    return Path(db) if db and db != ":memory:" else None


def open_existing_store(url: str) -> Store:
    """The store at ``url``; ``StoreError`` if there is none (never creates one)."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    try:
        make_url(url)
    except Exception:  # noqa: BLE001 - sqlalchemy raises ArgumentError for a malformed URL
        raise StoreError(
            "the run store URL is not valid; expected sqlite:////path/runs.sqlite or postgresql+psycopg://user@host/db"
        ) from None
    path = sqlite_path(url)
    if url.startswith("sqlite") and path is None:
        raise StoreError("an in-memory store holds no runs; give the path of the run store")
    if path is not None and not path.is_file():
        raise StoreError(f"no run store at {path}: check the path (history and outcomes never create a store)")
    if path is None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        probe = create_engine(url, poolclass=NullPool)
        try:
            with probe.connect() as conn:
                has_runs = inspect(conn).has_table(RUNS.name)
        finally:
            probe.dispose()
        if not has_runs:
            raise StoreError(f"{redact_url(url)} holds no run store (no runs table); check the database name")
    return open_store(url)


def known_teams(store: Store) -> set[str] | None:
    """Team codes recorded by the latest succeeded run (None when no run recorded them)."""
    from sqlalchemy import select

    with store.engine.connect() as conn:
        rows = conn.execute(
            select(RUNS.c.summary_json)
            .where(RUNS.c.status == "succeeded")
            .order_by(RUNS.c.finished_at.desc(), RUNS.c.run_id.desc())
        ).all()
    for (blob,) in rows:
        try:
            codes = json.loads(blob or "{}").get("team_codes")
        except ValueError:
            continue
        if isinstance(codes, list):
            return {str(c) for c in codes}
    return None


def team_codes(people: pl.DataFrame, teams: pl.DataFrame | None) -> list[str]:
    """Every core team code on the extract (teams table and people's ``core_team``), sorted."""
    codes: set[str] = set()
    if "core_team" in people.columns:
        codes |= {str(c) for c in people["core_team"].drop_nulls().unique().to_list()}
    if teams is not None and "team_code" in teams.columns:
        codes |= {str(c) for c in teams["team_code"].drop_nulls().unique().to_list()}
    return sorted(codes)


def check_store_url(url: str) -> None:
    """``StoreError`` unless ``url`` is a database URL (before anything is locked or created:
    a bad ``--db`` once made a lock folder named after it in the working directory)."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - sqlalchemy raises ArgumentError (and ValueError for bad ports)
        parsed = None
    if parsed is None or "://" not in url:
        raise StoreError(
            "the run store URL is not valid; expected sqlite:////path/runs.sqlite or postgresql+psycopg://user@host/db"
        )
