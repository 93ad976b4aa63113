"""Per-person clinical facts, built once from the clean extract.

One lazy pass over events (joined to the code lists), one over medications and
one over encounters produce a wide table with one row per valid patient. Rules
and risk read these columns; they never rescan the raw tables. Events, issues and
contacts dated after the as-of date are ignored here, once, for everyone.

Columns (names through ``longerlives.frames.feature``; the frame is declared in ``longerlives.frames``):

* the patient's own columns, plus ``age`` (whole years on the as-of date);
* per SNOMED concept ``c``: ``c_first_date``, ``c_last_date``, ``c_n_12m``; for
  valued concepts also ``c_last_value`` and ``c_last_value_date`` (the latest
  non-null value; on a tie the lower value);
* ``systolic_bp_sd_5y``: SD of systolic readings in the look-back (null if < 2);
* ``bp_last_date``, ``bp_last_systolic``, ``bp_last_diastolic``: the latest day
  with both a clinic systolic and a clinic diastolic reading (lowest of each on that day);
  likewise ``abpm_day_bp_last_*`` (ambulatory daytime average) and ``home_bp_last_*``
  (home average) — settings are never mixed;
* per medicine concept ``m``: ``m_first_date``, ``m_last_date``, ``m_n_12m``;
* contacts: ``planned_contacts_12m``, ``last_planned_contact_date``,
  ``crisis_contacts_12m``, ``dna_12m``, and per service ``s``:
  ``s_last_attended``, ``s_last_dna``;
* cohorts: ``in_scope``, ``out_of_scope_reason``, ``in_remission``,
  ``health_check_cohort``, ``qof_mh_register`` (longerlives/registers.py), ``ecg_cohort``, ``ecg_cohort_reason``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from longerlives.codelists import Codelist, bnf_match_expr, load_pending, snomed_concept_map
from longerlives.dates import months_before
from longerlives.extract.reading import Summary, summarise
from longerlives.extract.validate import Extract, io_errors_named
from longerlives.frames import BP_SETTINGS, VALUE_STATS
from longerlives.registers import qof_mh_register
from longerlives.settings.features import FeatureSettings
from longerlives.vocabulary import SERVICES
from longerlives.workfiles import Waiting, wait

_CONCEPT_SLOTS = 1024  # person × concept key = nid * 1024 + cid (fits Int64 for 10-digit NHS numbers)


def _nid(col: str = "nhs_number") -> pl.Expr:
    """NHS numbers as integers for grouping (validated: exactly ten digits)."""
    return pl.col(col).str.to_integer().alias("nid")


def _column(
    name: str, dtype: pl.DataType | type[pl.DataType], n: int, zero: bool, rows: pl.Series, values: pl.Series
) -> pl.Series:
    """A column of ``n`` rows: null (or 0 for a count) except ``values`` at ``rows``."""
    base = pl.repeat(0 if zero else None, n, dtype=dtype, eager=True).alias(name)
    return base.scatter(rows, values) if rows.len() else base


def _wide(
    long: pl.DataFrame,
    concepts: list[str],
    stats: dict[str, type[pl.DataType]],
    ids: pl.Series,
    only: list[str] | None = None,
) -> pl.DataFrame:
    """Long (nid, cid, stats…) → one row per person of ``ids`` (sorted, unique; same order)
    with ``{concept}_{stat}`` columns, ``n_12m`` counts 0 where there is no record.

    ``cid`` indexes ``concepts``; every concept (or every one of ``only``) gets its columns
    even when nobody has a record of it (then they are all null). Each statistic is one
    all-null block of (concepts × people) cells of its final dtype, the long rows
    scattered into it at ``slot × people + row``; the columns are zero-copy slices of
    the block. So the memory is the result itself (issue 16: a float grid of every
    concept per statistic, then converted, and then a join held the wide table about
    three times), and there is no sort, search or per-column scatter (session 5).
    """
    n = ids.len()
    wanted = set(concepts if only is None else only)
    slot = {j: k for k, j in enumerate(j for j, c in enumerate(concepts) if c in wanted)}
    kept = [c for c in concepts if c in wanted]
    people = pl.DataFrame({"nid": ids, "_row": pl.int_range(n, dtype=pl.Int64, eager=True)})
    long = long.join(people, on="nid", how="inner")  # the people of ids, each with its row
    if only is not None:
        long = long.filter(pl.col("cid").is_in(list(slot)))
    at = long["cid"].replace_strict(slot, return_dtype=pl.Int64) * n + long["_row"]
    columns: list[pl.Series] = []
    for stat, dtype in stats.items():
        block = pl.repeat(0 if stat == "n_12m" else None, n * len(kept), dtype=dtype, eager=True)
        if at.len():
            block = block.scatter(at, long[stat].cast(dtype))
        columns += [block.slice(k * n, n).alias(f"{c}_{stat}") for k, c in enumerate(kept)]
    return pl.DataFrame(columns)


def _aligned(frame: pl.DataFrame, ids: pl.Series, zero: tuple[str, ...] = ()) -> pl.DataFrame:
    """A frame with one row per ``nid`` → its other columns in the rows of ``ids`` (sorted,
    unique): a left join of ``ids`` to it, without copying a wide table. Columns in
    ``zero`` are 0 where the person has no row."""
    frame = frame.filter(pl.col("nid").is_in(ids.implode()))
    rows = ids.search_sorted(frame["nid"])
    return pl.DataFrame(
        [_column(c, frame[c].dtype, ids.len(), c in zero, rows, frame[c]) for c in frame.columns if c != "nid"]
    )


def _concept_ids(cmap: pl.DataFrame, concepts: list[str]) -> pl.DataFrame:
    index = {c: i for i, c in enumerate(concepts)}
    return cmap.with_columns(pl.col("concept").replace_strict(index, return_dtype=pl.Int64).alias("cid")).select(
        "code", "cid"
    )


@dataclass(frozen=True)
class _EventPlan:
    """The SNOMED concepts of the feature pass: their order (``cid``), the valued ones, and code → cid."""

    snomed: list[str]
    valued: list[str]
    code_ids: pl.DataFrame


def _event_plan(codelists: dict[str, Codelist]) -> _EventPlan:
    snomed = sorted({c for c, cl in codelists.items() if cl.kind == "snomed"} | set(load_pending()))
    valued = [c for c in snomed if c in codelists and codelists[c].valued]
    return _EventPlan(snomed, valued, _concept_ids(snomed_concept_map(codelists), snomed))


def _matched_events(events: pl.LazyFrame, plan: _EventPlan, as_of: date) -> pl.LazyFrame:
    """The events the feature pass reads (coded in a list, dated on or before the as-of date) as
    ``key`` (person × concept: neither held twice; grouping on one integer key is several times
    faster than on two), ``date`` and ``value``. A query: not yet run."""
    return (
        events.filter(pl.col("code").is_in(plan.code_ids["code"].unique().implode()) & (pl.col("date") <= as_of))
        .join(plan.code_ids.lazy(), on="code", how="inner")
        .select((_nid() * _CONCEPT_SLOTS + pl.col("cid")).alias("key"), "date", "value")
    )


def _event_features(
    events: pl.LazyFrame, codelists: dict[str, Codelist], as_of: date, settings: FeatureSettings, ids: pl.Series
) -> pl.DataFrame:
    plan = _event_plan(codelists)
    return _event_aggregates(_matched_events(events, plan, as_of), plan, as_of, settings, ids)


def _event_aggregates(
    source: pl.LazyFrame, plan: _EventPlan, as_of: date, settings: FeatureSettings, ids: pl.Series
) -> pl.DataFrame:
    """The event columns of the people ``ids`` from ``source``, their matched events (``_matched_events``,
    or a block of them): one pass, the matched rows held once and every aggregate reading them."""
    matched = source.collect().lazy()
    d12 = months_before(as_of, 12)
    d_sd = months_before(as_of, 12 * settings.sbp_sd_years)
    snomed, valued = plan.snomed, plan.valued
    cid = {c: i for i, c in enumerate(snomed)}
    concept = pl.col("key") % _CONCEPT_SLOTS
    split = [(pl.col("key") // _CONCEPT_SLOTS).alias("nid"), concept.alias("cid")]
    dates_lf = (
        matched.group_by("key")
        .agg(
            pl.col("date").min().alias("first_date"),
            pl.col("date").max().alias("last_date"),
            (pl.col("date") > d12).sum().cast(pl.Int64).alias("n_12m"),
        )
        .with_columns(split)
        .drop("key")
    )
    # Latest value: the latest date wins; on a tie the lower value (e.g. two readings in one clinic).
    tie_key = pl.col("date").cast(pl.Int64) * 10_000_000 - (pl.col("value") * 1000).round(0).cast(pl.Int64)
    values_lf = (
        matched.filter(concept.is_in([cid[c] for c in valued]) & pl.col("value").is_not_null())
        .group_by("key")
        .agg(
            pl.col("value").max_by(tie_key).alias("last_value"),  # first row of the maximum, as arg_max
            pl.col("date").max().alias("last_value_date"),
        )
        .with_columns(split)
        .drop("key")
    )
    sbp = matched.filter(concept == cid.get("systolic_bp", -1))
    # Each person's readings in order of value, then their SD: the same bits on every run. A grouped
    # ``std()`` merges partial sums in whatever order the threads finish, so its last bits varied from
    # run to run (and with the blocks of people), and with them QRISK3's sbps5 (issue 16, session 17).
    sd_lf = (
        sbp.filter(pl.col("date") > d_sd)
        .group_by((pl.col("key") // _CONCEPT_SLOTS).alias("nid"))
        .agg(pl.col("value"))
        .select("nid", pl.col("value").list.sort().list.std().alias(f"systolic_bp_sd_{settings.sbp_sd_years}y"))
    )
    # Blood pressure pairs by setting (issue 11): clinic, ABPM daytime average, home average.
    # A setting's systolic and diastolic are paired by day; never mixed across settings.
    bp_lfs = [_bp_pairs(matched, cid.get(s, -1), cid.get(d, -1), prefix) for prefix, (s, d) in BP_SETTINGS.items()]
    dates, values, sd, *bps = pl.collect_all([dates_lf, values_lf, sd_lf, *bp_lfs])
    del matched, dates_lf, values_lf, sbp, sd_lf, bp_lfs  # the matched events are no longer needed (memory)
    parts = [_wide(dates, snomed, {"first_date": pl.Date, "last_date": pl.Date, "n_12m": pl.Int64}, ids)]
    del dates
    vals = _wide(values, snomed, {"last_value": pl.Float64, "last_value_date": pl.Date}, ids, only=valued)
    del values
    parts.append(vals.select(f"{c}_{s}" for c in valued for s in VALUE_STATS))
    parts += [_aligned(part, ids) for part in (sd, *bps)]
    return pl.concat(parts, how="horizontal")


def _bp_pairs(matched: pl.LazyFrame, sys_cid: int, dia_cid: int, prefix: str) -> pl.LazyFrame:
    """Latest day with both a systolic and a diastolic of one setting (lower of each on that day)."""
    day_key = pl.col("nid") * 1_000_000 + pl.col("date").cast(pl.Int64)  # dates are days since 1970
    return (
        matched.with_columns((pl.col("key") % _CONCEPT_SLOTS).alias("cid"))
        .filter(pl.col("cid").is_in([sys_cid, dia_cid]))
        .with_columns((pl.col("key") // _CONCEPT_SLOTS).alias("nid"))
        .group_by(day_key.alias("day"))
        .agg(
            pl.col("nid").first(),
            pl.col("date").first(),
            pl.col("value").filter(pl.col("cid") == sys_cid).min().alias("sys"),
            pl.col("value").filter(pl.col("cid") == dia_cid).min().alias("dia"),
        )
        .filter(pl.col("sys").is_not_null() & pl.col("dia").is_not_null())
        .group_by("nid")
        .agg(
            pl.col("date").max().alias(f"{prefix}_last_date"),
            pl.col("sys").get(pl.col("date").arg_max()).alias(f"{prefix}_last_systolic"),
            pl.col("dia").get(pl.col("date").arg_max()).alias(f"{prefix}_last_diastolic"),
        )
    )


def _medication_features(
    meds: pl.LazyFrame, codelists: dict[str, Codelist], as_of: date, ids: pl.Series
) -> pl.DataFrame:
    per_code = summarise(meds, medication_reading(as_of))
    return _medication_wide(_medication_summary(per_code, codelists), codelists, ids)


def medication_reading(as_of: date) -> Summary:
    """What the feature pass reads of the medicines (reading.py): each person's issues of each
    BNF code up to the as-of date — first, last and 12-month count."""
    d12 = months_before(as_of, 12)
    return Summary(
        keep=pl.col("date") <= as_of,
        keys=(_nid(), pl.col("bnf_code")),
        aggs=(
            pl.col("date").min().alias("first_date"),
            pl.col("date").max().alias("last_date"),
            (pl.col("date") > d12).sum().cast(pl.Int64).alias("n_12m"),
        ),
        merge=(pl.col("first_date").min(), pl.col("last_date").max(), pl.col("n_12m").sum()),
    )


def _medication_summary(per_code: pl.DataFrame, codelists: dict[str, Codelist]) -> pl.DataFrame:
    """Long (nid, cid, first_date, last_date, n_12m): each person's issues per medicine concept, from
    ``per_code`` (``medication_reading``: each person's issues per BNF code, made by validation's own pass
    when it could). A person may have more than one row of a BNF code in ``per_code`` (validation's good
    suspect rows summarised apart): the concept's rows are combined as ``medication_reading``'s merge does.

    Medicines match code lists by BNF prefix: worked out once per distinct BNF code, on the summary
    (issue 16: a first pass for the distinct codes and a join of every issue cost a second scan)."""
    med_lists = {c: cl for c, cl in sorted(codelists.items()) if cl.kind == "bnf_prefix"}
    distinct = per_code.select("bnf_code").unique()
    matches = [
        distinct.filter(bnf_match_expr(cl)).select("bnf_code", pl.lit(i, dtype=pl.Int64).alias("cid"))
        for i, cl in enumerate(med_lists.values())
    ]
    code_map = pl.concat(matches) if matches else pl.DataFrame(schema={"bnf_code": pl.String, "cid": pl.Int64})
    if len(med_lists) > _CONCEPT_SLOTS:
        raise ValueError(f"more than {_CONCEPT_SLOTS} medicine code lists")
    # grouped on one integer key, person × concept (issue 16, session 34: on the two keys the grouping of
    # 1.6 million rows took 225 MB more at its peak, at 600,000 people, than on one)
    key = pl.col("nid") * _CONCEPT_SLOTS + pl.col("cid")
    return (
        per_code.join(code_map, on="bnf_code", how="inner")
        .group_by(key.alias("key"))
        .agg(pl.col("first_date").min(), pl.col("last_date").max(), pl.col("n_12m").sum())
        .select(
            (pl.col("key") // _CONCEPT_SLOTS).alias("nid"),
            (pl.col("key") % _CONCEPT_SLOTS).alias("cid"),
            "first_date",
            "last_date",
            "n_12m",
        )
    )


def _medication_wide(long: pl.DataFrame, codelists: dict[str, Codelist], ids: pl.Series) -> pl.DataFrame:
    """The medicine columns of the people ``ids`` (sorted, unique) from ``_medication_summary``."""
    concepts = [c for c, cl in sorted(codelists.items()) if cl.kind == "bnf_prefix"]
    return _wide(long, concepts, {"first_date": pl.Date, "last_date": pl.Date, "n_12m": pl.Int64}, ids)


_CONTACT_COUNTS = ("planned_contacts_12m", "crisis_contacts_12m", "dna_12m")


_SLOTS = 2 * len(SERVICES)  # contact key = nid * slots + service * 2 + attended


def encounter_reading(as_of: date) -> Summary:
    """What the feature pass reads of the contacts (reading.py): each person's contacts up to the
    as-of date per service and attendance — the latest and the 12-month count — grouped on one
    integer key (the services are validated to be the contract's): three keys, two of them
    text, cost 1.2 CPU-s on 5.5 million contacts."""
    d12 = months_before(as_of, 12)
    service_index = pl.col("service").cast(pl.Enum(SERVICES)).to_physical().cast(pl.Int64)
    key = _nid() * _SLOTS + service_index * 2 + pl.col("attended").cast(pl.Int64)
    return Summary(
        keep=pl.col("date") <= as_of,
        keys=(key.alias("key"),),
        aggs=(pl.col("date").max().alias("last"), (pl.col("date") > d12).sum().cast(pl.Int64).alias("n_12m")),
        merge=(pl.col("last").max(), pl.col("n_12m").sum()),
    )


def _encounter_summary(per_key: pl.DataFrame, settings: FeatureSettings) -> pl.DataFrame:
    """One row per person with a contact (``nid`` and the contact columns), from ``per_key``
    (``encounter_reading``: each person's contacts per service and attendance, made by validation's own
    pass when it could; a key may have more than one row, each counted)."""
    att = pl.col("attended")
    # each service by its number in SERVICES (as in the key), not its name: no column of 5 million
    # names made for the filters (issue 16, session 32: 335 MB of working at 600,000 people)
    number = {name: i for i, name in enumerate(SERVICES)}
    service = pl.col("service")
    planned = service.is_in([number[s] for s in settings.planned_services if s in number])
    crisis = service.is_in([number[s] for s in settings.crisis_services if s in number])
    per_service = per_key.select(
        (pl.col("key") // _SLOTS).alias("nid"),
        (pl.col("key") % _SLOTS // 2).cast(pl.Int8).alias("service"),
        (pl.col("key") % 2 == 1).alias("attended"),
        "last",
        "n_12m",
    )
    # Small now (people × services × 2): the per-person columns come from this summary.
    aggs = [
        pl.col("n_12m").filter(att & planned).sum().alias("planned_contacts_12m"),
        pl.col("last").filter(att & planned).max().alias("last_planned_contact_date"),
        pl.col("n_12m").filter(att & crisis).sum().alias("crisis_contacts_12m"),
        pl.col("n_12m").filter(~att).sum().alias("dna_12m"),
    ]
    for s in SERVICES:
        aggs.append(pl.col("last").filter(att & (service == number[s])).max().alias(f"{s}_last_attended"))
        aggs.append(pl.col("last").filter(~att & (service == number[s])).max().alias(f"{s}_last_dna"))
    return per_service.group_by("nid").agg(aggs)


def _age(dob: pl.Expr, as_of: date) -> pl.Expr:
    before_birthday = (dob.dt.month() > as_of.month) | ((dob.dt.month() == as_of.month) & (dob.dt.day() > as_of.day))
    return (pl.lit(as_of.year) - dob.dt.year() - before_birthday.cast(pl.Int32)).cast(pl.Int64)


def _cohorts(people: pl.DataFrame, as_of: date, settings: FeatureSettings) -> pl.DataFrame:
    dead = pl.col("date_of_death").is_not_null() & (pl.col("date_of_death") <= as_of)
    left = pl.col("registered_to").is_not_null() & (pl.col("registered_to") <= as_of)
    not_yet = pl.col("registered_from").is_not_null() & (pl.col("registered_from") > as_of)
    young = pl.col("age") < settings.min_age_years
    reason = (
        pl.when(dead)
        .then(pl.lit("died"))
        .when(left)
        .then(pl.lit("left the practice"))
        .when(not_yet)
        .then(pl.lit("not yet registered"))
        .when(young)
        .then(pl.lit(f"under {settings.min_age_years}"))
        .otherwise(None)
    )
    dx, rem = pl.col("smi_diagnosis_last_date"), pl.col("smi_remission_last_date")
    in_remission = rem.is_not_null() & (dx.is_null() | (rem >= dx))
    d_med = months_before(as_of, settings.ecg_medicine_months)
    words = {"antipsychotic": "an antipsychotic", "mood_stabiliser": "a mood stabiliser"}
    med_hits = [
        pl.when(pl.col(f"{m}_last_date") > d_med).then(pl.lit(words.get(m, m.replace("_", " "))))
        for m in settings.ecg_medicines
    ]
    people = (
        people.with_columns(
            reason.alias("out_of_scope_reason"),
            in_remission.alias("in_remission"),
        )
        .with_columns(
            pl.col("out_of_scope_reason").is_null().alias("in_scope"),
        )
        .with_columns(
            (pl.col("in_scope") & dx.is_not_null() & ~pl.col("in_remission")).alias("health_check_cohort"),
        )
    )
    med_reason = pl.concat_str(med_hits, separator=" and ", ignore_nulls=True)
    med_reason = pl.when(med_reason == "").then(None).otherwise(med_reason)
    ecg_reason = (
        pl.when(pl.col("health_check_cohort"))
        .then(pl.lit("on the SMI register"))
        .when(med_reason.is_not_null())
        .then(pl.format("issued {} in the last {} months", med_reason, pl.lit(settings.ecg_medicine_months)))
        .otherwise(None)
    )
    return people.with_columns(
        (pl.col("in_scope") & qof_mh_register(as_of, settings.qof_lithium_months)).alias("qof_mh_register"),
        (pl.col("in_scope") & ecg_reason.is_not_null()).alias("ecg_cohort"),
        pl.when(pl.col("in_scope")).then(ecg_reason).alias("ecg_cohort_reason"),
    )


@dataclass(frozen=True)
class Features:
    """The per-person frame: one row per valid patient, every feature and cohort flag,
    sorted by NHS number (names via ``longerlives.frames.feature``)."""

    people: pl.DataFrame


def build_features(
    extract: Extract, codelists: dict[str, Codelist], as_of: date, settings: FeatureSettings
) -> Features:
    """One row per valid patient with every feature and cohort flag, sorted by NHS number
    (the feature pass in one block: ``FeatureBlocks`` for a register in several)."""
    return FeatureBlocks(extract, codelists, as_of, settings).block(0)


class FeatureBlocks:
    """The feature pass over the register in blocks of people, in NHS-number order (issue 16:
    memory that does not grow with the register).

    Made by one pass over each clinical table: the medicine and contact summaries (a few rows
    a person: per BNF code, per service and attendance) are held as validation made them, and each
    block makes its own people's medicine and contact columns from them; the matched events (tens
    of millions of rows for 600,000 people) are
    written once to a work file in ``work_dir`` when there is more than one block, and each
    block reads its own people's rows back. ``block(i)`` is the ``Features`` of the i-th block
    of people: everybody for a register of up to ``block_people``, else at most ``split_people`` (or
    ``block_people``, the smaller); the blocks one after another are exactly the
    frame of one block of everybody (every column is a fact about one person)."""

    def __init__(
        self,
        extract: Extract,
        codelists: dict[str, Codelist],
        as_of: date,
        settings: FeatureSettings,
        *,
        block_people: int | None = None,
        work_dir: Path | None = None,
        handed: tuple[pl.LazyFrame, dict[str, pl.DataFrame]] | None = None,
        split_people: int | None = None,
    ) -> None:
        self._codelists, self._as_of, self._settings = codelists, as_of, settings
        # Made by validation (the patients, and the summaries of its own pass: ``readings``); when handed over
        # (``Extract.hand_over``) each summary is let go once read, not held beside the next one's working
        # (sessions 32, 33)
        given, made = (extract.patients, dict(extract.summaries)) if handed is None else handed
        # Validation gives the patients sorted by NHS number, in its work folder (a block of people is then a
        # slice of them, read when the block is made: issue 16, session 34); every feature column is built in
        # that row order and put beside them, so no join copies the 400-column table (issue 16, memory).
        self._ids = given.select(_nid()).collect()["nid"]
        if not self._ids.is_sorted():  # a caller's own patients: sorted here, and held
            given = given.collect().sort("nhs_number").lazy()
            self._ids = self._ids.sort()
        n = self._ids.len()
        # one block up to ``block_people``; a larger register in blocks of at most ``split_people`` (session 34)
        size = max(1, n if block_people is None or n <= block_people else min(block_people, split_people or n))
        self._starts = list(range(0, n, size)) or [0]
        self._size = size
        several = len(self._starts) > 1
        if several and work_dir is None:
            raise ValueError("a feature pass in several blocks needs a work folder")
        # A register of one block holds its patients and medicine and contact summaries; one of several reads
        # its patients a block at a time from validation's file, and its summaries wait in the work folder as
        # soon as each is made, each block reading its own people's rows (issue 16, session 33: 209 MB at
        # 600,000 people held beside every block's feature table), as the blocks' own frames wait
        # (``workfiles.wait``).
        folder = work_dir if several else None
        self._patients = given if several else given.collect().lazy()
        del given
        # Each table's summary as validation made it (per person and BNF code, per person, service and
        # attendance), waiting as it is: each block makes its own people's medicine concepts and contact columns
        # from its rows (issue 16, session 36: made of everybody at once in the set-up, the contacts' 600,000
        # people × 31 columns and their grouping were the feature pass's peak)
        self._everybody: dict[str, Waiting] = {}
        for table, reading in readings(as_of).items():
            summary = made.pop(table, None)
            if summary is None:  # validation could not summarise the table in its own pass
                summary = summarise(getattr(extract, table), reading)
            self._everybody[table] = wait({table: summary}, folder, "features")
            del summary
        self._plan = _event_plan(codelists)
        matched = _matched_events(extract.events, self._plan, as_of)
        if folder is not None:
            path = folder / "matched_events.parquet"
            _sink(matched, path)
            matched = pl.scan_parquet(path)
        self._matched = matched

    def _rows(self, name: str, ids: pl.Series) -> pl.DataFrame:
        """The ``name`` summary's rows of the block of ``ids``: their people's range of ``nid`` (of the key
        ``nid * slots + …`` for the contacts)."""
        scan = self._everybody[name].scan(name)
        if name == "encounters":
            lo, hi = ids[0] * _SLOTS, (ids[-1] + 1) * _SLOTS
            return scan.filter((pl.col("key") >= lo) & (pl.col("key") < hi)).collect()
        return scan.filter(pl.col("nid").is_between(ids[0], ids[-1])).collect()

    def __len__(self) -> int:
        return len(self._starts)

    def block(self, i: int) -> Features:
        """The features of the i-th block of patients (sorted by NHS number)."""
        start = self._starts[i]
        ids = self._ids.slice(start, self._size)
        age = _age(pl.col("date_of_birth"), self._as_of).alias("age")
        patients = self._patients.slice(start, self._size).with_columns(age).collect()
        source = self._matched
        if len(self._starts) > 1:  # this block's people only: their keys are one range
            lo, hi = ids[0] * _CONCEPT_SLOTS, (ids[-1] + 1) * _CONCEPT_SLOTS
            source = source.filter((pl.col("key") >= lo) & (pl.col("key") < hi))
        ev = _event_aggregates(source, self._plan, self._as_of, self._settings, ids)
        med = _medication_wide(
            _medication_summary(self._rows("medications", ids), self._codelists), self._codelists, ids
        )
        enc = _aligned(_encounter_summary(self._rows("encounters", ids), self._settings), ids, zero=_CONTACT_COUNTS)
        people = pl.concat([patients, ev, med, enc], how="horizontal")
        del ev, med, enc
        counts = [c for c in people.columns if c.endswith("_n_12m") or c in _CONTACT_COUNTS]
        people = people.with_columns(pl.col(counts).fill_null(0))  # built as 0 already: kept as the rule
        return Features(_cohorts(people, self._as_of, self._settings))


def readings(as_of: date) -> dict[str, Summary]:
    """What the feature pass reads of each clinical table as a summary, for validation to make in
    its own pass over the table (``validate_extract(summaries=...)``; issue 16)."""
    return {"medications": medication_reading(as_of), "encounters": encounter_reading(as_of)}


def feature_blocks(
    extract: Extract,
    codelists: dict[str, Codelist],
    as_of: date,
    settings: FeatureSettings,
    block_people: int,
    work_dir: Path,
    handed: tuple[pl.LazyFrame, dict[str, pl.DataFrame]] | None = None,
    split_people: int | None = None,
) -> FeatureBlocks:
    """The features stage: one pass over each clinical table, then ``block(i)`` a block of people at a time.
    ``handed``: validation's patients and summaries, handed over (``Extract.hand_over``) to be let go once
    read (else the extract's are read)."""
    return FeatureBlocks(
        extract,
        codelists,
        as_of,
        settings,
        block_people=block_people,
        work_dir=work_dir,
        handed=handed,
        split_people=split_people,
    )


def _sink(matched: pl.LazyFrame, path: Path) -> None:
    """The matched events to a work file, streamed (never all in memory); a full disk is named as such."""
    with io_errors_named():
        matched.sink_parquet(path, compression="lz4")
