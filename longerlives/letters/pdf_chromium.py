"""PDF letters (``--pdf``) by Chromium's print to PDF: many letters to a print, one PDF each.

Measured (docs/benchmarks-output.md, "Session 6, PDF letters"): a Chromium print costs
about 25 ms of CPU however small the document (the print pipeline's own set-up), and a
letter printed on its own about 50–80 ms in all — no cheaper than WeasyPrint. Printed
``LETTERS_PER_PRINT`` at a time it is several times cheaper, so letters that share the same
``<head>`` (template, language and format: the same title and stylesheets) are printed
together as one document, each letter's ``<body>`` in a ``<div>`` that starts a new page,
and the printed PDF is cut into one PDF per letter:

* where each letter starts comes from the PDF itself: each letter's ``<div>`` has an id and
  the document ends with hidden links to them (``display: none``: no box, no text), so Chromium
  writes a named destination at the top of every letter. A print without one destination per
  letter, the first on page one, in order, is printed again one letter at a time — never cut
  by guesswork; a group of one is printed exactly as its file is;
* the cut is ``pypdf`` copying each letter's pages (with the fonts they use) into a new PDF
  with the letter's title and language, no creation date (the same bytes every run), untagged
  like WeasyPrint's (the print is not tagged: the cut could not carry a structure tree over).

The letters' own ``@page`` rules give A4 and the margins (``prefer_css_page_size``); no
header or footer is added. One headless Chromium (Debian's, never downloaded) runs
``tabs`` pages at once; progress is counted per letter as each PDF is written (0600).
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LETTERS_PER_PRINT = 48  # config/letters.toml pdf_letters_per_print: measured there
LAUNCH_ARGS = (
    "--no-sandbox",  # root in containers; the pages are our own letters, no network
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
_LANG = re.compile(r"<html[^>]*\blang=\"([A-Za-z-]+)\"", re.I)
_TITLE = re.compile(r"<title>(.*?)</title>", re.S | re.I)
_NEW_PAGE = ' style="break-before: page"'
_MARK = "longerlives-letter-"  # ids of the letters' <div>s in a print (no template uses them)


def chromium_missing(executable: str) -> str | None:
    """Why Chromium cannot print here (None: it can): Playwright not installed or no browser."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (pip install 'longerlives[pdf]')"
    path = shutil.which(executable)
    if path is None or not os.access(path, os.X_OK):
        return f"no Chromium at {executable} (apt-get install chromium: scripts/system-deps.sh)"
    return None


@dataclass(frozen=True)
class _Letter:
    html: str  # path of the HTML letter
    pdf: str  # path of its PDF
    head: str  # everything before <body>: the same for letters printed together
    body: str  # the body's content
    tail: str  # </body> and what follows
    title: str
    lang: str


def _read(html_path: str, pdf_path: str) -> _Letter:
    with open(html_path, encoding="utf-8") as f:
        text = f.read()
    start, end = text.find("<body>"), text.rfind("</body>")
    title = _TITLE.search(text)
    lang = _LANG.search(text)
    common = dict(title=title.group(1).strip() if title else "", lang=lang.group(1) if lang else "")
    if start < 0 or end < start or text.count("<body") != 1 or text.count("</body>") != 1:
        return _Letter(html_path, pdf_path, text, "", "", **common)  # printed alone, whole
    return _Letter(html_path, pdf_path, text[:start], text[start + 6 : end], text[end:], **common)


def _groups(letters: list[_Letter], size: int) -> list[list[_Letter]]:
    """Letters with the same head and tail, ``size`` at a time (order kept within a group)."""
    by_kind: dict[tuple[str, str], list[_Letter]] = {}
    alone: list[list[_Letter]] = []
    for x in letters:
        if not x.tail:
            alone.append([x])
        else:
            by_kind.setdefault((x.head, x.tail), []).append(x)
    groups = [members[i : i + size] for members in by_kind.values() for i in range(0, len(members), size)]
    return groups + alone


def _document(group: list[_Letter]) -> str:
    """One letter as it is, or the group's letters in one document: each body in a ``<div>``
    that starts a new page, and links to each (hidden: no box, no text) so that Chromium
    writes a named destination at the top of every letter."""
    if len(group) == 1:
        x = group[0]
        return x.head + "<body>" + x.body + x.tail if x.tail else x.head
    parts = (f'<div id="{_MARK}{i}"{_NEW_PAGE if i else ""}>{x.body}</div>' for i, x in enumerate(group))
    links = "".join(f'<a href="#{_MARK}{i}">{i}</a>' for i in range(len(group)))
    return group[0].head + "<body>" + "".join(parts) + f'<nav style="display: none">{links}</nav>' + group[0].tail


def _starts(reader: Any, letters: int) -> list[int] | None:
    """First page of each letter: the page of its named destination (the top of its
    ``<div>``), or None unless there is one for every letter, the first on page one, in order."""
    try:
        dests = reader.named_destinations
        starts = [reader.get_destination_page_number(dests[f"/{_MARK}{i}"]) for i in range(letters)]
    except Exception:  # a destination missing, or one pypdf cannot read
        return None
    ok = starts[:1] == [0] and all(a < b for a, b in zip(starts, starts[1:]))
    return starts if ok else None


def _letter_pdf(reader: Any, first: int, end: int, letter: _Letter) -> bytes:
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter()
    for i in range(first, end):
        page = writer.add_page(reader.pages[i])
        for key in ("/StructParents", "/Tabs"):  # the print's tags are not carried over
            if key in page:
                del page[key]
    writer.add_metadata({"/Title": letter.title, "/Producer": "longerlives (Chromium print to PDF)"})
    if letter.lang:
        writer._root_object[NameObject("/Lang")] = TextStringObject(letter.lang)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def _write_private(path: str, data: bytes) -> None:
    fd = os.open(path, _FLAGS, 0o600)  # private (issue 12), whatever the umask
    try:
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)


async def _print(page: Any, html: str) -> bytes:
    await page.set_content(html, wait_until="load")
    data: bytes = await page.pdf(print_background=True, prefer_css_page_size=True, format="A4")
    return data


async def _print_all(groups: list[list[_Letter]], executable: str, tabs: int, done: Callable[[int], None]) -> None:
    from playwright.async_api import async_playwright
    from pypdf import PdfReader

    queue: asyncio.Queue[list[_Letter]] = asyncio.Queue()
    for g in groups:
        queue.put_nowait(g)

    async def tab(context: Any) -> None:
        page = await context.new_page()
        while not queue.empty():
            group = queue.get_nowait()
            reader = PdfReader(io.BytesIO(await _print(page, _document(group))))
            starts = _starts(reader, len(group))
            if starts is None and len(group) > 1:
                for x in group:  # cannot tell where each starts: each printed on its own
                    alone = PdfReader(io.BytesIO(await _print(page, _document([x]))))
                    _write_private(x.pdf, _letter_pdf(alone, 0, len(alone.pages), x))
                    done(1)
                continue
            bounds = [*(starts or [0]), len(reader.pages)]
            for x, a, b in zip(group, bounds, bounds[1:]):
                _write_private(x.pdf, _letter_pdf(reader, a, b, x))
                done(1)
        await page.close()

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, headless=True, args=list(LAUNCH_ARGS))
        try:
            context = await browser.new_context(java_script_enabled=False)
            await asyncio.gather(*(tab(context) for _ in range(max(1, tabs))))
        finally:
            await browser.close()


def write_pdfs_chromium(
    html_paths: Iterable[str],
    out_dir: Path,
    executable: str = "/usr/bin/chromium",
    tabs: int = 2,
    letters_per_print: int = LETTERS_PER_PRINT,
    progress_every: int = 500,
    progress: Callable[[int, int, float], None] | None = None,
) -> list[str]:
    """A PDF beside each HTML letter (Chromium); returns the PDF paths (relative, same order).

    ``progress(done, total, seconds)`` is called when every ``progress_every``-th letter is
    written and at the end; it never sees patient data."""
    from longerlives.letters.pdf import progress_counter

    html_paths = list(html_paths)
    pdfs = [h.removesuffix(".html") + ".pdf" for h in html_paths]
    letters = [_read(str(out_dir / h), str(out_dir / p)) for h, p in zip(html_paths, pdfs)]
    done = progress_counter(len(letters), progress_every, progress)
    if letters:
        asyncio.run(_print_all(_groups(letters, max(1, letters_per_print)), executable, tabs, done))
    return pdfs
