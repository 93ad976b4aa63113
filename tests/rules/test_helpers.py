"""Shared verbs: the window edge and the day a record falls out of it must agree everywhere."""

from datetime import date, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from longerlives.rules._helpers import fell_out_of_window, num, within_months


def _within(day: date, as_of: date, months: int) -> bool:
    return pl.select(within_months(pl.lit(day), as_of, months)).item()


def _falls_out(day: date, months: int) -> date:
    return pl.select(fell_out_of_window(pl.lit(day), months)).item()


@settings(max_examples=300, deadline=None)
@given(day=st.dates(date(2000, 1, 1), date(2030, 12, 31)), months=st.sampled_from([1, 6, 12, 30, 36, 42, 66]))
def test_a_record_counts_until_the_day_before_it_falls_out_and_not_from_that_day(day, months):
    out = _falls_out(day, months)
    assert _within(day, out - timedelta(days=1), months)
    assert not _within(day, out, months)


def test_29_february_plus_a_year_falls_out_on_1_march():
    assert _falls_out(date(2024, 2, 29), 12) == date(2025, 3, 1)
    assert _falls_out(date(2023, 8, 31), 6) == date(2024, 3, 1)


def test_numbers_in_words_drop_a_trailing_zero_and_keep_one_decimal():
    got = pl.select(num(pl.Series([152.0, 31.24, 27.5, 14.0]))).to_series().to_list()
    assert got == ["152", "31.2", "27.5", "14"]
