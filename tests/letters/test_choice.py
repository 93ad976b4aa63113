"""Each rule of letter choice and suppression (issue 5 §4; run-outputs-v1.md letters/index.csv)."""

from __future__ import annotations

import csv
from datetime import date

import polars as pl
import pytest

from longerlives import letters, outreach
from tests.letters.conftest import letter_run
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


@pytest.mark.parametrize("needs,fmt", [
    ("large_print", "large_print"), ("easy_read", "easy_read"), ("easy_read;large_print", "easy_read"), ("email", "standard"),
])
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
    assert "Please contact us as soon as you can" in html
    assert "190/95" not in html  # clinical detail stays on the worklist


def test_language_template_used_when_available(tmp_path):
    _, row = _decision(tmp_path, preferred_language="pl")
    assert (row["language"], row["format"]) == ("pl", "standard")
    _, row = _decision(tmp_path, preferred_language="pl", communication_needs="large_print")
    assert (row["language"], row["format"]) == ("pl", "large_print")


def test_language_without_template_falls_back_to_english_with_interpreter(tmp_path):
    d, row = _decision(tmp_path, preferred_language="so")
    assert row["language"] == "en" and d["interpreter_offer"]
    assert d["letter_note"] == "letter in English (so template not available); interpreter offered"
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


def test_risk_score_shown_only_with_the_clinrisk_disclaimer(tmp_path):
    from longerlives.risk import CLINRISK_DISCLAIMER

    p = person(1, qrisk3=14.234)
    ctx, index = _run(tmp_path, [p], flags=[(p["nhs_number"], "risk.qrisk3")])
    html = (ctx.staging / index[p["nhs_number"]]["path"]).read_text(encoding="utf-8")
    assert "about 14.2%" in html
    assert "faithfully implements QRISK3-2017" in html and CLINRISK_DISCLAIMER.splitlines()[1][:40] in html
    q = person(2, qrisk3=14.2)  # score known but no open risk flag: not shown, no disclaimer
    ctx, index = _run(tmp_path / "b", [q])
    html = (ctx.staging / index[q["nhs_number"]]["path"]).read_text(encoding="utf-8")
    assert "14.2" not in html and "ClinRisk" not in html


def test_pdf_beside_html(tmp_path):
    p = person(1)
    ctx, index = _run(tmp_path, [p], make_pdf=True)
    pdf = ctx.staging / index[p["nhs_number"]]["path"].replace(".html", ".pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert str(pdf.relative_to(ctx.staging)) in ctx.files
