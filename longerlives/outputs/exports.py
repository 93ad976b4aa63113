"""Per-practice exports (run-outputs-v2): ``exports/<practice_code>/flags.csv`` — the
rows of flags.csv for that practice's patients only, safety flags included, with
``urgency`` (``same_day``, ``soon``, ``routine``) and sorted by urgency first, then NHS
number and flag — and ``exports/<practice_code>/bundle.json``, a FHIR R4 Bundle with
one UK Core Flag per row (``fhir.py``).

Every practice in the practices table and every practice with a patient in scope
gets a folder, even with no flags (a header-only CSV and an empty Bundle say
"nothing outstanding" rather than leaving the practice to wonder).
Before anything is written the stage asserts that every flag belongs to a person in
scope (alive, registered, 18 or over): the dead and the deregistered never leave.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from longerlives.columnwise import in_order
from longerlives.outputs.core import FLAGS_COLUMNS, write_risk_disclaimer
from longerlives.outputs.csvfile import csv_bytes, neutralised
from longerlives.outputs.fhir import (
    bundle_envelope,
    check_bundle,
    check_models,
    check_rows,
    check_values,
    entry_texts,
)
from longerlives.outputs.urgency import urgency_rank
from longerlives.settings.operations import OperationsSettings

log = logging.getLogger(__name__)
EXPORTS_DIR = "exports"
EXPORT_COLUMNS = list(FLAGS_COLUMNS)  # run-outputs-v2 flags.csv columns (urgency last)
_ODS = re.compile(r"^[A-Z0-9]{3,10}$")


# what the exports read of the people (``export_order``, ``practice_codes``)
PEOPLE_READ = ("nhs_number", "practice_code", "core_team", "in_scope")


class ExportError(RuntimeError):
    pass


@dataclass(frozen=True)
class ExportOrder:
    """Every open flag's place in the exports — by practice, most urgent first, then NHS number and
    flag — held as positions into the flags, not as a sorted copy of them: a batch of practices'
    rows are gathered when the batch is written (issue 16, session 28: the sorted copy of every flag
    with its practice and team held 350 MB at 600,000 people through the exports stage)."""

    flags: pl.DataFrame  # the flags' own export columns (``urgency`` included), as the run holds them
    teams: pl.DataFrame  # practice_code and core_team, one row a person
    person: pl.Series  # each flag's person: a row of ``teams``
    order: pl.Series  # the flags' rows in export order
    sizes: dict[str, int]  # each practice's rows
    starts: dict[str, int]  # where each practice's rows begin in export order

    @property
    def height(self) -> int:
        return self.order.len()

    def rows(self, positions: pl.Series) -> pl.DataFrame:
        """The export rows at ``positions`` (places in export order), in that order."""
        at = self.order.gather(positions)
        own = self.flags.select(pl.all().gather(at))
        team = self.teams.select(pl.all().gather(self.person.gather(at)))
        return pl.concat([own, team], how="horizontal").select(EXPORT_COLUMNS)

    def practice_rows(self, practices: list[str]) -> pl.DataFrame:
        """These practices' rows, practice after practice, each in export order."""
        ranges = [pl.int_range(self.starts[p], self.starts[p] + self.sizes[p], eager=True) for p in practices]
        positions = pl.concat(ranges) if ranges else pl.Series(dtype=pl.Int64)
        return self.rows(positions.cast(pl.Int64))

    def shape_rows(self, per_shape: int) -> pl.DataFrame:
        """``fhir.shape_rows`` of every export row (the first ``per_shape`` rows of each distinct Flag
        shape in export order), found from the flags' places, not from a sorted copy."""
        if per_shape == 0:
            return self.rows(pl.int_range(self.height, eager=True))
        place = self.order.arg_sort()  # each flag's place in export order
        firsts = (
            self.flags.select("flag", pl.col("since").is_null().alias("_no_since"), place.alias("_place"))
            .group_by("flag", "_no_since")
            .agg(pl.col("_place").bottom_k(per_shape))
            .explode("_place")
        )
        return self.rows(firsts["_place"].sort())


def export_order(flags: pl.DataFrame, people: pl.DataFrame) -> ExportOrder:
    """The flags' export order (``ExportOrder``; ``urgency`` ``routine`` when the column is absent),
    after asserting every flagged person is in scope with a practice in ODS form."""
    if "urgency" not in flags.columns:
        flags = flags.with_columns(pl.lit("routine").alias("urgency"))
    own = flags.select([c for c in EXPORT_COLUMNS if c not in ("practice_code", "core_team")])
    teams = people.select("practice_code", "core_team")
    index = people.select("nhs_number", pl.int_range(pl.len(), dtype=pl.UInt32).alias("_person"))
    # each flag's person, found once: every check and the order below read it
    person = own.select("nhs_number").join(index, on="nhs_number", how="left", maintain_order="left")["_person"]
    if person.len() != own.height:
        raise ExportError("a person appears twice on the extract; refusing to export")
    if "in_scope" in people.columns:  # a flag of someone not on the extract has no person: not in scope
        stray = int((~people["in_scope"].fill_null(False).gather(person).fill_null(False)).sum())
        if stray:
            raise ExportError(
                f"{stray} flag(s) belong to people not in scope (dead, deregistered, "
                "under 18 or not on the extract); refusing to export them"
            )
    # each practice code numbered in code order, once a person: the sort and the split read numbers
    codes = teams["practice_code"].unique().drop_nulls().sort()
    numbers = pl.Series(range(codes.len()), dtype=pl.UInt32)
    code_no = teams["practice_code"].replace_strict(codes, numbers, default=None, return_dtype=pl.UInt32).gather(person)
    if code_no.null_count():
        raise ExportError("some flagged people have no practice code; refusing to export")
    bad = sorted(p for p in codes.gather(code_no.unique()).to_list() if not _ODS.match(p))
    if bad:
        raise ExportError(f"practice code(s) not in ODS form, cannot name an export folder: {bad}")
    if in_order(own, ["nhs_number", "flag"]):  # as the run holds them: then a stable sort on one number
        # (the practice's place among the codes, then the urgency) leaves each practice's rows of one
        # urgency in NHS-number and flag order: the order of the four keys, at a tenth of the cost
        # (2.3 million flags: 0.1 s against 1.1 s)
        key = pl.lit(code_no) * 4 + urgency_rank(pl.col("urgency")).cast(pl.UInt32)
        sort = pl.arg_sort_by(key, maintain_order=True)
    else:
        sort = pl.arg_sort_by([pl.lit(code_no), urgency_rank(pl.col("urgency")), "nhs_number", "flag"])
    order = own.select(sort.alias("_order"))["_order"]
    runs = code_no.gather(order).rle().struct.unnest()  # (len, value): each practice's rows, in order
    runs = runs.with_columns(codes.gather(runs["value"]).alias("value"))
    del code_no
    sizes = dict(zip(runs["value"].to_list(), runs["len"].to_list()))
    starts, at = {}, 0
    for code, n in sizes.items():
        starts[code] = at
        at += n
    return ExportOrder(own, teams, person, order, sizes, starts)


def export_rows(flags: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """Every export row at once, by practice and within each practice most urgent first (the
    exports gather a batch of practices at a time instead: ``ExportOrder``)."""
    order = export_order(flags, people)
    return order.rows(pl.int_range(order.height, eager=True))


def practice_codes(flagged: Any, practices: pl.DataFrame | None, people: pl.DataFrame) -> list[str]:
    """Every practice that gets a folder: with a flag (``flagged``: those practices' codes), in the
    practices table, or with a person in scope."""
    found = [pl.Series(list(flagged), dtype=pl.String)]
    if practices is not None and "practice_code" in practices.columns:
        found.append(practices["practice_code"].drop_nulls().unique())
    if "in_scope" in people.columns:
        in_scope = people.select("practice_code", "in_scope").filter(pl.col("in_scope").fill_null(False))
        found.append(in_scope["practice_code"].drop_nulls().unique())
    codes = set(pl.concat([s.cast(pl.String) for s in found]).to_list())
    return sorted(c for c in codes if c is not None and _ODS.match(c))


def write_practice_export(
    rows: pl.DataFrame, practice: str, base: Path, as_of: date, code_system: str, sample: int = 1
) -> dict[str, Any]:
    """Write one practice's flags.csv and bundle.json; returns what was written (for the audit trail).
    ``sample``: Flags per distinct Flag shape checked by the FHIR models (0: every Flag)."""
    mine = (
        rows.filter(pl.col("practice_code") == practice)
        .select(EXPORT_COLUMNS)
        .sort(urgency_rank(pl.col("urgency")), "nhs_number", "flag")
    )
    check_rows(mine, practice)  # every Flag, vectorised
    if sample:
        check_models(mine, None if mine.height else practice, as_of, code_system, sample)
    text = _EntryText(entry_texts(mine, as_of, code_system, separator=","))
    return _write_prepared(neutralised(mine), text.part(0, mine.height), practice, base, as_of, sample == 0)


# Flags whose JSON is built at once: big enough that per-call overhead vanishes, small enough
# that the entry texts (about 1 kB a Flag) never hold the whole country's bundles in memory.
ENTRY_BATCH_ROWS = 10_000


def _batches(codes: list[str], sizes: dict[str, int], limit: int) -> list[list[str]]:
    """Consecutive practices grouped so each group holds at most ``limit`` rows (or one practice)."""
    out: list[list[str]] = [[]]
    held = 0
    for code in codes:
        n = sizes.get(code, 0)
        if out[-1] and held + n > limit:
            out.append([])
            held = 0
        out[-1].append(code)
        held += n
    return out


class _EntryText:
    """A batch's entry texts (each followed by its comma) as one Arrow buffer: a practice's
    entries are a slice of it, written and hashed without being copied into Python strings."""

    def __init__(self, entries: pl.Series) -> None:
        import numpy as np  # imported by the stage that needs it (start-up, issue 16)
        import pyarrow as pa

        arr = entries.rechunk().to_arrow(compat_level=pl.CompatLevel.oldest())  # large_string: int64 offsets
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        _, offsets, data = arr.buffers()
        if len(arr) == 0 or offsets is None:
            self.offsets = np.zeros(1, dtype=np.int64)
        else:
            self.offsets = np.frombuffer(offsets, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
        self.data = memoryview(data) if data is not None else memoryview(b"")

    def part(self, start: int, n: int) -> memoryview:
        """Entries ``start`` to ``start + n`` joined by commas (the last one's comma dropped)."""
        if n == 0:
            return memoryview(b"")
        return self.data[int(self.offsets[start]) : int(self.offsets[start + n]) - 1]


def _write_all(path: Path, chunks: tuple[bytes | memoryview, ...]) -> None:
    """One open and one write per chunk, straight from the buffers (no joined copy)."""
    with open(path, "wb", buffering=0) as f:
        for chunk in chunks:
            view = memoryview(chunk)
            while view.nbytes:
                view = view[f.write(view) or 0 :]


def _write_prepared(
    part: pl.DataFrame, entries: memoryview, practice: str, base: Path, as_of: date, check_every_flag: bool
) -> dict[str, Any]:
    """One practice's files from its rows already neutralised for CSV and its entries' JSON
    (joined by commas). The bundle is exactly ``bundle_json(plain_bundle(...))``: a test holds it."""
    csv = csv_bytes(part.select(EXPORT_COLUMNS))
    tail = bundle_envelope(practice, as_of).encode() + b"\n"
    body: tuple[bytes | memoryview, ...] = (b'{"entry":[', entries, b"]," + tail) if entries.nbytes else (b"{" + tail,)
    if check_every_flag:  # fhir_model_sample = 0: the FHIR models on every Flag of the bundle
        whole = b"".join(body)
        check_values(json.loads(whole), practice)
        check_bundle(whole.decode())
    folder = base / practice
    folder.mkdir(parents=True, exist_ok=True)
    _write_all(folder / "flags.csv", (csv,))
    _write_all(folder / "bundle.json", body)
    write_risk_disclaimer(folder)  # flag reasons can quote QRISK3-2017 / QDiabetes-2018 scores
    digest = hashlib.sha256(csv)
    digest.update(b"\0")
    for chunk in body:
        digest.update(chunk)  # the same digest as sha256(csv + NUL + bundle), without the copy
    return {"practice_code": practice, "rows": part.height, "sha256": digest.hexdigest()}


@dataclass(frozen=True)
class ExportsWritten:
    practices: tuple[dict[str, Any], ...]  # practice_code, rows, sha256 per practice
    files: tuple[str, ...]
    rows: int
    safety_rows: int = 0

    def __add__(self, other: ExportsWritten) -> ExportsWritten:
        """Two groups of practices' exports, in that order."""
        return ExportsWritten(
            self.practices + other.practices,
            self.files + other.files,
            self.rows + other.rows,
            self.safety_rows + other.safety_rows,
        )


def consecutive_groups(codes: list[str], sizes: dict[str, int], limit: int) -> list[list[str]]:
    """Consecutive codes (``codes`` in order) grouped so each group holds at most ``limit`` rows (or one
    code): the pipeline writes the exports a group of practices and the worklists a group of teams at a time."""
    return _batches(codes, sizes, limit)


def write_exports(
    flags: pl.DataFrame,
    people: pl.DataFrame,
    practices: pl.DataFrame | None,
    out_dir: Path,
    as_of: date,
    ops: OperationsSettings,
    codes: list[str] | None = None,
) -> ExportsWritten:
    """Write ``out_dir/exports/<practice>/flags.csv|bundle.json`` for every practice.

    ``flags``: the open flags (safety flags included) with their ``urgency``. ``codes``: only these
    practices' folders, ``flags`` and ``people`` holding exactly their flags and people (the pipeline
    writes the exports a group of practices at a time, ``consecutive_groups``; issue 16, session 31):
    the FHIR models then check each group's first Flags of each shape."""
    order = export_order(flags, people)
    base = out_dir / EXPORTS_DIR
    written = []
    files: list[str] = []
    # Few passes over every practice's rows (issue 16): value checks for all rows at once; CSV
    # neutralising and each Flag's JSON column-wise for a batch of practices at a time (never the
    # whole country's 400 MB of bundle text at once), the batch's rows gathered in export order.
    check_rows(order.flags, None)
    if codes is None:
        codes = practice_codes(order.sizes, practices, people)
    elif set(order.sizes) - set(codes):
        raise ExportError(f"flags of practices outside the group given: {sorted(set(order.sizes) - set(codes))}")
    sample = ops.fhir_model_sample
    if sample:  # the FHIR models on every distinct Flag shape, once for the whole country
        empty = next((p for p in codes if p not in order.sizes), None)
        check_models(order.shape_rows(sample), empty, as_of, ops.fhir_flag_code_system, sample)
    for batch in _batches(codes, order.sizes, ENTRY_BATCH_ROWS):
        batch_rows = order.practice_rows([p for p in batch if p in order.sizes])
        text = _EntryText(entry_texts(batch_rows, as_of, ops.fhir_flag_code_system, separator=","))
        ready = neutralised(batch_rows)
        offset = 0
        for practice in batch:
            n = order.sizes.get(practice, 0)
            info = _write_prepared(ready.slice(offset, n), text.part(offset, n), practice, base, as_of, sample == 0)
            offset += n
            written.append(info)
            files += [f"{EXPORTS_DIR}/{practice}/flags.csv", f"{EXPORTS_DIR}/{practice}/bundle.json"]
        del text, ready, batch_rows
    total = sum(w["rows"] for w in written)
    if total != order.height:
        raise ExportError(f"exports hold {total} rows but there are {order.height} open flags")
    safety = int(order.flags["flag"].str.starts_with("safety.").sum())
    log.info("exports written for %d practices (%d flag rows, %d safety)", len(written), total, safety)
    return ExportsWritten(tuple(written), tuple(files), total, safety)
