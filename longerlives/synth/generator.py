"""Write a synthetic register extract (contract: register-extract-v1) to a folder.

People are made in chunks (default 20,000); each chunk's tables are generated with
numpy/polars and appended to one CSV per table (header once) or written as Parquet
parts that are streamed into one file at the end, so memory stays flat whatever
the size. Same arguments -> byte-identical files: every chunk has its own
``numpy.random.Generator`` seeded from (seed, chunk number) and nothing reads the
clock (the reference date is ``as_of`` or 2026-11-01).

All columns are written as text (Parquet too), exactly as an upstream extract might
deliver them, so that the deliberately bad rows can exist in both formats.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from longerlives.synth import badrows as B
from longerlives.synth.clinical import encounters_frame, events_frame, generate_clinical, medications_frame
from longerlives.synth.codes import build_codebook
from longerlives.synth.nhs import NhsNumberSource
from longerlives.synth.population import PATIENT_COLUMNS, build_static, make_people

DEFAULT_AS_OF = date(2026, 11, 1)
TABLES = ("patients", "events", "medications", "encounters", "teams", "practices")
EPOCH = date(1970, 1, 1)


class _TableWriter:
    def __init__(self, out_dir: Path, table: str, fmt: str) -> None:
        self.table, self.fmt = table, fmt
        self.final = out_dir / f"{table}.{fmt}"
        self.rows = 0
        self.header_written = False
        self.parts: list[Path] = []
        self.parts_dir = out_dir / ".synth-parts" / table
        self.fh = None
        if fmt == "csv":
            self.fh = self.final.open("wb")
        else:
            self.parts_dir.mkdir(parents=True, exist_ok=True)

    def write(self, df: pl.DataFrame) -> None:
        df = df.select(pl.all().cast(pl.String))
        if self.fmt == "csv":
            df.write_csv(self.fh, include_header=not self.header_written)
            self.header_written = True
        else:
            part = self.parts_dir / f"part-{len(self.parts):05d}.parquet"
            df.write_parquet(part, compression="lz4", statistics=False)  # temporary: fast
            self.parts.append(part)
        self.rows += df.height

    def close(self) -> None:
        if self.fmt == "csv":
            self.fh.close()
            return
        pl.scan_parquet(self.parts).sink_parquet(self.final, compression="zstd", row_group_size=500_000)
        shutil.rmtree(self.parts_dir)


def generate(
    n_patients: int,
    seed: int,
    out_dir: Path,
    fmt: Literal["csv", "parquet"] = "csv",
    bad_row_share: float = 0.002,
    as_of: date | None = None,
    *,
    chunk_size: int = 20_000,
    codelist_dir: Path | None = None,
) -> dict:
    """Write ``patients, events, medications, encounters, teams, practices`` to ``out_dir``.

    Returns a summary: rows per table, bad rows per kind (``table.kind``), NHS numbers
    written with spaces/dashes (valid), the reference date and where codes came from.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, not {fmt!r}")
    if n_patients < 1:
        raise ValueError("n_patients must be at least 1")
    if not 0 <= bad_row_share < 0.5:
        raise ValueError("bad_row_share must be between 0 and 0.5")
    as_of = as_of or DEFAULT_AS_OF
    T = (as_of - EPOCH).days
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    other = "parquet" if fmt == "csv" else "csv"
    for t in TABLES:  # an extract with both formats of a table is invalid
        (out_dir / f"{t}.{other}").unlink(missing_ok=True)
    shutil.rmtree(out_dir / ".synth-parts", ignore_errors=True)

    book = build_codebook(codelist_dir)
    code_table = pl.Series(book.code_table, dtype=pl.String)
    drug_codes = pl.Series(book.drug_table, dtype=pl.String)
    drug_names = pl.Series(book.drug_names, dtype=pl.String)
    static = build_static(n_patients, seed)
    nhs_src = NhsNumberSource(seed)
    plan = B.BadRowPlan(bad_row_share)
    writers = {t: _TableWriter(out_dir, t, fmt) for t in TABLES}
    formatted = 0
    good_counts = {t: 0 for t in TABLES}

    try:
        for ci, start in enumerate(range(0, n_patients, chunk_size)):
            m = min(chunk_size, n_patients - start)
            rng = np.random.default_rng([seed, 2, ci])
            people, n_fmt = make_people(static, rng, m, nhs_src, T)
            formatted += n_fmt
            ev, meds, encs, ev_obj = generate_clinical(people, book, rng, T)
            nhs_clean = pl.Series(people.nhs).cast(pl.String)
            tables = {
                "patients": people.table.select(PATIENT_COLUMNS),
                "events": events_frame(ev, ev_obj, nhs_clean, code_table, rng),
                "medications": medications_frame(meds, nhs_clean, drug_codes, drug_names),
                "encounters": encounters_frame(encs, nhs_clean, rng),
            }
            brng = np.random.default_rng([seed, 3, ci])
            first = ci == 0
            for t, df in tables.items():
                good_counts[t] += df.height
                # bad rows are modelled on good ones: a table with no rows in a chunk gets none
                kinds = plan.kinds_for(t, df.height, first) if df.height or t == "patients" else []
                if kinds:
                    if t == "patients":
                        n_base = len(kinds) + kinds.count("duplicate_nhs_number")
                        base, _ = make_people(static, brng, n_base, nhs_src, T)
                        bad = B.bad_patients(kinds, base.table.select(PATIENT_COLUMNS), base.nhs, brng, as_of)
                    else:
                        orphans = B.orphan_numbers(kinds, nhs_src)
                        maker = {
                            "events": B.bad_events,
                            "medications": B.bad_medications,
                            "encounters": B.bad_encounters,
                        }[t]
                        if t == "events":
                            bad = maker(kinds, df, book, orphans, brng, T)
                        else:
                            bad = maker(kinds, df, orphans, brng, T)
                    df = B.mix_in(df, bad.select(df.columns).cast(pl.String), brng)
                writers[t].write(df)
            del people, ev, meds, encs, tables
        writers["teams"].write(static.teams)
        writers["practices"].write(static.practices)
        good_counts["teams"] = static.teams.height
        good_counts["practices"] = static.practices.height
        for w in writers.values():
            w.close()
    finally:
        for w in writers.values():
            if w.fh is not None and not w.fh.closed:
                w.fh.close()
        shutil.rmtree(out_dir / ".synth-parts", ignore_errors=True)

    bad = {k: v for k, v in plan.counts.items() if v}
    # a duplicate NHS number makes two bad rows
    if "patients.duplicate_nhs_number" in bad:
        bad["patients.duplicate_nhs_number"] *= 2
    return {
        "out_dir": str(out_dir),
        "format": fmt,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "patients_requested": n_patients,
        "tables": {t: writers[t].rows for t in TABLES},
        "good_rows": good_counts,
        "bad_rows": dict(sorted(bad.items())),
        "bad_rows_total": sum(bad.values()),
        "valid_variants": {"patients.formatted_nhs_number": formatted},
        "codes_from": book.source,
        "fallback_concepts": sorted(book.fallback_concepts),
    }
