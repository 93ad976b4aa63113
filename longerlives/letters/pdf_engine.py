"""Which program makes the ``--pdf`` letters, chosen once per run and said in its output.

``config/letters.toml`` ``pdf_engine``: ``chromium`` (Chromium's print to PDF,
``pdf_chromium.py``: the faster, docs/benchmarks-output.md "Session 6, PDF letters") or
``weasyprint`` (``pdf.py``). When Chromium is chosen but cannot run here (no Playwright, no
browser at ``pdf_chromium``) the run uses WeasyPrint and says why; when neither can run,
``--pdf`` stops before anything is written with one message naming both
(``DependencyError``, exit 69). Never silently.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path

from longerlives.errors import DependencyError
from longerlives.settings.letters import LetterSettings

log = logging.getLogger(__name__)

# A test-only switch: names modules or programs to treat as missing, comma-separated
# ("weasyprint", "chromium"), so the fallback and the message can be tested here.
PRETEND_MISSING_ENV = "LONGERLIVES_TEST_PRETEND_MISSING"


def _pretend_missing() -> set[str]:
    return {x.strip() for x in os.environ.get(PRETEND_MISSING_ENV, "").split(",") if x.strip()}


def weasyprint_missing() -> str | None:
    """Why WeasyPrint cannot run here (None: it can)."""
    if "weasyprint" in _pretend_missing():
        return "No module named 'weasyprint' (ModuleNotFoundError)"
    try:
        importlib.import_module("weasyprint")
    except (ImportError, OSError) as err:  # OSError: pango/harfbuzz shared libraries missing
        return f"{err} ({type(err).__name__})"
    return None


def chromium_missing(settings: LetterSettings) -> str | None:
    """Why Chromium cannot print here (None: it can)."""
    from longerlives.letters.pdf_chromium import chromium_missing as missing

    if "chromium" in _pretend_missing():
        return f"no Chromium at {settings.pdf_chromium}"
    return missing(settings.pdf_chromium)


def choose(settings: LetterSettings) -> tuple[str, str]:
    """The engine for this run and a line saying which and why (no patient data);
    ``DependencyError`` when neither can run."""
    why_not_chromium = ""
    if settings.pdf_engine == "chromium":
        why = chromium_missing(settings)
        if why is None:
            return "chromium", f"PDF letters by Chromium ({settings.pdf_chromium}, print to PDF)"
        why_not_chromium = why
    why_not_weasyprint = weasyprint_missing()
    if why_not_weasyprint is None:
        note = "PDF letters by WeasyPrint"
        return "weasyprint", note + (f" (Chromium cannot be used: {why_not_chromium})" if why_not_chromium else "")
    chromium = f"Chromium: {why_not_chromium}; " if why_not_chromium else ""
    raise DependencyError(
        f"--pdf cannot make PDF letters: {chromium}WeasyPrint: {why_not_weasyprint}. Install Chromium "
        "(apt-get install chromium) and pip install 'longerlives[pdf]', or WeasyPrint's system libraries "
        "(apt-get install libpango-1.0-0 libpangoft2-1.0-0), or run without --pdf"
    )


def write_pdf_letters(html_paths: list[str], out_dir: Path, settings: LetterSettings) -> list[str]:
    """A private PDF beside each HTML letter by the engine ``choose`` picks; its line goes to
    standard error and the log before the first letter. Returns the PDF paths (relative)."""
    engine, note = choose(settings)
    print(f"longerlives: {note}", file=sys.stderr, flush=True)
    log.info("letters: %s", note)
    if engine == "chromium":
        from longerlives.letters.pdf_chromium import write_pdfs_chromium

        return write_pdfs_chromium(
            html_paths,
            out_dir,
            executable=settings.pdf_chromium,
            tabs=settings.pdf_workers,
            letters_per_print=settings.pdf_letters_per_print,
            progress_every=settings.pdf_progress_every,
        )
    from longerlives.letters.pdf import write_pdfs

    return write_pdfs(
        html_paths,
        out_dir,
        workers=settings.pdf_workers,
        batch=settings.pdf_batch_letters,
        progress_every=settings.pdf_progress_every,
    )
