"""Issue 12: an output folder without the ownership marker is never taken silently, even when
its ``run.json`` looks like ours (an older version's outputs, or a copy someone made). The
operator adopts it once with ``--adopt-out`` or moves it away."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from longerlives.errors import EXIT_IO
from longerlives.outfolder import MARKER
from longerlives.pipeline import run
from tests.security.conftest import AS_OF, cli, run_args


def _one_clear_message(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr + proc.stdout
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("longerlives: error: ")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


def _older_version_outputs(extract: Path, tmp_path: Path) -> Path:
    """Outputs as a version before the marker left them: a real run's folder without the marker."""
    made = tmp_path / "made"
    run(extract, made, AS_OF, db_url=f"sqlite:///{tmp_path / 'made.sqlite'}")
    old = tmp_path / "out"
    shutil.copytree(made, old)
    (old / MARKER).unlink()
    return old


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_older_output_folder_without_the_marker_is_refused_naming_it_and_the_way_out(
    extract: Path, tmp_path: Path
) -> None:
    old = _older_version_outputs(extract, tmp_path)
    before = _snapshot(old)
    proc = cli(*run_args(extract, old, tmp_path / "runs.sqlite"))
    assert proc.returncode == EXIT_IO
    message = _one_clear_message(proc)
    assert str(old) in message and "--adopt-out" in message and "move the folder away" in message
    assert _snapshot(old) == before  # nothing written, nothing deleted


def test_a_copy_with_only_a_run_json_that_looks_like_ours_is_refused(extract: Path, tmp_path: Path) -> None:
    notes = tmp_path / "out"
    notes.mkdir()
    (notes / "run.json").write_text(json.dumps({"run_id": "x", "engine_version": "0.1"}), encoding="utf-8")
    (notes / "my-notes.txt").write_text("keep me", encoding="utf-8")
    proc = cli(*run_args(extract, notes, tmp_path / "runs.sqlite"))
    assert proc.returncode == EXIT_IO
    assert (notes / "my-notes.txt").read_text(encoding="utf-8") == "keep me"


def test_adopt_out_takes_over_an_older_output_folder_once(extract: Path, tmp_path: Path) -> None:
    old = _older_version_outputs(extract, tmp_path)
    adopted = cli(*run_args(extract, old, tmp_path / "runs.sqlite"), "--adopt-out")
    assert adopted.returncode == 0, adopted.stderr
    assert (old / MARKER).is_file()
    again = cli(*run_args(extract, old, tmp_path / "runs.sqlite"))  # from now on an ordinary output folder
    assert again.returncode == 0, again.stderr


def test_adopt_out_never_takes_a_folder_that_is_not_longerlives_outputs(extract: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "meeting.txt").write_text("my notes", encoding="utf-8")
    proc = cli(*run_args(extract, notes, tmp_path / "runs.sqlite"), "--adopt-out")
    assert proc.returncode == EXIT_IO
    assert "not made by longerlives" in _one_clear_message(proc)
    assert [p.name for p in notes.iterdir()] == ["meeting.txt"]


def test_adopt_out_refuses_an_older_output_folder_holding_someone_elses_file(extract: Path, tmp_path: Path) -> None:
    old = _older_version_outputs(extract, tmp_path)
    (old / "my-notes.txt").write_text("keep me", encoding="utf-8")
    before = _snapshot(old)
    proc = cli(*run_args(extract, old, tmp_path / "runs.sqlite"), "--adopt-out")
    assert proc.returncode == EXIT_IO
    assert "my-notes.txt" in _one_clear_message(proc)
    assert _snapshot(old) == before
