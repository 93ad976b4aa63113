"""Benchmark: PDF letters per second (issue 16 target: at least 40 a second on two cores).

    .venv/bin/python -m bench.bench_pdf RUN_OUT_DIR [--letters 400] [--workers 2] [--batch 48] [--modes plain,batch1,batchN]

Takes a random sample (seed 1) of the HTML letters a run wrote (``letters/index.csv`` of
RUN_OUT_DIR, so the sample has the run's own mix of standard, large print and easy read),
copies them to a scratch folder and converts them to PDF:

* ``plain``: WeasyPrint on each whole HTML file in this process, sharing only the font
  configuration (what ``--pdf`` did before session 5 of issue 16, minus its worker processes);
* ``single``: ``letters.pdf.pdf_bytes`` per letter in this process (stylesheet parsed once,
  image cache kept), without ``write_pdfs``' collector tuning;
* ``together``: letters of the same template and format laid out 8 at a time as one
  WeasyPrint document, each letter's pages written as its PDF (measured, not used by ``--pdf``);
* ``batch1``: ``write_pdfs`` in this process (tasks of ``--batch`` letters);
* ``batchN``: ``write_pdfs`` with ``--workers`` processes (what ``--pdf`` does by default);
* ``chromium``: ``letters.pdf_chromium.write_pdfs_chromium`` (Chromium's print to PDF, one
  browser with ``--workers`` pages, ``--letters-per-print`` letters a print, cut into one PDF
  each); ``chromium1``: the same, one letter a print;
* ``ab``: ``plain`` and one ``write_pdfs`` task in turn, ``--batch`` letters at a time, in
  one process, CPU seconds of each summed (both see the same load: the fairest before/after
  on a busy machine).

For each: wall seconds, CPU seconds (this process and its worker processes, user + system),
letters a second by wall time and per CPU second (two idle cores give at most twice the
per-CPU-second rate), for ``write_pdfs`` modes the steady rate past the first tenth of the
letters (what a run of thousands of letters sees, worker start-up left out), the 1-minute
load average, and the page counts (large print must stay
on one or two A4 pages), the mean PDF size and whether every PDF is byte for byte the one
the first mode made. Wall times on a shared machine understate the rate; CPU seconds less so.
Synthetic data only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import time
from pathlib import Path
from typing import Any

import polars as pl

from bench.scratch import discard, scratch
from longerlives.letters.pdf import _pdf_fonts, _pdf_one, write_pdfs


def _adopt_orphans() -> None:
    """Make this process the reaper of its orphaned descendants (Linux PR_SET_CHILD_SUBREAPER):
    Chromium's renderer and helper processes outlive their parent briefly when the browser
    closes; reaped here, their CPU time is counted in RUSAGE_CHILDREN instead of lost to init."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _reap() -> None:
    """Wait for every remaining child (adopted orphans included), so that their CPU is counted."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _pages(folder: Path, paths: list[str], formats: list[str]) -> dict[str, Any]:
    from pypdf import PdfReader

    counts: dict[str, list[int]] = {}
    for p, f in zip(paths, formats):
        counts.setdefault(f, []).append(len(PdfReader(folder / p.replace(".html", ".pdf")).pages))
    return {f: {"letters": len(c), "max_pages": max(c), "pages": sum(c)} for f, c in sorted(counts.items())}


def _ab(tmp: Path, paths: list[str], batch: int) -> dict[str, Any]:
    """Before and after in turn in this process, ``batch`` letters at a time, so that both
    see the same load: ``plain`` (WeasyPrint on each whole file, default collector) against
    one ``write_pdfs`` task (``_pdf_batch``) with the collector as ``write_pdfs`` sets it.
    CPU seconds of this thread for each."""
    import gc

    from weasyprint import HTML

    from longerlives.letters.pdf import GC_GEN0_THRESHOLD, _pdf_batch

    cpu = {"plain": 0.0, "fast": 0.0}
    same = True
    default = gc.get_threshold()
    for s in range(0, len(paths), batch):
        chunk = paths[s : s + batch]
        c0 = time.thread_time()
        before = [HTML(filename=str(tmp / p)).write_pdf(font_config=_pdf_fonts()) for p in chunk]
        c1 = time.thread_time()
        gc.freeze()
        gc.set_threshold(GC_GEN0_THRESHOLD, *default[1:])
        _pdf_batch([(str(tmp / p), str(tmp / p.replace(".html", ".pdf"))) for p in chunk])
        gc.set_threshold(*default)
        gc.unfreeze()
        c2 = time.thread_time()
        cpu["plain"] += c1 - c0
        cpu["fast"] += c2 - c1
        same = same and before == [(tmp / p.replace(".html", ".pdf")).read_bytes() for p in chunk]
    n = len(paths)
    return {
        "plain_cpu_s": round(cpu["plain"], 2),
        "fast_cpu_s": round(cpu["fast"], 2),
        "plain_letters_per_cpu_s": round(n / cpu["plain"], 1),
        "fast_letters_per_cpu_s": round(n / cpu["fast"], 1),
        "speed_up": round(cpu["plain"] / cpu["fast"], 2),
        "same_bytes": same,
        "load_1m": round(os.getloadavg()[0], 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("run_out", type=Path)
    ap.add_argument("--letters", type=int, default=400)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=48)
    ap.add_argument("--letters-per-print", type=int, default=12)
    ap.add_argument("--modes", default="plain,batch1,batchN")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    _adopt_orphans()

    index = pl.read_csv(a.run_out / "letters" / "index.csv", infer_schema=False)
    sample = index.sample(min(a.letters, index.height), seed=1).sort("path")
    paths, formats = sample["path"].to_list(), sample["format"].to_list()
    from weasyprint import HTML

    HTML(string="<p>warm up</p>").write_pdf()  # imports and font discovery out of the timings
    results: dict[str, Any] = {"letters": len(paths), "formats": sample["format"].value_counts().sort("format").rows()}
    first = ""
    for mode in a.modes.split(","):
        tmp = scratch("bench-pdf-")
        try:
            for p in paths:
                (tmp / p).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(a.run_out / p, tmp / p)
            ticks: list[tuple[int, float]] = []  # (letters done, seconds) from write_pdfs' progress
            t0, c0 = time.perf_counter(), _cpu()
            if mode == "ab":
                results[mode] = _ab(tmp, paths, a.batch)
                print(mode, json.dumps(results[mode]), flush=True)
                continue
            if mode == "plain":
                for p in paths:
                    data = HTML(filename=str(tmp / p)).write_pdf(font_config=_pdf_fonts())
                    (tmp / p.replace(".html", ".pdf")).write_bytes(data)
            elif mode == "together":
                from longerlives.letters.pdf import _pdf_batch_together

                for s in range(0, len(paths), a.batch):
                    chunk = paths[s : s + a.batch]
                    _pdf_batch_together([(str(tmp / p), str(tmp / p.replace(".html", ".pdf"))) for p in chunk])
            elif mode.startswith("chromium"):
                # chromium: Chromium's print to PDF, --letters-per-print letters a print;
                # chromium1: one letter a print (what Chromium costs without printing together)
                from longerlives.letters.pdf_chromium import write_pdfs_chromium

                write_pdfs_chromium(
                    paths,
                    tmp,
                    tabs=a.workers,
                    letters_per_print=1 if mode == "chromium1" else a.letters_per_print,
                    progress_every=1,
                    progress=lambda d, t, s: ticks.append((d, s)),
                )
            elif mode == "single":
                for p in paths:
                    _pdf_one((str(tmp / p), str(tmp / p.replace(".html", ".pdf"))))
            else:
                workers = 1 if mode == "batch1" else a.workers
                write_pdfs(
                    paths,
                    tmp,
                    workers=workers,
                    batch=a.batch,
                    progress_every=1,
                    progress=lambda d, t, s: ticks.append((d, s)),
                )
            wall = time.perf_counter() - t0
            _reap()
            cpu = _cpu() - c0
            pdf_bytes = [(tmp / p.replace(".html", ".pdf")).read_bytes() for p in paths]
            digest = hashlib.sha256(b"".join(hashlib.sha256(b).digest() for b in pdf_bytes)).hexdigest()
            first = first or digest
            results[mode] = {
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "letters_per_s": round(len(paths) / wall, 1),
                "letters_per_cpu_s": round(len(paths) / cpu, 1),
                "load_1m": round(os.getloadavg()[0], 1),
                "pages": _pages(tmp, paths, formats),
                "mean_kib": round(sum(map(len, pdf_bytes)) / len(pdf_bytes) / 1024, 1),
                "same_bytes_as_first_mode": digest == first,
            }
            if ticks:
                # past the first tenth of the letters: worker start-up and warm-up left out, the
                # rate a run of many thousand letters sees
                d0, s0 = next((d, s) for d, s in ticks if d >= max(1, len(paths) // 10))
                d1, s1 = ticks[-1]
                results[mode]["steady_letters_per_s"] = round((d1 - d0) / (s1 - s0), 1) if s1 > s0 else None
            print(mode, json.dumps(results[mode]), flush=True)
        finally:
            discard(tmp)  # later, in make bench (bench/scratch.py)
    if a.json:
        a.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
