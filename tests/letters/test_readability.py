"""Plain English, measured: Flesch-Kincaid grade (textstat) of every letter template as a
person reads it, and of every item's patient wording. The standard letter is held at
grade 6 or lower and easy read lower still (issue 15; figures in docs/letters.md:
``.venv/bin/python -m tests.letters.test_readability`` prints them)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import textstat

from longerlives.letters.render import environment
from longerlives.outreach.items import FLAG_ITEMS
from tests.letters.conftest import visible_text
from tests.letters.variants import VARIANTS, WORST_CASE, render_variants

STANDARD_MAX_GRADE = 6.0
EASY_READ_MAX_GRADE = 4.0  # every easy read line: lower than the standard letter's ceiling
EASY_READ_LETTER_MAX_GRADE = 3.0
textstat.set_lang("en_GB")


def grade(text: str) -> float:
    return float(textstat.flesch_kincaid_grade(text))


def readable_text(html: str) -> str:
    """What the reader reads in the letter body: no phone numbers or NHS numbers (digits are
    not words), no address block; the alt text of pictures is left out (it repeats the line)."""
    text = visible_text(html.replace("alt=", "data-alt="), "main")
    return re.sub(r"\d[\d ]*\d", "", text)


def item_wording(language: str = "en") -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """Each flag's patient wording in the standard and the easy read templates."""
    module = environment().get_template(f"{language}/_words.j2").module
    easy = environment().get_template(f"{language}/_easy_words.j2").module
    return dict(module.ITEMS), dict(easy.EASY)


@pytest.fixture(scope="module")
def letters_text(tmp_path_factory):
    made = render_variants(tmp_path_factory.mktemp("fk"), {**VARIANTS, **WORST_CASE})
    return {v: (row, readable_text(path.read_text(encoding="utf-8"))) for v, (row, path) in made.items()}


def test_every_flag_a_letter_asks_about_has_standard_and_easy_read_wording():
    from longerlives.rules import REGISTRY

    standard, easy = item_wording()
    assert set(standard) == {r.spec.words_key for r in REGISTRY} == set(easy)
    assert set(FLAG_ITEMS) <= set(standard)


@pytest.mark.parametrize("flag", sorted(FLAG_ITEMS))
def test_each_items_standard_wording_is_grade_6_or_lower(flag):
    what, why = item_wording()[0][flag]
    assert grade(f"{what}. {why}") <= STANDARD_MAX_GRADE


@pytest.mark.parametrize("flag", sorted(FLAG_ITEMS))
def test_each_items_easy_read_wording_is_below_the_standard_ceiling(flag):
    assert grade(item_wording()[1][flag][1]) <= EASY_READ_MAX_GRADE


def test_easy_read_item_wording_is_easier_on_average_than_the_standard_wording():
    """One short sentence is a noisy sample for Flesch-Kincaid; the whole set is not."""
    standard, easy = item_wording()
    mean_standard = sum(grade(f"{w}. {y}") for w, y in standard.values()) / len(standard)
    mean_easy = sum(grade(line) for _, line in easy.values()) / len(easy)
    assert mean_easy < mean_standard


@pytest.mark.parametrize(
    "variant",
    ["en_standard", "en_large_print", "en_urgent", "en_interpreter_offer", "worst_standard", "worst_large_print"],
)
def test_standard_and_large_print_letters_are_grade_6_or_lower(letters_text, variant):
    assert grade(letters_text[variant][1]) <= STANDARD_MAX_GRADE


@pytest.mark.parametrize("easy,standard", [("en_easy_read", "en_standard"), ("worst_easy_read", "worst_standard")])
def test_easy_read_letter_is_easier_than_the_standard_letter(letters_text, easy, standard):
    assert grade(letters_text[easy][1]) < grade(letters_text[standard][1])
    assert grade(letters_text[easy][1]) <= EASY_READ_LETTER_MAX_GRADE  # short common words, one idea a line


def test_easy_read_keeps_to_one_short_idea_a_line(letters_text):
    """Mencap: one idea a line: no line of the easy read letter has more than 2 sentences or 12 words."""
    for variant in ("en_easy_read", "worst_easy_read"):
        row, _ = letters_text[variant]
        assert row["format"] == "easy_read"
    path_html = render_variants(Path(_tmp()), {"x": ({"communication_needs": "easy_read"}, tuple(FLAG_ITEMS))})["x"][1]
    html = path_html.read_text(encoding="utf-8")
    for line in re.findall(r"<span>(.*?)</span>", html):
        assert len(re.findall(r"[.!?](\s|$)", line)) <= 2 and len(line.split()) <= 12, line


def _tmp() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="easy-read-")


if __name__ == "__main__":  # figures for docs/letters.md
    import tempfile

    made = render_variants(Path(tempfile.mkdtemp()), {**VARIANTS, **WORST_CASE})
    print("| letter | Flesch-Kincaid grade | Flesch reading ease |")
    print("|---|---|---|")
    for v, (_, p) in sorted(made.items()):
        t = readable_text(p.read_text(encoding="utf-8"))
        print(f"| {v} | {grade(t):.1f} | {textstat.flesch_reading_ease(t):.0f} |")
    standard, easy = item_wording()
    print("\n| flag | standard grade | easy read grade |")
    print("|---|---|---|")
    for f in sorted(FLAG_ITEMS):
        print(f"| `{f}` | {grade(standard[f][0] + '. ' + standard[f][1]):.1f} | {grade(easy[f][1]):.1f} |")
