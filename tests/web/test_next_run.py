"""What a team records on the web is honoured by the next nightly run (real pipeline,
synthetic extract): booked holds letters, deceased and moved away close the person's
flags and take them off the worklist, declined snoozes outreach; and each run writes
the worklist the web app shows."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest
from sqlalchemy import select

from longerlives.pipeline import run
from longerlives.store import open_store
from longerlives.store.web_models import WorklistEntry
from longerlives.synth import generate
from longerlives.web import data

AS_OF = date(2026, 11, 1)
ENTRIES = WorklistEntry.__table__


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web-synth") / "extract"
    generate(600, 23, folder, "csv", 0.0, AS_OF)
    return folder


def _entries(url: str, run_id: str) -> pl.DataFrame:
    with open_store(url).engine.connect() as conn:
        rows = conn.execute(
            select(ENTRIES.c.nhs_number, ENTRIES.c.team, ENTRIES.c.priority, ENTRIES.c.urgency, ENTRIES.c.flags).where(
                ENTRIES.c.run_id == run_id
            )
        ).all()
    return pl.DataFrame(rows, schema=["nhs_number", "team", "priority", "urgency", "flags"], orient="row")


def test_each_run_stores_the_same_people_and_order_as_its_worklist_files(extract, tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    report = run(extract, tmp_path / "out", AS_OF, db_url=url)
    stored = _entries(url, report.run_id)
    files = pl.concat(
        [
            pl.read_csv(p, schema_overrides={"nhs_number": pl.String}).with_columns(pl.lit(p.stem).alias("team"))
            for p in sorted((tmp_path / "out" / "worklists").glob("*.csv"))
            if p.name != "index.csv"
        ]
    )
    assert sorted(stored["nhs_number"].to_list()) == sorted(files["nhs_number"].to_list())
    assert stored.filter(pl.col("team") == "unallocated").height == files.filter(pl.col("team") == "unallocated").height
    flags = pl.read_csv(tmp_path / "out" / "flags.csv", schema_overrides={"nhs_number": pl.String})
    per_person = flags.group_by("nhs_number").agg(pl.col("flag").sort().str.join(";").alias("expected"))
    joined = stored.join(per_person, on="nhs_number", how="left")
    assert (joined["flags"] == joined["expected"]).all()
    # same_day before soon before routine within each team, priorities 1..n
    for _, part in stored.sort("priority").group_by("team"):
        order = part["urgency"].replace_strict({"same_day": 0, "soon": 1, "routine": 2}).to_list()
        assert order == sorted(order)
        assert part["priority"].to_list() == list(range(1, part.height + 1))


def test_outcomes_recorded_on_the_web_are_honoured_by_the_next_run(extract, tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    first = run(extract, tmp_path / "out", AS_OF, db_url=url)
    letters = pl.read_csv(tmp_path / "out" / "letters" / "index.csv", schema_overrides={"nhs_number": pl.String})
    entries = _entries(url, first.run_id)
    with_letter = [n for n in letters["nhs_number"].unique().sort().to_list() if n in set(entries["nhs_number"])]
    booked, control = with_letter[0], with_letter[1]
    without_letter = [n for n in entries["nhs_number"].to_list() if n not in set(with_letter)]
    deceased, moved = without_letter[0], without_letter[1]
    with open_store(url).engine.begin() as conn:
        for nhs_number, result in ((booked, "booked"), (deceased, "deceased"), (moved, "moved_away")):
            data.record_outcome(conn, nhs_number, "T1", result, AS_OF, None, "nurse.t1")

    # 30 days on: past the 28-day letter cadence, inside the 42-day hold for a booking
    later = AS_OF + timedelta(days=30)
    second = run(extract, tmp_path / "out", later, db_url=url)
    letters2 = pl.read_csv(tmp_path / "out" / "letters" / "index.csv", schema_overrides={"nhs_number": pl.String})
    assert control in letters2["nhs_number"].to_list()  # the same person without a booking gets a letter again
    assert booked not in letters2["nhs_number"].to_list()
    flags2 = pl.read_csv(tmp_path / "out" / "flags.csv", schema_overrides={"nhs_number": pl.String})
    assert deceased not in flags2["nhs_number"].to_list() and moved not in flags2["nhs_number"].to_list()
    stored2 = _entries(url, second.run_id)["nhs_number"].to_list()
    assert deceased not in stored2 and moved not in stored2 and booked in stored2


def test_a_booking_holds_letters_for_the_configured_days_only():
    from longerlives.outcomes import letters_held
    from tests.operations.conftest import ops_settings

    outcomes = pl.DataFrame(
        {
            "nhs_number": ["9000000009", "9000000017"],
            "last_outcome": ["booked", "contacted"],
            "last_outcome_date": [AS_OF, AS_OF],
        }
    )
    held_day_41 = letters_held(outcomes, AS_OF + timedelta(days=41), ops_settings())
    assert held_day_41["nhs_number"].to_list() == ["9000000009"]
    assert "booked" in held_day_41["letter_hold_reason"][0]
    assert letters_held(outcomes, AS_OF + timedelta(days=42), ops_settings()).height == 0


def test_declined_snoozes_outreach_and_deceased_closes_every_flag():
    from longerlives.outcomes import apply_outcomes
    from tests.operations.conftest import flags_frame, ops_settings

    flags = flags_frame(
        [
            ("9000000009", "outreach.marginalised", None, "r"),
            ("9000000009", "phc.bmi", None, "r"),
            ("9000000017", "phc.bmi", None, "r"),
            ("9000000017", "ecg.annual", None, "r"),
        ]
    )
    outcomes = pl.DataFrame(
        {
            "nhs_number": ["9000000009", "9000000017"],
            "last_outcome": ["declined", "deceased"],
            "last_outcome_date": [AS_OF, AS_OF],
        }
    )
    left = apply_outcomes(flags, outcomes, AS_OF + timedelta(days=1), ops_settings())
    assert left.select("nhs_number", "flag").rows() == [("9000000009", "phc.bmi")]
    after_snooze = apply_outcomes(flags, outcomes, AS_OF + timedelta(days=90), ops_settings())
    assert ("9000000009", "outreach.marginalised") in after_snooze.select("nhs_number", "flag").rows()
