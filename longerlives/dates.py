"""Calendar windows used by every rule, computed once from the as-of date.

"The last 12 months" means a date after the same calendar day one year before
the as-of date, up to and including the as-of date (run-outputs-v1.md). Months
are calendar months; a day that does not exist in the target month (31st, 29
February) falls back to the last day of that month.
"""

from __future__ import annotations

import calendar
from datetime import date


def months_before(as_of: date, months: int) -> date:
    """The same calendar day ``months`` months before ``as_of`` (clamped to month end)."""
    total = as_of.year * 12 + (as_of.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    day = min(as_of.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def age_on(date_of_birth: date, on: date) -> int:
    """Whole years of age on a date (birthday counts on the day itself)."""
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
