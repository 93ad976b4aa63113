"""Large print is laid out to one or two A4 pages at 16 pt or more, counted by rendering
the PDF with WeasyPrint (what --pdf sends to the printer)."""

from __future__ import annotations

import pytest
from weasyprint import HTML

from longerlives.settings import load_settings
from tests.letters.variants import VARIANTS, WORST_CASE, render_variants


@pytest.fixture(scope="module")
def letter_files(tmp_path_factory):
    return render_variants(tmp_path_factory.mktemp("pdf"), {**VARIANTS, **WORST_CASE})


def pages(path) -> list:
    return HTML(filename=str(path)).render().pages


def test_large_print_is_at_least_16_point_by_configuration():
    assert load_settings().letters.large_print_font_pt >= 16
    assert load_settings().letters.easy_read_font_pt >= 16


@pytest.mark.parametrize("variant", ["en_large_print", "worst_large_print", "worst_large_print_with_reasons"])
def test_large_print_letter_fits_one_or_two_a4_pages(letter_files, variant):
    row, path = letter_files[variant]
    assert row["format"] == "large_print"
    got = pages(path)
    assert 1 <= len(got) <= 2
    a4 = (210 * 96 / 25.4, 297 * 96 / 25.4)
    assert all(abs(p.width - a4[0]) < 1 and abs(p.height - a4[1]) < 1 for p in got)


def test_second_large_print_page_is_not_almost_empty_when_there_is_one(letter_files):
    """Two pages are fine; a second page holding only a line or two is the old fault."""
    for variant in ("en_large_print", "worst_large_print", "worst_large_print_with_reasons"):
        got = pages(letter_files[variant][1])
        if len(got) == 2:
            boxes = [b for b in _descendants(got[1]._page_box) if getattr(b, "text", "").strip()]
            assert len(boxes) >= 5


def _descendants(box):
    yield box
    for child in getattr(box, "children", []) or []:
        yield from _descendants(child)


@pytest.mark.parametrize("variant", ["en_standard", "en_urgent", "en_interpreter_offer", "worst_standard"])
def test_standard_letters_fit_two_a4_pages(letter_files, variant):
    assert 1 <= len(pages(letter_files[variant][1])) <= 2
