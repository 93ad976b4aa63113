"""Golden files for every letter variant. Regenerate with ``UPDATE_GOLDEN=1 pytest tests/letters``
and review the diff like code (these are what patients read)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from longerlives import letters, outreach
from tests.letters.conftest import letter_run
from tests.outreach.helpers import person

GOLDEN = Path(__file__).parent / "golden"
ALL_ITEMS = ("phc.blood_pressure", "phc.lipids", "ecg.annual", "followup.hba1c", "screening.cervical",
             "screening.bowel", "smoking.cessation_offer", "followup.bmi")
VARIANTS = {
    "en_standard": ({}, ALL_ITEMS),
    "en_large_print": ({"communication_needs": "large_print"}, ALL_ITEMS),
    "en_easy_read": ({"communication_needs": "easy_read", "title": None}, ("phc.blood_pressure", "phc.glucose", "screening.bowel")),
    "pl_standard": ({"preferred_language": "pl", "given_name": "Zofia", "family_name": "Kowalska"}, ALL_ITEMS),
    "pl_large_print": ({"preferred_language": "pl", "communication_needs": "large_print", "family_name": "Nowak"}, ALL_ITEMS),
    "en_interpreter_fallback": ({"preferred_language": "so", "interpreter_required": True}, ("phc.bmi", "phc.smoking")),
    "en_urgent_with_risk": ({"safety_items": "HbA1c 50 mmol/mol on 2025-05-01 in the diabetes range", "qrisk3": 17.26,
                             "qdiabetes": 12.04, "core_team": None}, ("followup.hba1c", "risk.qrisk3", "risk.qdiabetes")),
    "pl_urgent_with_risk": ({"preferred_language": "pl", "safety_items": "Blood pressure 185/90", "qrisk3": 11.0},
                            ("risk.qrisk3", "followup.blood_pressure")),
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    rows, flags, names = [], [], {}
    for i, (variant, (over, items)) in enumerate(sorted(VARIANTS.items()), start=1):
        p = person(i, **over)
        rows.append(p)
        flags += [(p["nhs_number"], f) for f in items]
        names[variant] = p["nhs_number"]
    ctx = letter_run(tmp_path_factory.mktemp("golden"), rows, flags)
    index = {r["nhs_number"]: r for r in ctx.letters_index.to_dicts()}
    return {v: (index[n], (ctx.staging / index[n]["path"]).read_text(encoding="utf-8")) for v, n in names.items()}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_letter_matches_golden(rendered, variant):
    row, html = rendered[variant]
    lang, fmt = variant.split("_", 1)[0], row["format"]
    assert row["language"] == lang
    assert variant.split("_", 1)[1].startswith(fmt) or variant.split("_", 1)[1] in ("interpreter_fallback", "urgent_with_risk")
    path = GOLDEN / f"{variant}.html"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(html, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}; run with UPDATE_GOLDEN=1"
    assert html == path.read_text(encoding="utf-8")
