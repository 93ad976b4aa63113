"""Outreach outcomes: recorded by teams, shown on the next run, closing or snoozing flags."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from longerlives.cli import main
from longerlives.outcomes import apply_outcomes, held_flags
from longerlives.store import open_store

from .conftest import default_world, mini_run, nhs, ops_settings


def outcomes(rows):
    return pl.DataFrame(
        rows, schema={"nhs_number": pl.String, "last_outcome": pl.String, "last_outcome_date": pl.Date}, orient="row"
    )


def test_declined_snoozes_the_outreach_flag_for_the_configured_days():
    flags = default_world().flags
    oc = outcomes([(nhs(3), "declined", date(2025, 6, 1))])
    s = ops_settings()
    during = apply_outcomes(flags, oc, date(2025, 8, 29), s)  # day 89
    assert flags.height - during.height == 1
    assert during.filter(pl.col("nhs_number") == nhs(3))["flag"].to_list() == ["phc.lipids"]
    after = apply_outcomes(flags, oc, date(2025, 8, 30), s)  # day 90: snooze over
    assert after.equals(flags)


def test_moved_away_closes_every_flag_until_a_newer_outcome():
    flags = default_world().flags
    s = ops_settings()
    closed = apply_outcomes(flags, outcomes([(nhs(1), "moved_away", date(2025, 6, 1))]), date(2026, 6, 1), s)
    assert nhs(1) not in closed["nhs_number"].to_list()
    assert closed.height == flags.height - 2
    reopened = apply_outcomes(flags, outcomes([(nhs(1), "contacted", date(2025, 7, 1))]), date(2026, 6, 1), s)
    assert reopened.equals(flags)


def test_completed_changes_nothing_the_data_shows_it():
    flags = default_world().flags
    oc = outcomes([(nhs(1), "completed", date(2025, 6, 1)), (nhs(3), "booked", date(2025, 6, 1))])
    assert apply_outcomes(flags, oc, date(2025, 6, 2), ops_settings()).equals(flags)


def test_outcome_dated_after_the_as_of_date_is_ignored():
    flags = default_world().flags
    oc = outcomes([(nhs(1), "moved_away", date(2025, 6, 2))])
    assert apply_outcomes(flags, oc, date(2025, 6, 1), ops_settings()).equals(flags)


def test_held_flags_name_the_outcome_and_until_when():
    held = held_flags(
        default_world().flags, outcomes([(nhs(3), "declined", date(2025, 6, 1))]), date(2025, 6, 2), ops_settings()
    )
    assert held.rows() == [(nhs(3), "outreach.marginalised", "declined", date(2025, 8, 30))]


def test_outcome_recorded_by_a_team_shows_on_the_next_run_and_snoozes(tmp_path, capsys):
    world = default_world()
    first = mini_run(tmp_path, date(2025, 6, 1), world)
    assert (
        main(
            [
                "outcome",
                "record",
                "--db",
                first.db_url,
                "--nhs-number",
                nhs(3),
                "--team",
                "T2",
                "--result",
                "no_answer",
                "--date",
                "2025-06-01",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "outcome",
                "record",
                "--db",
                first.db_url,
                "--nhs-number",
                nhs(3),
                "--team",
                "T2",
                "--result",
                "declined",
                "--date",
                "2025-06-02",
                "--note",
                "prefers not to be contacted",
            ]
        )
        == 0
    )
    assert "recorded (declined)" in capsys.readouterr().out
    second = mini_run(tmp_path, date(2025, 6, 3), world)
    assert second.outcomes.rows() == [(nhs(3), "declined", date(2025, 6, 2))]
    assert second.summary["flags_held_by_outcomes"] == 1
    exported = pl.read_csv(tmp_path / "out" / "exports" / "B82002" / "flags.csv", infer_schema=False)
    assert exported["flag"].to_list() == ["phc.lipids"]
    assert open_store(first.db_url).outcomes()["note"].to_list() == [None, "prefers not to be contacted"]


def test_outcome_record_rejects_a_bad_nhs_number(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    rc = main(["outcome", "record", "--db", url, "--nhs-number", "1234567890", "--team", "T1", "--result", "declined"])
    assert rc == 64  # usage: docs/operations.md exit codes
    err = capsys.readouterr().err
    assert "NHS number" in err and "1234567890" not in err


def test_outcome_record_rejects_an_unknown_result(tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    with pytest.raises(SystemExit):
        main(["outcome", "record", "--db", url, "--nhs-number", nhs(1), "--team", "T1", "--result", "ghosted"])
