"""The engine beside an analyst's DuckDB SQL over the same Parquet, in one process.

Two questions, each answered both ways (issue 16's peer comparison):

* the six-check stage (people with each health-check element in the last 12 months);
* the per-person event features of the engine's feature pass (first/last date and
  12-month count of every SNOMED concept, the latest value of every valued concept,
  the 5-year SD of systolic readings, the latest day with both BP readings), pivoted
  to one row per person. The two answers are compared cell by cell and the result is
  reported (``features_identical``), so the comparison is of the same work.

Prints JSON with the timings (best of ``--repeat`` runs, default 3).

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

from longerlives.codelists import load_codelists, load_pending, snomed_concept_map
from longerlives.dates import months_before
from longerlives.features import BP_SETTINGS
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
    latest values, BP pairs — what all rules need), one row per person."""
    from longerlives.features import _event_features

    s = load_settings()
    patients = events.with_name("patients.parquet")
    scan = pl.scan_parquet(patients) if patients.exists() else pl.scan_csv(events.with_name("patients.csv"))
    # The engine builds the columns in the rows of the patient list (issue 16), as the run does.
    ids = (
        scan.select(pl.col("nhs_number").cast(pl.String))
        .filter(pl.col("nhs_number").str.contains(r"^[0-9]{10}$"))
        .select(pl.col("nhs_number").str.to_integer().alias("nid"))
        .unique()
        .sort("nid")
        .collect()["nid"]
    )
    return _event_features(_typed_events(events), load_codelists(), as_of, s.features, ids).insert_column(0, ids)


def engine_six_check(events: Path, cmap: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """The same question as the SQL, asked the engine's way: lazy Polars over the same
    Parquet with the engine's code lists, element mapping and 12-month window."""
    start = months_before(as_of, 12)
    elements = element_concepts()
    concept_to_element = pl.DataFrame(
        [(c if c != "bp" else "systolic_bp", e) for e, cs in elements.items() for c in cs],
        schema={"concept": pl.String, "element": pl.String},
        orient="row",
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


def _feature_concepts() -> tuple[list[str], list[str]]:
    codelists = load_codelists()
    snomed = sorted({c for c, cl in codelists.items() if cl.kind == "snomed"} | set(load_pending()))
    valued = [c for c in snomed if c in codelists and codelists[c].valued]
    return snomed, valued


def duckdb_full_features(events: Path, cmap: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """The engine's per-person event features as an analyst would write them in DuckDB SQL."""
    s = load_settings().features
    d12, d_sd = months_before(as_of, 12), months_before(as_of, 12 * s.sbp_sd_years)
    snomed, valued = _feature_concepts()
    con = duckdb.connect()
    con.register("cmap", cmap.select("code", "concept").to_arrow())
    concepts_in = ", ".join(f"'{c}'" for c in snomed)
    valued_list = ", ".join(f"'{c}'" for c in valued)
    # Blood pressure pairs by setting (clinic, ABPM daytime, home): latest day with both readings, lower of each
    bp_ctes = ",\n".join(
        f"""{prefix}_day AS (
            SELECT nid, date, min(value) FILTER (concept = '{sys_c}') AS sys,
                   min(value) FILTER (concept = '{dia_c}') AS dia
            FROM ev WHERE concept IN ('{sys_c}', '{dia_c}') GROUP BY nid, date
        ),
        {prefix} AS (
            SELECT nid, max(date) AS {prefix}_last_date, arg_max(sys, date) AS {prefix}_last_systolic,
                   arg_max(dia, date) AS {prefix}_last_diastolic
            FROM {prefix}_day WHERE sys IS NOT NULL AND dia IS NOT NULL GROUP BY nid
        )"""
        for prefix, (sys_c, dia_c) in BP_SETTINGS.items()
    )
    bp_joins = " ".join(f"LEFT JOIN {prefix} USING (nid)" for prefix in BP_SETTINGS)
    sql = f"""
        WITH ev AS (
            SELECT CAST(e.nhs_number AS BIGINT) AS nid, m.concept, TRY_CAST(e.date AS DATE) AS date,
                   TRY_CAST(e.value AS DOUBLE) AS value
            FROM read_parquet('{events}') e JOIN cmap m ON m.code = e.code
            WHERE TRY_CAST(e.date AS DATE) <= DATE '{as_of}' AND regexp_full_match(e.nhs_number, '[0-9]{{10}}')
        ),
        dates AS (
            SELECT nid, concept, min(date) AS first_date, max(date) AS last_date,
                   count(*) FILTER (date > DATE '{d12}') AS n_12m
            FROM ev GROUP BY nid, concept
        ),
        vals AS (
            SELECT nid, concept, arg_max(value, (date, -round(value * 1000))) AS last_value,
                   max(date) AS last_value_date
            FROM ev WHERE value IS NOT NULL AND concept IN ({valued_list}) GROUP BY nid, concept
        ),
        sd AS (
            SELECT nid, stddev_samp(value) AS systolic_bp_sd_{s.sbp_sd_years}y FROM ev
            WHERE concept = 'systolic_bp' AND date > DATE '{d_sd}' GROUP BY nid
        ),
        {bp_ctes},
        wide_dates AS (
            PIVOT dates ON concept IN ({concepts_in})
            USING first(first_date) AS first_date, first(last_date) AS last_date, first(n_12m) AS n_12m GROUP BY nid
        ),
        wide_vals AS (
            PIVOT vals ON concept IN ({valued_list})
            USING first(last_value) AS last_value, first(last_value_date) AS last_value_date GROUP BY nid
        )
        SELECT * FROM wide_dates LEFT JOIN wide_vals USING (nid) LEFT JOIN sd USING (nid) {bp_joins}
    """
    return con.sql(sql).pl()


def features_identical(engine: pl.DataFrame, peer: pl.DataFrame) -> bool:
    """Same people, same columns, same values (dates, counts and readings). The engine has a
    row for every patient (counts 0 where nothing is recorded), the SQL one for every person
    with a coded event: the people of both are compared, and nobody of the SQL may be missing
    from the engine unless absent from the patient list (events the engine quarantines)."""
    if set(engine.columns) != set(peer.columns):
        return False
    peer = peer.join(engine.select("nid"), on="nid", how="semi")
    engine = engine.join(peer.select("nid"), on="nid", how="semi")
    if engine.height != peer.height:
        return False
    a = engine.sort("nid")
    b = peer.select(engine.columns).cast(dict(engine.schema)).sort("nid")  # type: ignore[arg-type]
    b = b.with_columns(pl.col("^.*_n_12m$").fill_null(0))  # the engine counts 0 where there is no record
    for column, dtype in a.schema.items():
        x, y = a[column], b[column]
        if dtype == pl.Float64:  # a standard deviation's last bits depend on the summation order
            same = (x.is_null() == y.is_null()).all() and bool(((x - y).abs() <= 1e-9 * y.abs().fill_null(0)).all())
        else:
            same = x.equals(y)
        if not same:
            return False
    return True


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


def _cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(extract: str, as_of: str, repeat: int = 3) -> dict[str, object]:
    events = Path(extract) / "events.parquet"
    d = date.fromisoformat(as_of)
    cmap = snomed_concept_map(load_codelists())
    out: dict[str, object] = {}
    results: dict[str, pl.DataFrame] = {}
    for name, fn in (
        ("engine_polars", engine_six_check),
        ("duckdb_sql", duckdb_stage),
        ("engine_full_features", engine_full_features),
        ("duckdb_full_features", duckdb_full_features),
    ):
        times, cpu = [], []
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), _cpu()
            results[name] = fn(events, cmap, d)
            times.append(time.perf_counter() - t0)
            cpu.append(_cpu() - c0)
        out[name] = round(min(times), 2)
        out[f"{name}_cpu"] = round(min(cpu), 2)  # CPU seconds, all threads (both engines run in this process)
        out[f"{name}_people"] = results[name].height
    out["features_identical"] = features_identical(results["engine_full_features"], results["duckdb_full_features"])
    out["features_ratio"] = round(float(out["engine_full_features"]) / max(float(out["duckdb_full_features"]), 1e-9), 2)
    out["features_cpu_ratio"] = round(
        float(out["engine_full_features_cpu"]) / max(float(out["duckdb_full_features_cpu"]), 1e-9), 2
    )
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    print(json.dumps(main(args[0], args[1], int(args[2]) if len(args) > 2 else 3)))
