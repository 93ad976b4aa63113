"""The letter templates receive exactly ``LetterContext``: every variable a template uses is
a field of it, and every ``p.<field>`` is a declared ``LETTER_ROW`` column that ``letter_rows``
produces with its declared dtype."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import meta

from longerlives.letters.context import CONTEXT_FIELDS, LETTER_ROW, LetterContext
from longerlives.letters.render import environment
from longerlives.paths import LETTER_TEMPLATES_DIR

TEMPLATES = sorted(p for p in Path(LETTER_TEMPLATES_DIR).rglob("*.j2"))
ROW_FIELD = re.compile(r"\bp\.([a-z_]+)|\bp\[\s*['\"]([a-z_]+)['\"]\s*\]")


def _source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_the_letter_templates_are_found():
    names = {p.name for p in TEMPLATES}
    assert {"letter.html.j2", "easy_read.html.j2", "_words.j2", "_macros.j2"} <= names


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(LETTER_TEMPLATES_DIR)))
def test_every_variable_a_template_uses_is_a_field_of_the_letter_context(path):
    env = environment()
    used = meta.find_undeclared_variables(env.parse(_source(path)))
    assert used <= set(CONTEXT_FIELDS), f"not in LetterContext: {sorted(used - set(CONTEXT_FIELDS))}"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(LETTER_TEMPLATES_DIR)))
def test_every_letter_field_a_template_reads_is_a_declared_letter_row_column(path):
    read = {a or b for a, b in ROW_FIELD.findall(_source(path))}
    assert read <= set(LETTER_ROW.names), f"not in LETTER_ROW: {sorted(read - set(LETTER_ROW.names))}"


def test_a_letter_never_receives_a_risk_score():
    names = " ".join((*CONTEXT_FIELDS, *LETTER_ROW.names))
    assert "qrisk" not in names and "qdiabetes" not in names and "score" not in names


def test_every_context_field_is_documented():
    source = Path(__file__).resolve().parents[2] / "longerlives" / "letters" / "context.py"
    text = source.read_text(encoding="utf-8")
    for name in CONTEXT_FIELDS:
        assert re.search(rf"^    {name}: .+  # \w", text, re.M), f"LetterContext.{name} has no comment"
    assert all(c.doc for c in LETTER_ROW.columns)
    assert LetterContext.__doc__


def test_letters_written_from_a_run_have_exactly_the_declared_row_columns(tmp_path):
    """The rows of a real letters stage (hand-built people, one practice, one team) match LETTER_ROW."""
    from longerlives import letters
    from longerlives.letters.render import letter_rows
    from tests.letters.conftest import PRACTICES, TEAMS, letter_run
    from tests.outreach.helpers import person

    rows = [person(i) for i in range(4)]
    run = letter_run(tmp_path, rows, [(r["nhs_number"], "ecg.annual") for r in rows])
    inputs = letters.LetterInputs(run.decisions, run.people, run.flags, run.plans, PRACTICES, TEAMS)
    produced = letter_rows(inputs)
    assert produced.height == 4
    assert LETTER_ROW.problems(produced) == []
    assert list(produced.columns) == list(LETTER_ROW.names)
