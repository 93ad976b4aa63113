"""The nightly run, one direction: extract → validate → features → risk → rules →
outreach → outputs → store.

``run`` is the one function both ``longerlives run`` and the scheduler call. It
writes into a staging folder beside the output folder and moves it into place only
when everything is complete; on any failure the staging folder is removed and the
previous outputs stay untouched.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import polars as pl

from longerlives import __version__
from longerlives.codelists import load_codelists, load_pending, manifest_hash
from longerlives.context import RunContext
from longerlives.crashpoints import crash_point
from longerlives.errors import LongerlivesError
from longerlives.extract import read_extract, validate_extract
from longerlives.extract.read import file_sha256
from longerlives.features import build_features
from longerlives.freshness import extract_freshness
from longerlives.outfolder import check_out_dir, exchange, out_lock, write_marker
from longerlives.outputs.core import (
    flags_with_practice,
    write_flags,
    write_patients,
    write_quarantine,
    write_risk_disclaimer,
)
from longerlives.privacy import private_files
from longerlives.recovery import recover
from longerlives.settings import load_settings

log = logging.getLogger(__name__)
ProgressHook = Callable[[str, str], None]  # (stage, "start"|"done")


@dataclass(frozen=True)
class RunReport:
    run_id: str
    as_of: date
    out_dir: Path
    summary: dict
    timings: dict


def default_db_url(out_dir: Path) -> str:
    state = out_dir.parent / ".longerlives-state"
    state.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{state / 'runs.sqlite'}"


@contextmanager
def _stage(ctx: RunContext, name: str, progress: ProgressHook | None) -> Iterator[None]:
    crash_point(f"{name}.start")
    if progress:
        progress(name, "start")
    t0 = time.perf_counter()
    yield
    crash_point(f"{name}.done")
    ctx.timings[name] = round(time.perf_counter() - t0, 3)
    ctx.memory[name] = _peak_rss_mb()
    log.info("stage %s done in %.2fs", name, ctx.timings[name])
    if progress:
        progress(name, "done")


def _peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB); recorded after each stage."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _promote(staging: Path, out_dir: Path) -> None:
    """Swap the finished staging folder into place (old outputs removed only after)."""
    old = None
    write_marker(staging)  # the folder is ours: a later run may replace it (outfolder.py)
    if out_dir.exists() and exchange(staging, out_dir):  # atomic: outputs never absent
        crash_point("promote.swapped")
        shutil.rmtree(staging, ignore_errors=True)  # now holds the previous outputs
        return
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}")
        out_dir.rename(old)
        crash_point("promote.set_aside")
    staging.rename(out_dir)
    crash_point("promote.swapped")
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@private_files
def run(
    extract_dir: Path | str,
    out_dir: Path | str,
    as_of: date,
    config: Path | str | None = None,
    db_url: str | None = None,
    make_pdf: bool = False,
    progress: ProgressHook | None = None,
) -> RunReport:
    """Run the nightly job once for ``as_of``. Raises LongerlivesError on bad input."""
    extract_dir, out_dir = Path(extract_dir), Path(out_dir)
    check_out_dir(out_dir, extract_dir)  # never replace the extract or a folder longerlives did not make
    settings = load_settings(config)
    codelists = load_codelists()
    run_id = f"{as_of.isoformat()}-{uuid.uuid4().hex[:8]}"
    db_url = db_url or default_db_url(out_dir)
    from longerlives import delivery, store
    from longerlives.lock import run_lock

    try:
        raw = read_extract(extract_dir)  # fatal problems stop here, before anything is written
    except LongerlivesError as exc:
        store.record_failure(db_url=db_url, run_id=run_id, as_of=as_of, exc=exc)
        raise
    with run_lock(db_url), out_lock(out_dir):  # a run that finds a lock held just exits; not a failed run
        recovery = recover(out_dir, db_url)  # finish or abandon what a killed run left (recovery.py)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
        ctx = RunContext(
            run_id=run_id,
            as_of=as_of,
            settings=settings,
            codelists=codelists,
            extract_dir=extract_dir,
            out_dir=out_dir,
            staging=staging,
            db_url=db_url,
            engine_version=__version__,
            make_pdf=make_pdf,
        )
        ctx.input_hashes = {name: file_sha256(t.path) for name, t in raw.items() if t.path is not None}
        started = datetime.now(timezone.utc)
        try:
            with _stage(ctx, "store_open", progress):
                store.stage_open(ctx)
            with _stage(ctx, "validate", progress):
                ctx.extract = validate_extract(
                    raw, as_of=as_of, settings=settings.extract, codelists=codelists, work_dir=staging / ".work"
                )
            ctx.summary["recovery"] = recovery.as_dict()
            ctx.summary["extract_freshness"] = extract_freshness(ctx.extract.events, as_of, settings.operations.safeguards)
            _run_stages(ctx, progress)
            with _stage(ctx, "run_record", progress):
                _write_run_json(ctx, started)
            shutil.rmtree(staging / ".work", ignore_errors=True)
            _promote(staging, out_dir)
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            store.record_failure(ctx, exc)
            raise
        # The outputs are in place: record the run (letters issued, flag history)
        # before delivering, so a delivery problem can never cause a letter to repeat.
        with _stage(ctx, "store_record", progress):
            store.stage_record(ctx, "succeeded")
        with _stage(ctx, "delivery", progress):
            ctx.summary["deliveries"] = delivery.stage(ctx)
        _write_run_json(ctx, started, folder=out_dir)  # final timings and deliveries (atomic replace)
    return RunReport(run_id, as_of, out_dir, ctx.summary, ctx.timings)


def _run_stages(ctx: RunContext, progress: ProgressHook | None) -> None:
    from longerlives import letters, outcomes, outreach, risk, rules
    from longerlives.outputs import exports, worklists
    from longerlives.rules.annual_health_check import add_health_check_columns
    from longerlives.rules.safety import safety_items

    s = ctx.settings
    with _stage(ctx, "features", progress):
        people = build_features(ctx.extract, ctx.codelists, ctx.as_of, s.features)
    with _stage(ctx, "risk", progress):
        scores = risk.score_people(people.lazy(), ctx.as_of, s.risk).collect()
        people = people.join(scores, on="nhs_number", how="left")
    with _stage(ctx, "rules", progress):
        people = add_health_check_columns(people, ctx.as_of, s.rules)
        safety = safety_items(people.lazy().filter(pl.col("in_scope")), ctx.as_of, s.rules).collect()
        people = people.join(safety, on="nhs_number", how="left")
        ctx.flags = rules.evaluate_all(people.lazy(), ctx.as_of, s.rules)
        ctx.people = people
        outcomes.stage(ctx)
    with _stage(ctx, "outreach", progress):
        outreach.stage(ctx)
    with _stage(ctx, "outputs", progress):
        flags_out = flags_with_practice(ctx.flags, ctx.people)
        ctx.files += [
            str(write_flags(flags_out, ctx.staging).relative_to(ctx.staging)),
            str(write_patients(ctx.people, ctx.staging).relative_to(ctx.staging)),
            str(write_quarantine(ctx.extract.quarantine, ctx.staging).relative_to(ctx.staging)),
            str(write_risk_disclaimer(ctx.staging).relative_to(ctx.staging)),
        ]
    with _stage(ctx, "letters", progress):
        letters.stage(ctx)
    with _stage(ctx, "worklists", progress):
        worklists.stage(ctx)
    with _stage(ctx, "exports", progress):
        exports.stage(ctx)
    _summarise(ctx)


def _summarise(ctx: RunContext) -> None:
    people = ctx.people
    in_scope = people.filter(pl.col("in_scope"))
    by_flag = ctx.flags.group_by("flag").len().sort("flag")
    ctx.summary.update(
        {
            "people_on_extract": people.height,
            "people_in_scope": in_scope.height,
            "health_check_cohort": int(in_scope["health_check_cohort"].sum()),
            "ecg_cohort": int(in_scope["ecg_cohort"].sum()),
            "open_flags": ctx.flags.height,
            "people_with_flags": ctx.flags["nhs_number"].n_unique(),
            "flags_by_kind": dict(zip(by_flag["flag"].to_list(), by_flag["len"].to_list())),
            "rows_quarantined": sum(ctx.extract.rows_quarantined.values()),
            "safety_items": int(in_scope["safety_items"].is_not_null().sum()) if "safety_items" in in_scope.columns else 0,
        }
    )


def _write_run_json(ctx: RunContext, started: datetime, folder: Path | None = None) -> None:
    record = {
        "run_id": ctx.run_id,
        "as_of": ctx.as_of.isoformat(),
        "engine_version": ctx.engine_version,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "input_files": ctx.input_hashes,
        "rows_read": ctx.extract.rows_read,
        "rows_quarantined": ctx.extract.rows_quarantined,
        "config_hash": ctx.settings.digest(),
        "codelist_manifest_hash": manifest_hash(ctx.codelists),
        "codelists_overridden": sorted(c for c, cl in ctx.codelists.items() if cl.overridden),
        "codelists_pending": sorted(load_pending()),
        "stage_seconds": ctx.timings,
        "peak_memory_mb_after_stage": ctx.memory,
        "summary": ctx.summary,
        "files": sorted(f for f in ctx.files if not f.startswith("letters/") or f == "letters/index.csv"),
        "letter_files": sum(1 for f in ctx.files if f.startswith("letters/") and f != "letters/index.csv"),
    }
    target = (folder or ctx.staging) / "run.json"
    tmp = target.with_name(".run.json.tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(target)
