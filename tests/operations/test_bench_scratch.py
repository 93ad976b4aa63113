"""make bench deletes nothing while it measures (bench/scratch.py, issue 16 session 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import scratch


def _outputs(folder: Path, letters: int = 5) -> Path:
    (folder / "letters" / "E83007").mkdir(parents=True)
    for i in range(letters):
        (folder / "letters" / "E83007" / f"{i}.html").write_text("<p>letter</p>")
    return folder


def test_previous_runs_outputs_are_moved_aside_not_deleted_during_the_bench(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trash = tmp_path / "trash"
    monkeypatch.setenv(scratch.TRASH_ENV, str(trash))
    out = _outputs(tmp_path / "out-100000")

    scratch.discard(out)

    assert not out.exists()
    kept = list(trash.glob("out-100000-*/letters/E83007/*.html"))
    assert len(kept) == 5  # every letter file still there until the bench ends

    scratch.empty_trash()
    assert not trash.exists()


def test_a_scratch_folder_lives_in_the_bench_trash_and_is_left_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trash = tmp_path / "trash"
    monkeypatch.setenv(scratch.TRASH_ENV, str(trash))
    work = _outputs(scratch.scratch("bench-letters-"))

    scratch.discard(work)

    assert work.parent == trash
    assert len(list(work.rglob("*.html"))) == 5


def test_a_bench_script_run_alone_deletes_its_scratch_folder_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(scratch.TRASH_ENV, raising=False)
    out = _outputs(tmp_path / "out-10000")

    scratch.discard(out)

    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
