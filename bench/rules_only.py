"""Validate → features → risk → rules on one extract, nothing else: the rules-stage
cost of issue 4. Prints JSON with stage timings. Run under bench.measure for memory.

Usage: python -m bench.rules_only EXTRACT_DIR AS_OF WORK_DIR
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from pathlib import Path

from longerlives import risk, rules
from longerlives.codelists import load_codelists
from longerlives.extract import read_extract, validate_extract
from longerlives.features import build_features, readings
from longerlives.rules.annual_health_check import add_health_check_columns
from longerlives.settings import load_settings


def main(extract: str, as_of: str, work: str) -> dict:
    d = date.fromisoformat(as_of)
    s = load_settings()
    cl = load_codelists()
    t = {}
    t0 = time.perf_counter()
    ext = validate_extract(
        read_extract(Path(extract)),
        as_of=d,
        settings=s.extract,
        codelists=cl,
        work_dir=Path(work),
        summaries=readings(d),  # as the pipeline
    )
    t["validate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    people = build_features(ext, cl, d, s.features).people
    t["features"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    people = people.join(risk.score_people(people.lazy(), d, s.risk).collect(), on="nhs_number", how="left")
    t["risk"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    people = add_health_check_columns(people, d, s.rules)
    flags = rules.evaluate_all(people.lazy(), d, s.rules)
    t["rules"] = time.perf_counter() - t0
    return {k: round(v, 2) for k, v in t.items()} | {"people": people.height, "flags": flags.height}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
