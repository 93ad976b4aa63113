"""The fast path of validation for the large clinical tables (issue 16).

Nearly every row of events, medications and encounters is already clean: a ten-digit
NHS number of a valid patient, an ISO date, a well-formed code. For those rows the full
checks of ``checks.py`` (strip every cell, build a reason sentence per column, write
every column of every row to a work file) cost most of a run. Here each row is first
tested by cheap exact tests on its raw cells:

* NHS number: the raw cell is one of the valid patients' numbers (so it is already ten
  digits, with no spaces or dashes);
* date: the raw cell parses as ``YYYY-MM-DD`` (a typed Parquet ``Date`` is taken as is);
* a code with a whitespace-free pattern (``^[0-9]{6,18}$``): the raw cell matches it;
* a number: the raw cell parses as a finite number, or is empty;
* an enum or true/false: the raw cell is exactly one of the accepted spellings;
* the value is plausible for its concept (``config/extract.toml``).

A row that passes all of them is good, and its parsed values are exactly what the
full checks would give (each test only accepts cells on which stripping and
lower-casing change nothing that the parser sees). Every other row — the suspects,
a fraction of a per cent — goes through the full checks unchanged, which decide
whether it is good or quarantined and why. So the clean frame and the quarantine are
the same as checking every row in full; the good rows are never written to disk or
held in memory: they stay a lazy frame over the input that the feature pass streams.

Tables with a column of a kind this module does not know use the full checks only
(``fast_columns`` returns None).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from longerlives.extract.checks import FALSE_WORDS, NUMERIC, TRUE_WORDS, as_text, iso_date
from longerlives.extract.schemas import Column, TableSchema

# A pattern whose every match is free of spaces: one character class of letters and
# digits, repeated, anchored at both ends (the code columns of the clinical tables).
_WHITESPACE_FREE = re.compile(r"^\^\[(?:0-9|A-Z|a-z)+\]\{\d+,\d+\}\$$")


def _spellings(words: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for w in words:
        out += [w, w.upper(), w.capitalize()]
    return list(dict.fromkeys(out))


OkTest = Callable[[pl.Expr], pl.Expr]


def _present(col: Column, raw: pl.Expr, test: OkTest) -> OkTest:
    """A required cell must pass ``test``; an optional one may also be absent (null)."""
    if col.required:
        return lambda p: test(p).fill_null(False)
    return lambda p: raw.is_null() | test(p).fill_null(False)


def _fast_column(col: Column, dtype: pl.DataType | None, known_nhs: pl.Series | None) -> tuple[pl.Expr, OkTest] | None:
    """(parsed value, test of the parsed value: the row is certainly fine for this column),
    or None when the column has no fast path."""
    raw = pl.col(col.name)
    text_dtype = dtype in (None, pl.String)
    if col.kind == "nhs_number":
        if known_nhs is None or not text_dtype:
            return None
        return raw, lambda p: p.is_in(known_nhs.implode()).fill_null(False)
    if col.kind == "date":
        if dtype == pl.Date:
            parsed = raw
        elif dtype is not None and dtype.is_temporal():
            parsed = raw.cast(pl.Date)
        elif text_dtype:
            parsed = iso_date(raw)
        else:
            return None
        return parsed, _present(col, raw, lambda p: p.is_not_null())
    if col.kind == "string":
        if not text_dtype:
            return None
        if col.regex is None:
            if col.required:
                return None
            return as_text(col.name, dtype), lambda p: pl.lit(True)  # free text: the same parse as checks.py
        if not _WHITESPACE_FREE.match(col.regex):
            return None
        regex = col.regex
        return raw, _present(col, raw, lambda p: p.str.contains(regex))
    if col.kind == "float":
        if dtype in NUMERIC:
            parsed = raw.cast(pl.Float64)
        elif text_dtype:
            parsed = raw.cast(pl.Float64, strict=False)
        else:
            return None
        lo, hi = col.min, col.max

        def number_ok(p: pl.Expr) -> pl.Expr:
            good = p.is_finite()
            return good & (p >= lo) & (p <= hi) if lo is not None and hi is not None else good

        return parsed, _present(col, raw, number_ok)
    if col.kind == "enum":
        if not text_dtype:
            return None
        # Only a value spelled exactly as the contract spells it; any other spelling or alias
        # (``GP surgery``, ``M``) goes to the full checks. (``replace_strict`` did not stream.)
        mapping = {v.lower(): v for v in col.values}
        mapping.update({k.lower(): v for k, v in col.aliases.items()})
        exact = [v for v in col.values if v and v == v.strip() and mapping[v.lower()] == v]
        return raw, _present(col, raw, lambda p: p.is_in(exact))
    if col.kind == "bool":
        if dtype == pl.Boolean:
            return raw, _present(col, raw, lambda p: p.is_not_null())
        if not text_dtype:
            return None
        yes, no = _spellings(TRUE_WORDS), _spellings(FALSE_WORDS)
        parsed = pl.when(raw.is_in(yes)).then(True).when(raw.is_in(no)).then(False).otherwise(None)
        return parsed, _present(col, raw, lambda p: p.is_not_null())
    return None


FAST = "_f_"  # prefix of the fast-parsed columns


def fast_columns(
    schema: TableSchema, source_dtypes: dict[str, pl.DataType], known_nhs: pl.Series | None
) -> tuple[list[pl.Expr], pl.Expr] | None:
    """Every contract column's fast parse (as ``_f_<column>``, default filled) and one
    expression over those columns: the row is certainly fine. None if a column has no fast path."""
    parsed, oks = [], []
    for col in schema.columns:
        found = _fast_column(col, source_dtypes.get(col.name), known_nhs)
        if found is None:
            return None
        p, ok = found
        oks.append(ok(pl.col(f"{FAST}{col.name}")))
        if col.default is not None:
            p = p.fill_null(pl.lit(col.default))
        parsed.append(p.alias(f"{FAST}{col.name}"))
    return parsed, pl.all_horizontal(oks)
