"""Delivery of practice exports: outbox folder by default, MESH for practices with a mailbox."""

from __future__ import annotations

import os
from datetime import date

import polars as pl
from mesh_client import MeshClient

from longerlives.store import open_store

from .conftest import PRACTICES, default_world, mini_run, ops_settings


def test_exports_go_to_the_outbox_and_are_audited(tmp_path):
    world = default_world()
    ctx = mini_run(tmp_path, date(2025, 6, 1), world)
    outbox = tmp_path / "state" / "outbox"
    for practice in ("A81001", "B82002", "C83003"):
        [folder] = list((outbox / practice).iterdir())
        assert folder.name == f"2025-06-01_{ctx.run_id}"
        for name in ("flags.csv", "bundle.json"):
            assert (folder / name).read_bytes() == (tmp_path / "out" / "exports" / practice / name).read_bytes()
    audit = open_store(ctx.db_url).audit()
    assert audit.filter(pl.col("kind") == "export").height == 3
    deliveries = audit.filter(pl.col("kind") == "delivery")
    assert deliveries["status"].to_list() == ["ok"] * 3 and set(deliveries["channel"]) == {"outbox"}
    assert deliveries.filter(pl.col("practice_code") == "A81001")["rows"].item() == 2
    # a second run on the same day with the same flags does not deliver the same export again
    again = mini_run(tmp_path, date(2025, 6, 1), world)
    assert again.summary["deliveries"] == {"ok": 0, "skipped": 3, "failed": 0, "outbox_because_mesh_not_configured": 0}
    assert len(list((outbox / "A81001").iterdir())) == 1


def test_practice_with_mailbox_but_mesh_not_configured_falls_back_to_outbox(tmp_path):
    world = default_world()
    world.practices = PRACTICES.with_columns(
        pl.when(pl.col("practice_code") == "A81001").then(pl.lit("X26ABC2")).otherwise(None).alias("mesh_mailbox")
    )
    ctx = mini_run(tmp_path, date(2025, 6, 1), world)
    audit = (
        open_store(ctx.db_url).audit().filter((pl.col("kind") == "delivery") & (pl.col("practice_code") == "A81001"))
    )
    assert audit.select("channel", "status").rows() == [("mesh", "failed"), ("outbox", "ok")]
    assert "not configured" in audit["detail"][0]
    assert ctx.summary["deliveries"]["outbox_because_mesh_not_configured"] == 1
    assert ctx.summary["deliveries"]["failed"] == 0
    from longerlives.store.history import history_frame

    row = history_frame(open_store(ctx.db_url)).row(-1, named=True)
    assert row["deliveries_failed"] == 0 and row["deliveries_ok"] == ctx.summary["deliveries"]["ok"]


def test_flags_delivered_to_mesh_mailbox_arrive_intact(tmp_path, mesh_url, monkeypatch):
    world = default_world()
    world.practices = PRACTICES.with_columns(
        pl.when(pl.col("practice_code") == "B82002").then(pl.lit("X26ABC2")).otherwise(None).alias("mesh_mailbox")
    )
    shared = os.environ["LONGERLIVES_TEST_MESH_SHARED_KEY"]
    monkeypatch.setenv("LONGERLIVES_MESH_PASSWORD", "password")
    monkeypatch.setenv("LONGERLIVES_MESH_SHARED_KEY", shared)
    settings = ops_settings(mesh={"url": mesh_url, "mailbox": "X26ABC1", "workflow_id": "TEST_WORKFLOW"})
    kw = dict(shared_key=shared.encode(), max_retries=0)
    with MeshClient(mesh_url, "X26ABC2", "password", **kw) as rx:  # empty the practice inbox first
        for mid in rx.list_messages():
            rx.acknowledge_message(mid)

    ctx = mini_run(tmp_path, date(2025, 6, 1), world, settings=settings)

    audit = open_store(ctx.db_url).audit().filter(pl.col("kind") == "delivery")
    b = audit.filter(pl.col("practice_code") == "B82002").row(0, named=True)
    assert (b["channel"], b["target"], b["status"]) == ("mesh", "X26ABC2", "ok")
    ids = b["message_id"].split(";")
    assert len(ids) == 2
    assert set(audit.filter(pl.col("practice_code") != "B82002")["channel"]) == {"outbox"}
    export = tmp_path / "out" / "exports" / "B82002"
    with (
        MeshClient(mesh_url, "X26ABC2", "password", **kw) as rx,
        MeshClient(mesh_url, "X26ABC1", "password", **kw) as tx,
    ):
        assert set(ids) <= set(rx.list_messages())
        for mid, name in zip(ids, ("flags.csv", "bundle.json")):
            msg = rx.retrieve_message(mid)
            body = msg.read()
            headers = dict(msg.mex_headers())
            assert body == (export / name).read_bytes()
            assert headers["from"] == "X26ABC1" and headers["workflowid"] == "TEST_WORKFLOW"
            assert headers["localid"] == f"{ctx.run_id}:B82002:{name}"
            assert headers["filename"].startswith("B82002_2025-06-01_")
            msg.acknowledge()
            assert tx.track_message(mid)["status"].lower() == "acknowledged"
