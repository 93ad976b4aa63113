"""A run that fails part-way leaves the previous outputs untouched and is recorded as failed."""

from __future__ import annotations

import pytest

import longerlives.pipeline as pipeline
from longerlives.pipeline import run
from longerlives.store import open_store
from tests.functional.conftest import AS_OF


def test_failure_in_a_late_stage_leaves_last_nights_outputs_and_no_half_written_folder(
    synth_extract, tmp_path, monkeypatch
):
    db = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    out = tmp_path / "out"
    run(synth_extract, out, AS_OF, db_url=db)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.csv")}

    def broken(*args, **kwargs):
        raise RuntimeError("disk full while writing exports")

    monkeypatch.setattr(pipeline, "write_exports", broken)
    with pytest.raises(RuntimeError):
        run(synth_extract, out, AS_OF, db_url=db)

    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*.csv")}
    assert after == before
    assert [p.name for p in tmp_path.iterdir() if "staging" in p.name] == []
    statuses = open_store(db).runs()["status"].to_list()
    assert sorted(statuses) == ["failed", "succeeded"]
