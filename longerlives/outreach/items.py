"""What each flag asks a clinician to do, and where it sits in an engagement plan.

Plans are ordered: safety items, then what one appointment can cover together
(missing check elements, ECG, result follow-ups), then screening, then lifestyle
support (smoking, alcohol, weight). Patient-facing words live in the letter
templates (one set per language), not here.
"""

from __future__ import annotations

import polars as pl

from longerlives.rules import REGISTRY

GROUPS = ("appointment", "screening", "lifestyle")
GROUP_ORDER = {"safety": 0, "appointment": 1, "screening": 2, "lifestyle": 3}

# flag id -> (group, order within the group, clinician-facing words), read from each
# registered rule's RULE (plan_group, plan_order, plan_words): one rule, one place.
FLAG_ITEMS: dict[str, tuple[str, int, str]] = {
    rule.spec.id: (rule.spec.plan_group, rule.spec.plan_order, rule.spec.plan_words)
    for rule in REGISTRY
    if rule.spec.plan_group in GROUPS
}
OUTREACH_FLAG = "outreach.marginalised"

# Short words for the element names used in outreach reasons (domain.md §5.2 example).
ELEMENT_WORDS = {
    "blood_pressure": "blood pressure",
    "bmi": "BMI",
    "lipids": "lipids",
    "glucose": "HbA1c",
    "alcohol": "alcohol",
    "smoking": "smoking",
}

GROUP_LEADS = {
    "appointment": "One appointment to cover: ",
    "screening": "Screening: ",
    "lifestyle": "Lifestyle support: ",
}


def flag_items_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "flag": list(FLAG_ITEMS),
            "group": [g for g, _, _ in FLAG_ITEMS.values()],
            "order": [o for _, o, _ in FLAG_ITEMS.values()],
            "words": [w for _, _, w in FLAG_ITEMS.values()],
        },
        schema={"flag": pl.String, "group": pl.String, "order": pl.Int64, "words": pl.String},
    )
