"""Urgency of flags (run-outputs-v2): ``same_day``, ``soon`` (within two weeks) or ``routine``.

Every flag carries its urgency from its rule (``RuleSpec.urgency``, or per row for
``safety.bp_severe``); this module ranks and words it for worklists and exports. A person's urgency (the most
urgent of their open flags) is worked out once, in their engagement plan
(``outreach.plans.safety_and_urgency``); letters and worklists read the plan's.
"""

from __future__ import annotations

import polars as pl

from longerlives.rules._spec import URGENCY_ORDER

URGENCY_RANK: dict[str, int] = dict(URGENCY_ORDER)
URGENCY_WORDS: dict[str, str] = {"same_day": "same day", "soon": "within two weeks", "routine": "routine"}


def urgency_rank(urgency: pl.Expr) -> pl.Expr:
    """0 for same_day, 1 for soon, 2 for routine (and for anything unknown)."""
    return urgency.replace_strict(URGENCY_RANK, default=URGENCY_RANK["routine"], return_dtype=pl.Int8)
