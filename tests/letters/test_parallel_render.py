"""Large letter batches are rendered by several processes with exactly the same result."""

from __future__ import annotations

from longerlives import letters, outreach
from longerlives.letters import render
from longerlives.settings import load_settings
from tests.letters.conftest import letter_run
from tests.outreach.helpers import person


def _letters(tmp_path, workers: int, monkeypatch) -> dict[str, bytes]:
    rows = [person(i) for i in range(1, 41)]
    base = load_settings()
    settings = base.model_copy(update={"letters": base.letters.model_copy(update={"render_workers": workers})})
    monkeypatch.setattr(render, "PARALLEL_MIN_LETTERS", 10)
    ctx = letter_run(tmp_path, rows, [(r["nhs_number"], "ecg.annual") for r in rows], settings=settings)
    return {p: (ctx.staging / p).read_bytes() for p in ctx.letters_index["path"].to_list()}


def test_letters_rendered_in_two_processes_match_letters_rendered_in_one(tmp_path, monkeypatch):
    one = _letters(tmp_path / "one", 1, monkeypatch)
    two = _letters(tmp_path / "two", 2, monkeypatch)
    assert len(one) == 40
    assert one == two
