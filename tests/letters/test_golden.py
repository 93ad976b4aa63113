"""Golden files for every letter variant. Regenerate with ``UPDATE_GOLDEN=1 pytest tests/letters``
and review the diff like code (these are what patients read).

Embedded pictures are written as ``picture:<file>`` in the golden files so that a diff
stays readable; ``test_embedded_pictures_are_the_shipped_files`` checks the real bytes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from longerlives.letters.pictures import PICTURES_DIR, picture_uris
from tests.letters.variants import SPECIAL, VARIANTS, render_variants

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    made = render_variants(tmp_path_factory.mktemp("golden"), VARIANTS)
    return {v: (row, path.read_text(encoding="utf-8")) for v, (row, path) in made.items()}


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
