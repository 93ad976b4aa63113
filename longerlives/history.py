"""What earlier runs and core teams left behind, read from the run store once, at the
start of a run, as a plain immutable value.

The pipeline reads a ``History`` before any stage runs (``longerlives.store.read_history``)
and hands the parts each stage needs to it: the letter cadence reads ``last_letters``,
the outcomes step reads ``outcomes``, delivery reads ``delivered``. No stage opens the
store itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

LAST_LETTERS_SCHEMA = pl.Schema(
    {
        "nhs_number": pl.String(),
        "last_letter": pl.Date(),
        "last_letter_flags": pl.String(),
    }
)
OUTCOMES_SCHEMA = pl.Schema(
    {
        "nhs_number": pl.String(),
        "last_outcome": pl.String(),
        "last_outcome_date": pl.Date(),
    }
)

COVERAGE_TRENDS_SCHEMA = pl.Schema(
    {
        "run_id": pl.String(),
        "as_of": pl.Date(),
        "measure": pl.String(),
        "group": pl.String(),
        "numerator": pl.Int64(),
        "denominator": pl.Int64(),
    }
)


@dataclass(frozen=True)
class Delivered:
    """One export already delivered successfully for this as-of date."""

    practice_code: str
    channel: str
    target: str
    sha256: str


@dataclass(frozen=True)
class History:
    """The run store's memory, as of the start of this run."""

    last_letters: pl.DataFrame  # LAST_LETTERS_SCHEMA: latest letter day per person and the flags it spoke to
    outcomes: pl.DataFrame  # OUTCOMES_SCHEMA: each person's latest recorded outreach outcome
    delivered: frozenset[Delivered] = field(default_factory=frozenset)  # exports delivered for this as-of date
    coverage_trends: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=COVERAGE_TRENDS_SCHEMA))
    # ICS-wide coverage counts of earlier succeeded nights (latest run per as-of date)
    collected_batches: frozenset[str] = frozenset()  # letter batches (run ids) recorded as collected

    @classmethod
    def empty(cls) -> History:
        """No earlier runs: the first night."""
        return cls(pl.DataFrame(schema=LAST_LETTERS_SCHEMA), pl.DataFrame(schema=OUTCOMES_SCHEMA), frozenset())


@dataclass(frozen=True)
class AuditLine:
    """One line for the store's audit trail (an export written, a delivery tried)."""

    kind: str  # "export" | "delivery"
    practice_code: str
    status: str  # "ok" | "skipped" | "failed"
    rows: int | None = None
    sha256: str | None = None
    channel: str | None = None
    target: str | None = None
    message_id: str | None = None
    detail: str | None = None
