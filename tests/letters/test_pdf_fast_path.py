"""--pdf parses each letter's stylesheet once per worker process and keeps pictures decoded
(issue 16): the PDF a person gets must still be exactly the PDF WeasyPrint makes from the
whole letter file, for every template, language and format."""

from __future__ import annotations

import pytest

from longerlives.letters import render
from longerlives.letters.pdf import pdf_bytes, plain_pdf_bytes, write_pdfs
from longerlives.settings import load_settings
from tests.letters.test_grouped_render import AS_OF, generated_rows


@pytest.fixture(scope="module")
def letters(tmp_path_factory):
    out = tmp_path_factory.mktemp("letters")
    rows = generated_rows(15)
    paths = render._render_serial(rows, out, AS_OF, load_settings().letters)
    return out, paths, rows


def test_every_template_language_and_format_gives_the_same_pdf_bytes_as_the_whole_letter(letters):
    out, paths, rows = letters
    kinds = set(zip(rows["template"], rows["language"], rows["format"]))
    assert {(t, f) for t, _, f in kinds} >= {
        ("en/letter.html.j2", "standard"),
        ("en/letter.html.j2", "large_print"),
        ("en/easy_read.html.j2", "easy_read"),
        ("pl/letter.html.j2", "standard"),
    }
    for p in paths:
        fast = pdf_bytes(str(out / p))
        assert fast[:5] == b"%PDF-"
        assert fast == plain_pdf_bytes(str(out / p)), p


def test_second_easy_read_letter_reuses_decoded_pictures_and_still_matches(letters):
    out, paths, rows = letters
    easy = [p for p, f in zip(paths, rows["format"]) if f == "easy_read"][:2]
    assert len(easy) == 2
    first, second = (pdf_bytes(str(out / p)) for p in easy)
    assert second == plain_pdf_bytes(str(out / easy[1]))
    assert first == plain_pdf_bytes(str(out / easy[0]))


def test_letter_with_a_second_stylesheet_is_converted_whole(tmp_path):
    html = tmp_path / "two-styles.html"
    html.write_text(
        "<!DOCTYPE html><html><head><style>p { color: red; font-size: 30pt }</style>"
        "<style>p { color: blue }</style></head><body><p>Your health check</p></body></html>",
        encoding="utf-8",
    )
    assert pdf_bytes(str(html)) == plain_pdf_bytes(str(html))


def test_each_letter_is_counted_as_it_finishes_across_two_workers(letters, tmp_path):
    out, paths, _ = letters
    seen: list[tuple[int, int]] = []
    write_pdfs(paths[:7], out, workers=2, batch=3, progress_every=1, progress=lambda d, t, s: seen.append((d, t)))
    assert seen == [(d, 7) for d in range(1, 8)]


def test_a_letter_that_cannot_be_read_stops_the_pdf_run_with_its_error(letters, tmp_path):
    out, paths, _ = letters
    with pytest.raises(FileNotFoundError):
        write_pdfs([*paths[:3], "letters/missing/0000000000.html"], out, workers=2, batch=2, progress_every=10**6)


def test_letter_in_another_encoding_is_converted_whole(tmp_path):
    html = tmp_path / "latin1.html"
    html.write_bytes(
        '<!DOCTYPE html><html><head><meta charset="iso-8859-1"><style>p { font-size: 14pt }</style></head>'
        "<body><p>Dear Ms Zoë Müller</p></body></html>".encode("iso-8859-1")
    )
    assert pdf_bytes(str(html)) == plain_pdf_bytes(str(html))


def test_letters_laid_out_together_give_each_letter_exactly_its_own_pdf(letters):
    out, paths, rows = letters
    from longerlives.letters.pdf import _pdfs_together, _split

    kinds: dict[tuple[str, str], list[str]] = {}
    for p, t, f in zip(paths, rows["template"], rows["format"]):
        kinds.setdefault((t, f), []).append(p)
    laid_out_together = set()
    for kind, group in kinds.items():
        if len(group) < 2:
            continue
        together = _pdfs_together([_split(str(out / p)) for p in group], str(out / group[0]))
        assert together is not None, kind
        assert together == [plain_pdf_bytes(str(out / p)) for p in group], kind
        laid_out_together.add(kind)
    assert {("en/letter.html.j2", "standard"), ("en/easy_read.html.j2", "easy_read")} <= laid_out_together


def test_a_mixed_batch_laid_out_by_template_and_format_gives_every_letter_its_own_pdf(letters, tmp_path):
    out, paths, _ = letters
    from longerlives.letters.pdf import _pdf_batch_together

    _pdf_batch_together([(str(out / p), str(out / p.replace(".html", ".pdf"))) for p in paths])
    for p in paths:
        assert (out / p.replace(".html", ".pdf")).read_bytes() == plain_pdf_bytes(str(out / p)), p
