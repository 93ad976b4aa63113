"""The input half of a nightly run, stage by stage: read → validate → features → risk →
rules → outreach, in one process, exactly as ``pipeline._produce`` composes them (features,
risk, rules and outreach's score in blocks of people, by ``pipeline._rules_in_blocks``; the
ranking and outreach's selection and plans by ``pipeline._outreach_in_blocks``)
(no outputs written, no store). Prints JSON: per stage wall seconds, CPU seconds
(user + system of this process, all threads) and peak resident memory after it, and
the load average. ``--save DIR`` writes the stage results (people, flags, plans,
quarantine) as Parquet so two versions of the code can be compared frame by frame.

Usage: python -m bench.input_half EXTRACT_DIR AS_OF WORK_DIR [--save DIR]
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from longerlives import pipeline
from longerlives.codelists import load_codelists
from longerlives.extract import read_extract, validate_extract
from longerlives.features import readings
from longerlives.history import History
from longerlives.settings import load_settings


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Stages:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, float]] = {}

    def time(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        w0, c0 = time.perf_counter(), _cpu()
        out = fn(*args, **kwargs)
        self.rows[name] = {
            "wall": round(time.perf_counter() - w0, 3),
            "cpu": round(_cpu() - c0, 3),
            "peak_mb": _peak_mb(),
        }
        return out


def main(extract: str, as_of_text: str, work: str, save: str | None = None) -> dict[str, Any]:
    as_of = date.fromisoformat(as_of_text)
    s = load_settings()
    cl = load_codelists()
    history = History.empty()  # the first night: nothing recorded yet
    st = Stages()
    raw = st.time("read", read_extract, Path(extract))
    ext = st.time(
        "validate",
        validate_extract,
        raw,
        as_of=as_of,
        settings=s.extract,
        codelists=cl,
        work_dir=Path(work),
        summaries=readings(as_of),  # as the pipeline: the medicines and contacts summarised in validation's pass
    )
    # features → risk → rules → outcomes → outreach's score a block of people at a time, then the cohort
    # ranked and each block's selection and plans, as the pipeline does (sessions 17 and 29): its clock
    # times each stage over the blocks
    clock = pipeline._Clock(None)
    contacts_known = bool(ext.rows_read.get("encounters", 0))
    with clock.stage("features", last=False):
        blocks = pipeline.feature_blocks(
            ext, cl, as_of, s.features, s.features.block_people, Path(work), split_people=s.features.split_block_people
        )
    ext = ext.after_features()
    first = pipeline._rules_in_blocks(blocks, cl, history, s, as_of, clock, Path(work), contacts_known)
    del blocks
    reached = pipeline._outreach_in_blocks(first, history, s, as_of, clock, Path(work))
    del first
    for name in ("features", "risk", "rules", "outreach"):
        st.rows[name] = {"wall": clock.seconds[name], "cpu": clock.cpu_seconds[name], "peak_mb": clock.memory_mb[name]}
    if save:  # each block's output frames wait for the output half (session 31): stacked only to be saved
        d = Path(save)
        d.mkdir(parents=True, exist_ok=True)
        frames = [block.read() for block in reached.blocks]
        for name in ("people", "flags", "plans"):
            pl.concat([f[name] for f in frames], how="vertical").write_parquet(d / f"{name}.parquet")
        ext.quarantine.write_parquet(d / "quarantine.parquet")
        (d / "counts.json").write_text(
            json.dumps({"rows_read": ext.rows_read, "rows_quarantined": ext.rows_quarantined}, sort_keys=True)
        )
    total_cpu = round(sum(r["cpu"] for r in st.rows.values()), 2)
    return {
        "stages": st.rows,
        "cpu_total": total_cpu,
        "peak_mb": _peak_mb(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "people": reached.people_count,
        "flags": reached.flags().height,
    }


if __name__ == "__main__":
    args = sys.argv[1:]
    save_dir = None
    if "--save" in args:
        i = args.index("--save")
        save_dir = args[i + 1]
        args = args[:i] + args[i + 2 :]
    print(json.dumps(main(args[0], args[1], args[2], save_dir)))
