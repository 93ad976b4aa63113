"""lithium.monitoring — on lithium and a monitoring blood test missing in the last 6 months (NICE CG185 1.10)."""

from __future__ import annotations

from datetime import date

import polars as pl
from pydantic import BaseModel, Field

from longerlives.rules._helpers import iso, last_date, months_words, within_months
from longerlives.rules._spec import RuleSpec, flags
from longerlives.settings.rules import FROZEN, RulesSettings


class Params(BaseModel):
    model_config = FROZEN
    medicine: str  # the lithium medicine concept (LIT_COD, here BNF chemicals)
    stopped: str  # "lithium stopped" concept (LITSTP_COD): a stop after the latest issue ends the cohort
    issue_months: int = Field(ge=1, le=24)  # on lithium = issued within this many months
    test_months: int = Field(ge=1, le=24)  # each test due within this many months
    # test name in words -> concepts any of which counts (order = order in the reason)
    tests: dict[str, tuple[str, ...]]
    source: str

    def concepts_used(self) -> set[str]:
        return {self.medicine} | {c for cs in self.tests.values() for c in cs}

    def optional_concepts(self) -> set[str]:
        # LITSTP_COD has no public list yet (manifest [pending]): treated as never recorded,
        # so a missing stop code keeps the person in the cohort (more flags, not fewer).
        return {self.stopped}


RULE = RuleSpec(
    id="lithium.monitoring",
    title="Lithium monitoring blood tests overdue",
    why_it_matters="Lithium has a narrow therapeutic range and harms the kidneys, thyroid and parathyroid glands; "
    "NICE CG185 asks for a lithium level, renal and thyroid function and calcium at least every 6 months. "
    "No lithium monitoring existed before issue 11.",
    source="NICE CG185 1.10.15-1.10.18 (https://www.nice.org.uk/guidance/cg185/chapter/Recommendations); "
    "run-outputs-v2.md lithium.monitoring; domain.md §1.3",
    windows={
        "lithium": "lithium issued in the 6 months to the as-of date, no stop code after the latest issue",
        "tests": "each test (lithium level, eGFR or creatinine, TSH, calcium) within the 6 months to the as-of date",
    },
    codelists=("lithium", "lithium_level", "egfr", "creatinine", "tsh", "calcium"),
    last_reviewed=date(2026, 12, 1),
    next_review=date(2027, 12, 1),
    params=Params,
    plan_group="appointment",
    plan_order=14,
    plan_words="lithium monitoring bloods (level, renal, thyroid, calcium)",
)


def evaluate(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.LazyFrame:
    prm = settings.params(RULE.id, Params)
    issued = pl.col(f"{prm.medicine}_last_date")
    stopped = pl.col(f"{prm.stopped}_last_date")
    on_lithium = within_months(issued, as_of, prm.issue_months) & (stopped.is_null() | (stopped < issued))
    missing = [
        pl.when(~within_months(last_date(*concepts), as_of, prm.test_months)).then(pl.lit(name))
        for name, concepts in prm.tests.items()
    ]
    missing_words = pl.concat_str(missing, separator=", ", ignore_nulls=True)
    # Step 1: lithium issued within the window and not stopped since the latest issue.
    # Step 2: any of the monitoring tests not recorded within its window; the reason names each.
    gap = people.filter(on_lithium & (missing_words != ""))
    reason = pl.format(
        "Lithium last issued {}; no {} in the last {} (NICE CG185: every 6 months)",
        iso(issued),
        missing_words,
        pl.lit(months_words(prm.test_months)),
    )
    return flags(gap, RULE.id, pl.lit(None, dtype=pl.Date), reason)
