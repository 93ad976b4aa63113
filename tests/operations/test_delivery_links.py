"""Outbox deliveries are hard links to the run's export files where the file system allows
(issue 16): the delivered bytes, permissions and row counts are what a copy gave, and a
delivery outlives the outputs it came from."""

from __future__ import annotations

import errno
import os
import stat
from datetime import date

import polars as pl

from longerlives.delivery import _digest_and_rows
from longerlives.delivery import outbox as outbox_module
from longerlives.store import open_store

from .conftest import default_world, flags_frame, mini_run, nhs


def _delivered(tmp_path, practice: str, run_id: str, as_of: date):
    return tmp_path / "state" / "outbox" / practice / f"{as_of.isoformat()}_{run_id}"


def test_outbox_delivery_keeps_its_files_after_the_next_night_replaces_the_outputs(tmp_path):
    world = default_world()
    first = mini_run(tmp_path, date(2025, 6, 1), world)
    folder = _delivered(tmp_path, "A81001", first.run_id, first.as_of)
    sent = {name: (folder / name).read_bytes() for name in ("flags.csv", "bundle.json")}
    assert b"phc.blood_pressure" in sent["flags.csv"]

    # the next night: one flag fewer for A81001, so its export changes and the old outputs are removed
    world.flags = world.flags.filter(~((pl.col("nhs_number") == nhs(1)) & (pl.col("flag") == "phc.bmi")))
    second = mini_run(tmp_path, date(2025, 6, 2), world)

    assert b"phc.bmi" not in (tmp_path / "out" / "exports" / "A81001" / "flags.csv").read_bytes()
    assert {name: (folder / name).read_bytes() for name in sent} == sent  # last night's delivery untouched
    newer = _delivered(tmp_path, "A81001", second.run_id, second.as_of)
    assert b"phc.bmi" not in (newer / "flags.csv").read_bytes()


def test_outbox_files_have_the_permissions_of_the_exports(tmp_path):
    ctx = mini_run(tmp_path, date(2025, 6, 1), default_world())
    for practice in ("A81001", "B82002", "C83003"):
        for name in ("flags.csv", "bundle.json"):
            sent = (_delivered(tmp_path, practice, ctx.run_id, ctx.as_of) / name).stat()
            export = (tmp_path / "out" / "exports" / practice / name).stat()
            assert stat.S_IMODE(sent.st_mode) == stat.S_IMODE(export.st_mode)


def test_outbox_on_another_file_system_gets_copies_of_the_exports(tmp_path, monkeypatch):
    """A hard link cannot cross file systems (EXDEV): the outbox then gets copies."""

    def cross_device(src, dst):
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))

    monkeypatch.setattr(outbox_module.os, "link", cross_device)
    ctx = mini_run(tmp_path, date(2025, 6, 1), default_world())
    for practice in ("A81001", "B82002", "C83003"):
        folder = _delivered(tmp_path, practice, ctx.run_id, ctx.as_of)
        for name in ("flags.csv", "bundle.json"):
            export = tmp_path / "out" / "exports" / practice / name
            assert (folder / name).read_bytes() == export.read_bytes()
            assert not (folder / name).samefile(export)
    deliveries = open_store(ctx.db_url).audit().filter(pl.col("kind") == "delivery")
    assert deliveries["status"].to_list() == ["ok"] * 3


def test_audited_row_count_is_the_flag_rows_without_the_header(tmp_path):
    world = default_world()
    world.flags = flags_frame(
        [(nhs(1), "phc.bmi", None, "No BMI ever recorded"), (nhs(2), "phc.bmi", None, "No BMI ever recorded")]
    )
    ctx = mini_run(tmp_path, date(2025, 6, 1), world)
    audit = open_store(ctx.db_url).audit()
    rows = dict(audit.filter(pl.col("kind") == "export").select("practice_code", "rows").rows())
    assert rows["A81001"] == 2 and rows["B82002"] == 0


def test_row_count_of_a_flags_file_without_a_final_newline_counts_its_last_line(tmp_path):
    (tmp_path / "bundle.json").write_bytes(b"{}")
    (tmp_path / "flags.csv").write_bytes(b"nhs_number,flag\n9000000009,phc.bmi\n9000000017,phc.bmi")
    assert _digest_and_rows(tmp_path)[1] == 2
    (tmp_path / "flags.csv").write_bytes(b"nhs_number,flag\n")
    assert _digest_and_rows(tmp_path)[1] == 0
