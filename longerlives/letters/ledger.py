"""Letters as a ledger: every letter issued exactly once, never lost (issue 12).

* ``cadence_flags`` — what a letter "covers" for the 28-day cadence: the person's open
  flags plus ``safety.item`` for anyone with a safety item. A person with a safety item
  and no other open flag was sent an urgent letter every night; now the cadence covers
  safety letters too (run-outputs-v2: "no person receives two letters within 28 days,
  safety letters included").
* ``carry_forward`` — a same-day rerun into the same output folder keeps the letters
  the store says were issued today: their files are copied from the current outputs
  into the new ones and listed again in ``letters/index.csv``, so the rerun changes
  nothing and deletes nothing. The store records each letter once per person and day.
"""

from __future__ import annotations

import logging
import shutil
from datetime import date
from pathlib import Path

import polars as pl

log = logging.getLogger(__name__)
SAFETY_LETTER_FLAG = "safety.item"
FLAG_KEY_SCHEMA = {"nhs_number": pl.String, "flag": pl.String}


def cadence_flags(flags: pl.DataFrame | None, plans: pl.DataFrame | None) -> pl.DataFrame:
    """``nhs_number, flag`` a letter covers: open flags, plus ``safety.item`` per person with a safety item."""
    parts = []
    if flags is not None and flags.height:
        parts.append(flags.select(pl.col("nhs_number").cast(pl.String), pl.col("flag").cast(pl.String)))
    if plans is not None and plans.height and "has_safety" in plans.columns:
        parts.append(
            plans.filter(pl.col("has_safety").fill_null(False)).select(
                pl.col("nhs_number").cast(pl.String), pl.lit(SAFETY_LETTER_FLAG).alias("flag")
            )
        )
    if not parts:
        return pl.DataFrame(schema=FLAG_KEY_SCHEMA)
    return pl.concat(parts).unique().sort("nhs_number", "flag")


def carry_forward(
    out_dir: Path, staging: Path, as_of: date, last_letters: pl.DataFrame | None, index: pl.DataFrame
) -> tuple[pl.DataFrame, list[str]]:
    """Letters issued today by an earlier run into ``out_dir``, copied into ``staging``.

    Returns the new index (this run's letters plus the carried ones, sorted) and the
    relative paths of the files copied.
    """
    old_index_path = out_dir / "letters" / "index.csv"
    if last_letters is None or last_letters.height == 0 or not old_index_path.is_file():
        return index, []
    today = last_letters.filter(pl.col("last_letter") == as_of).select(pl.col("nhs_number").cast(pl.String))
    if today.height == 0:
        return index, []
    old = pl.read_csv(old_index_path, infer_schema=False)
    if not {"nhs_number", "path"} <= set(old.columns):
        return index, []
    carried = old.join(today, on="nhs_number", how="semi").join(
        index.select(pl.col("nhs_number").cast(pl.String)), on="nhs_number", how="anti"
    )
    copied: list[str] = []
    keep = []
    for row in carried.iter_rows(named=True):
        rel = str(row["path"])
        src = (out_dir / rel).resolve()
        if out_dir.resolve() not in src.parents or not src.is_file():
            continue  # never follow a path out of the output folder
        dst = staging / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
        copied.append(rel)
        pdf = src.with_suffix(".pdf")
        if pdf.is_file():
            shutil.copy2(pdf, dst.with_suffix(".pdf"))
            copied.append(str(Path(rel).with_suffix(".pdf")))
        keep.append(row)
    if not keep:
        return index, []
    cols = [c for c in index.columns if c in old.columns]
    extra = pl.DataFrame(keep, schema={c: pl.String for c in old.columns}, orient="row").select(cols)
    merged = pl.concat([index.select(cols), extra.cast(index.select(cols).schema)], how="vertical").sort("nhs_number")
    log.info("letters: %d letter(s) issued earlier today kept in the outputs", len(keep))
    return merged, copied
