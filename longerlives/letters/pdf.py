"""PDF letters (``--pdf``): a WeasyPrint PDF beside each HTML letter, with per-letter progress.

Each letter stays its own WeasyPrint document (laying many letters out as one document
measured no faster: docs/benchmarks-output.md). What a letter costs was profiled
(docs/benchmarks-output.md, "Session 5, PDF letters"): about nine tenths of it is WeasyPrint's
own style computation, layout and drawing, which this module leaves alone. The parts that
are the same for every letter are done once per worker process instead of once per letter
(together 7–13 % of a letter's CPU time, measured letter by letter against the old path):

* the letter's stylesheet: every letter carries the same ``<style>`` block (one per format
  and language), so it is parsed once into a ``weasyprint.CSS`` and handed to WeasyPrint
  with the ``<style>`` element taken out of the letter (most of the saving);
* pictures (easy read): WeasyPrint's image cache is kept for the whole process, so each
  embedded SVG is decoded once, not once per letter;
* fonts: one ``FontConfiguration`` per process, and one URL fetcher;
* Python's garbage collector: the objects made by imports and warm-up are frozen out of
  its scans and its youngest generation collects less often (WeasyPrint makes many
  short-lived objects).

The PDF bytes are the same as ``HTML(filename=...).write_pdf()`` of the whole letter gives
(``tests/letters/test_pdf_fast_path.py`` checks every template, format and language):
the stylesheet moves from the document's author origin to WeasyPrint's user origin, which
cascades the same way when it is the only stylesheet besides the user agent's. A letter
with any other stylesheet (a second ``<style>``, a ``<link>``, a ``<style>`` with
attributes) or without the templates' ``<meta charset="utf-8">`` is converted whole, as before.

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
# The letter's own stylesheet: the first <style> (no attributes) inside <head>.
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


def pdf_bytes(html_path: str) -> bytes:
    """The PDF of one HTML letter, the same bytes as ``HTML(filename=html_path).write_pdf()``."""
    from weasyprint import HTML

    if len(_IMAGES) >= _CACHE_MAX:
        _IMAGES.clear()
    with open(html_path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    head_end = text.find("</head>")
    utf8 = head_end >= 0 and not text.startswith("\ufeff") and _UTF8.search(text, 0, head_end) is not None
    m = _STYLE.search(text, 0, head_end) if utf8 else None
    if m is None or _OTHER_STYLES.search(text, 0, m.start()) or _OTHER_STYLES.search(text, m.end()):
        whole = HTML(filename=html_path, url_fetcher=_fetcher())
        return whole.write_pdf(font_config=_pdf_fonts(), cache=_IMAGES)  # type: ignore[no-any-return]
    rest = text[: m.start()] + text[m.end() :]
    return HTML(string=rest, base_url=html_path, url_fetcher=_fetcher()).write_pdf(  # type: ignore[no-any-return]
        font_config=_pdf_fonts(), stylesheets=[_sheet(m.group(1))], cache=_IMAGES
    )


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
    queue) after every letter."""
    for job in jobs:
        _pdf_one(job)
        if tick is not None:
            tick(1)
        elif _DONE is not None:
            _DONE.put(1)
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
    report = progress or _pdf_progress_line
    every = max(1, progress_every)
    total, done, next_report = len(jobs), 0, every
    t0 = time.perf_counter()

    def count(n: int) -> None:
        nonlocal done, next_report
        done += n
        if done >= next_report or done == total:
            report(done, total, time.perf_counter() - t0)
            while next_report <= done:
                next_report += every

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


def _pdf_progress_line(done: int, total: int, seconds: float) -> None:
    """The default progress: counts and rate only (no names, no NHS numbers)."""
    rate = done / seconds if seconds > 0 else 0.0
    print(f"longerlives: pdf letters {done} of {total} ({rate:.1f} a second)", file=sys.stderr, flush=True)
