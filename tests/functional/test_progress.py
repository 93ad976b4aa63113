"""Long runs show progress: a bar in a terminal, plain stage lines otherwise."""

from __future__ import annotations

import io
import sys

from longerlives.commands import run as run_command


def test_plain_stage_lines_when_not_a_terminal(capsys):
    progress = run_command._Progress()
    for stage in run_command.STAGES[:2]:
        progress(stage, "start")
        progress(stage, "done")
    progress.close()
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "longerlives: stage store_open start",
        "longerlives: stage store_open done",
        "longerlives: stage validate start",
        "longerlives: stage validate done",
    ]


def test_progress_bar_counts_every_stage_in_a_terminal(monkeypatch):
    fake = io.StringIO()
    fake.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stderr", fake)
    progress = run_command._Progress()
    for stage in run_command.STAGES:
        progress(stage, "start")
        progress(stage, "done")
    progress.close()
    task = progress._bar.tasks[0]
    assert task.completed == task.total == len(run_command.STAGES)
    assert "stages" in fake.getvalue()


def test_progress_bar_lists_exactly_the_stages_a_real_run_times(full_run):
    _, report = full_run
    assert tuple(report.timings) == run_command.STAGES
