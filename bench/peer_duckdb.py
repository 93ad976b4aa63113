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


def _typed_events(events: Path) -> pl.LazyFrame:
    """The extract's events as the engine sees them after validation (typed columns)."""
    lf = pl.scan_parquet(events)
    schema = lf.collect_schema()
    if schema["date"] == pl.String:
        lf = lf.with_columns(pl.col("date").str.to_date("%Y-%m-%d", strict=False))
    if schema["value"] == pl.String:
        lf = lf.with_columns(pl.col("value").cast(pl.Float64, strict=False))
    return lf.filter(pl.col("date").is_not_null() & pl.col("nhs_number").str.contains(r"^[0-9]{10}$"))


def engine_full_features(events: Path, cmap: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """The engine's whole one-pass event features (first/last/count for every concept,
    latest values, BP pairs — what all rules need), then the six-element columns."""
    from longerlives.features import _event_features
    from longerlives.rules.annual_health_check import add_health_check_columns

    s = load_settings()
    facts = _event_features(_typed_events(events), load_codelists(), as_of, s.features)
    return add_health_check_columns(facts, as_of, s.rules).select("nid", "phc_elements_done")


def engine_six_check(events: Path, cmap: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """The same question as the SQL, asked the engine's way: lazy Polars over the same
    Parquet with the engine's code lists, element mapping and 12-month window."""
    start = months_before(as_of, 12)
    elements = element_concepts()
    concept_to_element = pl.DataFrame(
        [(c if c != "bp" else "systolic_bp", e) for e, cs in elements.items() for c in cs],
        schema={"concept": pl.String, "element": pl.String}, orient="row",
    )
    m = cmap.join(concept_to_element, on="concept").select("code", "element").unique()
    return (
        pl.scan_parquet(events)
        .select("nhs_number", "date", "code")
        .filter(pl.col("code").is_in(m["code"].implode()))
        .with_columns(pl.col("date").cast(pl.String).str.to_date("%Y-%m-%d", strict=False))
        .filter((pl.col("date") > start) & (pl.col("date") <= as_of))
        .join(m.lazy(), on="code")
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
        WHERE TRY_CAST(e.date AS DATE) > DATE '{start}' AND TRY_CAST(e.date AS DATE) <= DATE '{as_of}'
        GROUP BY e.nhs_number
    """
    return con.sql(sql).pl()


def main(extract: str, as_of: str) -> dict:
    events = Path(extract) / "events.parquet"
    d = date.fromisoformat(as_of)
    cmap = snomed_concept_map(load_codelists())
    out = {}
    for name, fn in (("engine_polars", engine_six_check), ("duckdb_sql", duckdb_stage),
                     ("engine_full_features", engine_full_features)):
        t0 = time.perf_counter()
        res = fn(events, cmap, d)
        out[name] = round(time.perf_counter() - t0, 2)
        out[f"{name}_people"] = res.height
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
