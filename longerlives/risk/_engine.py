"""Shared machinery: a coefficient table (CSV, data) becomes a compiled equation,
evaluated with NumPy over whole columns and wrapped as one Polars expression.

Both ClinRisk algorithms have the same shape. Continuous inputs are transformed
(fractional polynomials) and centred; then the linear predictor is

    a = I_eth[ethrisk] + I_smoke[smoke_cat]
        + sum(c_k * x_k)                      main effects
        + age_1 * sum(c_1j * z_j)             interactions with the first age term
        + age_2 * sum(c_2j * z_j)             interactions with the second age term

and the 10-year risk in percent is ``100 * (1 - S0 ** exp(a))``.

The equations' *structure* (which transform each term uses) lives in the model
modules; every *number* (baseline survival, centring means, coefficients) lives in
``coefficients/*.csv``. Coefficient names follow ClinRisk's C variable names:
``b_AF`` is a main effect, ``ethrisk_3`` a category level, ``age_1:b_AF`` an
interaction, ``mean_sbp`` a centring constant and ``survivor`` the baseline survival.

Interactions are grouped by their age term, so the terms are summed in a different
order from the C code; the results differ from ClinRisk's by rounding only
(< 1e-10 percentage points on the reference samples).

Speed (issue 16, docs/benchmarks.md): each row is scored with its own sex's
equation only (rows are split by sex, not scored twice and chosen between), the
age transforms are looked up from a 60-entry table (age is a whole number of years),
and the column arithmetic runs in NumPy on two threads (NumPy releases the GIL).
Which rows score null (sex, domain, null inputs, codes outside the C arrays) is
decided by Polars expressions around the NumPy kernel, so nulls mean exactly what
they meant before.
"""

from __future__ import annotations

import csv
import itertools
import os
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

COEFFICIENT_DIR = Path(__file__).resolve().parent / "coefficients"

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)
Array = npt.NDArray[np.float64]
#: a model's transforms for one sex: raw input columns (float64) -> named terms, before centring
Transforms = Callable[[Mapping[str, Array]], dict[str, Array]]

#: category prefix -> (input column, codes the C arrays accept)
CATEGORICAL = {"ethrisk": ("ethrisk", range(10)), "smoke": ("smoke_cat", range(5))}
SEX_CODES = {"female": 0, "male": 1}
#: rows per thread below which splitting the work costs more than it saves
_MIN_ROWS_PER_THREAD = 50_000
_THREADS = max(1, min(2, os.cpu_count() or 1))
#: rows scored at a time: small enough that a block's intermediate columns fit in L2 cache
_BLOCK = 32768


@cache
def load_coefficients(filename: str) -> dict[tuple[str, ...], dict[str, float]]:
    """Read a coefficient CSV into {key columns (e.g. (model, sex)): {term: value}}."""
    table: dict[tuple[str, ...], dict[str, float]] = defaultdict(dict)
    with (COEFFICIENT_DIR / filename).open(newline="") as fh:
        for row in csv.DictReader(fh):
            term = row.pop("term")
            value = float(row.pop("value"))
            key = tuple(row.values())
            if term in table[key]:
                raise ValueError(f"{filename}: term {term!r} appears twice for {key}")
            table[key][term] = value
    return dict(table)


def _category_table(prefix: str, coefs: Mapping[str, float], name_prefix: str = "") -> Array:
    """Coefficient of each category level; one extra NaN slot for codes outside the C array."""
    _, codes = CATEGORICAL[prefix]
    return np.array([coefs.get(f"{name_prefix}{prefix}_{k}", 0.0) for k in codes] + [np.nan])


@dataclass(frozen=True)
class Interaction:
    left: str
    terms: tuple[tuple[str, float], ...]
    smoke: Array | None


@dataclass(frozen=True)
class Equation:
    """One model for one sex, compiled from its coefficients (summation order fixed here)."""

    survivor: float
    means: dict[str, float]
    categories: tuple[tuple[str, Array], ...]
    main: tuple[tuple[str, float], ...]
    interactions: tuple[Interaction, ...]

    def inputs(self) -> set[str]:
        """Term names the equation reads (transformed or flag columns)."""
        names = {n for n, _ in self.main} | {i.left for i in self.interactions}
        return names | {n for i in self.interactions for n, _ in i.terms}


def compile_equation(coefs: Mapping[str, float], term_names: set[str]) -> Equation:
    """Fix the linear predictor's terms and their order.

    Every coefficient in ``coefs`` must be used, so a misspelt term in the CSV fails
    loudly instead of being silently dropped.
    """
    used = {"survivor"} | {k for k in coefs if k.startswith("mean_")}
    categories = []
    for prefix in CATEGORICAL:
        if any(k.startswith(f"{prefix}_") for k in coefs):
            categories.append((CATEGORICAL[prefix][0], _category_table(prefix, coefs)))
            used |= {k for k in coefs if k.startswith(f"{prefix}_")}
    main = []
    for name, value in coefs.items():
        if name in used or ":" in name:
            continue
        if name not in term_names:
            raise KeyError(f"coefficient {name!r} has no matching input term")
        main.append((name, value))
        used.add(name)
    inner: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for name, value in coefs.items():
        if ":" not in name:
            continue
        left, right = name.split(":")
        if left not in term_names:
            raise KeyError(f"interaction {name!r}: unknown term {left!r}")
        if right.startswith("smoke_"):
            continue  # one lookup per age term below
        if right not in term_names:
            raise KeyError(f"interaction {name!r}: unknown term {right!r}")
        inner[left].append((right, value))
        used.add(name)
    interactions = []
    for left in sorted({n.split(":")[0] for n in coefs if ":" in n}):
        smoke = None
        if any(n.startswith(f"{left}:smoke_") for n in coefs):
            smoke = _category_table("smoke", coefs, name_prefix=f"{left}:")
            used |= {n for n in coefs if n.startswith(f"{left}:smoke_")}
        interactions.append(Interaction(left, tuple(inner[left]), smoke))
    unused = set(coefs) - used
    if unused:
        raise KeyError(f"coefficients not used by the equation: {sorted(unused)}")
    means = {k.removeprefix("mean_"): v for k, v in coefs.items() if k.startswith("mean_")}
    return Equation(coefs["survivor"], means, tuple(categories), tuple(main), tuple(interactions))


def _codes(values: Array, n_codes: int) -> npt.NDArray[np.intp]:
    """Category codes as table indices; null, fractional or out-of-range codes point at the NaN slot."""
    ok = (values >= 0) & (values < n_codes) & (values == np.floor(values))
    return np.where(ok, values, n_codes).astype(np.intp)


def evaluate(eq: Equation, terms: Mapping[str, Array], codes: Mapping[str, Array]) -> Array:
    """10-year risk in percent for rows of one sex: ``100 * (1 - S0 ** exp(a))``.

    ``terms`` are transformed but not yet centred; ``codes`` are the raw category columns.
    The sums run left to right in the order ``compile_equation`` fixed (in place, to
    spare allocations).
    """
    centred = {name: (x - eq.means[name]) if name in eq.means else x for name, x in terms.items()}
    n = len(next(iter(codes.values())))
    a = np.zeros(n)  # 0.0 + x == x exactly, so starting from zero changes no rounding
    tmp = np.empty(n)
    for column, table in eq.categories:
        np.add(a, table[_codes(codes[column], len(table) - 1)], out=a)
    for name, value in eq.main:
        np.multiply(centred[name], value, out=tmp)
        np.add(a, tmp, out=a)
    acc = np.empty(n)
    for inter in eq.interactions:
        acc.fill(0.0)
        for name, value in inter.terms:
            np.multiply(centred[name], value, out=tmp)
            np.add(acc, tmp, out=acc)
        if inter.smoke is not None:
            np.add(acc, inter.smoke[_codes(codes["smoke_cat"], len(inter.smoke) - 1)], out=acc)
        np.multiply(centred[inter.left], acc, out=tmp)
        np.add(a, tmp, out=a)
    np.exp(a, out=a)
    np.power(eq.survivor, a, out=a)
    np.subtract(1.0, a, out=a)
    np.multiply(a, 100.0, out=a)
    return a


def age_index(age: Array, low: int, high: int) -> npt.NDArray[np.intp]:
    """Row indices into an age table over ``low..high`` (whole years, truncated as in the C code)."""
    return np.clip(np.nan_to_num(np.floor(age), nan=low), low, high).astype(np.intp) - low


def age_lookup(index: npt.NDArray[np.intp], transform: Callable[[Array], Array], low: int, high: int) -> Array:
    """``transform(whole_years / 10)`` by table lookup over the ages the model accepts.

    Ages are truncated to whole years as in the C code; ages outside ``low..high`` are
    nulled by the domain check around the kernel, so any table entry will do for them.
    """
    table = transform(np.arange(low, high + 1, dtype=np.float64) / 10.0)
    return table[index]


@dataclass(frozen=True)
class CompiledModel:
    """Everything the kernel needs for one model: each sex's equation and transforms."""

    name: str
    columns: tuple[str, ...]
    equations: dict[int, tuple[Equation, Transforms]]


def _score_rows(model: CompiledModel, data: Mapping[str, Array], sex: npt.NDArray[np.int8]) -> Array:
    """Score rows block by block, so every intermediate column stays in the CPU cache
    (gathering each sex's rows out of a cached block measured faster than out of the
    whole batch)."""
    out = np.full(len(sex), np.nan)
    for lo in range(0, len(sex), _BLOCK):
        block = {k: v[lo : lo + _BLOCK] for k, v in data.items()}
        block_sex = sex[lo : lo + _BLOCK]
        for code, (eq, transforms) in model.equations.items():
            rows = np.flatnonzero(block_sex == code)
            if rows.size == 0:
                continue
            part = {k: v[rows] for k, v in block.items()} if rows.size < len(block_sex) else block
            codes: dict[str, Array] = {c: part[c] for c in ("ethrisk", "smoke_cat") if c in part}
            out[lo + rows] = evaluate(eq, transforms(part), codes)
    return out


def _float_or_int(column: pl.Series) -> npt.NDArray[np.float64] | npt.NDArray[np.integer]:
    """A column for the kernel without copying where possible: integers without nulls stay integers
    (NumPy computes integer × float in float64); anything else is cast to Float64 first, nulls as NaN
    (``to_numpy`` alone would hand small integers with nulls over as float32, rounding the arithmetic,
    and Booleans with nulls as Python objects)."""
    if column.dtype == pl.Float64 or (column.dtype.is_integer() and column.null_count() == 0):
        return column.to_numpy()
    return column.cast(pl.Float64).to_numpy()  # Booleans, nulls, other floats: as the Polars cast always did


def _kernel(model: CompiledModel) -> Callable[[pl.Series], pl.Series]:
    def run(batch: pl.Series) -> pl.Series:
        frame = batch.struct.unnest()
        n = frame.height
        sex = frame["_sex"].fill_null(-1).to_numpy().astype(np.int8, copy=False)
        data = {c: _float_or_int(frame[c]) for c in model.columns}
        chunks = min(_THREADS, max(1, n // _MIN_ROWS_PER_THREAD))
        if chunks == 1:
            values = _score_rows(model, data, sex)
        else:
            bounds = np.linspace(0, n, chunks + 1).astype(int)
            with ThreadPoolExecutor(chunks) as pool:
                parts = pool.map(
                    lambda lo_hi: _score_rows(
                        model, {k: v[lo_hi[0] : lo_hi[1]] for k, v in data.items()}, sex[lo_hi[0] : lo_hi[1]]
                    ),
                    itertools.pairwise(bounds),
                )
                values = np.concatenate(list(parts))
        return pl.Series(model.name, values, dtype=pl.Float64, nan_to_null=False)

    return run


def score_expr(model: CompiledModel, valid: Mapping[str, pl.Expr]) -> pl.Expr:
    """The model as one Polars expression: the NumPy kernel where ``valid[sex]`` holds, else null."""
    sex = pl.col("sex").replace_strict(SEX_CODES, default=None, return_dtype=pl.Int8).alias("_sex")
    inputs = [sex, *[pl.col(c) for c in model.columns]]  # NumPy promotes integer and 0/1 columns itself
    kernel = pl.struct(inputs).map_batches(_kernel(model), return_dtype=pl.Float64, is_elementwise=True)
    female, male = (pl.col("sex") == s for s in SEX_CODES)
    keep = pl.when(female).then(valid["female"]).when(male).then(valid["male"]).otherwise(False)
    return pl.when(keep.fill_null(False)).then(kernel).otherwise(None).cast(pl.Float64)


def all_present(columns: Sequence[str]) -> pl.Expr:
    """Every column non-null (a null input gives a null score, never a guess)."""
    return pl.all_horizontal([pl.col(c).is_not_null() for c in columns])


def category_ok(column: str) -> pl.Expr:
    """A category code the C array holds (null when outside, as the C code would read garbage)."""
    _, codes = CATEGORICAL["ethrisk" if column == "ethrisk" else "smoke"]
    return pl.col(column).is_in(list(codes))
