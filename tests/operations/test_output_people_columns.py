"""The output half is handed only the people's columns some output stage reads (issue 16, session 30:
``pipeline.output_people``, an allow-list made of each stage's own ``PEOPLE_READ``). A stage that comes
to read a column missing from the list would silently see nothing; this test holds every output file
of a night to what the same night writes when the output half is handed every column the rules left."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import pytest

from longerlives import pipeline
from longerlives.codelists import load_codelists
from longerlives.store import dispose_all
from longerlives.synth import generate

AS_OF = date(2026, 11, 1)


def _night(extract: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    fixed = uuid.UUID("12345678123456781234567812345678")
    monkeypatch.setattr(pipeline.uuid, "uuid4", lambda: fixed)  # the same run id both nights
    try:
        pipeline.run(extract, out / "out", AS_OF, db_url=f"sqlite:///{out / 'runs.sqlite'}")
    finally:
        dispose_all()
    return {
        str(f.relative_to(out / "out")): f.read_bytes()
        for f in sorted((out / "out").rglob("*"))
        if f.is_file() and f.name != "run.json"
    }


def test_every_output_file_is_the_same_as_when_the_output_half_is_handed_every_column(tmp_path, monkeypatch):
    extract = tmp_path / "extract"
    generate(300, 6, extract, "parquet", 0.01, AS_OF)
    narrowed = _night(extract, tmp_path / "narrowed", monkeypatch)

    features = pipeline._feature_columns(load_codelists())
    seen: list[int] = []

    def every_column(people, settings):  # the rules' and outreach's columns, all of them
        seen.append(people.width)
        return people.drop([c for c in people.columns if c in features])

    monkeypatch.setattr(pipeline, "output_people", every_column)
    whole = _night(extract, tmp_path / "whole", monkeypatch)
    assert seen and seen[0] > len(pipeline.output_half_reads(pipeline.load_settings(None)))
    assert sorted(narrowed) == sorted(whole)
    assert any(name.startswith("letters/") for name in whole) and "patients.csv" in whole
    different = [name for name in whole if narrowed[name] != whole[name]]
    assert different == []
