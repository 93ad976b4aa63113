"""--pdf: a private PDF beside every HTML letter, made by worker processes, with progress
lines that carry counts only (issue 16: "per-letter progress shown", no patient data)."""

from __future__ import annotations

import stat

from pypdf import PdfReader

from longerlives.letters.render import write_pdfs
from tests.letters.conftest import letter_run
from tests.outreach.helpers import person


def _letters(tmp_path, n: int):
    rows = [person(i, communication_needs=("large_print" if i % 3 == 0 else None)) for i in range(1, n + 1)]
    ctx = letter_run(tmp_path, rows, [(r["nhs_number"], "ecg.annual") for r in rows])
    return ctx, ctx.letters_index["path"].to_list()


def test_two_pdf_workers_write_one_private_pdf_of_one_or_two_pages_beside_every_letter(tmp_path):
    ctx, paths = _letters(tmp_path, 7)
    seen: list[tuple[int, int]] = []
    pdfs = write_pdfs(
        paths, ctx.staging, workers=2, batch=2, progress_every=1, progress=lambda d, t, s: seen.append((d, t))
    )
    assert pdfs == [p.replace(".html", ".pdf") for p in paths]
    for pdf in pdfs:
        path = ctx.staging / pdf
        assert path.read_bytes()[:5] == b"%PDF-"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert 1 <= len(PdfReader(path).pages) <= 2
    # progress is per letter: every letter reports as it finishes, up to the total
    assert seen == [(d, 7) for d in range(1, 8)]


def test_pdf_progress_lines_name_counts_and_rate_never_a_person(tmp_path, capsys):
    ctx, paths = _letters(tmp_path, 5)
    write_pdfs(paths, ctx.staging, workers=1, batch=1, progress_every=2)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("longerlives: pdf letters 5 of 5 (")
    assert [line.split()[3] for line in lines] == ["2", "4", "5"]
    nhs_numbers = ctx.letters_index["nhs_number"].to_list()
    assert not any(n in line or n[:3] + " " + n[3:6] in line for n in nhs_numbers for line in lines)
