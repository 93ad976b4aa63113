"""--pdf by Chromium's print to PDF (issue 16): letters with the same template, language and
format are printed together and cut into one PDF each. What a reader gets must be what the
letter printed on its own gives: the same words on the same number of A4 pages, fonts
embedded, the letter's title and language, private to the service. Real Chromium
(Debian's /usr/bin/chromium), no mocks."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from longerlives.letters import render
from longerlives.letters.pdf_chromium import write_pdfs_chromium
from longerlives.settings import load_settings
from tests.letters.test_grouped_render import AS_OF, generated_rows

A4 = (595.0, 842.0)  # points, to the nearest point


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """15 generated letters of every template, language and format, printed 4 to a print and
    one to a print (the reference), each into its own folder."""
    out = tmp_path_factory.mktemp("letters")
    rows = generated_rows(15)
    paths = render._render_serial(rows, out, AS_OF, load_settings().letters)
    alone = tmp_path_factory.mktemp("alone")
    for p in paths:
        (alone / p).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / p, alone / p)
    seen: list[tuple[int, int]] = []
    pdfs = write_pdfs_chromium(
        paths, out, tabs=2, letters_per_print=4, progress_every=1, progress=lambda d, t, s: seen.append((d, t))
    )
    write_pdfs_chromium(paths, alone, tabs=1, letters_per_print=1, progress=lambda d, t, s: None)
    return out, alone, paths, pdfs, rows, seen


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>')


def _placed_words(pdf: Path) -> list[list[tuple[str, str, str]]]:
    """Each page's words with where they stand (poppler's pdftotext -bbox)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return [[(w, x, y) for x, y, w in _WORD.findall(page)] for page in html.split("<page ")[1:]]


def test_letters_printed_together_read_the_same_as_each_printed_alone_on_the_same_pages(printed):
    out, alone, paths, pdfs, rows, _ = printed
    kinds = {(t, f) for t, f in zip(rows["template"], rows["format"])}
    assert kinds >= {
        ("en/letter.html.j2", "standard"),
        ("en/letter.html.j2", "large_print"),
        ("en/easy_read.html.j2", "easy_read"),
        ("pl/letter.html.j2", "standard"),
    }
    assert pdfs == [p.replace(".html", ".pdf") for p in paths]
    for pdf in pdfs:
        together, single = PdfReader(out / pdf), PdfReader(alone / pdf)
        assert len(together.pages) == len(single.pages), pdf
        # every word, on the same page at the same place
        assert _placed_words(out / pdf) == _placed_words(alone / pdf), pdf
        assert _text(out / pdf) == _text(alone / pdf), pdf


def test_every_letter_pdf_has_its_own_name_and_address_and_nobody_elses(printed):
    out, _, paths, pdfs, rows, _ = printed
    texts = {pdf: " ".join(_text(out / pdf).split()) for pdf in pdfs}
    for pdf in pdfs:
        spaced = Path(pdf).stem
        spaced = f"{spaced[:3]} {spaced[3:6]} {spaced[6:]}"  # the letter shows the NHS number spaced
        assert [p for p, t in texts.items() if spaced in t] == [pdf]


def test_letter_pdfs_are_private_a4_on_one_or_two_pages_with_fonts_embedded_title_and_language(printed):
    out, _, _, pdfs, rows, _ = printed
    for pdf, language in zip(pdfs, rows["language"]):
        path = out / pdf
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        reader = PdfReader(path)
        assert 1 <= len(reader.pages) <= 2, pdf
        for page in reader.pages:
            assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == A4
        fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
        rows_ = fonts.splitlines()[2:]
        assert rows_ and all(line.split()[-5] == "yes" for line in rows_), fonts  # emb column
        assert reader.metadata.title
        assert reader.trailer["/Root"]["/Lang"] == language


def test_every_letter_is_counted_as_its_pdf_is_written(printed):
    *_, paths, _, _, seen = printed
    assert seen == [(d, len(paths)) for d in range(1, len(paths) + 1)]


def test_the_same_letters_give_the_same_pdf_bytes_every_night(printed, tmp_path):
    # no creation date or random file identifier: a re-run of the same night gives the same files
    out, _, paths, pdfs, _, _ = printed
    for p in paths:
        (tmp_path / p).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / p, tmp_path / p)
    write_pdfs_chromium(paths, tmp_path, tabs=2, letters_per_print=4, progress=lambda d, t, s: None)
    assert [(tmp_path / p).read_bytes() for p in pdfs] == [(out / p).read_bytes() for p in pdfs]


def _letter(title: str, paragraphs: int) -> str:
    body = "".join(f"<p>{title} paragraph {i}.</p>" for i in range(paragraphs))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Notice</title>'
        "<style>@page { size: A4; margin: 20mm; } p { font-size: 12pt; margin: 0 0 4mm; }</style>"
        f"</head><body>{body}</body></html>"
    )


def test_letters_of_any_length_are_cut_where_each_begins_even_without_a_heading(tmp_path):
    lengths = {"short-one": 3, "long-two": 60, "short-three": 4}
    for name, n in lengths.items():
        (tmp_path / f"{name}.html").write_text(_letter(name, n), encoding="utf-8")
    pdfs = write_pdfs_chromium([f"{n}.html" for n in lengths], tmp_path, tabs=1, letters_per_print=3)
    pages = [len(PdfReader(tmp_path / p).pages) for p in pdfs]
    assert pages[0] == 1 and pages[1] >= 2 and pages[2] == 1
    for name, pdf in zip(lengths, pdfs):
        text = _text(tmp_path / pdf)
        assert f"{name} paragraph 0." in text and f"{name} paragraph {lengths[name] - 1}." in text
        assert all(other not in text for other in lengths if other != name)


def test_letters_that_cannot_be_told_apart_in_one_print_are_printed_one_at_a_time(tmp_path):
    # a letter ending in an unclosed comment hides every letter after it in a shared print:
    # no destination for them, so nothing is cut by guesswork
    names = ["first", "broken", "third"]
    for name in names:
        (tmp_path / f"{name}.html").write_text(_letter(name, 3), encoding="utf-8")
    broken = tmp_path / "broken.html"
    broken.write_text(broken.read_text(encoding="utf-8").replace("</body>", "<!-- not closed</body>"), "utf-8")
    pdfs = write_pdfs_chromium([f"{n}.html" for n in names], tmp_path, tabs=1, letters_per_print=3)
    for name, pdf in zip(names, pdfs):
        text = _text(tmp_path / pdf)
        assert f"{name} paragraph 2." in text
        assert all(other not in text for other in names if other != name)
