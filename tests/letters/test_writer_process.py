"""The letter files are created by a writer process and the letter shapes rendered by a shape
renderer process (issue 16, session 6): small scripts that import no part of the package. What a
user relies on: every letter is written, private, byte for byte what Jinja renders one by one; a
writer that cannot write or that dies fails the run with one line naming no person, and nothing
of that night is promoted; a writer whose run has gone away stops."""

from __future__ import annotations

import ast
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from longerlives import pipeline
from longerlives.errors import OutputError
from longerlives.letters import render
from longerlives.outfolder import debris
from longerlives.settings import load_settings
from longerlives.store import dispose_all, open_store
from longerlives.synth import generate
from tests.letters.test_grouped_render import AS_OF, generated_rows


def _imports(script: Path) -> set[str]:
    """Top-level modules a script imports when it runs (not those only read by the type checker)."""
    tree = ast.parse(script.read_text())
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_the_writer_process_imports_only_the_standard_library():
    assert _imports(render.WRITER_SCRIPT) <= {"__future__", "os", "queue", "struct", "sys", "threading"}


def test_the_shape_renderer_process_imports_only_jinja_and_the_standard_library():
    assert _imports(render.SHAPE_SCRIPT) <= {"__future__", "importlib", "pickle", "sys", "jinja2"}
    assert _imports(render.TOKENS_FILE) <= {"__future__"}  # loaded there by its path


def test_every_letter_is_written_private_and_byte_identical_to_jinja_one_by_one(tmp_path, caplog):
    rows = generated_rows(300)
    settings = load_settings().letters
    by_processes = render._render_serial(rows, tmp_path / "processes", AS_OF, settings)
    one_by_one = render._render_serial(rows, tmp_path / "jinja", AS_OF, settings, render.environment(), grouped=False)
    assert by_processes == one_by_one and len(set(by_processes)) == 300
    assert "shape renderer process stopped" not in caplog.text  # the shapes were rendered in that process
    for p in by_processes:
        written = tmp_path / "processes" / p
        assert written.read_bytes() == (tmp_path / "jinja" / p).read_bytes(), p
        assert written.stat().st_mode & 0o777 == 0o600


def test_a_letter_file_that_cannot_be_created_fails_with_one_line_naming_no_person(tmp_path):
    rows = generated_rows(40)
    victim = rows.row(17, named=True)
    # a folder already standing where one letter must go: the system refuses to open it for writing
    (tmp_path / "letters" / victim["practice_dir"] / f"{victim['nhs_number']}.html").mkdir(parents=True)
    with pytest.raises(OutputError) as failed:
        render.render_all(rows, tmp_path, AS_OF, load_settings().letters)
    message = str(failed.value)
    assert message.startswith("letters: could not write the letter files: ") and "is a folder, not a file" in message
    assert "\n" not in message
    assert not any(nhs in message for nhs in rows["nhs_number"].to_list())


def _dying_writer(tmp_path: Path) -> Path:
    script = tmp_path / "dying_writer.py"
    script.write_text("import os, sys\nos.read(0, 10)\nsys.exit(3)\n")
    return script


def test_a_writer_process_that_dies_fails_the_letters(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "WRITER_SCRIPT", _dying_writer(tmp_path))
    with pytest.raises(OutputError, match=r"the writer process stopped \(exit 3\)"):
        render.render_all(generated_rows(60), tmp_path / "out", AS_OF, load_settings().letters)


def test_the_writer_stops_when_its_run_goes_away_before_the_end(tmp_path):
    """End of input without the end message (the run died): the writer exits at once, says nothing."""
    writer = subprocess.Popen(
        [sys.executable, "-I", "-S", str(render.WRITER_SCRIPT), "2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    writer.stdin.write(b"B")  # a message begun and never finished
    writer.stdin.close()
    assert writer.wait(timeout=30) == 2
    assert writer.stdout.read() == b""


def test_shapes_rendered_by_two_processes_in_turn_each_fill_their_own_persons_letters(tmp_path, monkeypatch, caplog):
    """Session 8: blocks of shapes go to two processes in turn. With blocks of 7 shapes, both
    processes answer many blocks; every letter must still be byte for byte its own person's
    letter as Jinja renders it one by one — an answer paired with the wrong block would not be."""
    rows = generated_rows(300)
    settings = load_settings().letters
    monkeypatch.setattr(render, "SHAPE_BLOCK", 7)
    asked: list[int] = []
    ask = render.ShapeRenderer._ask

    def counted(self, k, block):  # noqa: ANN001, ANN202 - which process each block went to
        asked.append(k)
        return ask(self, k, block)

    monkeypatch.setattr(render.ShapeRenderer, "_ask", counted)
    by_processes = render._render_serial(rows, tmp_path / "processes", AS_OF, settings)
    one_by_one = render._render_serial(rows, tmp_path / "jinja", AS_OF, settings, render.environment(), grouped=False)
    assert render.SHAPE_PROCESSES == 2 and sorted(set(asked)) == [0, 1] and len(asked) > 10
    assert "shape renderer process stopped" not in caplog.text
    assert by_processes == one_by_one
    for p in by_processes:
        assert (tmp_path / "processes" / p).read_bytes() == (tmp_path / "jinja" / p).read_bytes(), p


def test_letters_are_still_written_alike_when_the_shape_renderer_is_gone(tmp_path, monkeypatch, caplog):
    rows = generated_rows(120)
    settings = load_settings().letters
    one_by_one = render._render_serial(rows, tmp_path / "jinja", AS_OF, settings, render.environment(), grouped=False)
    gone = tmp_path / "gone.py"
    gone.write_text("import sys\nsys.exit(1)\n")
    monkeypatch.setattr(render, "SHAPE_SCRIPT", gone)
    paths = render._render_serial(rows, tmp_path / "fallback", AS_OF, settings)
    assert "the shape renderer process stopped" in caplog.text  # the operator is told
    assert paths == one_by_one
    assert all((tmp_path / "fallback" / p).read_bytes() == (tmp_path / "jinja" / p).read_bytes() for p in paths)


def test_a_night_whose_letter_writer_dies_fails_and_keeps_last_nights_outputs(tmp_path, monkeypatch):
    as_of = date(2026, 11, 1)
    generate(120, 4, tmp_path / "extract", "csv", 0.0, as_of)
    db = f"sqlite:///{tmp_path / 'state' / 'runs.sqlite'}"
    pipeline.run(tmp_path / "extract", tmp_path / "out", as_of - timedelta(days=40), db_url=db)
    dispose_all()
    before = {
        str(p.relative_to(tmp_path / "out")): p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()
    }
    monkeypatch.setattr(render, "WRITER_SCRIPT", _dying_writer(tmp_path))
    with pytest.raises(OutputError, match="could not write the letter files"):
        pipeline.run(tmp_path / "extract", tmp_path / "out", as_of, db_url=db)
    dispose_all()
    after = {str(p.relative_to(tmp_path / "out")): p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert after == before, "last night's outputs changed although tonight's run failed"
    assert debris(tmp_path / "out") == []
    assert open_store(db).runs().sort("started_at")["status"].to_list()[-1] == "failed"
    dispose_all()
