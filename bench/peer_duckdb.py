"""The six-check stage two ways over the same Parquet: the engine's Polars pass and
the SQL an analyst would write in DuckDB. Prints JSON with both timings.

Usage: python -m bench.peer_duckdb EXTRACT_DIR AS_OF
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from longerlives.codelists import load_codelists, snomed_concept_map
from longerlives.dates import months_before
from longerlives.settings import load_settings


def element_concepts() -> dict[str, list[str]]:
    return {k: list(v) for k, v in load_settings().rules.phc_elements.items()}


def engine_stage(events: Path, cmap: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Same shape as the engine: one lazy pass, group by person, elements done in 12 months."""
    start = months_before(as_of, 12)
    elements = element_concepts()
    concept_to_element = pl.DataFrame(
        [(c if c != "bp" else "systolic_bp", e) for e, cs in elements.items() for c in cs],
        schema={"concept": pl.String, "element": pl.String}, orient="row",
    )
    m = cmap.join(concept_to_element, on="concept").select("code", "element").unique()
    return (
        pl.scan_parquet(events)
        .filter((pl.col("date") > start) & (pl.col("date") <= as_of))
        .join(m.lazy(), on="code", how="inner")
        .group_by("nhs_number")
        .agg(pl.col("element").n_unique().alias("elements_done"))
        .collect()
    )


def duckdb_stage(events: Path, cmap: pl.DataFrame, as_of: date) -> pl.DataFrame:
    start = months_before(as_of, 12)
    elements = element_concepts()
    rows = [(c if c != "bp" else "systolic_bp", e) for e, cs in elements.items() for c in cs]
    con = duckdb.connect()
    con.register("cmap", cmap.to_arrow())
    con.execute("CREATE TABLE ce(concept VARCHAR, element VARCHAR)")
    con.executemany("INSERT INTO ce VALUES (?, ?)", rows)
    sql = f"""
        SELECT e.nhs_number, COUNT(DISTINCT ce.element) AS elements_done
        FROM read_parquet('{events}') e
        JOIN cmap m ON m.code = e.code
        JOIN ce ON ce.concept = m.concept
        WHERE e.date > DATE '{start}' AND e.date <= DATE '{as_of}'
        GROUP BY e.nhs_number
    """
    return con.execute(sql).pl()


def main(extract: str, as_of: str) -> dict:
    events = Path(extract) / "events.parquet"
    d = date.fromisoformat(as_of)
    cmap = snomed_concept_map(load_codelists())
    out = {}
    for name, fn in (("engine_polars", engine_stage), ("duckdb_sql", duckdb_stage)):
        t0 = time.perf_counter()
        res = fn(events, cmap, d)
        out[name] = round(time.perf_counter() - t0, 2)
        out[f"{name}_people"] = res.height
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
