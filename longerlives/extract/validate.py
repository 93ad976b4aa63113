"""Validate the extract: keep good rows, quarantine every bad one with a reason.

Nothing is dropped: every input row ends up either in the clean frame for its
table or (once per failing column) in ``quarantine.csv``. Checks:

* per column: required values, NHS number form and modulus 11, dates, numbers,
  ranges, enums, booleans, communication needs (``checks.py``);
* per table: duplicate keys quarantine every copy (``nhs_number`` in patients,
  ``team_code``, ``practice_code``);
* across tables: events, medications and encounters for people with no valid
  patient row are quarantined;
* clinical plausibility: numeric event values outside the configured range for
  their concept (``config/extract.toml``) are quarantined;
* dates of birth after the as-of date or more than 120 years before it.

Each table is checked in one lazy pass and written once to a work Parquet file,
so the 60-million-row events table streams rather than sitting in memory.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import polars as pl

from longerlives.codelists import Codelist
from longerlives.errors import ExtractError
from longerlives.extract.checks import parse_and_check, with_nhs_int, with_text
from longerlives.extract.fastpath import FAST, fast_columns
from longerlives.extract.lines import check_lines
from longerlives.extract.read import ROW, RawTable, with_clean_lines
from longerlives.extract.reading import Summary, merged, summarise
from longerlives.extract.schemas import SCHEMAS, TableSchema
from longerlives.settings.extract import ExtractSettings

log = logging.getLogger(__name__)
QUARANTINE_COLUMNS = ["table", "row", "column", "value", "reason"]


@dataclass
class Extract:
    """Clean, typed tables (lazy) plus what was read and quarantined."""

    # the valid patients in NHS-number order, in validation's work folder (never held whole: issue 16,
    # session 34 — 209 MB resident at 600,000 people held through the checks of the other tables)
    patients: pl.LazyFrame
    events: pl.LazyFrame
    medications: pl.LazyFrame
    encounters: pl.LazyFrame
    teams: pl.DataFrame
    practices: pl.DataFrame
    quarantine: pl.DataFrame
    rows_read: dict[str, int]
    rows_quarantined: dict[str, int]
    latest_event: date | None = None  # latest valid event on or before the as-of date (freshness.py)
    # table -> the ``Summary`` of its good rows that ``validate_extract`` was asked for (reading.py);
    # absent for a table it could not summarise in its own pass (then the reader summarises the table)
    summaries: dict[str, pl.DataFrame] = field(default_factory=dict)

    def hand_over(self) -> tuple[pl.LazyFrame, dict[str, pl.DataFrame]]:
        """The validated patients and the summaries: what only the feature pass reads, handed over to it
        (which lets each summary go once read) and held by the extract no longer (issue 16, sessions 32–34)."""
        taken = dict(self.summaries)
        self.summaries.clear()
        patients, self.patients = self.patients, self.patients.clear()
        return patients, taken

    def take_quarantine(self) -> pl.DataFrame:
        """The quarantined rows handed over (to be written to ``quarantine.csv``): the extract holds them
        no longer, only their counts (``rows_quarantined``; issue 16, session 33: 34 MB at 600,000 people
        held to the run's end)."""
        taken = self.quarantine
        self.quarantine = taken.clear()
        return taken

    def after_features(self) -> Extract:
        """The extract as the stages after the feature pass read it: without the patients table and
        the summaries, which only the feature pass reads (no later stage may: here they are empty).
        The output half then does not hold them (issue 16, session 24: about 230 MB of 2.9 GB at
        600,000 people)."""
        return replace(self, patients=self.patients.clear(), summaries={})


def _plausibility(codelists: dict[str, Codelist], settings: ExtractSettings) -> pl.DataFrame:
    rows = []
    for concept, rng in settings.plausible.items():
        cl = codelists.get(concept)
        if cl is None or cl.kind != "snomed":
            continue
        for code in cl.codes:
            rows.append((code, concept, float(rng.min), float(rng.max), f"{rng.min:g}–{rng.max:g} {rng.unit}"))
    return pl.DataFrame(
        rows,
        schema={"code": pl.String, "_concept": pl.String, "_lo": pl.Float64, "_hi": pl.Float64, "_range": pl.String},
        orient="row",
    ).unique(subset="code", keep="first", maintain_order=True)


def _checked(
    raw: RawTable,
    schema: TableSchema,
    *,
    as_of: date,
    settings: ExtractSettings,
    valid_patients: pl.Series | None,
    plausibility: pl.DataFrame | None,
    duplicated: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """Every row of ``raw`` checked: its parsed values, its input text and a reason per bad cell. A table
    with a unique column is given ``duplicated`` (``_duplicated_keys``) when it is checked a slice of rows
    at a time; otherwise its keys are counted here."""
    lf = _parsed(raw, schema, as_of, settings)
    if schema.unique:
        key = f"_p_{schema.unique}"
        copies = pl.len().over(key) if duplicated is None else pl.col("_copies")
        if duplicated is not None:
            lf = lf.join(duplicated.lazy(), on=key, how="left", maintain_order="left")
        lf = lf.with_columns(
            _add_reason(
                schema.unique,
                pl.col(key).is_not_null() & (copies > 1),
                pl.format(
                    "`{}` appears {} times in {}; every copy is quarantined",
                    pl.lit(schema.unique),
                    copies,
                    pl.lit(schema.name),
                ),
            )
        )
        if duplicated is not None:
            lf = lf.drop("_copies")
    if schema.belongs_to_patient and valid_patients is not None:
        known = pl.col("_p_nhs_number").is_in(valid_patients.implode())
        lf = lf.with_columns(
            _add_reason(
                "nhs_number",
                pl.col("_e_nhs_number").is_null() & ~known,
                pl.lit("no valid patient row with this NHS number (absent from patients, or quarantined there)"),
            )
        )
    if plausibility is not None and plausibility.height:
        lf = lf.with_columns(_implausible(plausibility, pl.col("_p_code"), pl.col("_p_value")).alias("_implausible"))
    else:
        lf = lf.with_columns(pl.lit(False).alias("_implausible"))
    error_cols = [f"_e_{c.name}" for c in schema.columns]
    bad = pl.any_horizontal(pl.col(error_cols).is_not_null()) | pl.col("_implausible")
    texts = [pl.when(pl.col("_bad")).then(pl.col(f"_t_{c.name}")).alias(f"_t_{c.name}") for c in schema.columns]
    # Keep the input text only where the row is quarantined (its `value` column).
    return lf.with_columns(bad.alias("_bad")).with_columns(texts)


def _add_reason(column: str, condition: pl.Expr, message: pl.Expr) -> pl.Expr:
    e = f"_e_{column}"
    return pl.coalesce(pl.col(e), pl.when(condition).then(message)).alias(e)


def _duplicated_keys(raw: RawTable, schema: TableSchema, as_of: date, settings: ExtractSettings) -> pl.DataFrame:
    """Each value of the table's unique column found on more than one row, with how many (``_copies``):
    from that column alone, so a table checked a slice of rows at a time finds copies in other slices."""
    key = f"_p_{schema.unique}"
    counts = _parsed(raw, schema, as_of, settings).select(key).group_by(key).len("_copies")
    return counts.filter(pl.col("_copies") > 1).collect()


def _parsed(raw: RawTable, schema: TableSchema, as_of: date, settings: ExtractSettings) -> pl.LazyFrame:
    """Every cell's text, parsed value and reason (each column's own checks, and the patients' checks
    across columns); the unique column, the patients and plausibility are checked by ``_checked``."""
    parsed, reasons = [], []
    for col in schema.columns:
        p, r = parse_and_check(col, raw.source_dtypes.get(col.name), check_digit=not schema.belongs_to_patient)
        parsed.append(p.alias(f"_p_{col.name}"))
        reasons.append(r.alias(f"_e_{col.name}"))
    # Three explicit steps so each piece of text is stripped and parsed once.
    frame = with_text(raw.frame, {c.name: raw.source_dtypes.get(c.name) for c in schema.columns})
    if not schema.belongs_to_patient and "nhs_number" in schema.names:
        frame = with_nhs_int(frame, "nhs_number", raw.source_dtypes.get("nhs_number"))
    lf = frame.with_columns(parsed).with_columns(reasons)
    lf = lf.select(pl.col(ROW), pl.col("^_[tpe]_.*$"))
    if schema.name == "patients":
        dob = pl.col("_p_date_of_birth")
        lf = lf.with_columns(
            _add_reason("date_of_birth", dob > pl.lit(as_of), pl.lit("date of birth is after the as-of date")),
        ).with_columns(
            _add_reason(
                "date_of_birth",
                dob < pl.lit(date(as_of.year - 120, 1, 1)),
                pl.lit("date of birth is more than 120 years before the as-of date"),
            ),
            _add_reason(
                "townsend_score",
                (pl.col("_p_townsend_score") < settings.townsend_min)
                | (pl.col("_p_townsend_score") > settings.townsend_max),
                pl.lit(f"`townsend_score` must be between {settings.townsend_min:g} and {settings.townsend_max:g}"),
            ),
            _add_reason(
                "registered_to",
                pl.col("_p_registered_to") < pl.col("_p_registered_from"),
                pl.lit("`registered_to` is before `registered_from`"),
            ),
        )
    return lf


def _implausible(plausibility: pl.DataFrame, code: pl.Expr, value: pl.Expr) -> pl.Expr:
    """True where a numeric value is outside the plausible range of its code's concept.

    Each code is looked up once: cast to an ``Enum`` of the plausibility table's codes
    (other codes become null), whose index picks the code's bounds (streams). One
    membership test per concept cost 9.8 CPU-s on 10 million events, this 1.6 (issue 16).
    Only a flag: the sentence is built in _run_checks for the few bad rows (formatting
    text for all 60 million events would dominate the run)."""
    index = code.cast(pl.Enum(plausibility["code"]), strict=False).to_physical()
    lo = pl.lit(plausibility["_lo"]).gather(index)
    hi = pl.lit(plausibility["_hi"]).gather(index)
    return (value.is_not_null() & ((value < lo) | (value > hi))).fill_null(False)


def _good_columns(schema: TableSchema) -> list[pl.Expr]:
    return [
        (
            pl.col(f"_p_{c.name}").fill_null(pl.lit(c.default)) if c.default is not None else pl.col(f"_p_{c.name}")
        ).alias(c.name)
        for c in schema.columns
    ]


def _run_checks(
    lf: pl.LazyFrame | list[pl.LazyFrame],
    raw: RawTable,
    schema: TableSchema,
    work_dir: Path,
    plausibility: pl.DataFrame | None = None,
) -> tuple[pl.LazyFrame, pl.DataFrame, int]:
    """One pass over the table into a work file (or over each slice of its rows into a file of its own,
    ``_row_slices``); good rows are read back lazily as typed contract columns, and the bad rows
    become quarantine lines."""
    slices = lf if isinstance(lf, list) else [lf]
    if len(slices) == 1:
        paths = [work_dir / f"{raw.name}.checked.parquet"]
    else:
        paths = [work_dir / f"{raw.name}.checked.{i:04d}.parquet" for i in range(len(slices))]
    try:
        # One sink of everything (measured faster than two sinks, which Polars
        # computes separately); input text is kept only on quarantined rows.
        for one, path in zip(slices, paths, strict=True):
            one.sink_parquet(path)
    except Exception as exc:
        io = io_error_in(exc)
        if io is not None:  # the work folder, not the input: disk full, read-only (exit 74)
            raise io from None
        raise ExtractError(
            f"{raw.path}: cannot be parsed ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
        ) from None
    checked = pl.scan_parquet(paths)
    good = checked.filter(~pl.col("_bad")).select(_good_columns(schema))
    bad = checked.filter(pl.col("_bad")).collect()
    if "_t_value" in bad.columns and plausibility is not None:
        bad = bad.join(
            plausibility.select(pl.col("code").alias("_p_code"), "_concept", "_range"), on="_p_code", how="left"
        ).with_columns(
            pl.coalesce(
                pl.col("_e_value"),
                pl.when(pl.col("_implausible")).then(
                    pl.format(
                        "{} value {} is outside the plausible range {}",
                        pl.col("_concept").str.replace_all("_", " "),
                        pl.col("_t_value"),
                        pl.col("_range"),
                    )
                ),
            ).alias("_e_value")
        )
    parts = [
        bad.filter(pl.col(f"_e_{c.name}").is_not_null()).select(
            pl.lit(schema.name).alias("table"),
            pl.col(ROW).cast(pl.Int64).alias("row"),
            pl.lit(c.name).alias("column"),
            pl.col(f"_t_{c.name}").alias("value"),
            pl.col(f"_e_{c.name}").alias("reason"),
        )
        for c in schema.columns
    ]
    quarantine = pl.concat(parts)
    total = checked.select(pl.len()).collect().item()
    return good, quarantine, total


def _row_slices(
    raw: RawTable, schema: TableSchema, as_of: date, settings: ExtractSettings
) -> tuple[list[RawTable], pl.DataFrame | None]:
    """A table with no fast path (the patients) as slices of ``settings.check_slice_rows`` rows, each checked
    alone (``_checked``): Polars decodes a Parquet row group whole when it checks every column of it in one pass, and
    an extract's row groups may hold any number of rows (500,000 as ``longerlives synth`` writes them: the
    600,000 patients' checks peaked at 611 MB, issue 16, session 35); a slice reads only its own rows. The
    unique column's copies are counted over the whole table first, from that column alone.

    A clinical table that lost its fast path (a column of another type than the contract's text) is checked in
    one pass as before: tens of millions of rows in slices would each be a query of its own, and a CSV slice is
    found by reading the file from its start.

    Returns the slices (the table itself when it is one) and, for several, the unique column's copies
    (``_checked``'s ``duplicated``)."""
    size = settings.check_slice_rows
    total = 0 if schema.belongs_to_patient else raw.frame.select(pl.len()).collect().item()
    if total <= size:
        return [raw], None
    duplicated = _duplicated_keys(raw, schema, as_of, settings) if schema.unique else None
    return [replace(raw, frame=raw.frame.slice(offset, size)) for offset in range(0, total, size)], duplicated


@dataclass(frozen=True)
class Split:
    good: pl.LazyFrame
    quarantine: pl.DataFrame
    total: int
    latest: date | None  # latest good date on or before the as-of date (tables with a date)
    summary: pl.DataFrame | None = None  # the ``Summary`` asked for, of every good row


def _fast_split(
    raw: RawTable,
    schema: TableSchema,
    valid_patients: pl.Series | None,
    plausibility: pl.DataFrame | None,
    work_dir: Path,
    as_of: date,
    settings: ExtractSettings,
    summary: Summary | None = None,
) -> Split | None:
    """A clinical table in two parts (fastpath.py): the rows that pass the exact fast tests
    stay a lazy frame over the input; the few others (suspects) get the full checks.
    None when the table has no fast path (then every row gets the full checks).

    Given a ``summary`` (reading.py) the pass over the table that finds the suspects also
    summarises the fast rows, and the table's latest date is not looked for."""
    if not schema.belongs_to_patient or valid_patients is None:
        return None
    found = fast_columns(schema, raw.source_dtypes, valid_patients)
    if found is None:
        return None
    parsed, ok = found
    if plausibility is not None and plausibility.height and "value" in schema.names:
        ok = ok & ~_implausible(plausibility, pl.col(f"{FAST}code"), pl.col(f"{FAST}value"))
    tested = raw.frame.with_columns(parsed).with_columns(ok.alias("_fast_ok"))
    latest: list[date] = []
    made: pl.DataFrame | None = None
    try:
        if summary is None:
            queries = [tested.filter(~pl.col("_fast_ok")).select(ROW, *schema.names)]
            if "date" in schema.names:  # the latest good date on or before the as-of date, in the same pass
                fast_date = pl.col(f"{FAST}date")
                queries.append(tested.filter(pl.col("_fast_ok") & (fast_date <= as_of)).select(fast_date.max()))
            suspects, *latest_fast = pl.collect_all(queries)  # one scan of the input feeds both
            latest = [f.item() for f in latest_fast if f.item() is not None]
            suspect_rows = suspects[ROW]
        else:
            parts = -(-valid_patients.len() // settings.summary_part_people)
            suspect_rows, made = _summarised_pass(tested, schema, summary, parts, work_dir)
        total = raw.frame.select(pl.len()).collect().item()
    except Exception as exc:
        raise ExtractError(
            f"{raw.path}: cannot be parsed ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
        ) from None
    # The good fast rows are every row but the suspects, parsed as the fast tests parsed
    # them: the feature pass reads them without running the tests again (issue 16: the
    # tests cost as much as the features themselves), and parses only the columns it reads.
    unsuspected = raw.frame
    if suspect_rows.len():
        unsuspected = unsuspected.filter(~pl.col(ROW).is_in(suspect_rows.implode()))
    good = unsuspected.select(p.alias(c) for p, c in zip(parsed, schema.names, strict=True))
    if suspect_rows.len() == 0:
        return Split(good, _no_quarantine(), total, max(latest, default=None), made)
    if summary is not None:  # the suspects read again by row number: a scan of no parsing
        suspects = raw.frame.filter(pl.col(ROW).is_in(suspect_rows.implode())).select(ROW, *schema.names).collect()
    rest = RawTable(raw.name, raw.path, raw.format, suspects.lazy(), raw.source_dtypes, raw.extra_columns)
    lf = _checked(
        rest, schema, as_of=as_of, settings=settings, valid_patients=valid_patients, plausibility=plausibility
    )
    slow_good, quarantine, _ = _run_checks(lf, rest, schema, work_dir, plausibility)
    if summary is not None and made is not None:  # the good suspects summarised and merged in
        made = merged([made, summarise(slow_good, summary).select(made.columns)], summary)
    elif "date" in schema.names:
        latest += [d for d in [_latest_date(slow_good, as_of)] if d is not None]
    return Split(pl.concat([good, slow_good], how="vertical"), quarantine, total, max(latest, default=None), made)


def _summarised_pass(
    tested: pl.LazyFrame, schema: TableSchema, summary: Summary, parts: int = 1, work_dir: Path | None = None
) -> tuple[pl.Series, pl.DataFrame]:
    """The suspects' row numbers and the ``summary`` of the fast rows, from one grouped pass in which
    every suspect row is a group of its own (its first key the negative of its row number; issue 16:
    the feature pass's second parse of the table cost more than validating it)."""
    fast_ok = pl.col("_fast_ok")
    # the fast-parsed values under the contract's names; a suspect's are hidden from the keys (a
    # key parses further: an NHS number with spaces is no number)
    in_keys = {name for k in summary.keys for name in k.meta.root_names()}
    typed = tested.select(
        ROW,
        "_fast_ok",
        *[
            (pl.when(fast_ok).then(pl.col(f"{FAST}{c}")) if c in in_keys else pl.col(f"{FAST}{c}")).alias(c)
            for c in schema.names
        ],
    )
    first, *rest = summary.keys
    keys = [
        pl.when(fast_ok).then(first).otherwise(-pl.col(ROW).cast(pl.Int64)).alias(first.meta.output_name()),
        *[pl.when(fast_ok).then(k).alias(k.meta.output_name()) for k in rest],
    ]
    kept = typed.filter(~fast_ok | summary.keep)
    if parts > 1 and work_dir is not None:  # a large register: a part of the people's groups at a time
        grouped = _grouped_in_parts(kept, keys, summary.aggs, parts, work_dir)
    else:
        grouped = kept.group_by(*keys).agg(*summary.aggs).collect()
    is_suspect = pl.col(summary.key_names[0]) < 0
    rows = grouped.filter(is_suspect).select((-pl.col(summary.key_names[0])).cast(pl.UInt32).alias(ROW))[ROW]
    return rows, grouped.filter(~is_suspect)


def _grouped_in_parts(
    frame: pl.LazyFrame, keys: list[pl.Expr], aggs: tuple[pl.Expr, ...], parts: int, work_dir: Path
) -> pl.DataFrame:
    """``frame`` grouped by ``keys`` into ``aggs``, a part of the groups at a time: the keys and what the aggs
    read written in one pass to ``parts`` work files by the first key (a person's rows, or a suspect row, all
    in one part), each part then grouped alone. A table's groups made in one pass held several times their own
    size in hash tables (600,000 people's 33 million contacts: 5.6 million groups, 107 MB, held 450 MB while
    grouped; issue 16, session 35). The same groups, in another order."""
    names = [k.meta.output_name() for k in keys]
    read = sorted({name for agg in aggs for name in agg.meta.root_names()} - set(names))
    with io_errors_named():
        folder = Path(tempfile.mkdtemp(prefix="summary.", dir=work_dir))
        frame.select(*keys, *read).with_columns((pl.col(names[0]) % parts).alias("_part")).sink_parquet(
            pl.PartitionBy(folder, key="_part", include_key=False),
            compression="uncompressed",
            statistics=False,
            mkdir=True,
        )
    in_part: dict[Path, list[Path]] = {}
    for path in sorted(folder.rglob("*.parquet")):
        in_part.setdefault(path.parent, []).append(path)
    grouped = [pl.scan_parquet(paths).group_by(names).agg(*aggs).collect() for paths in in_part.values()]
    shutil.rmtree(folder, ignore_errors=True)
    if not grouped:  # no row kept: the empty summary, typed
        return frame.limit(0).group_by(*keys).agg(*aggs).collect()
    return pl.concat(grouped, how="vertical")


def _sorted_to_work_folder(good: pl.LazyFrame, work_dir: Path, slice_rows: int) -> pl.LazyFrame:
    """The valid patients in NHS-number order (the feature pass's order: a block of people is then a slice)
    written to the work folder and scanned, not held: the checks of the other tables need only their NHS
    numbers, and the feature pass reads them a block at a time (issue 16, session 34). NHS numbers are
    exactly ten digits here, so text order is number order. A folder of its own for each validation (an
    extract validated again into the same folder does not change what an earlier one reads).

    Written an NHS-number range of at most ``slice_rows`` patients at a time, each range sorted and written
    to a file of its own, the files one after another in NHS-number order (session 35: sorting all 600,000
    patients' columns at once held 270 MB)."""
    with io_errors_named():
        folder = Path(tempfile.mkdtemp(prefix="patients.valid.", dir=work_dir))
        numbers = good.select("nhs_number").collect()["nhs_number"].sort()
        cuts = numbers.gather(list(range(slice_rows, numbers.len(), slice_rows))).to_list()
        del numbers
        nhs = pl.col("nhs_number")
        paths = []
        for i, (lo, hi) in enumerate(zip([None, *cuts], [*cuts, None], strict=True)):
            keep = pl.lit(True)
            if lo is not None:
                keep = keep & (nhs >= lo)
            if hi is not None:
                keep = keep & (nhs < hi)
            if lo is None:  # a null NHS number (none is valid) sorts first: in the first range, never dropped
                keep = keep | nhs.is_null()
            paths.append(folder / f"{i:04d}.parquet")
            good.filter(keep).sort("nhs_number").sink_parquet(paths[-1])
    return pl.scan_parquet(paths)


def _no_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=dict.fromkeys(QUARANTINE_COLUMNS, pl.String)).with_columns(pl.col("row").cast(pl.Int64))


def _latest_date(good: pl.LazyFrame, as_of: date) -> date | None:
    found: date | None = good.filter(pl.col("date") <= as_of).select(pl.col("date").max()).collect().item()
    return found


@contextmanager
def io_errors_named() -> Iterator[None]:
    """A failed write of a work file (disk full, read-only, no permission) raised as the
    input/output error ``io_error_in`` names; any other failure as it is."""
    try:
        yield
    except Exception as exc:
        found = io_error_in(exc)
        if found is not None:
            raise found from None
        raise


def io_error_in(exc: BaseException) -> Exception | None:
    """Polars reports a failed write as ``... (os error 28)``: turn that into the input/output error."""
    import errno
    import os
    import re

    from longerlives.failures import explain

    found = re.search(r"os error (\d+)", str(exc))
    if found is None:
        return None
    code = int(found.group(1))
    if code not in (errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EIO):
        return None
    return explain(OSError(code, os.strerror(code)))


def _line_checked(raw: RawTable, work_dir: Path, max_lines_per_row: int) -> tuple[RawTable, pl.DataFrame]:
    """CSV lines that cannot be a row (encoding, field count, quotes) are quarantined first."""
    empty = pl.DataFrame(
        schema={"table": pl.String, "row": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}
    )
    if raw.format != "csv" or raw.path is None:
        return raw, empty
    found = check_lines(raw.path, raw.name, work_dir, max_lines_per_row)
    if found.clean_path is None:
        return raw, empty
    if found.bad.height:
        log.warning("%s: %d line(s) could not be read as a row and were quarantined", raw.path.name, found.bad.height)
    return with_clean_lines(raw, found.clean_path), found.bad


def validate_extract(
    raw: dict[str, RawTable],
    *,
    as_of: date,
    settings: ExtractSettings,
    codelists: dict[str, Codelist],
    work_dir: Path,
    summaries: Mapping[str, Summary] | None = None,
) -> Extract:
    """Check every table; return clean frames and the quarantine (sorted).

    ``summaries``: table -> a ``Summary`` (reading.py) of its good rows that a later stage
    reads, made in the same pass as the table's checks where the table has a fast path
    (``Extract.summaries``)."""
    summaries = summaries or {}
    summarised: dict[str, pl.DataFrame] = {}
    work_dir.mkdir(parents=True, exist_ok=True)
    plaus = _plausibility(codelists, settings)
    good: dict[str, pl.LazyFrame] = {}
    quarantined: list[pl.DataFrame] = []
    rows_read: dict[str, int] = {}
    rows_q: dict[str, int] = {}
    valid_patients: pl.Series | None = None  # their NHS numbers: what the later tables are checked against
    patients: pl.LazyFrame | None = None
    latest: dict[str, date | None] = {}
    for name in ("patients", "teams", "practices", "events", "medications", "encounters"):
        schema = SCHEMAS[name]
        table, bad_lines = _line_checked(raw[name], work_dir, settings.max_lines_per_row)
        events_only = plaus if name == "events" else None
        fast = _fast_split(table, schema, valid_patients, events_only, work_dir, as_of, settings, summaries.get(name))
        if fast is not None:
            g, q, total = fast.good, fast.quarantine, fast.total
            latest[name] = fast.latest
            if fast.summary is not None:
                summarised[name] = fast.summary
        else:
            slices, duplicated = _row_slices(table, schema, as_of, settings)
            checked = [
                _checked(
                    part,
                    schema,
                    as_of=as_of,
                    settings=settings,
                    valid_patients=valid_patients,
                    plausibility=events_only,
                    duplicated=duplicated,
                )
                for part in slices
            ]
            g, q, total = _run_checks(checked, raw[name], schema, work_dir, events_only)
            if name == "events":
                latest[name] = _latest_date(g, as_of)
        q = pl.concat([bad_lines, q], how="vertical_relaxed") if bad_lines.height else q
        rows_read[name] = total + bad_lines.height
        rows_q[name] = q.select(pl.col("row").n_unique()).item() if q.height else 0
        quarantined.append(q)
        good[name] = g
        if name == "patients":
            patients = _sorted_to_work_folder(g, work_dir, settings.check_slice_rows)
            valid_patients = patients.select("nhs_number").collect()["nhs_number"]
    quarantine = (
        pl.concat(quarantined, how="vertical_relaxed")
        .with_columns(pl.col("row").cast(pl.Int64))
        .sort("table", "row", "column")
    )
    for name, n in rows_q.items():
        if n:
            log.warning("%s: %d of %d rows quarantined", name, n, rows_read[name])
    assert patients is not None  # patients is a required table: read_extract stops without it
    return Extract(
        patients=patients,
        events=good["events"],
        medications=good["medications"],
        encounters=good["encounters"],
        teams=good["teams"].collect(),
        practices=good["practices"].collect(),
        quarantine=quarantine,
        rows_read=rows_read,
        rows_quarantined=rows_q,
        latest_event=latest.get("events"),
        summaries=summarised,
    )
