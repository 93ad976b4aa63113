"""Letters are rendered and written in small pieces (shapes by a shape renderer process, files by
writer threads in a writer process): however the work is cut up, every letter comes out
exactly the same, private, and at the path the index names."""

from __future__ import annotations

import threading

from longerlives.letters import render
from longerlives.settings import load_settings
from tests.letters.conftest import letter_run
from tests.letters.test_grouped_render import AS_OF, generated_rows
from tests.outreach.helpers import person


def _letters(tmp_path, writer_threads: int) -> dict[str, bytes]:
    rows = [person(i) for i in range(1, 41)]
    base = load_settings()
    settings = base.model_copy(update={"letters": base.letters.model_copy(update={"render_workers": writer_threads})})
    ctx = letter_run(tmp_path, rows, [(r["nhs_number"], "ecg.annual") for r in rows], settings=settings)
    return {p: (ctx.staging / p).read_bytes() for p in ctx.letters_index["path"].to_list()}


def test_letters_written_by_two_threads_match_letters_written_by_one(tmp_path):
    one = _letters(tmp_path / "one", 1)
    two = _letters(tmp_path / "two", 2)
    assert len(one) == 40
    assert one == two


def test_letters_cut_into_many_small_pieces_are_the_same_letters_in_the_same_places(tmp_path, monkeypatch):
    rows = generated_rows(500)
    settings = load_settings().letters
    whole = render._render_serial(rows, tmp_path / "whole", AS_OF, settings)
    # a few shapes per Jinja block, a few letters per fill and per write, a short write queue
    monkeypatch.setattr(render, "SHAPE_BLOCK", 3)
    monkeypatch.setattr(render, "FILL_CHUNK", 7)
    monkeypatch.setattr(render, "WRITE_BATCH", 5)
    monkeypatch.setattr(render, "MAX_PENDING", 2)
    cut = render._render_serial(rows, tmp_path / "cut", AS_OF, settings)
    assert cut == whole and len(whole) == 500
    assert all((tmp_path / "cut" / p).read_bytes() == (tmp_path / "whole" / p).read_bytes() for p in whole)
    assert {(tmp_path / "cut" / p).stat().st_mode & 0o777 for p in cut} == {0o600}


def test_rendering_letters_forks_nothing_and_spawns_no_package_workers(tmp_path, monkeypatch):
    """Safe beside other stages on other threads: no fork and no multiprocessing workers (session 5
    removed those: each re-imported the package and Polars). Issue 16, session 6: the only processes
    are the letter writer and the shape renderer, started with ``subprocess`` (fork and exec in one
    step, safe in a threaded process), importing no part of the package (test_writer_process.py)."""
    import multiprocessing
    import os

    def refuse(*args, **kwargs):
        raise AssertionError("letters must not fork or start multiprocessing workers")

    monkeypatch.setattr(os, "fork", refuse)
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refuse)
    before = threading.active_count()
    paths = render.render_all(generated_rows(50), tmp_path, AS_OF, load_settings().letters)
    assert len(paths) == 50 and all((tmp_path / p).is_file() for p in paths)
    assert threading.active_count() == before  # the feeding threads are gone when it returns
