"""The run store keeps each night's coverage counts so the report can draw trends."""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.store import open_store


def _counts(num: int, den: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "measure": ["ecg", "ecg"],
            "group_by": ["all", "practice_code"],
            "group": ["all", "A81001"],
            "numerator": [num, num],
            "denominator": [den, den],
        }
    )


def _night(url: str, run_id: str, as_of: date, num: int, status: str = "succeeded") -> None:
    store = open_store(url)
    store.start_run(run_id, as_of, engine_version="t", out_dir=None)
    with store.engine.begin() as conn:
        store.record_coverage(conn, _counts(num, 100), as_of, run_id)
        store.finish_run(conn, run_id, status)


def test_trends_have_one_point_per_night_from_succeeded_runs_only(tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    _night(url, "r1", date(2026, 11, 1), 40)
    _night(url, "r2", date(2026, 11, 2), 45, status="failed")
    _night(url, "r3", date(2026, 11, 2), 50)
    _night(url, "r4", date(2026, 11, 2), 55)  # a second run the same night replaces the first
    trends = open_store(url).coverage_trends("all")
    assert trends.select("as_of", "measure", "group", "numerator", "denominator").rows() == [
        (date(2026, 11, 1), "ecg", "all", 40, 100),
        (date(2026, 11, 2), "ecg", "all", 55, 100),
    ]


def test_trends_keep_only_the_latest_nights_when_limited(tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    for day in range(1, 6):
        _night(url, f"r{day}", date(2026, 11, day), 40 + day)
    assert open_store(url).coverage_trends("all", 3)["as_of"].to_list() == [
        date(2026, 11, 3),
        date(2026, 11, 4),
        date(2026, 11, 5),
    ]
