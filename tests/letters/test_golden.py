"""Golden files for every letter variant. Regenerate with ``UPDATE_GOLDEN=1 pytest tests/letters``
and review the diff like code (these are what patients read).

Embedded pictures are written as ``picture:<file>`` in the golden files so that a diff
stays readable; ``test_embedded_pictures_are_the_shipped_files`` checks the real bytes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from longerlives import letters, outreach
from longerlives.letters.pictures import PICTURES_DIR, picture_uris
from tests.letters.conftest import letter_ctx
from tests.outreach.helpers import person

GOLDEN = Path(__file__).parent / "golden"
ALL_ITEMS = ("phc.blood_pressure", "phc.lipids", "ecg.annual", "followup.hba1c", "screening.cervical",
             "screening.bowel", "smoking.cessation_offer", "followup.bmi")
SAME_DAY_BP = "Blood pressure 192/104 on 2025-06-24 is 180/120 or higher and needs same-day assessment"
VARIANTS = {
    "en_standard": ({}, ALL_ITEMS),
    "en_large_print": ({"communication_needs": "large_print"}, ALL_ITEMS),
    "en_easy_read": ({"communication_needs": "easy_read", "title": None}, ("phc.blood_pressure", "phc.glucose", "screening.bowel")),
    # Polish is not reviewed (config/letters.toml): English letter, interpreter offered at the top
    "en_interpreter_offer": ({"preferred_language": "pl", "given_name": "Zofia", "family_name": "Kowalska"},
                             ("phc.bmi", "phc.smoking")),
    # a same-day safety item, with open risk flags whose scores must not appear
    "en_urgent": ({"safety_items": SAME_DAY_BP, "qrisk3": 17.26, "qdiabetes": 12.04, "core_team": None},
                  ("followup.hba1c", "risk.qrisk3", "risk.qdiabetes")),
}
SPECIAL = {"en_interpreter_offer", "en_urgent"}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    rows, flags, names = [], [], {}
    for i, (variant, (over, items)) in enumerate(sorted(VARIANTS.items()), start=1):
        p = person(i, **over)
        rows.append(p)
        flags += [(p["nhs_number"], f) for f in items]
        names[variant] = p["nhs_number"]
    ctx = letter_ctx(tmp_path_factory.mktemp("golden"), rows, flags)
    outreach.stage(ctx)
    letters.stage(ctx)
    index = {r["nhs_number"]: r for r in ctx.letters_index.to_dicts()}
    return {v: (index[n], (ctx.staging / index[n]["path"]).read_text(encoding="utf-8")) for v, n in names.items()}


def readable(html: str) -> str:
    """The letter with each embedded picture named by its shipped file."""
    for name, uri in picture_uris().items():
        html = html.replace(uri, f"picture:{name}.svg")
    return html


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_letter_matches_golden(rendered, variant):
    row, html = rendered[variant]
    html = readable(html)
    assert "data:image" not in html  # every embedded picture is one of the shipped files
    lang, fmt = variant.split("_", 1)[0], row["format"]
    assert row["language"] == lang
    assert variant.split("_", 1)[1].startswith(fmt) or variant in SPECIAL
    path = GOLDEN / f"{variant}.html"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(html, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}; run with UPDATE_GOLDEN=1"
    assert html == path.read_text(encoding="utf-8")


def test_embedded_pictures_are_the_shipped_files(rendered):
    import base64
    import re

    _, html = rendered["en_easy_read"]
    uris = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)
    shipped = {p.read_bytes() for p in PICTURES_DIR.glob("*.svg")}
    assert len(uris) >= 10
    assert all(base64.b64decode(u) in shipped for u in uris)
