"""Each rule of letter choice and suppression (issue 5 §4; run-outputs-v1.md letters/index.csv)."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from tests.letters.conftest import letter_run, visible_text
from tests.outreach.helpers import person

SAFETY = "Blood pressure 190/95 on 2025-06-01 is 180/120 or higher"


def _run(tmp_path, rows, flags=None, make_pdf=False):
    flags = flags if flags is not None else [(r["nhs_number"], "ecg.annual") for r in rows]
    ctx = letter_run(tmp_path, rows, flags, make_pdf=make_pdf)
    return ctx, {r["nhs_number"]: r for r in ctx.letters_index.to_dicts()}


def _decision(tmp_path, **kw):
    p = person(1, **kw)
    ctx, index = _run(tmp_path, [p])
    d = ctx.decisions.row(0, named=True)
    return d, index.get(p["nhs_number"])


def test_standard_letter_by_default(tmp_path):
    d, row = _decision(tmp_path)
    assert (row["format"], row["language"], row["letter"]) == ("standard", "en", "health_check_invitation")
    assert row["path"] == "letters/A81001/" + person(1)["nhs_number"] + ".html"


@pytest.mark.parametrize(
    "needs,fmt",
    [
        ("large_print", "large_print"),
        ("easy_read", "easy_read"),
        ("easy_read;large_print", "easy_read"),
        ("email", "standard"),
    ],
)
def test_format_from_communication_needs(tmp_path, needs, fmt):
    _, row = _decision(tmp_path, communication_needs=needs)
    assert row["format"] == fmt


@pytest.mark.parametrize("need", ["braille", "bsl", "audio"])
def test_needs_a_letter_cannot_meet_suppress_the_letter(tmp_path, need):
    d, row = _decision(tmp_path, communication_needs=f"{need};large_print")
    assert row is None and not d["send"]
    assert d["suppressed_because"] == f"needs {need}: no standard letter"


def test_contact_by_letter_false_suppresses(tmp_path):
    d, row = _decision(tmp_path, contact_by_letter=False)
    assert row is None and d["suppressed_because"] == "contact_by_letter is false"


def test_out_of_scope_gets_no_letter(tmp_path):
    p = person(1, in_scope=False, health_check_cohort=False)
    ctx, index = _run(tmp_path, [p])
    assert index == {} and ctx.plans.height == 0


def test_nothing_actionable_no_letter(tmp_path):
    # only the outreach flag (marginalised by circumstance, every check done): worklist yes, letter no
    rows = [person(1, imd_decile=1, interpreter_required=True, homeless_last_date=date(2025, 1, 1))]
    rows += [person(i) for i in range(2, 6)]
    ctx, index = _run(tmp_path, rows, flags=[])
    assert ctx.plans.height == 1 and index == {}
    assert ctx.decisions["suppressed_because"].to_list() == ["nothing actionable"]


def test_safety_item_alone_is_actionable_and_urgent(tmp_path):
    p = person(1, safety_items=SAFETY)
    ctx, index = _run(tmp_path, [p], flags=[])
    row = index[p["nhs_number"]]
    assert row["letter"] == "urgent_invitation"
    html = (ctx.staging / row["path"]).read_text(encoding="utf-8")
    assert "Please phone 020 7946 0000 today." in html  # reading of 2025-06-01 is within 30 days: same day
    assert "within the next week" not in html
    assert "190/95" not in html  # clinical detail stays on the worklist


def test_an_older_severe_reading_asks_for_a_call_within_two_weeks(tmp_path):
    p = person(1, safety_items="Blood pressure 190/95 on 2025-04-02 is 180/120 or higher")
    ctx, index = _run(tmp_path, [p], flags=[])
    html = (ctx.staging / index[p["nhs_number"]]["path"]).read_text(encoding="utf-8")
    assert "Please phone 020 7946 0000 in the next two weeks." in html and "today" not in html


def test_same_day_letter_gives_the_number_before_anything_else_in_the_letter_body(tmp_path):
    import re

    p = person(1, safety_items=SAFETY, communication_needs="large_print")
    ctx, index = _run(tmp_path, [p], flags=[(p["nhs_number"], "ecg.annual")])
    html = (ctx.staging / index[p["nhs_number"]]["path"]).read_text(encoding="utf-8")
    body = re.sub(r"<[^>]+>", " ", html.split("<main>", 1)[1])
    first_words = " ".join(body.split())[:45]
    assert first_words.startswith("Please phone 020 7946 0000 today.")


def test_unreviewed_polish_translation_is_not_sent(tmp_path):
    d, row = _decision(tmp_path, preferred_language="pl")
    assert (row["language"], row["format"]) == ("en", "standard") and d["interpreter_offer"]
    assert d["letter_note"] == "letter in English (no reviewed pl letter); interpreter offered"


def test_a_translation_marked_reviewed_is_used(tmp_path):
    from longerlives.settings import load_settings

    cfg = tmp_path / "reviewed.toml"
    cfg.write_text(
        '[letters.translations.pl]\nreviewed = true\nreviewed_by = "A. Translator (test)"\nreviewed_on = 2025-05-01\n',
        encoding="utf-8",
    )
    settings = load_settings(cfg)
    p = person(1, preferred_language="pl", communication_needs="large_print")
    ctx = letter_run(tmp_path, [p], [(p["nhs_number"], "ecg.annual")], settings=settings)
    row = ctx.letters_index.row(0, named=True)
    assert (row["language"], row["format"]) == ("pl", "large_print")
    assert '<html lang="pl">' in (ctx.staging / row["path"]).read_text(encoding="utf-8")


def test_a_translation_cannot_be_marked_reviewed_without_who_and_when(tmp_path):
    from pydantic import ValidationError

    from longerlives.settings.letters import Translation

    with pytest.raises(ValidationError, match="reviewed_by and reviewed_on"):
        Translation(reviewed=True)


def test_language_without_template_falls_back_to_english_with_interpreter(tmp_path):
    d, row = _decision(tmp_path, preferred_language="so")
    assert row["language"] == "en" and d["interpreter_offer"]
    assert d["letter_note"] == "letter in English (no reviewed so letter); interpreter offered"
    d, row = _decision(tmp_path, preferred_language="pl", communication_needs="easy_read")  # no Polish easy read
    assert (row["language"], row["format"]) == ("en", "easy_read") and d["interpreter_offer"]


def test_index_csv_contract(tmp_path):
    rows = [person(1), person(2, contact_by_letter=False), person(3, communication_needs="braille")]
    ctx, index = _run(tmp_path, rows)
    with (ctx.staging / "letters" / "index.csv").open(encoding="utf-8") as fh:
        got = list(csv.DictReader(fh))
    assert list(got[0]) == ["nhs_number", "letter", "language", "format", "path"]
    assert [g["nhs_number"] for g in got] == [rows[0]["nhs_number"]]
    assert (ctx.staging / got[0]["path"]).is_file()
    assert "letters/index.csv" in ctx.files and got[0]["path"] in ctx.files


def test_names_are_escaped_and_no_diagnostic_labels(tmp_path):
    p = person(1, given_name="<script>x</script>", family_name="O'Brien & Co")
    ctx, index = _run(tmp_path, [p], flags=[(p["nhs_number"], f) for f in ("phc.bmi", "ecg.annual", "screening.bowel")])
    html = (ctx.staging / index[p["nhs_number"]]["path"]).read_text(encoding="utf-8").lower()
    assert "<script>" not in html and "&lt;script&gt;" in html
    for label in ("mental", "psychosis", "schizophrenia", "bipolar", "smi", "severe mental"):
        assert label not in html.replace("smoking", "")


@pytest.mark.parametrize("needs", [None, "large_print", "easy_read"])
def test_letters_never_show_a_risk_score_or_licence_text(tmp_path, needs):
    p = person(1, qrisk3=49.123, qdiabetes=23.45, communication_needs=needs)
    ctx, index = _run(tmp_path, [p], flags=[(p["nhs_number"], "risk.qrisk3"), (p["nhs_number"], "risk.qdiabetes")])
    text = visible_text((ctx.staging / index[p["nhs_number"]]["path"]).read_text(encoding="utf-8"), "main")
    for shown in ("49", "23", "%", "in 100", "ClinRisk", "QRISK", "QDiabetes", "disclaimer", "licence"):
        assert shown not in text
    assert "talk about your heart" in text.lower()
    assert "diabetes" in text.lower() or "blood sugar" in text.lower()


def test_pdf_beside_html(tmp_path):
    p = person(1)
    ctx, index = _run(tmp_path, [p], make_pdf=True)
    pdf = ctx.staging / index[p["nhs_number"]]["path"].replace(".html", ".pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert str(pdf.relative_to(ctx.staging)) in ctx.files
