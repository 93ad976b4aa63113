"""Benchmark: outreach ranking + 50,000 HTML letters, and PDF letters per second.

    .venv/bin/python bench/bench_letters.py [--people 58500] [--pdf 60] [--workers N] [--write-doc]

Synthetic people only (made-up names and a counter-based NHS number; no real data).
Times the real stages: ``outreach.stage`` (score, rank, plans) and
``letters.stage`` (choose, prepare, render, write, index.csv), then WeasyPrint on
a sample of the letters, one process and ``--workers`` processes. Target: 50,000
HTML letters in under 60 s. ``--write-doc`` rewrites docs/benchmarks-letters.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import discard, scratch  # noqa: E402
from longerlives import letters, outreach  # noqa: E402
from longerlives.history import LAST_LETTERS_SCHEMA  # noqa: E402
from longerlives.letters import pdf_engine  # noqa: E402
from longerlives.letters.render import write_pdfs  # noqa: E402
from longerlives.settings import load_settings  # noqa: E402

AS_OF = date(2025, 6, 30)
ELEMENTS = ("bmi", "blood_pressure", "lipids", "glucose", "alcohol", "smoking")
FLAGS = (
    "ecg.annual",
    "screening.cervical",
    "screening.bowel",
    "smoking.cessation_offer",
    "followup.bmi",
    "risk.qrisk3",
)
GIVEN = ["Alex", "Sam", "Jo", "Chris", "Zofia", "Amina", "Ravi", "Kofi", "Mary", "Tom"]
FAMILY = ["Example", "Sample", "Testperson", "Kowalska", "Placeholder", "Dummy"]


def nhs(i: int) -> str:
    n = 900_000_000 + i
    while True:
        d = [int(c) for c in f"{n:09d}"]
        c = 11 - sum(x * w for x, w in zip(d, range(10, 1, -1))) % 11
        c = 0 if c == 11 else c
        if c != 10:
            return f"{n:09d}{c}"
        n += 1_000_000


def synth(n: int, seed: int = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    rnd = random.Random(seed)
    ids, seen = [], set()
    i = 0
    while len(ids) < n:
        x = nhs(i)
        i += 1
        if x not in seen:
            seen.add(x)
            ids.append(x)
    done = [rnd.choice([0, 0, 1, 2, 3, 4, 5, 6, 6, 6]) for _ in ids]
    needs = [rnd.choice([None] * 14 + ["large_print", "easy_read", "braille", "email"]) for _ in ids]
    people = pl.DataFrame(
        {
            "nhs_number": ids,
            "practice_code": [f"P{rnd.randint(1, 40):05d}" for _ in ids],
            "core_team": [rnd.choice(["CT01", "CT02", "CT03", "CT04", None]) for _ in ids],
            "title": [rnd.choice(["Mx", "Ms", "Mr", None]) for _ in ids],
            "given_name": [rnd.choice(GIVEN) for _ in ids],
            "family_name": [rnd.choice(FAMILY) for _ in ids],
            "address_line_1": [f"{rnd.randint(1, 300)} Test Road" for _ in ids],
            "address_line_2": [None] * n,
            "address_line_3": ["Testtown"] * n,
            "address_line_4": [None] * n,
            "postcode": ["ZZ99 3AA"] * n,
            "phone": ["07700 900000"] * n,
            "email": [None] * n,
            "preferred_language": [rnd.choice(["en"] * 18 + ["pl", "so"]) for _ in ids],
            "interpreter_required": [rnd.random() < 0.05 for _ in ids],
            "communication_needs": needs,
            "contact_by_letter": [rnd.random() > 0.03 for _ in ids],
            "imd_decile": [rnd.choice([None, *range(1, 11)]) for _ in ids],
            "in_scope": [True] * n,
            "health_check_cohort": [rnd.random() < 0.9 for _ in ids],
            "phc_elements_done": done,
            "phc_last_any": [None if d == 0 else AS_OF - timedelta(days=rnd.randint(1, 300)) for d in done],
            "bp_last_date": [AS_OF - timedelta(days=rnd.randint(1, 900)) for _ in ids],
            "planned_contacts_12m": [rnd.choice([0, 0, 1, 2, 5]) for _ in ids],
            "crisis_contacts_12m": [rnd.choice([0, 0, 0, 1, 3]) for _ in ids],
            "dna_12m": [rnd.choice([0, 0, 1, 2, 3]) for _ in ids],
            "qrisk3": [round(rnd.uniform(2, 30), 1) for _ in ids],
            "qdiabetes": [None] * n,
            "safety_items": [
                rnd.choice([None] * 60 + ["HbA1c 50 mmol/mol in the diabetes range with no diabetes diagnosis"])
                for _ in ids
            ],
        }
    )
    people = people.with_columns(
        [(pl.col("phc_elements_done") > k).alias(f"phc_{e}_done") for k, e in enumerate(ELEMENTS)]
    )
    rows = []
    for pid, d in zip(ids, done):
        rows += [(pid, f"phc.{e}") for e in ELEMENTS[d:]]
        rows += [(pid, f) for f in FLAGS if rnd.random() < 0.25]
    flags = (
        pl.DataFrame(rows, schema={"nhs_number": pl.String, "flag": pl.String}, orient="row")
        .with_columns(
            pl.lit(None, dtype=pl.Date).alias("since"),
            pl.lit("synthetic").alias("reason"),
            pl.lit("routine").alias("urgency"),  # run-outputs v2: every flag carries its urgency
        )
        .sort("nhs_number", "flag")
    )
    return people, flags


def main() -> None:
    ap = argparse.ArgumentParser()
    # about 86% of people get a letter with this synthetic mix, so 58,500 people ≈ 50,000+ letters
    ap.add_argument("--people", type=int, default=58_500)
    ap.add_argument("--pdf", type=int, default=60, help="letters to convert to PDF for the rate")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument(
        "--engine-letters", type=int, default=600, help="letters for the rate of the run's own --pdf engine"
    )
    ap.add_argument("--write-doc", action="store_true")
    a = ap.parse_args()

    people, flags = synth(a.people)
    tmp = scratch("bench-letters-")
    try:
        settings = load_settings()
        staging = tmp / "staging"
        staging.mkdir()
        practices = pl.DataFrame(
            {
                "practice_code": people["practice_code"].unique().sort(),
                "name": "Test Surgery",
                "phone": "020 7946 0000",
                "address": "1 High Street",
            }
        )
        teams = pl.DataFrame(
            {"team_code": ["CT01", "CT02", "CT03", "CT04"], "name": "Core Team", "phone": "020 7946 0999"}
        )
        t0 = time.perf_counter()
        reached = outreach.rank_and_plan(people, flags, AS_OF, settings.outreach)
        t_outreach = time.perf_counter() - t0
        t0 = time.perf_counter()
        decisions = letters.decide_letters(
            reached.plans,
            reached.people,
            reached.flags,
            pl.DataFrame(schema=LAST_LETTERS_SCHEMA),
            AS_OF,
            settings.letters,
            settings.outreach.manual_needs,
            settings.operations.letter_cadence_days,
        )
        written = letters.write_letters(
            letters.LetterInputs(decisions, reached.people, reached.flags, reached.plans, practices, teams),
            staging,
            AS_OF,
            settings.letters,
        )
        t_letters = time.perf_counter() - t0
        index = written.index
        n_letters = index.height
        sample = index["path"].head(a.pdf).to_list()
        t0 = time.perf_counter()
        write_pdfs(sample, staging, workers=1)
        pdf1 = len(sample) / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        write_pdfs(sample, staging, workers=a.workers)
        pdfn = len(sample) / (time.perf_counter() - t0)
        # the run's own --pdf path (config/letters.toml pdf_engine; Chromium prints several letters at once,
        # so its rate needs a bigger sample): wall rate with every process it starts, progress lines on stderr
        engine, _ = pdf_engine.choose(settings.letters)
        engine_sample = index["path"].head(a.engine_letters).to_list()
        t0 = time.perf_counter()
        pdf_engine.write_pdf_letters(engine_sample, staging, settings.letters)
        pdf_engine_rate = len(engine_sample) / (time.perf_counter() - t0)
    finally:
        discard(tmp)  # later, in make bench (bench/scratch.py)

    fmt = index.group_by("format", "language").len().sort("format", "language")
    lines = [
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, Polars {pl.__version__}",
        f"- people: {a.people:,}; plans: {reached.plans.height:,}; selected for outreach: {int(reached.people['outreach'].sum()):,}",
        f"- outreach stage (score, rank, plans): {t_outreach:.2f} s",
        f"- letters stage: {n_letters:,} HTML letters in {t_letters:.2f} s ({n_letters / t_letters:,.0f} letters/s; target 50,000 in < 60 s)",
        "- formats: " + ", ".join(f"{r['format']}/{r['language']} {r['len']:,}" for r in fmt.to_dicts()),
        f"- PDF (WeasyPrint, {len(sample)} letters): {pdf1:.1f} letters/s in 1 process; {pdfn:.1f} letters/s with {a.workers} processes",
        f"- 50,000 PDFs would take about {50_000 / pdfn / 60:.0f} min at the multi-process rate",
        f"- PDF by the run's `--pdf` engine ({engine}, {settings.letters.pdf_workers} workers, "
        f"{len(engine_sample)} letters): **{pdf_engine_rate:.1f} letters/s** wall (issue 16 target ≥ 40/s)",
    ]
    print("\n".join(lines))
    if a.write_doc:
        doc = ROOT / "docs" / "benchmarks-letters.md"
        doc.write_text(
            "# Letters benchmark\n\n"
            "Produced by `.venv/bin/python bench/bench_letters.py --write-doc` (synthetic people only).\n"
            f"Run on {date.today().isoformat()}.\n\n" + "\n".join(lines) + "\n\n"
            "Notes\n\n"
            "- HTML: templates are compiled once; per letter the loop only renders and writes one file.\n"
            "  Everything else (choice, joins to practices/teams, items by group) is one vectorised Polars pass.\n"
            "- PDF: WeasyPrint lays out each letter separately and dominates. `letters.pdf_workers` in\n"
            "  config/letters.toml sets the number of processes used by `--pdf`.\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
