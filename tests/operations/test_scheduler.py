"""Scheduler and the cross-process run lock."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import longerlives.pipeline as pipeline
from longerlives.errors import RunLockedError
from longerlives.lock import run_lock
from longerlives.scheduler import JOB_ID, build_scheduler, next_fire_times, nightly_job, run_once_now
from longerlives.settings.operations import SchedulerSettings


class FakeReport:
    def __init__(self, as_of):
        self.run_id = f"{as_of}-fake"
        self.summary = {"people_in_scope": 1, "open_flags": 2}


@pytest.fixture
def calls(monkeypatch):
    seen = []

    def fake_run(extract_dir, out_dir, as_of, config=None, db_url=None, **kw):
        seen.append(
            {"extract_dir": extract_dir, "out_dir": out_dir, "as_of": as_of, "db_url": db_url, "config": config}
        )
        time.sleep(0.2)
        return FakeReport(as_of)

    monkeypatch.setattr(pipeline, "run", fake_run)
    return seen


def _hold_lock_in_another_process(target: str):
    code = (
        "import time; from longerlives.lock import run_lock\n"
        f"with run_lock({target!r}):\n print('held', flush=True); time.sleep(30)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "held"
    return p


@pytest.fixture(scope="module")
def tiny_extract(tmp_path_factory):
    """A real 60-person synthetic extract (the pipeline reads it before it takes the lock)."""
    from longerlives.cli import main

    folder = tmp_path_factory.mktemp("tiny") / "extract"
    assert main(["synth", "--patients", "60", "--seed", "3", "--out", str(folder), "--as-of", "2026-11-01"]) == 0
    return folder


def test_a_scheduled_run_finds_the_lock_held_by_another_process_and_skips(tmp_path, tiny_extract):
    db = f"sqlite:///{tmp_path / 'state' / 'runs.sqlite'}"
    holder = _hold_lock_in_another_process(db)
    try:
        with pytest.raises(RunLockedError):
            with run_lock(tmp_path / "state"):  # the same lock, named by its state folder
                pass
        # the real pipeline, called by the scheduled job, sees "busy": nothing is written
        assert nightly_job(str(tiny_extract), str(tmp_path / "out"), db) is None
        assert not (tmp_path / "out").exists()
    finally:
        holder.kill()
        holder.wait()
    assert nightly_job(str(tiny_extract), str(tmp_path / "out"), db) is not None
    assert (tmp_path / "out" / "flags.csv").exists()


def test_a_second_run_in_the_same_process_is_refused_while_the_first_holds_the_lock(tmp_path):
    errors = []
    with run_lock(tmp_path):

        def other():
            try:
                with run_lock(tmp_path):
                    pass
            except RunLockedError as exc:
                errors.append(exc)

        t = threading.Thread(target=other)
        t.start()
        t.join()
        with pytest.raises(RunLockedError):  # the same thread asking again is refused too: one place takes it
            with run_lock(tmp_path):
                pass
    assert len(errors) == 1
    with run_lock(tmp_path):  # released
        pass


def test_scheduler_is_persistent_coalesced_single_instance_with_grace(tmp_path):
    settings = SchedulerSettings()
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    args = {"extract_dir": "/in", "out_dir": "/out", "db_url": url, "config": None}
    sched = build_scheduler(args, settings, url, blocking=False)
    sched.start(paused=True)
    try:
        job = sched.get_job(JOB_ID)
        assert job.func is nightly_job
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 6 * 3600)
        assert str(job.trigger.timezone) == "Europe/London"
        assert job.kwargs["db_url"] == url
    finally:
        sched.shutdown(wait=False)
    # the job is stored in the database and is replaced, not duplicated, on restart
    from sqlalchemy import create_engine, text

    sched = build_scheduler(args, settings, url, blocking=False)
    sched.start(paused=True)
    sched.shutdown(wait=False)
    e = create_engine(url)
    with e.connect() as c:
        assert c.execute(text("select id from apscheduler_jobs")).scalars().all() == [JOB_ID]
    e.dispose()


def test_nightly_time_fires_once_a_night_across_clock_changes():
    london = ZoneInfo("Europe/London")
    settings = SchedulerSettings()  # 02:30 Europe/London
    autumn = next_fire_times(settings, datetime(2025, 10, 25, 12, 0, tzinfo=london), 3)
    assert [t.date() for t in autumn] == [date(2025, 10, 26), date(2025, 10, 27), date(2025, 10, 28)]
    assert all((t.hour, t.minute) == (2, 30) for t in autumn)
    spring = next_fire_times(settings, datetime(2025, 3, 29, 12, 0, tzinfo=london), 2)
    assert [t.date() for t in spring] == [date(2025, 3, 30), date(2025, 3, 31)]
    gaps = [(b - a).total_seconds() / 3600 for a, b in zip(autumn, autumn[1:])]
    assert gaps == [24, 24]
    # the trap the default avoids: 01:30 fires twice on the fall-back night
    trap = next_fire_times(SchedulerSettings(hour=1, minute=30), datetime(2025, 10, 25, 12, 0, tzinfo=london), 2)
    assert trap[0].date() == trap[1].date() == date(2025, 10, 26)


def test_schedule_once_now_calls_the_same_function_as_run(tmp_path, calls):
    url = f"sqlite:///{tmp_path / 'state' / 'runs.sqlite'}"
    args = {"extract_dir": str(tmp_path / "extract"), "out_dir": str(tmp_path / "out"), "db_url": url, "config": None}
    t0 = time.monotonic()
    run_id = run_once_now(args, SchedulerSettings(), url, timeout=30)
    assert time.monotonic() - t0 < 10
    assert len(calls) == 1
    assert calls[0]["as_of"] == datetime.now(ZoneInfo("Europe/London")).date()
    assert Path(calls[0]["out_dir"]) == tmp_path / "out" and calls[0]["db_url"] == url
    assert run_id == f"{calls[0]['as_of']}-fake"


def test_schedule_command_once_now(tmp_path, calls, monkeypatch, capsys):
    from longerlives.cli import main
    from longerlives.commands import schedule as cmd
    from longerlives.settings.operations import OperationsSettings

    class S:  # the whole-settings loader is not needed for the scheduler part
        operations = OperationsSettings()

    monkeypatch.setattr("longerlives.settings.load_settings", lambda *a, **k: S)
    assert main(["schedule", "--extract", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--once-now"]) == 0
    assert "nightly job ran once" in capsys.readouterr().out
    assert calls[0]["db_url"].endswith(".longerlives-state/runs.sqlite")
    assert cmd is not None


def test_scheduled_job_failure_is_reported(tmp_path, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("extract missing")

    monkeypatch.setattr(pipeline, "run", boom)
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    args = {"extract_dir": "/in", "out_dir": str(tmp_path / "out"), "db_url": url, "config": None}
    with pytest.raises(RuntimeError, match="extract missing"):
        run_once_now(args, SchedulerSettings(), url, timeout=30)
