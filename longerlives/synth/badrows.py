"""Bad rows: one of every kind the extract validator must quarantine.

Bad rows are *extra* rows mixed into each table at random places; the good rows
are never altered, so ``n_patients`` good people always come out. Bad patient rows
are people with no events (their events would only add orphan noise). A duplicate
NHS number is two extra rows sharing one number (both copies are bad).

NHS numbers written with spaces or dashes are not bad (the contract cleans them);
they are counted separately in the summary as ``patients.formatted_nhs_number``.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from longerlives.synth.codes import CodeBook
from longerlives.synth.nhs import NhsNumberSource, invalidate

PATIENT_KINDS = [
    "invalid_nhs_number",
    "duplicate_nhs_number",
    "missing_given_name",
    "missing_family_name",
    "missing_address_line_1",
    "missing_postcode",
    "missing_practice_code",
    "unparseable_date_of_birth",
    "future_date_of_birth",
    "unknown_sex",
    "unknown_ethnic_category",
    "imd_decile_out_of_range",
    "non_numeric_townsend",
    "bad_boolean",
    "unknown_communication_need",
]
IMPLAUSIBLE = {  # concept -> value no person can have
    "bmi": ["250", "0.5"],
    "systolic_bp": ["20", "400"],
    "hba1c": ["900", "1"],
    "total_cholesterol": ["45", "150"],
    "audit_c": ["19", "-3"],
    "alcohol_units": ["900", "-5"],
}
EVENT_KINDS = ["orphan", "unparseable_date", "bad_code", "non_numeric_value"] + [
    f"implausible_{c}" for c in IMPLAUSIBLE
]
MEDICATION_KINDS = ["orphan", "missing_bnf_code", "unparseable_date"]
ENCOUNTER_KINDS = ["orphan", "unknown_service", "bad_attended"]
KINDS = {
    "patients": PATIENT_KINDS,
    "events": EVENT_KINDS,
    "medications": MEDICATION_KINDS,
    "encounters": ENCOUNTER_KINDS,
}

BAD_DATES = ["2023-02-30", "31/02/2021", "2021-13-01", "not a date", "2022/06/31"]
BAD_DOBS = ["31/02/1980", "1980-02-31", "1975-13-05", "unknown"]
BAD_CODES = ["12345", "ABC123456", "27113OO1", "SCT60621009", "99"]
NON_NUMERIC = ["high", "abc", "12..5", "see comment"]


class BadRowPlan:
    """How many bad rows of which kind each chunk gets (share of good rows, carried over)."""

    def __init__(self, share: float) -> None:
        self.share = share
        self.expected = {t: 0.0 for t in KINDS}
        self.emitted = {t: 0 for t in KINDS}
        self.counts: dict[str, int] = {f"{t}.{k}": 0 for t, ks in KINDS.items() for k in ks}

    def kinds_for(self, table: str, good_rows: int, first_chunk: bool) -> list[str]:
        if self.share <= 0:
            return []
        kinds = KINDS[table]
        self.expected[table] += self.share * good_rows
        n = int(self.expected[table]) - self.emitted[table]
        if first_chunk:
            n = max(n, len(kinds))
        out = [kinds[(self.emitted[table] + i) % len(kinds)] for i in range(max(n, 0))]
        self.emitted[table] += len(out)
        for k in out:
            self.counts[f"{table}.{k}"] += 1
        return out


def mix_in(good: pl.DataFrame, bad: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Insert ``bad`` rows at random places in ``good`` (order of good rows kept)."""
    if bad.height == 0:
        return good
    bad = bad.select(good.columns)
    at = np.sort(rng.integers(0, good.height + 1, bad.height))
    pieces, prev = [], 0
    for i, pos in enumerate(at):  # one slice per bad row: cheap, no copy of the good rows
        if pos > prev:
            pieces.append(good.slice(prev, pos - prev))
            prev = pos
        pieces.append(bad.slice(i, 1))
    pieces.append(good.slice(prev, good.height - prev))
    return pl.concat(pieces, rechunk=False)


def _col(values) -> pl.Series:
    return pl.Series(values, dtype=pl.String)


def bad_patients(
    kinds: list[str], base: pl.DataFrame, base_nhs: np.ndarray, rng: np.random.Generator, as_of: date
) -> pl.DataFrame:
    """``base`` holds fresh made-up people (len(kinds) + number of duplicates rows)."""
    n = len(kinds)
    df = base.head(n).with_columns(_kind=_col(kinds))
    nhs = base_nhs[:n].copy()
    kinds_a = np.asarray(kinds)
    inv = kinds_a == "invalid_nhs_number"
    nhs[inv] = invalidate(nhs[inv])
    future = (as_of + timedelta(days=int(rng.integers(30, 900)))).isoformat()
    k = pl.col("_kind")

    def pick(options):
        return pl.lit(options[int(rng.integers(0, len(options)))])

    df = df.with_columns(
        nhs_number=_col(nhs.astype(str).tolist()),
        given_name=pl.when(k == "missing_given_name").then(None).otherwise(pl.col("given_name")),
        family_name=pl.when(k == "missing_family_name").then(None).otherwise(pl.col("family_name")),
        address_line_1=pl.when(k == "missing_address_line_1").then(None).otherwise(pl.col("address_line_1")),
        postcode=pl.when(k == "missing_postcode").then(None).otherwise(pl.col("postcode")),
        practice_code=pl.when(k == "missing_practice_code").then(None).otherwise(pl.col("practice_code")),
        date_of_birth=pl.when(k == "unparseable_date_of_birth")
        .then(pick(BAD_DOBS))
        .when(k == "future_date_of_birth")
        .then(pl.lit(future))
        .otherwise(pl.col("date_of_birth")),
        sex=pl.when(k == "unknown_sex").then(pick(["X", "Z", "9"])).otherwise(pl.col("sex")),
        ethnic_category=pl.when(k == "unknown_ethnic_category")
        .then(pick(["Q", "X", "1"]))
        .otherwise(pl.col("ethnic_category")),
        imd_decile=pl.when(k == "imd_decile_out_of_range").then(pick(["11", "0"])).otherwise(pl.col("imd_decile")),
        townsend_score=pl.when(k == "non_numeric_townsend")
        .then(pick(["high", "abc"]))
        .otherwise(pl.col("townsend_score")),
        interpreter_required=pl.when(k == "bad_boolean")
        .then(pl.lit("maybe"))
        .otherwise(pl.col("interpreter_required")),
        communication_needs=pl.when(k == "unknown_communication_need")
        .then(pick(["semaphore", "easy_read;semaphore"]))
        .otherwise(pl.col("communication_needs")),
    )
    # the second copy of each duplicate: another made-up person with the same NHS number
    dup_idx = np.flatnonzero(kinds_a == "duplicate_nhs_number")
    if len(dup_idx):
        twins = base.slice(n, len(dup_idx)).with_columns(
            nhs_number=_col(nhs[dup_idx].astype(str).tolist()), _kind=pl.lit("duplicate_nhs_number")
        )
        df = pl.concat([df, twins])
    return df.drop("_kind")


def _iso(days: np.ndarray) -> list[str]:
    return pl.Series(days.astype(np.int32)).cast(pl.Date).cast(pl.String).to_list()


def bad_events(
    kinds: list[str], good: pl.DataFrame, book: CodeBook, orphans: np.ndarray, rng: np.random.Generator, as_of_day: int
) -> pl.DataFrame:
    n = len(kinds)
    if n == 0:
        return good.head(0)
    tmpl = good.sample(n, with_replacement=True, seed=int(rng.integers(0, 2**31)))
    nhs = tmpl["nhs_number"].to_list()
    dates = _iso(as_of_day - rng.integers(1, 700, n))
    codes = tmpl["code"].to_list()
    values = tmpl["value"].to_list()
    units = tmpl["unit"].to_list()
    o = 0
    for i, kind in enumerate(kinds):
        if kind == "orphan":
            nhs[i] = str(orphans[o])
            o += 1
        elif kind == "unparseable_date":
            dates[i] = BAD_DATES[int(rng.integers(0, len(BAD_DATES)))]
        elif kind == "bad_code":
            codes[i] = BAD_CODES[int(rng.integers(0, len(BAD_CODES)))]
        elif kind == "non_numeric_value":
            codes[i] = book.code_table[int(book.pick("bmi", 1, rng)[0])]
            values[i], units[i] = NON_NUMERIC[int(rng.integers(0, len(NON_NUMERIC)))], "kg/m2"
        elif kind.startswith("implausible_"):
            concept = kind.removeprefix("implausible_")
            codes[i] = book.code_table[int(book.pick(concept, 1, rng)[0])]
            opts = IMPLAUSIBLE[concept]
            values[i] = opts[int(rng.integers(0, len(opts)))]
            units[i] = None
    return pl.DataFrame(
        {"nhs_number": _col(nhs), "date": _col(dates), "code": _col(codes), "value": _col(values), "unit": _col(units)}
    )


def bad_medications(
    kinds: list[str], good: pl.DataFrame, orphans: np.ndarray, rng: np.random.Generator, as_of_day: int
) -> pl.DataFrame:
    n = len(kinds)
    if n == 0 or good.height == 0:
        return good.head(0)
    tmpl = good.sample(n, with_replacement=True, seed=int(rng.integers(0, 2**31)))
    nhs, dates, bnf = (
        tmpl["nhs_number"].to_list(),
        _iso(as_of_day - rng.integers(1, 700, n)),
        tmpl["bnf_code"].to_list(),
    )
    o = 0
    for i, kind in enumerate(kinds):
        if kind == "orphan":
            nhs[i] = str(orphans[o])
            o += 1
        elif kind == "missing_bnf_code":
            bnf[i] = None
        elif kind == "unparseable_date":
            dates[i] = BAD_DATES[int(rng.integers(0, len(BAD_DATES)))]
    return pl.DataFrame(
        {
            "nhs_number": _col(nhs),
            "date": _col(dates),
            "bnf_code": _col(bnf),
            "dmd_code": _col([None] * n),
            "name": tmpl["name"],
        }
    )


def bad_encounters(
    kinds: list[str], good: pl.DataFrame, orphans: np.ndarray, rng: np.random.Generator, as_of_day: int
) -> pl.DataFrame:
    n = len(kinds)
    if n == 0 or good.height == 0:
        return good.head(0)
    tmpl = good.sample(n, with_replacement=True, seed=int(rng.integers(0, 2**31)))
    nhs, dates = tmpl["nhs_number"].to_list(), _iso(as_of_day - rng.integers(1, 700, n))
    service, attended = tmpl["service"].to_list(), tmpl["attended"].to_list()
    o = 0
    for i, kind in enumerate(kinds):
        if kind == "orphan":
            nhs[i] = str(orphans[o])
            o += 1
        elif kind == "unknown_service":
            service[i] = ["spa", "dentist", "GP surgery"][int(rng.integers(0, 3))]
        elif kind == "bad_attended":
            attended[i] = ["maybe", "2", "attended?"][int(rng.integers(0, 3))]
    return pl.DataFrame(
        {"nhs_number": _col(nhs), "date": _col(dates), "service": _col(service), "attended": _col(attended)}
    )


def orphan_numbers(kinds: list[str], nhs_src: NhsNumberSource) -> np.ndarray:
    k = sum(1 for x in kinds if x == "orphan")
    return nhs_src.take(k, from_back=True) if k else np.zeros(0, dtype=np.int64)
