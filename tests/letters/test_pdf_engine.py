"""Which program makes the --pdf letters (issue 16): Chromium's print to PDF when it can run,
WeasyPrint when Chromium is not installed — and the run always says which, and why; when
neither can run, one clear message before anything is written."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from longerlives.errors import DependencyError
from longerlives.letters.pdf_engine import PRETEND_MISSING_ENV, choose, write_pdf_letters
from longerlives.settings import load_settings
from tests.letters.test_pdf_letters import _letters

NO_CHROMIUM = "/nonexistent/chromium"


def _settings(**changes):
    return load_settings().letters.model_copy(update=changes)


def test_the_shipped_configuration_prints_pdf_letters_with_chromium():
    engine, note = choose(_settings())
    assert engine == "chromium"
    assert "Chromium" in note


def test_without_chromium_the_letters_are_made_by_weasyprint_and_the_run_says_why(tmp_path, capsys):
    ctx, paths = _letters(tmp_path, 2)
    pdfs = write_pdf_letters(paths, ctx.staging, _settings(pdf_chromium=NO_CHROMIUM, pdf_workers=1))
    err = capsys.readouterr().err
    assert f"PDF letters by WeasyPrint (Chromium cannot be used: no Chromium at {NO_CHROMIUM}" in err
    for pdf in pdfs:
        reader = PdfReader(ctx.staging / pdf)
        assert "WeasyPrint" in reader.metadata.producer
        assert 1 <= len(reader.pages) <= 2


def test_a_pdf_run_says_it_used_chromium_before_the_first_letter(tmp_path, capsys):
    ctx, paths = _letters(tmp_path, 3)
    pdfs = write_pdf_letters(paths, ctx.staging, _settings(pdf_progress_every=1))
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == "longerlives: PDF letters by Chromium (/usr/bin/chromium, print to PDF)"
    assert [line.split()[3] for line in lines[1:]] == ["1", "2", "3"]  # then progress per letter
    assert all(PdfReader(ctx.staging / p).metadata.producer.startswith("longerlives (Chromium") for p in pdfs)


def test_weasyprint_chosen_in_the_configuration_is_used_even_with_chromium_installed():
    engine, note = choose(_settings(pdf_engine="weasyprint"))
    assert (engine, note) == ("weasyprint", "PDF letters by WeasyPrint")


def test_neither_chromium_nor_weasyprint_stops_pdf_letters_with_one_message_naming_both(monkeypatch):
    monkeypatch.setenv(PRETEND_MISSING_ENV, "weasyprint")
    with pytest.raises(DependencyError) as caught:
        choose(_settings(pdf_chromium=NO_CHROMIUM))
    message = str(caught.value)
    assert f"Chromium: no Chromium at {NO_CHROMIUM}" in message
    assert "WeasyPrint: No module named 'weasyprint'" in message
    assert "run without --pdf" in message
