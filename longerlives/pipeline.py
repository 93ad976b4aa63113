"""The nightly run, one direction: extract → validate → features → risk → rules →
outreach → outputs → store.

``run`` is the one function both ``longerlives run`` and the scheduler call, and the
only place that holds a run's state. Every stage is a function with typed inputs and
a frozen result (docs/architecture.md lists them); no stage changes a shared object
and no stage opens the run store — the store is read once at the start into a
``History`` and written at the end. The run lock is taken here and nowhere else.

The run writes into a staging folder beside the output folder and moves it into
place only when everything is complete; on any failure the staging folder is removed
and the previous outputs stay untouched.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from longerlives import __version__, delivery, letters, outreach, risk, rules, store
from longerlives.codelists import Codelist, load_codelists, load_pending, manifest_hash
from longerlives.columnwise import beside
from longerlives.crashpoints import crash_point
from longerlives.errors import LongerlivesError
from longerlives.extract import read_extract, validate_extract
from longerlives.extract.read import RawTable, file_sha256
from longerlives.extract.validate import Extract
from longerlives.features import FeatureBlocks, feature_blocks, readings
from longerlives.frames import available_stats, feature
from longerlives.frames import check_features as check_owner_features
from longerlives.freshness import freshness
from longerlives.history import AuditLine, History
from longerlives.letters.batches import KeptBatches, keep_uncollected, write_batch_index
from longerlives.letters.ledger import cadence_flags
from longerlives.lock import run_lock
from longerlives.outcomes import after_outreach, apply_outcomes, hold_letters
from longerlives.outfolder import check_out_dir, exchange, out_lock, write_marker
from longerlives.outputs.core import PEOPLE_READ as CORE_READS
from longerlives.outputs.core import (
    flags_csv_blocks,
    patients_csv_blocks,
    write_quarantine,
    write_risk_disclaimer,
)
from longerlives.outputs.csvfile import CsvBlocks
from longerlives.outputs.exports import PEOPLE_READ as EXPORT_READS
from longerlives.outputs.exports import (
    ExportError,
    ExportsWritten,
    consecutive_groups,
    practice_codes,
    write_exports,
)
from longerlives.outputs.worklist_snapshot import PEOPLE_READ as SNAPSHOT_PEOPLE
from longerlives.outputs.worklists import NO_TEAM, PlansJson, TeamFiles, in_worklist_order, list_keys, worklist_source
from longerlives.outputs.worklists import PEOPLE_READ as WORKLIST_PEOPLE
from longerlives.paths import default_db_url, state_dir
from longerlives.privacy import private_files
from longerlives.report.measures import add_measure_columns
from longerlives.report.write import report_columns, report_flags, write_report
from longerlives.settings import Settings, load_settings
from longerlives.store.existing import check_store_url, team_codes
from longerlives.store.recovery import recover
from longerlives.workfiles import Gathered, Waiting, wait

log = logging.getLogger(__name__)
ProgressHook = Callable[[str, str], None]  # (stage, "start"|"done")
# Every stage, in the order a run times them (the progress bar and run.json use these names).
STAGES = (
    "store_open",
    "validate",
    "features",
    "risk",
    "rules",
    "outreach",
    "outputs",
    "letters",
    "worklists",
    "exports",
    "report",
    "plans_json",
    "run_record",
    "store_record",
    "delivery",
)

__all__ = ["STAGES", "ProgressHook", "RunReport", "check_features", "default_db_url", "run"]


@dataclass(frozen=True)
class RunReport:
    run_id: str
    as_of: date
    out_dir: Path
    summary: dict[str, Any]
    timings: dict[str, float]


@dataclass
class _Clock:
    """Stage timings and peak memory: the only mutable thing in a run, and private to it."""

    progress: ProgressHook | None
    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # user + system, all threads (issue 16)
    memory_mb: dict[str, float] = field(default_factory=dict)

    overlapped: dict[str, float] = field(default_factory=dict)  # the output half: wall and CPU of the whole
    _threads: bool = False

    @contextmanager
    def stage(self, name: str, last: bool = True) -> Iterator[None]:
        """Time one stage. A stage worked in parts (the blocks of people) is entered once per part
        with ``last=False`` until its last: its seconds add up, and the progress hook and crash
        points see one start (the first part's) and one end (the last part's)."""
        assert name in STAGES, name
        first = name not in self.seconds
        if first:
            crash_point(f"{name}.start")  # test-only crash injection (crashpoints.py)
            if self.progress:
                self.progress(name, "start")
        # While stages overlap, a stage's CPU is its own thread's (Polars' pool and worker processes
        # are not in it; the block's total is in ``overlapped``); otherwise the whole process's.
        cpu = time.thread_time if self._threads else _cpu_seconds
        t0, c0 = time.perf_counter(), cpu()
        yield
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - t0, 3)
        self.cpu_seconds[name] = round(self.cpu_seconds.get(name, 0.0) + cpu() - c0, 3)
        self.memory_mb[name] = _peak_rss_mb()
        if not last:
            return
        crash_point(f"{name}.done")
        log.info("stage %s done in %.2fs", name, self.seconds[name])
        if self.progress:
            self.progress(name, "done")

    @contextmanager
    def overlapping(self) -> Iterator[None]:
        """Stages inside run on two threads at once (the output half)."""
        t0, c0 = time.perf_counter(), _cpu_seconds()
        self._threads = True
        try:
            yield
        finally:
            self._threads = False
        self.overlapped = {"seconds": round(time.perf_counter() - t0, 3), "cpu_seconds": round(_cpu_seconds() - c0, 3)}

    def in_order(self) -> dict[str, float]:
        """Stage seconds in STAGES order (overlapping stages finish in any order)."""
        return {name: self.seconds[name] for name in STAGES if name in self.seconds}


def _cpu_seconds() -> float:
    """CPU time of this process and its finished worker processes so far (user + system,
    every thread): unlike wall time it does not grow when other work shares the machine."""
    import resource

    return sum(
        u.ru_utime + u.ru_stime for u in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


def _peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB); recorded after each stage."""
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _remove_now(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _promote(staging: Path, out_dir: Path, remove: Callable[[Path], None] = _remove_now) -> None:
    """Swap the finished staging folder into place (old outputs removed only after, by ``remove``)."""
    old = None
    write_marker(staging)  # the folder is ours: a later run may replace it (outfolder.py)
    if out_dir.exists() and exchange(staging, out_dir):  # atomic: the outputs are never absent
        crash_point("promote.swapped")
        remove(staging)  # now holds the previous outputs
        return
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{uuid.uuid4().hex[:8]}")
        out_dir.rename(old)
        crash_point("promote.set_aside")
    staging.rename(out_dir)
    crash_point("promote.swapped")
    if old is not None:
        remove(old)


@dataclass(frozen=True)
class _Produced:
    """Everything the stages from validation to the run record produced."""

    extract: Extract  # as the stages after the feature pass read it (Extract.after_features)
    phc_six_complete: int  # people in scope in the health-check cohort with all six checks done
    team_codes: list[str]  # every core team code on the extract (what `outcome record --team` accepts)
    files: tuple[str, ...]  # every file written but the letters (run.json ``files``)
    letter_files: int  # the letters written (not each one's name held to the end of the run; session 32)
    summary: dict[str, Any]
    coverage: pl.DataFrame  # coverage counts (measure x breakdown), kept in the store for trends
    plans: pl.DataFrame | None = None
    exported: tuple[dict[str, Any], ...] = ()  # per practice: practice_code, rows, sha256 (the delivery's digests)
    work_read: Future[Any] | None = None  # the store's last read of the work folder (the web worklist's blocks)


@private_files  # everything a run writes is 0600/0700 whatever the umask (privacy.py)
def run(
    extract_dir: Path | str,
    out_dir: Path | str,
    as_of: date,
    config: Path | str | None = None,
    db_url: str | None = None,
    make_pdf: bool = False,
    progress: ProgressHook | None = None,
    adopt_out: bool = False,
) -> RunReport:
    """Run the nightly job once for ``as_of``. Raises LongerlivesError on bad input.

    ``adopt_out``: take over an output folder of a version before the ownership marker."""
    extract_dir, out_dir = Path(extract_dir), Path(out_dir)
    check_out_dir(out_dir, extract_dir, adopt_out)  # never replace the extract or a folder longerlives did not make
    settings = load_settings(config)
    rules.check_settings(settings.rules)  # a rule table that does not fit its rule stops here, before any work
    codelists = load_codelists()
    check_features(settings, codelists)  # a misspelt feature concept stops here, before any data is read
    run_id = f"{as_of.isoformat()}-{uuid.uuid4().hex[:8]}"
    if db_url is None:
        db_url = default_db_url(out_dir)
    check_store_url(db_url)
    state = state_dir(db_url, out_dir)
    state.mkdir(parents=True, exist_ok=True)

    try:
        raw = read_extract(extract_dir)  # fatal problems stop here, before anything is written
    except LongerlivesError as exc:
        store.record_failure(db_url, run_id, as_of, exc)
        raise
    clock = _Clock(progress)
    # Beside the run on a thread of their own (hashlib and file removal release the GIL; issue 16):
    # the input files' digests for run.json, and last night's outputs once tonight's are in place.
    with (
        run_lock(db_url),  # a run that finds a lock held just exits; not a failed run
        out_lock(out_dir),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="longerlives-files") as files_thread,
    ):

        def remove_later(folder: Path) -> None:
            files_thread.submit(_remove_now, folder)  # finished before the locks are released

        hashing = files_thread.submit(_input_hashes, raw)
        recovery = recover(out_dir, db_url)  # finish or abandon what a killed run left (store/recovery.py)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
        started = datetime.now(timezone.utc)
        store_writes: store.RunRecord | None = None
        try:
            with clock.stage("store_open"):
                run_store, history = store.begin_run(
                    db_url,
                    run_id,
                    as_of,
                    engine_version=__version__,
                    out_dir=str(out_dir),
                    config_hash=settings.digest(),
                )
            store_writes = store.begin_record(run_store, run_id, as_of)  # writes beside the output half (issue 16)
            # validation is the first of _produce's stages: the validated extract is held by it alone, so the
            # tables only the feature pass reads are released after it (Extract.after_features)
            produced = _produce(
                raw, codelists, history, settings, as_of, run_id, staging, make_pdf, clock, out_dir, store_writes
            )
            extract = produced.extract
            produced = replace(
                produced,
                summary={
                    **produced.summary,
                    "recovery": recovery.as_dict(),
                    "extract_freshness": freshness(extract.latest_event, as_of, settings.operations.safeguards),
                    "team_codes": produced.team_codes,
                },
            )
            with clock.stage("run_record"):
                run_json = _run_record(
                    run_id, as_of, started, hashing.result(), extract, settings, codelists, produced, clock
                )
                _write_run_json(run_json, staging)
            if produced.work_read is not None:
                produced.work_read.result()  # the web worklist reads its blocks from the work folder
            shutil.rmtree(staging / ".work", ignore_errors=True)
            _promote(staging, out_dir, remove_later)
        except BaseException as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if store_writes is not None:
                store_writes.abort()  # nothing of the run's record is committed before its outputs are in place
            store.record_failure(db_url, run_id, as_of, exc, engine_version=__version__, out_dir=str(out_dir))
            raise
        summary = dict(produced.summary)
        # The outputs are in place: record the run (letters issued, flag history)
        # before delivering, so a delivery problem can never cause a letter to repeat.
        with clock.stage("store_record"):  # flag history, letters, coverage, web worklist: written, committed here
            counted = store_writes.commit(_run_totals(summary, produced.phc_six_complete), summary)
            summary.update(counted)
            summary["phc_six_complete"] = produced.phc_six_complete
        with clock.stage("delivery"):

            def record(line: AuditLine) -> None:
                store.record_deliveries(run_store, run_id, as_of, [line])

            summary["deliveries"] = delivery.deliver(
                out_dir,
                delivery.mailboxes(extract.practices),
                _outbox(settings, state),
                settings.operations,
                history.delivered,
                run_id,
                as_of,
                record,
                delivery.written_exports(produced.exported),  # digested as written: not read back
            )
            store_writes.settle()  # the store's checkpoint (SQLite), made on another thread during the delivery
        # final timings and deliveries (atomic replace)
        _write_run_json(
            {
                **run_json,
                "summary": summary,
                "stage_seconds": clock.in_order(),
                "stage_cpu_seconds": clock.cpu_seconds,
                "overlapped_output_stages": clock.overlapped,
                "peak_memory_mb_after_stage": clock.memory_mb,
                "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            },
            out_dir,
        )
    return RunReport(run_id, as_of, out_dir, summary, clock.in_order())


def _input_hashes(raw: dict[str, RawTable]) -> dict[str, str]:
    """sha256 of every input file, by table (run.json ``input_files``)."""
    return {name: file_sha256(t.path) for name, t in raw.items() if t.path is not None}


def check_features(settings: Settings, codelists: dict[str, Codelist]) -> None:
    """Every feature column the rules, risk inputs and outreach read exists for these code
    lists (``frames.FeatureError`` naming the reader and the concept otherwise)."""
    available = available_stats(codelists, load_pending())
    rules.check_declared_features(settings.rules, available)
    check_owner_features("risk inputs", risk.FEATURES, available)
    check_owner_features("outreach", outreach.declared_features(settings.outreach), available)


def _produce(
    raw: dict[str, RawTable],
    codelists: dict[str, Codelist],
    history: History,
    settings: Settings,
    as_of: date,
    run_id: str,
    staging: Path,
    make_pdf: bool,
    clock: _Clock,
    out_dir: Path | None = None,
    record: store.RunRecord | None = None,
) -> _Produced:
    """validate → features → risk → rules → outcomes → outreach → outputs, letters, worklists, exports."""
    s = settings
    with clock.stage("validate"):
        # what the feature pass reads of the medicines and contacts is summarised in validation's
        # own pass over them (extract/reading.py; issue 16)
        extract = validate_extract(
            raw,
            as_of=as_of,
            settings=s.extract,
            codelists=codelists,
            work_dir=staging / ".work",
            summaries=readings(as_of),
        )
    contacts_known = bool(extract.rows_read.get("encounters", 0))
    with clock.stage("features", last=False):  # one pass over each clinical table
        blocks = feature_blocks(
            extract,
            codelists,
            as_of,
            s.features,
            s.features.block_people,
            staging / ".work",
            extract.hand_over(),  # the patients (in the work folder) and summaries, each let go once read
            split_people=s.features.split_block_people,
        )
    # the patients and the summaries are read by nothing but the feature blocks, which have made their own
    # of them: released before the first block, not held through the input half (issue 16, session 30)
    extract = extract.after_features()
    first = _rules_in_blocks(blocks, codelists, history, s, as_of, clock, staging / ".work", contacts_known)
    del blocks
    reached = _outreach_in_blocks(first, history, s, as_of, clock, staging / ".work")
    held_by_outcomes = first.held_by_outcomes + reached.held_by_outcomes
    del first
    # before the output half: everybody's counted columns read once, then let go; the flags counted a block
    # at a time by outreach's last pass (everybody's flags' keys, 61 MB at 600,000 people, not read here)
    people = _columns(reached.kept, "people", ("nhs_number", *COUNTED))
    counts = _counts(people, reached.flag_counts, extract)
    phc_six_complete, codes = _phc_six_complete(people), team_codes(people, extract.teams)
    del people
    half = _output_half(reached, extract, history, s, as_of, run_id, staging, make_pdf, clock, out_dir, record)
    summary = {
        **counts,
        "flags_held_by_outcomes": held_by_outcomes,
        "outreach": reached.summary,
        **half.summary,
    }
    return _Produced(
        extract,
        phc_six_complete,
        codes,
        half.files,
        half.letter_files,
        summary,
        half.coverage,
        exported=half.exported,
        work_read=half.work_read,
    )


@dataclass(frozen=True)
class _FirstPass:
    """features → risk → rules → outcomes → outreach's score, every block of people done: each
    block's people and flags waiting for the cohort's ranking (workfiles.py), and the ranking's keys."""

    waiting: tuple[Waiting, ...]
    rank_keys: pl.DataFrame
    held_by_outcomes: int


@dataclass(frozen=True)
class _Reached:
    """Outreach's last pass done: each block's output columns, open flags and plans waiting for the
    output half (``workfiles.py``, NHS-number order), and the few columns of everybody it counts and
    sorts by: the people's ``_kept_people``, the flags' keys and each plan's worklist keys, each in the
    work folder when the blocks are (issue 16, session 35: at 600,000 people the kept columns, 37.5 MB,
    and the worklist keys, 17.5 MB, were held through the output half) and read when asked."""

    blocks: tuple[Waiting, ...]
    kept: Gathered  # everybody's kept columns (``people``)
    people_count: int
    flag_keys: Gathered  # everybody's flags' ``FLAG_KEYS`` (``flags``)
    list_keys: Gathered  # each worklist row's ``list_keys`` (``keys``)
    flag_counts: FlagCounts  # everybody's open flags counted
    summary: dict[str, int]
    held_by_outcomes: int

    def keys(self) -> pl.DataFrame:
        """Every worklist row's keys, read when asked and held by the asker alone."""
        return self.list_keys.read()["keys"]

    def flags(self) -> pl.DataFrame:
        """Everybody's flags' keys, read when asked and held by the asker alone (issue 16, session 33: at
        600,000 people 61 MB the output half held to its end, read by the report at its start and by the
        flag history at its end)."""
        return self.flag_keys.read()["flags"]


def _rules_in_blocks(
    blocks: FeatureBlocks,
    codelists: dict[str, Codelist],
    history: History,
    s: Settings,
    as_of: date,
    clock: _Clock,
    work_dir: Path,
    contacts_known: bool,
) -> _FirstPass:
    """features → risk → rules → outcomes → outreach's score, a block of people at a time (NHS-number
    order; issue 16).

    Each block's people (every column but the features no later stage reads, with its safety items,
    coverage measures and marginalisation score) and open flags then wait in the work folder for the
    whole cohort's ranking (held in memory when the register is one block). Only one block's
    400-column feature table and one block's results are held at a time: for 600,000 people that
    table alone was 1.3 GB, and every block's results held together 2.0-2.15 GB (session 28)."""
    made = _feature_columns(codelists)
    read_by_nobody = made - {ref.name for ref in outreach.read_features(s.outreach)}  # read by no later stage
    # once scored, a block waits without the features only the score read (smaller work files)
    read_before_score = made - read_by_nobody - {ref.name for ref in outreach.features_after_score()}
    spill_to = work_dir / "blocks" if len(blocks) > 1 else None
    outreach.warn_if_contacts_unknown(contacts_known)
    waiting, keys, held = [], [], 0
    for i in range(len(blocks)):
        last = i == len(blocks) - 1
        with clock.stage("features", last=last):
            people = blocks.block(i).people
        with clock.stage("risk", last=last):
            people = beside(people, [risk.score(people, as_of, s.risk).scores])  # no copy of the block
        with clock.stage("rules", last=last):
            evaluated = rules.evaluate(people, as_of, s.rules)
            del people
            measured = add_measure_columns(evaluated.people, as_of, s.rules)  # the coverage report's denominators
            measures = measured.select("nhs_number", *measured.columns[evaluated.people.width :])
            del measured
            kept = evaluated.people.drop([c for c in evaluated.people.columns if c in read_by_nobody])
            # what needs all of a person's flags: the outcomes recorded, the safety items
            flags = apply_outcomes(evaluated.flags, history.outcomes, as_of, s.operations)
            held += evaluated.flags.height - flags.height
            del evaluated
            # laid beside the people's columns, not every column copied by two joins (columnwise.py)
            people = beside(kept, [rules.safety_items(flags), measures])
            del kept, measures
        with clock.stage("outreach", last=False):  # the first of outreach's passes (outreach.rank_and_plan)
            scored = outreach.score_people(people, flags, as_of, s.outreach, contacts_known)
            del people
            scored = scored.drop([c for c in scored.columns if c in read_before_score])
            keys.append(outreach.rank_keys(scored))
            waiting.append(wait({"people": scored, "flags": flags}, spill_to, f"block{i:04d}"))
            del scored, flags
    return _FirstPass(tuple(waiting), pl.concat(keys, how="vertical", rechunk=True), held)


def _outreach_in_blocks(
    first: _FirstPass, history: History, s: Settings, as_of: date, clock: _Clock, work_dir: Path
) -> _Reached:
    """The cohort ranked once, then each block's selection, outreach flags and plans (outreach's
    last pass), the outcomes applied to them, and the block's people cut to their output columns;
    each block then waits for the output half (issue 16, session 31: everybody's flags, plans and
    people, 620 MB at 600,000 people, were held through the output half)."""
    waiting: list[Waiting] = []
    everybody: list[Waiting] = []  # each block's part of everybody's kept columns, flags' keys, worklist keys
    people_count = 0
    flag_counts = FlagCounts()
    spill_to = work_dir / "blocks" if len(first.waiting) > 1 else None
    summary: dict[str, int] = {}
    held = 0
    with clock.stage("outreach", last=False):
        ranking = outreach.rank(first.rank_keys, s.outreach)
    kept = _kept_people(s)
    for i, block in enumerate(first.waiting):
        with clock.stage("outreach", last=i == len(first.waiting) - 1):
            taken = block.take()
            reached = outreach.select_and_plan(taken.pop("people"), taken.pop("flags"), ranking, as_of, s.outreach)
            flags, plans, held_after = after_outreach(
                reached.flags, reached.plans, history.outcomes, as_of, s.operations
            )
            if held_after:
                plans = outreach.refresh_urgency(plans, flags)  # the plan's urgency from the flags still open
            held += held_after
            summary = {k: summary.get(k, 0) + v for k, v in reached.summary.items()}
            people = output_people(reached.people, s)  # only what the output stages read
            # the block's part of everybody's kept columns, flags' keys and worklist keys, waiting at once
            everybody_part = {
                "people": people.select(c for c in people.columns if c in kept),
                "flags": flags.select(c for c in FLAG_KEYS if c in flags.columns),
                "keys": list_keys(plans),
            }
            everybody.append(wait(everybody_part, spill_to, f"everybody{i:04d}"))
            people_count += people.height
            flag_counts += FlagCounts.of(flags)
            del everybody_part
            frames = {"people": people, "flags": flags, "plans": plans}
            del reached, flags, plans, people
            parts = [frames] if spill_to is None else _in_parts(frames, s.operations.output_block_people)
            for j, part in enumerate(parts):
                waiting.append(wait(part, spill_to, f"output{i:04d}-{j:03d}"))
            del frames, parts
    outreach.log_outreach(summary)
    gathered = tuple(everybody)
    kept_people, flag_keys = Gathered(gathered, ("people",)), Gathered(gathered, ("flags",))
    keys = Gathered(gathered, ("keys",))
    return _Reached(tuple(waiting), kept_people, people_count, flag_keys, keys, flag_counts, summary, held)


def _in_parts(frames: dict[str, pl.DataFrame], size: int) -> list[dict[str, pl.DataFrame]]:
    """A block's frames as parts of at most ``size`` people, each an NHS-number range (so the parts one
    after another are the block in NHS-number order, as the output half's blocks are), every frame's rows
    in their own order within a part."""
    numbers = frames["people"]["nhs_number"].sort()
    if numbers.len() <= size:
        return [frames]
    cuts = numbers.gather(list(range(size, numbers.len(), size))).to_list()
    bounds = list(zip([None, *cuts], [*cuts, None]))
    parts = []
    for lo, hi in bounds:
        nhs = pl.col("nhs_number")
        keep = (nhs >= lo if lo is not None else pl.lit(True)) & (nhs < hi if hi is not None else pl.lit(True))
        parts.append({name: frame.filter(keep) for name, frame in frames.items()})
    return parts


@dataclass(frozen=True)
class _HalfDone:
    """What the output half wrote and counted."""

    files: tuple[str, ...]  # every file written but the letters
    letter_files: int
    summary: dict[str, Any]
    coverage: pl.DataFrame
    exported: tuple[dict[str, Any], ...]
    work_read: Future[Any] | None


def _output_half(
    reached: _Reached,
    extract: Extract,
    history: History,
    s: Settings,
    as_of: date,
    run_id: str,
    staging: Path,
    make_pdf: bool,
    clock: _Clock,
    out_dir: Path | None,
    record: store.RunRecord | None,
) -> _HalfDone:
    """outputs, letters, worklists, exports, report, plans.json: a block of people at a time, then a
    group of teams and of practices at a time (issue 16, session 31).

    The second thread writes the report (from the few columns of everybody kept), then reads each
    block (NHS-number order) and appends its rows of flags.csv, patients.csv and plans.json, keeping
    its flags with their practice in the work folder, then writes the practice exports a group of
    practices at a time. This thread reads each block for its letters and keeps its worklist rows'
    sources in the work folder; once every block's letters are written, the store's thread records
    the letters issued and the web worklist a block at a time (each block read back there) while this
    one writes the worklist files a group of teams at a time. Every file is the same as the whole
    register's at once: every row is a fact about one person, sorted within its file by keys that keep
    each person's, team's or practice's rows together."""
    work = staging / ".work" / "output" if len(reached.blocks) > 1 else None
    with (
        clock.overlapping(),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="longerlives-outputs") as other_thread,
    ):
        try:
            # The flag history needs only the flags' keys. A register of up to ``flag_history_early_max_people``
            # has it written now; a larger one once the files beside the letters are, so that on SQLite the
            # store's write lock is not held for the whole output half (issue 16, session 26).
            early = reached.people_count <= s.operations.flag_history_early_max_people
            if record is not None and early:
                record.flags(reached.flags())
            person_files = _PersonFiles(staging, as_of, run_id)
            side = [other_thread.submit(person_files.open, extract.take_quarantine())]
            # the report reads only the few columns of everybody kept: made first on the second thread, while
            # the first block's letters are (its counts of everybody beside the last blocks' work were the
            # output half's peak at 600,000 people)
            reported = other_thread.submit(_report, reached, history, s, as_of, run_id, staging, clock)
            # the second thread: each block's rows of flags.csv, patients.csv and plans.json and its practice
            # export rows, then the exports a group of practices at a time, while this thread writes the letters
            n = len(reached.blocks)
            side += [
                other_thread.submit(_beside_letters, block, i == n - 1, person_files, clock)
                for i, block in enumerate(reached.blocks)
            ]
            side_files = other_thread.submit(_exports, reached, extract, s, as_of, staging, clock)
            letter_blocks = letters.LettersInBlocks(staging, as_of, s.letters)
            sources, indexes = [], []
            for i, block in enumerate(reached.blocks):
                frames = block.read()
                people, flags, plans = frames["people"], frames["flags"], frames["plans"]
                with clock.stage("letters", last=False):
                    letter_flags = cadence_flags(flags, plans)  # what a letter covers: the cadence's and the store's
                    decisions = letters.decide_letters(
                        plans,
                        people,
                        flags,
                        history.last_letters,
                        as_of,
                        s.letters,
                        s.outreach.manual_needs,
                        s.operations.letter_cadence_days,
                        letter_flags,
                    )
                    decisions = hold_letters(
                        decisions, history.outcomes, as_of, s.operations
                    )  # e.g. booked holds letters
                    index = letter_blocks.add(
                        letters.LetterInputs(decisions, people, flags, plans, extract.practices, extract.teams)
                    )
                with clock.stage("worklists", last=False):
                    source = worklist_source(plans, people, index, decisions, history.last_letters)
                    sources.append(wait({"source": source}, work, f"lists{i:04d}"))
                # each block's index rows wait for the store's thread in the work folder (40 MB at 600,000
                # people held to the tail's end, issue 16, session 33)
                indexes.append(wait({"index": index}, work, f"index{i:04d}"))
                del frames, people, flags, plans, decisions, index, source, letter_flags
            if record is not None:
                # the letters issued, once all are written: on SQLite the store's write lock is held from its first
                # write to the commit, so the record's writes start where they did before (issue 16, session 26)
                for block, index_of in zip(reached.blocks, indexes):
                    record.letters_of(partial(_letters_covered, block, index_of))
            web = None
            if record is not None:
                # the web worklist a block at a time on the store's thread, each block read there when its turn
                # comes (nothing waits in memory for it): beside the worklist files, as the exports are beside
                # the letters (beside the letters too, its parts' texts made the output half's peak; session 31)
                from longerlives.outputs.worklist_snapshot import web_list_order
                from longerlives.web.settings import load_web_settings

                web_settings = load_web_settings()
                # every row's order made on the store's thread from the keys in the work folder
                web = record.worklist_in_blocks(lambda: web_list_order(reached.keys()), web_settings.snapshot_keep_runs)
                for block, source_of in zip(reached.blocks, sources):
                    web.block(partial(_web_block, block, source_of, as_of, web_settings.same_day_bp_days))
            for done in side:
                done.result()  # the blocks' rows of flags.csv, patients.csv and plans.json are in
            with clock.stage("letters"):
                written = letter_blocks.finish(make_pdf)
                # letters of earlier nights not yet collected stay in the outputs (letters/batches.py)
                kept = (
                    keep_uncollected(out_dir, staging, history.collected_batches)
                    if out_dir is not None
                    else KeptBatches((), (), ())
                )
                tonight = written.summary["written"]
                batch_files = (*kept.files, write_batch_index(staging, run_id, as_of, tonight, kept))
                crash_point("letters.batches_kept")
            with clock.stage("worklists"):
                list_files, on_lists = _worklist_files(
                    reached.list_keys, sources, extract.teams, s, staging, as_of, run_id
                )
                work_read: Future[Any] | None = web.end() if web is not None else None
            exported = side_files.result()
            if record is not None and not early:  # once the letters and the exports are written (H96)
                # the flags' keys read from the work folder on the store's thread when its turn comes (not held
                # through the tail); its last read of the work folder, after the web worklist's blocks
                work_read = record.flags_of(reached.flags)
            report_paths, coverage = reported.result()
            if record is not None:
                record.coverage(coverage)
        except BaseException:
            # a failure here stops the second thread's blocks and exports still waiting (those running finish)
            other_thread.shutdown(wait=True, cancel_futures=True)
            raise
    summary = {
        "letters": {**written.summary, **kept.summary()},
        "worklists": on_lists,
        "exports": {"practices": len(exported.practices), "rows": exported.rows, "safety_rows": exported.safety_rows},
    }
    # tonight's letters counted, not listed (their paths are in letters/index.csv)
    files = (*person_files.files, letters.INDEX_FILE, *batch_files, *list_files, *exported.files, *report_paths)
    listed = tuple(f for f in files if not _is_letter(f))
    letter_files = written.letters + len(files) - len(listed)
    return _HalfDone(listed, letter_files, summary, coverage, exported.practices, work_read)


def _is_letter(path: str) -> bool:
    """A letter's file (counted in run.json, not listed): under letters/ but the index."""
    return path.startswith("letters/") and path != letters.INDEX_FILE


def _beside_letters(block: Waiting, last: bool, person_files: _PersonFiles, clock: _Clock) -> None:
    """A block's rows of the per-person files (on the output half's second thread, in block order)."""
    frames = block.read()
    person_files.add(frames["people"], frames["flags"], frames["plans"], clock, last)


def _letters_covered(block: Waiting, index: Waiting) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A block's letters index and what each letter covered (``cadence_flags``), read on the store's thread:
    only the columns that reads (the flags' keys, each plan's safety item)."""
    return index.read()["index"], cadence_flags(
        block.scan("flags").select("nhs_number", "flag").collect(),
        _columns(block, "plans", ("nhs_number", "has_safety")),
    )


def _columns(waiting: Waiting | Gathered, name: str, wanted: Iterable[str]) -> pl.DataFrame:
    """The ``name`` frame's columns of ``wanted`` (those it has, in that order), read from where it waits."""
    scan = waiting.scan(name)
    has = set(scan.collect_schema().names())
    return scan.select(c for c in wanted if c in has).collect()


def _web_block(block: Waiting, source_of: Waiting, as_of: date, same_day_days: int) -> Any:
    """A block's web worklist rows (``worklist_snapshot.lazy_snapshot``), read and made on the store's thread:
    only the columns the snapshot reads of the block's people, flags, plans and worklist rows (issue 16,
    session 34: the addresses, the plans' other texts and the worklist rows' actions not read beside the worklist
    files' groups)."""
    from longerlives.outputs.worklist_snapshot import SNAPSHOT_READS, SNAPSHOT_SCHEMA, lazy_snapshot
    from longerlives.outputs.worklists import source_read_by

    frames = {name: _columns(block, name, wanted) for name, wanted in SNAPSHOT_READS.items()}
    source = _columns(source_of, "source", source_read_by(SNAPSHOT_SCHEMA))
    return lazy_snapshot(
        in_worklist_order(source), frames["plans"], frames["flags"], frames["people"], as_of, same_day_days
    )


class _PersonFiles:
    """flags.csv, patients.csv, plans.json, quarantine.csv and the risk disclaimer: the per-person
    files appended a block of people at a time, in NHS-number order, on the output half's second thread."""

    def __init__(self, staging: Path, as_of: date, run_id: str) -> None:
        self.staging = staging
        self._flags = CsvBlocks(staging / "flags.csv")
        self._patients = CsvBlocks(staging / "patients.csv", float_precision=1)
        self._plans = PlansJson(staging, as_of, run_id)
        self.files: list[str] = []

    def open(self, quarantine: pl.DataFrame) -> None:
        self._flags.open()
        self._patients.open()
        self._plans.open()
        done = [write_quarantine(quarantine, self.staging), write_risk_disclaimer(self.staging)]
        self.files += [str(f.relative_to(self.staging)) for f in done]

    def add(self, people: pl.DataFrame, flags: pl.DataFrame, plans: pl.DataFrame, clock: _Clock, last: bool) -> None:
        with clock.stage("outputs", last=last):
            for rows in flags_csv_blocks(flags, people):
                self._flags.add(rows)
            for rows in patients_csv_blocks(people):
                self._patients.add(rows)
            if last:
                self._flags.close()
                self._patients.close()
                crash_point("outputs.flags_written")
        # the engagement plans for the worklists' readers (400 MB of JSON at 600,000 people; session 12)
        with clock.stage("plans_json", last=last):
            self._plans.add(plans if plans["nhs_number"].is_sorted() else plans.sort("nhs_number"))
            if last:
                self._plans.close()
                self.files += ["flags.csv", "patients.csv", PlansJson.PATH]


def _worklist_files(
    list_keys: Gathered,
    sources: list[Waiting],
    teams: pl.DataFrame | None,
    s: Settings,
    staging: Path,
    as_of: date,
    run_id: str,
) -> tuple[list[str], dict[str, int]]:
    """Every team's worklist files, a group of teams at a time, each group's rows read from every block;
    and the rows and teams listed (run.json's summary), counted from every worklist row's keys."""
    team = list_keys.scan("keys").select("team").collect()["team"]
    listed = {"rows": team.len(), "teams": team.n_unique()}
    files = TeamFiles(staging, teams, as_of, run_id, team.unique().to_list())
    sizes = dict(team.value_counts().iter_rows())
    del team
    groups = consecutive_groups(files.teams, sizes, _group_limit(s.operations.worklist_group_rows, sources))
    for group in groups:
        if len(groups) == 1:
            source = pl.concat([w.scan("source") for w in sources]).collect()
        else:
            mine = pl.col("core_team").fill_null(NO_TEAM).is_in(pl.Series(group, dtype=pl.String).implode())
            source = pl.concat([w.scan("source").filter(mine) for w in sources]).collect()
        files.write(in_worklist_order(source), source, group)
        del source
    return files.finish(), listed


def _group_limit(limit: int, blocks: list[Waiting] | tuple[Waiting, ...]) -> int:
    """The rows a group of teams or practices may hold: ``limit`` for a register whose blocks wait in the
    work folder; no limit for one held in memory as one block, whose rows are all held already (groups
    there only cost time: 0.6 s of the worklists at 100,000 people in session 32's bench)."""
    return limit if len(blocks) > 1 else sys.maxsize


def _report(
    reached: _Reached, history: History, s: Settings, as_of: date, run_id: str, staging: Path, clock: _Clock
) -> tuple[tuple[str, ...], pl.DataFrame]:
    """The coverage and inequalities report, from the few columns of everybody the output half keeps."""
    with clock.stage("report"):  # coverage and inequalities, from the rows of patients.csv and flags.csv
        report_files, coverage = write_report(
            staging,
            reached.kept.scan("people").filter(pl.col("in_scope")).select(report_columns(s.report)).collect(),
            # flags.csv's keys (the report reads the flag, the person and since) of the flags it reads
            reached.flag_keys.scan("flags").filter(report_flags(s.report)).collect(),
            history.coverage_trends,
            as_of=as_of,
            settings=s.report,
            run_id=run_id,
        )
    return tuple(str(p.relative_to(staging)) for p in report_files), coverage


def _exports(
    reached: _Reached,
    extract: Extract,
    s: Settings,
    as_of: date,
    staging: Path,
    clock: _Clock,
) -> ExportsWritten:
    """The practice exports a group of practices at a time, each group's people found in the kept
    columns and their flags read from every block."""
    kept = reached.kept.scan("people")
    with clock.stage("exports"):
        practice_of = (
            reached.flag_keys.scan("flags")
            .select("nhs_number")
            .join(kept.select("nhs_number", "practice_code"), on="nhs_number", how="left")
            .collect()["practice_code"]
        )
        sizes = dict(practice_of.value_counts().iter_rows())
        flagged = practice_of.len()
        del practice_of  # 2.3 million practice codes at 600,000 people, not held through the groups
        in_scope = _columns(reached.kept, "people", ("practice_code", "in_scope"))
        codes = practice_codes({c for c in sizes if c is not None}, extract.practices, in_scope)
        del in_scope
        codes = sorted({*codes, *(c for c in sizes if c is not None)})  # a flagged code not in ODS form is refused
        exported = ExportsWritten((), (), 0, 0)
        groups = consecutive_groups(codes, sizes, _group_limit(s.operations.export_group_flags, reached.blocks))
        for group in groups:
            if len(groups) == 1:
                mine = kept.collect()
                flags = pl.concat([block.scan("flags") for block in reached.blocks]).collect()
            else:
                mine = kept.filter(pl.col("practice_code").is_in(pl.Series(group, dtype=pl.String).implode())).collect()
                theirs = pl.col("nhs_number").is_in(mine["nhs_number"].implode())
                flags = pl.concat([block.scan("flags").filter(theirs) for block in reached.blocks]).collect()
            exported += write_exports(flags, mine, extract.practices, staging, as_of, s.operations, codes=group)
            del flags, mine
        if exported.rows != flagged:
            raise ExportError(
                f"{flagged - exported.rows} open flag(s) of people with no practice code; refusing to export"
            )
    return exported


def output_people(people: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """The per-person frame the output stages read: only the columns some output stage reads
    (``output_half_reads``). The feature pass's ``<concept>_<stat>`` columns, which the rules, risk and
    outreach have finished with, were about 400 of 440 columns (a quarter of the run's memory at
    600,000 people); 40 of the other 81 are read by no output stage either (issue 16, session 30:
    91 MB at 600,000 people, held from outreach's end to the letters')."""
    reads = output_half_reads(settings)
    return people.select(c for c in people.columns if c in reads)


def output_half_reads(settings: Settings) -> frozenset[str]:
    """Every column of the people the output half reads: flags.csv and patients.csv, the coverage
    report, the exports, the letters, the worklists, the web worklist and the run's counts."""
    return frozenset(
        (
            *CORE_READS,
            "in_scope",
            *report_columns(settings.report),
            *EXPORT_READS,
            *letters.PEOPLE_READ,
            *_READ_AFTER_LETTERS,
        )
    )


def _feature_columns(codelists: dict[str, Codelist]) -> set[str]:
    """The names of every ``<concept>_<stat>`` column the feature pass makes for these code lists."""
    available = available_stats(codelists, load_pending())
    return {feature(concept, stat).name for concept, stats in available.items() for stat in stats}


def _outbox(settings: Settings, state: Path) -> Path:
    configured = settings.operations.outbox_dir
    return Path(configured) if configured else state / "outbox"


# what the run's counts read of the people (``_counts``, ``_phc_six_complete``, ``team_codes``)
COUNTED = ("in_scope", "health_check_cohort", "ecg_cohort", "safety_items", "phc_elements_done", "core_team")
# what is read of the people once the letters are written: by the worklists, the web worklist and the counts
_READ_AFTER_LETTERS = frozenset((*WORKLIST_PEOPLE, *SNAPSHOT_PEOPLE, *COUNTED))
# what the run keeps of everybody's flags through the output half: the flag history's, the report's
# and the counts' keys (each block's whole flags wait in the work folder; issue 16, session 31)
FLAG_KEYS = ("nhs_number", "flag", "since")


def _kept_people(settings: Settings) -> frozenset[str]:
    """What the run keeps of everybody's people through the output half: the counts', the report's and
    the exports' columns (each block's output columns wait in the work folder; issue 16, session 31)."""
    return frozenset(("nhs_number", *COUNTED, *report_columns(settings.report), *EXPORT_READS))


@dataclass(frozen=True)
class FlagCounts:
    """Open flags counted: how many, of how many people, of each kind. Counted a block of people at a time
    and added up (a person's flags are all in one block)."""

    open_flags: int = 0
    people_with_flags: int = 0
    by_kind: tuple[tuple[str, int], ...] = ()

    @classmethod
    def of(cls, flags: pl.DataFrame) -> FlagCounts:
        by_flag = flags.group_by("flag").len().sort("flag")
        kinds = tuple(zip(by_flag["flag"].to_list(), by_flag["len"].to_list(), strict=True))
        return cls(flags.height, flags["nhs_number"].n_unique(), kinds)

    def __add__(self, other: FlagCounts) -> FlagCounts:
        kinds = dict(self.by_kind)
        for flag, n in other.by_kind:
            kinds[flag] = kinds.get(flag, 0) + n
        return FlagCounts(
            self.open_flags + other.open_flags,
            self.people_with_flags + other.people_with_flags,
            tuple(sorted(kinds.items())),
        )


def _counts(people: pl.DataFrame, flagged: FlagCounts, extract: Extract) -> dict[str, Any]:
    # the four columns counted, not every column of the people copied by the filter: this runs at the
    # run's peak, beside the web worklist's write (issue 16, session 24)
    counted = [c for c in COUNTED[:4] if c in people.columns]
    in_scope = people.select(counted).filter(pl.col("in_scope"))
    return {
        "people_on_extract": people.height,
        "people_in_scope": in_scope.height,
        "health_check_cohort": int(in_scope["health_check_cohort"].sum()),
        "ecg_cohort": int(in_scope["ecg_cohort"].sum()),
        "open_flags": flagged.open_flags,
        "people_with_flags": flagged.people_with_flags,
        "flags_by_kind": dict(flagged.by_kind),
        "rows_quarantined": sum(extract.rows_quarantined.values()),
        "safety_items": int(in_scope["safety_items"].is_not_null().sum()) if "safety_items" in in_scope.columns else 0,
    }


def _phc_six_complete(people: pl.DataFrame) -> int:
    """People in scope in the health-check cohort with all six checks done (counted, no rows copied)."""
    done = (
        pl.col("health_check_cohort").fill_null(False)
        & pl.col("in_scope").fill_null(False)
        & (pl.col("phc_elements_done") >= 6).fill_null(False)
    )
    return int(people.select(done.sum()).item())


def _run_totals(summary: dict[str, Any], phc_six_complete: int) -> dict[str, int | None]:
    return {
        "people_in_scope": summary.get("people_in_scope"),
        "health_check_cohort": summary.get("health_check_cohort"),
        "phc_six_complete": phc_six_complete,
        "outcomes_applied": summary.get("flags_held_by_outcomes"),
    }


def _run_record(
    run_id: str,
    as_of: date,
    started: datetime,
    input_hashes: dict[str, str],
    extract: Extract,
    settings: Settings,
    codelists: dict[str, Codelist],
    produced: _Produced,
    clock: _Clock,
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "as_of": as_of.isoformat(),
        "engine_version": __version__,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "input_files": input_hashes,
        "rows_read": extract.rows_read,
        "rows_quarantined": extract.rows_quarantined,
        "config_hash": settings.digest(),
        "codelist_manifest_hash": manifest_hash(codelists),
        "codelists_overridden": sorted(c for c, cl in codelists.items() if cl.overridden),
        "codelists_pending": sorted(load_pending()),
        "stage_seconds": dict(clock.seconds),
        "stage_cpu_seconds": dict(clock.cpu_seconds),
        "peak_memory_mb_after_stage": dict(clock.memory_mb),
        "summary": produced.summary,
        "files": sorted(produced.files),
        "letter_files": produced.letter_files,
    }


def _write_run_json(record: dict[str, Any], folder: Path) -> None:
    target = folder / "run.json"
    tmp = target.with_name(".run.json.tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(target)
