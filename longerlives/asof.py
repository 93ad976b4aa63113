"""Checks on the as-of date an operator gives (issue 12).

A future as-of date makes the run record letters "issued" on a day that has not come,
which then blocks real letters for the letter cadence; a date far in the past is a typo.
Only the CLI decides "today" and passes it in.
"""

from __future__ import annotations

from datetime import date, timedelta

from longerlives.errors import UsageError
from longerlives.settings.safeguards import SafeguardSettings


def check_as_of(as_of: date, today: date, allow_future: bool, safeguards: SafeguardSettings) -> None:
    """Raise ``UsageError`` for an as-of date the run must not use."""
    if as_of < safeguards.earliest_as_of:
        raise UsageError(
            f"--as-of {as_of.isoformat()} is before {safeguards.earliest_as_of.isoformat()}, the earliest date "
            "a run accepts ([operations.safeguards] earliest_as_of); check the date"
        )
    if as_of > today and not allow_future:
        raise UsageError(
            f"--as-of {as_of.isoformat()} is after today ({today.isoformat()}); letters recorded for a future "
            "date would block real letters. Add --allow-future-as-of if this is a deliberate test run"
        )
    latest = today + timedelta(days=safeguards.max_future_days)
    if as_of > latest:
        raise UsageError(
            f"--as-of {as_of.isoformat()} is more than {safeguards.max_future_days} days after today "
            "([operations.safeguards] max_future_days)"
        )
