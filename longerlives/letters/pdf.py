"""PDF letters (``--pdf``): a WeasyPrint PDF beside each HTML letter, with per-letter progress.

What a letter costs was profiled (docs/benchmarks-output.md, "Session 5, PDF letters"):
about nine tenths of it is WeasyPrint's own style computation, layout and drawing. The parts
that are the same for every letter are done once per worker process instead of once per
letter (docs/benchmarks-output.md has the measured gain):

* the letter's stylesheets: every letter carries the same ``<style>`` blocks (one set per
  template and format), so each is parsed once into a ``weasyprint.CSS`` and handed to
  WeasyPrint, in order, with the ``<style>`` elements taken out of the letter;
* pictures (easy read): WeasyPrint's image cache is kept for the whole process, so each
  embedded SVG is decoded once, not once per letter;
* fonts: one ``FontConfiguration`` per process, and one URL fetcher;
* Python's garbage collector: the objects made by imports and warm-up are frozen out of
  its scans and its youngest generation collects less often (WeasyPrint makes many
  short-lived objects).

The PDF bytes are the same as ``HTML(filename=...).write_pdf()`` of each whole letter
gives (``tests/letters/test_pdf_fast_path.py`` checks every template, format and language):
the stylesheets move from the document's author origin to
WeasyPrint's user origin, which cascades the same way when they are the only stylesheets
besides the user agent's.
A letter with a ``<link>``, a ``<style>`` with attributes or outside ``<head>``, or without
the templates' ``<meta charset="utf-8">``, is converted whole, on its own, as before.

Worker processes are spawned (not forked, so Polars' thread pool is never copied
mid-flight) once per call and kept for all the letters; each counts every letter it
finishes on a queue, so progress is per letter. PDFs are written 0600 (issue 12).
"""

from __future__ import annotations

import gc
import os
import re
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
PDF_BATCH_LETTERS = 48  # letters per worker task (progress is counted per letter)
# The letter's own stylesheets: every <style> (no attributes) inside <head>.
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
_OTHER_STYLES = re.compile(r"<style[\s>]|<link[\s>]", re.I)
_UTF8 = re.compile(r"<meta charset=\"?utf-8\"?>", re.I)  # as the templates declare it
_CACHE_MAX = 64  # distinct stylesheets / images kept per process (a run has a handful)
GC_GEN0_THRESHOLD = 20_000  # Python's default is 700

_FONTS: Any = None
_FETCHER: Any = None
_SHEETS: dict[str, Any] = {}
_IMAGES: dict[str, Any] = {}
_DONE: Any = None  # worker processes: a queue that gets one item per letter finished


def _pdf_fonts() -> Any:
    """One WeasyPrint font configuration per process, shared by every letter it lays out."""
    global _FONTS
    if _FONTS is None:
        from weasyprint.text.fonts import FontConfiguration

        _FONTS = FontConfiguration()
    return _FONTS


def _fetcher() -> Any:
    """One URL fetcher per process (WeasyPrint builds a new urllib opener per document
    otherwise: about 2 ms a letter). Letters are self-contained: pictures are data: URIs."""
    global _FETCHER
    if _FETCHER is None:
        from weasyprint.urls import URLFetcher

        _FETCHER = URLFetcher()
    return _FETCHER


def _sheet(text: str) -> Any:
    """The parsed stylesheet for ``text``, parsed once per process."""
    css = _SHEETS.get(text)
    if css is None:
        from weasyprint import CSS

        if len(_SHEETS) >= _CACHE_MAX:
            _SHEETS.clear()
        css = _SHEETS[text] = CSS(string=text, media_type="print", font_config=_pdf_fonts(), url_fetcher=_fetcher())
    return css


class _Letter:
    """One HTML letter split for the shared-stylesheet path: everything before ``<body>``
    without its ``<style>`` blocks, the stylesheets' text (in order), the body's content and
    what follows it."""

    __slots__ = ("head", "sheets", "body", "tail")

    def __init__(self, head: str, sheets: tuple[str, ...], body: str, tail: str) -> None:
        self.head, self.sheets, self.body, self.tail = head, sheets, body, tail


def _split(html_path: str) -> _Letter | None:
    """The letter's parts, or None when it must be converted whole (see the module notes)."""
    with open(html_path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head_end = text.find("</head>")
    if head_end < 0 or text.startswith("\ufeff") or _UTF8.search(text, 0, head_end) is None:
        return None
    styles = list(_STYLE.finditer(text, 0, head_end))
    if not styles or len(_OTHER_STYLES.findall(text)) != len(styles):
        return None  # a <link>, a <style> with attributes or one outside <head>: convert it whole
    rest = "".join(text[a.end() if a else 0 : b.start()] for a, b in zip([None, *styles], styles))
    rest += text[styles[-1].end() :]
    sheets = tuple(m.group(1) for m in styles)
    body = rest.find("<body>")
    end = rest.rfind("</body>")
    if body < 0 or end < body or rest.count("<body") != 1 or rest.count("</body>") != 1:
        return _Letter(rest, sheets, "", "")  # one document of its own, never laid out with others
    return _Letter(rest[:body], sheets, rest[body + len("<body>") : end], rest[end:])


def pdf_bytes(html_path: str) -> bytes:
    """The PDF of one HTML letter, the same bytes as ``HTML(filename=html_path).write_pdf()``."""
    return _letter_pdf(_split(html_path), html_path)


def _letter_pdf(letter: _Letter | None, html_path: str) -> bytes:
    from weasyprint import HTML

    if len(_IMAGES) >= _CACHE_MAX:
        _IMAGES.clear()
    if letter is None:
        whole = HTML(filename=html_path, url_fetcher=_fetcher())
        return whole.write_pdf(font_config=_pdf_fonts(), cache=_IMAGES)  # type: ignore[no-any-return]
    text = letter.head + "<body>" + letter.body + letter.tail if letter.tail else letter.head
    return HTML(string=text, base_url=html_path, url_fetcher=_fetcher()).write_pdf(  # type: ignore[no-any-return]
        font_config=_pdf_fonts(), stylesheets=[_sheet(t) for t in letter.sheets], cache=_IMAGES
    )


def _pdfs_together(letters: list[_Letter], base_url: str) -> list[bytes] | None:
    """The PDFs of letters with the same head, stylesheet and ending, laid out as one
    WeasyPrint document (each letter's body in a ``<div>`` with no style of its own, starting
    a new page) and written one letter's pages at a time (``Document.copy``): the same bytes
    as one document per letter (the tests check it). None when the pages cannot be told
    apart. Measured, not used by ``--pdf`` (``_pdf_batch_together``)."""
    from weasyprint import HTML

    if len(_IMAGES) >= _CACHE_MAX:
        _IMAGES.clear()
    first = letters[0]
    parts = [f'<div data-ll-letter="{i}"{_NEW_PAGE if i else ""}>{x.body}</div>' for i, x in enumerate(letters)]
    text = first.head + "<body>" + "".join(parts) + first.tail
    doc = HTML(string=text, base_url=base_url, url_fetcher=_fetcher()).render(
        font_config=_pdf_fonts(), stylesheets=[_sheet(t) for t in first.sheets], cache=_IMAGES
    )
    owners = [_owner(page) for page in doc.pages]
    if owners != sorted(owners) or sorted(set(owners)) != list(range(len(letters))):
        return None
    starts = [owners.index(i) for i in range(len(letters))] + [len(owners)]
    return [doc.copy(doc.pages[a:b]).write_pdf() for a, b in zip(starts, starts[1:])]


_NEW_PAGE = ' style="break-before: page"'


def _owner(page: Any) -> int:
    """Which letter a page of a shared document belongs to (-1: none found)."""
    for box in page._page_box.descendants():
        element = getattr(box, "element", None)
        mark = element.get("data-ll-letter") if element is not None else None
        if mark is not None:
            return int(mark)
    return -1


def plain_pdf_bytes(html_path: str) -> bytes:
    """The reference: WeasyPrint on the whole file, nothing shared between letters."""
    from weasyprint import HTML

    return HTML(filename=html_path).write_pdf()  # type: ignore[no-any-return]


def _write_private(path: str, data: bytes) -> None:
    fd = os.open(path, _FLAGS, 0o600)  # private (issue 12), whatever the worker's umask
    try:
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)


def _pdf_one(args: tuple[str, str]) -> None:
    html_path, pdf_path = args
    _write_private(pdf_path, pdf_bytes(html_path))


def _pdf_batch(jobs: list[tuple[str, str]], tick: Callable[[int], None] | None = None) -> int:
    """One task: each letter its own WeasyPrint document; ``tick(1)`` (or the worker's
    queue) after every letter written."""
    for html_path, pdf_path in jobs:
        _write_private(pdf_path, pdf_bytes(html_path))
        if tick is not None:
            tick(1)
        elif _DONE is not None:
            _DONE.put(1)
    return len(jobs)


def _pdf_batch_together(jobs: list[tuple[str, str]], together: int = 8) -> int:
    """A task as ``_pdf_batch`` but letters of the same template and format laid out
    ``together`` at a time (``_pdfs_together``). Not used by ``--pdf``: measured 2 % faster
    at most (docs/benchmarks-output.md), within the noise; kept for ``bench_pdf --modes
    together`` so that it can be measured again on a quiet machine."""
    groups: dict[tuple[str, tuple[str, ...], str], list[tuple[str, str, _Letter]]] = {}
    for html_path, pdf_path in jobs:
        letter = _split(html_path)
        if letter is None or not letter.tail:
            _write_private(pdf_path, _letter_pdf(letter, html_path))
        else:
            groups.setdefault((letter.head, letter.sheets, letter.tail), []).append((html_path, pdf_path, letter))
    for members in groups.values():
        for s in range(0, len(members), max(1, together)):
            chunk = members[s : s + max(1, together)]
            pdfs = _pdfs_together([x for _, _, x in chunk], chunk[0][0]) if len(chunk) > 1 else None
            for k, (html_path, pdf_path, letter) in enumerate(chunk):
                _write_private(pdf_path, pdfs[k] if pdfs is not None else _letter_pdf(letter, html_path))
    return len(jobs)


def _warm_up() -> None:
    """Imports, fonts and the user-agent stylesheet before the first letter, then the
    collector tuned for WeasyPrint's many short-lived objects."""
    from weasyprint import HTML

    # a picture too, so that WeasyPrint's lazy imports for data: URIs happen here, not in letter one
    svg = (
        "data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHdpZHRoPSIxIiBoZWlnaHQ9IjEiLz4="
    )
    HTML(string=f'<p>.<b>.</b><img src="{svg}" alt=""></p>').write_pdf(font_config=_pdf_fonts())
    gc.collect()
    gc.freeze()  # what is alive now (modules, fonts, caches) is never scanned again
    gc.set_threshold(GC_GEN0_THRESHOLD, *gc.get_threshold()[1:])


def _worker_init(done: Any) -> None:
    global _DONE
    _DONE = done
    _warm_up()


def write_pdfs(
    html_paths: Iterable[str],
    out_dir: Path,
    workers: int = 1,
    batch: int = PDF_BATCH_LETTERS,
    progress_every: int = 500,
    progress: Callable[[int, int, float], None] | None = None,
) -> list[str]:
    """A PDF beside each HTML letter (WeasyPrint); returns the PDF paths (relative, same order).

    Tasks of ``batch`` letters go to ``workers`` processes (spawned once, kept for every
    task). ``progress(done, total, seconds)`` is called when every ``progress_every``-th
    letter is finished and at the end (default: a line on standard error, counts and rate
    only); it never sees patient data."""
    html_paths = list(html_paths)
    pdfs = [h.removesuffix(".html") + ".pdf" for h in html_paths]
    jobs = [(str(out_dir / h), str(out_dir / p)) for h, p in zip(html_paths, pdfs)]
    size = max(1, batch)
    batches = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    total = len(jobs)
    count = progress_counter(total, progress_every, progress)

    if workers > 1 and len(batches) > 1:
        _in_workers(batches, min(workers, len(batches)), total, count)
    else:
        thresholds, freeze = gc.get_threshold(), gc.get_freeze_count() == 0
        try:
            if freeze:
                gc.freeze()
            gc.set_threshold(GC_GEN0_THRESHOLD, *thresholds[1:])
            for b in batches:
                _pdf_batch(b, count)
        finally:
            gc.set_threshold(*thresholds)
            if freeze:
                gc.unfreeze()
    return pdfs


def _in_workers(batches: list[list[tuple[str, str]]], workers: int, total: int, count: Callable[[int], None]) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from queue import Empty

    ctx = multiprocessing.get_context("spawn")
    done_queue = ctx.Queue()
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(done_queue,)
    ) as pool:
        futures = [pool.submit(_pdf_batch, b) for b in batches]
        try:
            counted = 0
            while counted < total:
                try:
                    n = done_queue.get(timeout=0.5)
                except Empty:
                    for f in futures:
                        if f.done():
                            f.result()  # re-raise a worker's error (or a broken pool)
                    continue
                counted += n
                count(n)
            for f in futures:
                f.result()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)  # no more letters after an error
            raise
    done_queue.close()


def progress_counter(
    total: int, every: int, progress: Callable[[int, int, float], None] | None = None
) -> Callable[[int], None]:
    """``count(n)``: ``n`` more letters finished; calls ``progress(done, total, seconds)`` (default a
    line on standard error) each time another ``every`` letters are done and at the end. Used by
    both PDF engines; it sees counts only, never patient data."""
    report = progress or _pdf_progress_line
    step = max(1, every)
    done, next_report = 0, step
    t0 = time.perf_counter()

    def count(n: int) -> None:
        nonlocal done, next_report
        done += n
        if done >= next_report or done == total:
            report(done, total, time.perf_counter() - t0)
            while next_report <= done:
                next_report += step

    return count


def _pdf_progress_line(done: int, total: int, seconds: float) -> None:
    """The default progress: counts and rate only (no names, no NHS numbers)."""
    rate = done / seconds if seconds > 0 else 0.0
    print(f"longerlives: pdf letters {done} of {total} ({rate:.1f} a second)", file=sys.stderr, flush=True)
