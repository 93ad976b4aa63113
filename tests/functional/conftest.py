"""A small synthetic extract and one full run of it, shared by the end-to-end tests."""

from __future__ import annotations

from datetime import date

import pytest

from longerlives.synth import generate

AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="session")
def synth_extract(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth") / "extract"
    generate(1500, 11, folder, "csv", 0.01, AS_OF)
    return folder


@pytest.fixture(scope="session")
def full_run(synth_extract, tmp_path_factory):
    from longerlives.pipeline import run

    base = tmp_path_factory.mktemp("run")
    out = base / "out"
    report = run(synth_extract, out, AS_OF, db_url=f"sqlite:///{base / 'runs.sqlite'}")
    return out, report
