"""Letters in HTML as a person with a screen reader or low vision meets them: a <main>
landmark, no axe-core violations (Chromium), every picture with alt text, easy read and
large print at 16 pt or more. Also refreshes the screenshots in docs/img/ on request:
``UPDATE_SCREENSHOTS=1 .venv/bin/python -m pytest tests/letters/test_letter_accessibility.py``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.browser.harness import axe_violations, chromium_page
from tests.letters.variants import VARIANTS, WORST_CASE, render_variants

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
PT_16_IN_PX = 16 * 96 / 72  # CSS: 1pt = 96/72 px


@pytest.fixture(scope="module")
def letter_files(tmp_path_factory):
    return render_variants(tmp_path_factory.mktemp("a11y"), {**VARIANTS, **WORST_CASE})


@pytest.fixture(scope="module")
def page():
    with chromium_page(900, 1200) as p:
        yield p


@pytest.mark.parametrize("variant", sorted({**VARIANTS, **WORST_CASE}))
def test_letter_has_one_main_landmark_and_no_axe_violations(letter_files, page, variant):
    _, path = letter_files[variant]
    page.goto(path.as_uri())
    assert page.locator("main").count() == 1
    assert page.locator("h1").count() == 1
    assert axe_violations(page) == []


@pytest.mark.parametrize("variant", ["en_easy_read", "worst_easy_read"])
def test_every_easy_read_point_has_a_picture_with_alt_text(letter_files, page, variant):
    _, path = letter_files[variant]
    page.goto(path.as_uri())
    points = page.locator("main li")
    assert points.count() >= 8
    for i in range(points.count()):
        img = points.nth(i).locator("img")
        assert img.count() == 1
        assert (img.get_attribute("alt") or "").strip()
        assert img.evaluate("i => i.complete && i.naturalWidth > 0")  # the embedded SVG really loads


@pytest.mark.parametrize("variant", ["en_easy_read", "en_large_print", "worst_easy_read", "worst_large_print"])
def test_easy_read_and_large_print_text_is_at_least_16_point(letter_files, page, variant):
    _, path = letter_files[variant]
    page.goto(path.as_uri())
    smallest = page.evaluate(
        """() => Math.min(...[...document.body.querySelectorAll('*')]
            .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
            .map(e => parseFloat(getComputedStyle(e).fontSize)))"""
    )
    assert smallest >= PT_16_IN_PX - 0.01


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_screenshot_of_each_letter_variant(letter_files, page, variant, tmp_path):
    """docs/letters.md shows these; the shot must be a real page (not blank)."""
    _, path = letter_files[variant]
    page.goto(path.as_uri())
    shot = tmp_path / f"letter-{variant}.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_IMG / shot.name)
    assert (DOCS_IMG / shot.name).is_file(), "run with UPDATE_SCREENSHOTS=1 to add the screenshot to docs/img/"
