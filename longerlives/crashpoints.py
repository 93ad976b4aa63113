"""Test-only crash injection: kill the process at a named point (issue 12).

When the environment variable ``LONGERLIVES_TEST_CRASH_AT`` equals a point's name the
process ends at once with ``os._exit(137)`` — no ``finally`` blocks, no cleanup, like
``kill -9``. Points are every stage boundary (``<stage>.start`` / ``<stage>.done``) and
places inside the writing stages (``CRASH_POINTS``). Unset in production: one
dictionary lookup per point.
"""

from __future__ import annotations

import os

ENV = "LONGERLIVES_TEST_CRASH_AT"
EXIT_STATUS = 137
# Points inside writing stages (stage boundaries are added by pipeline._stage).
INSIDE = (
    "outputs.flags_written",
    "letters.rendered",
    "letters.batches_kept",
    "promote.swapped",
    "store_record.in_transaction",
    "delivery.between",
)


# Reached only where renameat2(RENAME_EXCHANGE) is unavailable (the two-rename fallback).
FALLBACK_ONLY = ("promote.set_aside",)


def crash_point(name: str) -> None:
    if os.environ.get(ENV) == name:
        os._exit(EXIT_STATUS)
