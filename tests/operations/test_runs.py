"""Idempotent, crash-safe runs; letter cadence; history."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import polars as pl
import pytest

from longerlives.cli import main
from longerlives.store import open_store

from .conftest import default_world, flags_frame, mini_run, nhs


def test_second_run_on_same_as_of_date_gives_the_same_flags_csv(tmp_path):
    world = default_world()
    mini_run(tmp_path, date(2025, 6, 1), world)
    first = {
        p.relative_to(tmp_path / "out"): p.read_bytes()
        for p in (tmp_path / "out").rglob("*")
        if p.is_file() and (p.name == "flags.csv" or p.name == "bundle.json")
    }
    mini_run(tmp_path, date(2025, 6, 1), world)
    second = {
        p.relative_to(tmp_path / "out"): p.read_bytes()
        for p in (tmp_path / "out").rglob("*")
        if p.is_file() and (p.name == "flags.csv" or p.name == "bundle.json")
    }
    assert len(first) == 7 and first == second


def test_failed_run_leaves_previous_outputs_untouched(tmp_path):
    world = default_world()
    ok = mini_run(tmp_path, date(2025, 6, 1), world)
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    world.flags = world.flags.head(1)
    with pytest.raises(RuntimeError, match="simulated failure"):
        mini_run(tmp_path, date(2025, 6, 2), world, fail_at="outputs")
    after = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in tmp_path.iterdir() if ".staging-" in p.name]
    runs = open_store(ok.db_url).runs()
    assert runs["status"].to_list() == ["succeeded", "failed"]
    failed = runs.row(1, named=True)
    assert "simulated failure" in failed["error"] and failed["finished_at"] is not None
    # a failed run records no letters and no flag history changes
    assert open_store(ok.db_url).letters()["run_id"].unique().to_list() == [ok.run_id]
    assert open_store(ok.db_url).flag_history()["resolved_on"].null_count() == 5


def test_second_run_on_same_day_sends_no_duplicate_letter(tmp_path):
    world = default_world()
    first = mini_run(tmp_path, date(2025, 6, 1), world)
    assert sorted(first.letters_index["nhs_number"]) == [nhs(1), nhs(3), nhs(5)]
    # something new becomes due the same day: still no second letter that day
    world.flags = pl.concat([world.flags, flags_frame([(nhs(1), "phc.lipids", None, "No cholesterol ever recorded")])])
    second = mini_run(tmp_path, date(2025, 6, 1), world)
    assert second.letters_index.height == 0
    assert second.last_letters["last_letter"].to_list() == [date(2025, 6, 1)] * 3
    reasons = second.allowed["letter_blocked_reason"].unique().to_list()
    assert reasons == ["a letter already went on 2025-06-01"]
    letters = open_store(first.db_url).letters()
    assert letters.height == 3
    assert letters.group_by("nhs_number", "letter", "issued_on").len()["len"].max() == 1


def test_letter_not_repeated_within_cadence_unless_something_new_is_due(tmp_path):
    world = default_world()
    d0 = date(2025, 6, 1)
    mini_run(tmp_path, d0, world)
    world.flags = pl.concat([world.flags, flags_frame([(nhs(3), "phc.glucose", None, "No HbA1c ever recorded")])])
    ctx = mini_run(tmp_path, d0 + timedelta(days=10), world)
    allowed = ctx.allowed
    assert allowed.filter("letter_allowed")["nhs_number"].to_list() == [nhs(3)]  # new flag due
    blocked = allowed.filter(pl.col("nhs_number") == nhs(1)).row(0, named=True)
    assert blocked["letter_blocked_reason"] == (
        "last letter went on 2025-06-01, less than 28 days ago, and nothing new is due"
    )
    ctx = mini_run(tmp_path, d0 + timedelta(days=28), world)
    assert sorted(ctx.letters_index["nhs_number"]) == [nhs(1), nhs(5)]  # cadence over; nhs(3) had one on day 10
    assert (
        ctx.last_letters.filter(pl.col("nhs_number") == nhs(3))["last_letter_flags"].item()
        == "outreach.marginalised;phc.glucose;phc.lipids"
    )


def test_letter_cadence_is_configurable(tmp_path):
    from .conftest import ops_settings

    world = default_world()
    mini_run(tmp_path, date(2025, 6, 1), world)
    ctx = mini_run(tmp_path, date(2025, 6, 8), world, settings=ops_settings(letter_cadence_days=7))
    assert ctx.letters_index.height == 3


def test_history_shows_runs_and_trends(tmp_path, capsys):
    world = default_world()
    ctx = mini_run(tmp_path, date(2025, 6, 1), world)
    main(
        [
            "outcome",
            "record",
            "--db",
            ctx.db_url,
            "--nhs-number",
            nhs(3),
            "--team",
            "T2",
            "--result",
            "declined",
            "--date",
            "2025-06-01",
        ]
    )
    mini_run(tmp_path, date(2025, 6, 2), world)
    capsys.readouterr()
    assert main(["history", "--db", ctx.db_url, "--csv"]) == 0
    frame = pl.read_csv(capsys.readouterr().out.encode(), try_parse_dates=True)
    assert frame["as_of"].to_list() == [date(2025, 6, 1), date(2025, 6, 2)]
    assert frame["status"].to_list() == ["succeeded", "succeeded"]
    assert frame["people_in_scope"].to_list() == [4, 4]
    assert frame["health_check_cohort"].to_list() == [3, 3]
    assert frame["phc_six_complete"].to_list() == [1, 1]
    assert frame["phc_six_pct"].to_list() == [33.3, 33.3]
    assert frame["open_flags"].to_list() == [5, 4]  # the decline snoozed the outreach flag
    assert frame["flags_opened"].to_list() == [5, 0]
    assert frame["flags_closed"].to_list() == [0, 1]
    assert frame["letters_issued"].to_list() == [3, 0]
    assert frame["outcomes_recorded"].to_list() == [0, 1]
    assert frame["flags_held_by_outcomes"].to_list() == [0, 1]
    assert frame["deliveries_ok"].to_list() == [3, 3]  # a new as-of date: every practice gets that night's export
    assert main(["history", "--db", ctx.db_url]) == 0
    table = capsys.readouterr().out
    assert "2025-06-02" in table and "6 checks %" in table


def test_logs_carry_no_patient_data(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    world = default_world()
    mini_run(tmp_path, date(2025, 6, 1), world)
    with pytest.raises(RuntimeError):
        mini_run(tmp_path, date(2025, 6, 2), world, fail_at="outputs")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert text  # the stages do log
    for n in world.people["nhs_number"]:
        assert n not in text
    assert "blood pressure" not in text
