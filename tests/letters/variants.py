"""Every letter variant a person can receive, rendered once through the real letters stage
(golden files, accessibility, readability, large-print pages and screenshots all use these)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from longerlives.outreach.items import FLAG_ITEMS
from tests.letters.conftest import letter_run
from tests.outreach.helpers import person

ALL_ITEMS = (
    "phc.blood_pressure",
    "phc.lipids",
    "ecg.annual",
    "followup.hba1c",
    "screening.cervical",
    "screening.bowel",
    "smoking.cessation_offer",
    "followup.bmi",
)
SAME_DAY_BP = "Blood pressure 192/104 on 2025-06-24 is 180/120 or higher and needs same-day assessment"
VARIANTS: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "en_standard": ({}, ALL_ITEMS),
    "en_large_print": ({"communication_needs": "large_print"}, ALL_ITEMS),
    "en_easy_read": (
        {"communication_needs": "easy_read", "title": None},
        ("phc.blood_pressure", "phc.glucose", "screening.bowel"),
    ),
    # Polish is not reviewed (config/letters.toml): English letter, interpreter offered at the top
    "en_interpreter_offer": (
        {"preferred_language": "pl", "given_name": "Zofia", "family_name": "Kowalska"},
        ("phc.bmi", "phc.smoking"),
    ),
    # a same-day safety item, with open risk flags whose scores must not appear
    "en_urgent": (
        {"safety_items": SAME_DAY_BP, "qrisk3": 17.26, "qdiabetes": 12.04, "core_team": None},
        ("followup.hba1c", "risk.qrisk3", "risk.qdiabetes"),
    ),
}
SPECIAL = {"en_interpreter_offer", "en_urgent"}
# The longest letters we can make: every item a letter can ask about, urgent, interpreter offer.
WORST_CASE = {
    f"worst_{fmt}": (
        {
            "communication_needs": None if fmt == "standard" else fmt,
            "safety_items": SAME_DAY_BP,
            "preferred_language": "so",
            "address_line_2": "Flat 12, Long Name Court",
            "address_line_4": "Somewhere Quite Long",
        },
        tuple(FLAG_ITEMS),
    )
    for fmt in ("standard", "large_print", "easy_read")
}
# The most a large print letter shows with each item's reason (large_print_reasons_max_items = 8).
WORST_CASE["worst_large_print_with_reasons"] = (
    {**WORST_CASE["worst_large_print"][0]},
    ALL_ITEMS,
)


def render_variants(
    tmp_path: Path, variants: dict[str, tuple[dict[str, Any], tuple[str, ...]]]
) -> dict[str, tuple[dict[str, Any], Path]]:
    """variant -> (letters/index.csv row, path of the HTML letter)."""
    rows, flags, names = [], [], {}
    for i, (variant, (over, items)) in enumerate(sorted(variants.items()), start=1):
        p = person(i, **over)
        rows.append(p)
        flags += [(p["nhs_number"], f) for f in items]
        names[variant] = p["nhs_number"]
    ctx = letter_run(tmp_path, rows, flags)
    index = {r["nhs_number"]: r for r in ctx.letters_index.to_dicts()}
    return {v: (index[n], ctx.staging / index[n]["path"]) for v, n in names.items()}
