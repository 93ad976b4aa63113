"""Shared machinery: a coefficient table (CSV, data) becomes a compiled equation,
evaluated with NumPy over whole columns and wrapped as one Polars expression.

Both ClinRisk algorithms have the same shape. Continuous inputs are transformed
(fractional polynomials) and centred; then the linear predictor is

    a = I_eth[ethrisk] + I_smoke[smoke_cat]
        + sum(c_k * x_k)                      main effects
        + age_1 * sum(c_1j * z_j)             interactions with the first age term
        + age_2 * sum(c_2j * z_j)             interactions with the second age term

and the 10-year risk in percent is ``100 * (1 - S0 ** exp(a))``, computed as
``100 * (1 - exp(exp(a) * log S0))`` (a ``pow`` call costs six times an ``exp``).

The equations' *structure* (which transform each term uses) lives in the model
modules; every *number* (baseline survival, centring means, coefficients) lives in
``coefficients/*.csv``. Coefficient names follow ClinRisk's C variable names:
``b_AF`` is a main effect, ``ethrisk_3`` a category level, ``age_1:b_AF`` an
interaction, ``mean_sbp`` a centring constant and ``survivor`` the baseline survival.

Interactions are grouped by their age term, so the terms are summed in a different
order from the C code; the results differ from ClinRisk's by rounding only
(< 1e-10 percentage points on the reference samples).

Speed (issue 16, docs/benchmarks.md, docs/benchmarks-output.md "Session 5, R"):
each row is scored with its own sex's equation only (rows are split by sex, not scored
twice and chosen between), and the column arithmetic runs in NumPy over cache-sized
blocks on two threads (NumPy releases the GIL). The fast form (``FastEquation``) sums
every term that depends only on discrete inputs (age in whole years, ethnicity, smoking
category, 0/1 flags, and their interactions with the age terms) once, at start-up, into
three small per-sex tables; per row the kernel packs the flags into one integer, looks
the tables up and adds only the continuous terms. A batch with a flag that is not 0/1
takes the general kernel (``evaluate``: every term per row, as the C code would score
it). Which rows score null (sex, domain, null inputs, codes outside the C arrays) is
decided by Polars expressions around the NumPy kernel, so nulls mean exactly what they
meant before. Fast and general kernels differ by rounding in the last bits only
(< 1e-12 percentage points; tests/risk/test_risk_fast_kernel.py).
"""

from __future__ import annotations

import csv
import itertools
import math
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
#: rows per thread below which the kernel does not split a batch over threads: the streaming
#: engine already calls it on both its threads at once with 50,000-100,000-row morsels (splitting
#: those again measured 30 % more CPU for the same wall time); a whole-frame batch (in-memory
#: engine) is split
_MIN_ROWS_PER_THREAD = 150_000
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
    if values.dtype.kind in "iu":
        return np.where((values >= 0) & (values < n_codes), values, n_codes).astype(np.intp, copy=False)
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
    return _risk_percent(a, eq.survivor)


def _risk_percent(a: Array, survivor: float) -> Array:
    """``100 * (1 - survivor ** exp(a))`` in place, as ``exp(exp(a) * log(survivor))`` (no per-row ``pow``)."""
    np.exp(a, out=a)
    np.multiply(a, math.log(survivor), out=a)
    np.exp(a, out=a)
    np.subtract(1.0, a, out=a)
    np.multiply(a, 100.0, out=a)
    return a


def age_index(age: Array, low: int, high: int) -> npt.NDArray[np.intp]:
    """Row indices into an age table over ``low..high`` (whole years, truncated as in the C code)."""
    if age.dtype.kind in "iu":
        return np.clip(age, low, high).astype(np.intp, copy=False) - low
    return np.clip(np.nan_to_num(np.floor(age), nan=low), low, high).astype(np.intp) - low


def age_lookup(index: npt.NDArray[np.intp], transform: Callable[[Array], Array], low: int, high: int) -> Array:
    """``transform(whole_years / 10)`` by table lookup over the ages the model accepts.

    Ages are truncated to whole years as in the C code; ages outside ``low..high`` are
    nulled by the domain check around the kernel, so any table entry will do for them.
    """
    table = transform(np.arange(low, high + 1, dtype=np.float64) / 10.0)
    return table[index]


@dataclass(frozen=True)
class Shape:
    """One sex's transforms, split the way the kernels use them: terms that are functions of
    age in whole years (looked up from a table), 0/1 flags used as they are, and the others."""

    age_terms: Mapping[str, Callable[[Array], Array]]  # term -> f(whole years / 10)
    age_low: int
    age_high: int
    flags: tuple[str, ...]
    continuous: Transforms
    continuous_inputs: tuple[str, ...]  # the columns ``continuous`` reads

    def terms(self, x: Mapping[str, Array]) -> dict[str, Array]:
        """Every term of the equation (before centring), for the general kernel."""
        ages = age_index(x["age"], self.age_low, self.age_high)
        out = {t: age_lookup(ages, f, self.age_low, self.age_high) for t, f in self.age_terms.items()}
        return out | self.continuous(x) | {f: x[f] for f in self.flags}


@dataclass(frozen=True)
class Layout:
    """How the fast kernel packs a model's discrete inputs (the same for both sexes).

    Each row's 0/1 flags are packed into one integer: the flags that interact with the age
    terms in either sex in the low bits (``with_age``), the others above them (``apart``).
    Three tables (per sex) then hold every term that depends only on discrete inputs:
    ``age x with_age`` (age main effects, those flags' main effects and their interactions with
    the age terms), ``categories x apart`` (ethnicity and smoking main effects, the other
    flags' main effects) and ``age x smoke_cat`` (QRISK3's age:smoking interactions)."""

    n_age: int
    with_age: tuple[str, ...]
    apart: tuple[str, ...]
    categories: tuple[tuple[str, int], ...]  # column, slots (codes + one NaN slot for codes outside the C array)
    age_smoke: bool


@dataclass(frozen=True)
class FastEquation:
    """An ``Equation`` regrouped for speed: every term that depends only on age, categories and
    0/1 flags is summed once into small tables at start-up (``Layout``); per row the kernel looks
    those up and adds the continuous terms. The same sum as ``evaluate`` in a different order:
    results differ from it by rounding in the last bits only (tests/risk/test_risk_fast_kernel.py)."""

    survivor: float
    means: dict[str, float]  # centring constants of the continuous terms
    tables: tuple[Array, Array, Array]  # flattened: age x with_age, categories x apart, age x smoke_cat
    main: tuple[tuple[str, float], ...]  # continuous terms
    inner: tuple[tuple[Array, tuple[tuple[str, float], ...]], ...]  # centred age term by age, continuous terms


#: most flags the fast kernel packs into one row code; more means the general kernel
_MAX_FLAGS = 16
#: largest lookup table the fast kernel builds (entries)
_MAX_TABLE = 1 << 17


def make_layout(equations: Sequence[tuple[Equation, Shape]]) -> Layout | None:
    """The packing shared by both sexes' equations, or None when the fast kernel cannot take them."""
    shapes = [shape for _, shape in equations]
    if len({(s.age_low, s.age_high, tuple(s.age_terms)) for s in shapes}) != 1:
        return None
    flags = {f for s in shapes for f in s.flags}
    with_age = sorted({n for eq, _ in equations for i in eq.interactions for n, _ in i.terms if n in flags})
    apart = sorted({n for eq, _ in equations for n, _ in eq.main if n in flags} - set(with_age))
    columns = {c for eq, _ in equations for c, _ in eq.categories}
    categories = tuple((c, len(codes) + 1) for c, codes in CATEGORICAL.values() if c in columns)
    age_smoke = any(i.smoke is not None for eq, _ in equations for i in eq.interactions)
    n_age = shapes[0].age_high - shapes[0].age_low + 1
    n_cat = int(np.prod([n for _, n in categories]))
    if len(with_age) + len(apart) > _MAX_FLAGS or max(n_age << len(with_age), n_cat << len(apart)) > _MAX_TABLE:
        return None
    if age_smoke and "smoke_cat" not in columns:
        return None
    return Layout(n_age, tuple(with_age), tuple(apart), categories, age_smoke)


def compile_fast(eq: Equation, shape: Shape, layout: Layout) -> FastEquation | None:
    """Regroup ``eq`` into the layout's tables and its continuous terms, or None when its shape
    does not allow it (an interaction whose left term is not an age term)."""
    ages = np.arange(shape.age_low, shape.age_high + 1, dtype=np.float64) / 10.0

    def centred(name: str, values: Array) -> Array:
        return values - eq.means[name] if name in eq.means else values

    age_values = {t: centred(t, f(ages)) for t, f in shape.age_terms.items()}
    if any(i.left not in age_values for i in eq.interactions):
        return None
    discrete = set(shape.age_terms) | set(shape.flags)
    if not {n for n, _ in eq.main if n in shape.flags} <= set(layout.with_age) | set(layout.apart):
        return None

    def bits(names: Sequence[str], shape_: tuple[int, ...]) -> dict[str, Array]:
        """Each flag's value at every packed code (code bit j = flag j), broadcast along the last axis."""
        code = np.arange(1 << len(names))
        return {n: ((code >> j) & 1).astype(np.float64).reshape(shape_) for j, n in enumerate(names)}

    # 1. age x with_age: age main effects, those flags' main effects, every discrete interaction term
    grid = bits(layout.with_age, (1, -1))
    age_col = np.arange(layout.n_age).reshape(-1, 1)

    def value(name: str) -> Array:
        return age_values[name][age_col] if name in age_values else centred(name, grid[name])

    table_a = np.zeros((layout.n_age, 1 << len(layout.with_age)))
    for name, coef in eq.main:
        if name in age_values or name in layout.with_age:
            table_a = table_a + coef * value(name)
    for inter in eq.interactions:
        acc = np.zeros_like(table_a)
        for name, coef in inter.terms:
            if name in discrete:
                acc = acc + coef * value(name)
        table_a = table_a + age_values[inter.left][age_col] * acc
    # 2. categories x apart: category and other flags' main effects
    sizes = tuple(n for _, n in layout.categories)
    cat_index = dict(zip([c for c, _ in layout.categories], np.indices(sizes), strict=True))
    grid = bits(layout.apart, (*[1] * len(sizes), -1))
    table_b = np.zeros((*sizes, 1 << len(layout.apart)))
    for column, t in eq.categories:
        table_b = table_b + t[cat_index[column]][..., np.newaxis]
    for name, coef in eq.main:
        if name in layout.apart:
            table_b = table_b + coef * centred(name, grid[name])
    # 3. age x smoke_cat: the age terms times their smoking coefficients
    table_s = np.zeros((layout.n_age, dict(layout.categories).get("smoke_cat", 1)))
    for inter in eq.interactions:
        if inter.smoke is not None:
            table_s = table_s + age_values[inter.left][age_col] * inter.smoke[np.newaxis, :]
    main = tuple((n, c) for n, c in eq.main if n not in discrete)
    inner = tuple((age_values[i.left], tuple((n, c) for n, c in i.terms if n not in discrete)) for i in eq.interactions)
    means = {k: v for k, v in eq.means.items() if k not in discrete}
    return FastEquation(eq.survivor, means, (table_a.ravel(), table_b.ravel(), table_s.ravel()), main, inner)


def discrete_part(
    model: CompiledModel, age: npt.NDArray[np.intp], codes: Mapping[str, npt.NDArray[np.intp]],
    flags: Mapping[str, npt.NDArray[np.uint8]], sex: npt.NDArray[np.int8],
) -> Array:  # fmt: skip
    """Every row's discrete part of the linear predictor, from its own sex's tables (rows of
    neither sex get the first sex's: their score is withheld around the kernel). The tables
    interleave the sexes (sex code is the last, fastest axis)."""
    layout, tables = model.layout, model.tables
    assert layout is not None and tables is not None
    n = len(age)
    packed = np.zeros(n, dtype=np.uint16)
    byte, bit = np.empty(n, dtype=np.uint8), np.empty(n, dtype=np.uint8)
    names = (*layout.with_age, *layout.apart)
    for start in range(0, len(names), 8):  # eight flags per byte: byte-wide shifts, no casts
        byte.fill(0)
        for j, name in enumerate(names[start : start + 8]):
            np.left_shift(flags[name], j, out=bit)
            np.bitwise_or(byte, bit, out=byte)
        packed |= byte.astype(np.uint16) << start
    bit = np.empty(n, dtype=np.uint16)
    k = len(layout.with_age)
    sex01 = (sex == 1).view(np.uint8)
    index = np.empty(n, dtype=np.intp)
    part = np.empty(n, dtype=np.intp)
    # age x with_age
    np.bitwise_and(packed, (1 << k) - 1, out=bit)
    np.left_shift(age, k, out=index)
    np.bitwise_or(index, bit, out=index)
    np.left_shift(index, 1, out=index)
    np.bitwise_or(index, sex01, out=index)
    out = tables[0][index]
    # categories x apart
    index.fill(0)
    for column, slots in layout.categories:
        np.multiply(index, slots, out=index)
        np.add(index, codes[column], out=index)
    np.left_shift(index, len(layout.apart), out=index)
    np.right_shift(packed, k, out=bit)
    np.bitwise_or(index, bit, out=index)
    np.left_shift(index, 1, out=index)
    np.bitwise_or(index, sex01, out=index)
    np.add(out, tables[1][index], out=out)
    if layout.age_smoke:
        np.multiply(age, dict(layout.categories)["smoke_cat"], out=part)
        np.add(part, codes["smoke_cat"], out=part)
        np.left_shift(part, 1, out=part)
        np.bitwise_or(part, sex01, out=part)
        np.add(out, tables[2][part], out=out)
    return out


def evaluate_fast(
    eq: FastEquation, discrete: Array, continuous: Mapping[str, Array], age: npt.NDArray[np.intp]
) -> Array:
    """10-year risk in percent, as ``evaluate``, from the discrete part (``discrete_part``) and
    the continuous terms (transformed, not centred); ``age`` indexes the age tables."""
    a = discrete
    n = len(a)
    tmp = np.empty(n)
    centred = {name: (x - eq.means[name]) if name in eq.means else x for name, x in continuous.items()}
    for name, value in eq.main:
        np.multiply(centred[name], value, out=tmp)
        np.add(a, tmp, out=a)
    acc = np.empty(n)
    for left, terms in eq.inner:
        if not terms:
            continue
        (first, c0), *rest = terms
        np.multiply(centred[first], c0, out=acc)  # 0.0 + x == x: the same sum as starting from zero
        for name, value in rest:
            np.multiply(centred[name], value, out=tmp)
            np.add(acc, tmp, out=acc)
        np.multiply(left[age], acc, out=tmp)
        np.add(a, tmp, out=a)
    return _risk_percent(a, eq.survivor)


@dataclass(frozen=True)
class CompiledModel:
    """Everything the kernels need for one model: each sex's equation and transforms and, where
    the equations allow it, their fast form (``layout`` and, per sex code, the stacked tables)."""

    name: str
    columns: tuple[str, ...]
    equations: dict[int, tuple[Equation, Shape]]
    layout: Layout | None = None
    fast: dict[int, FastEquation] | None = None
    tables: tuple[Array, Array, Array] | None = None  # both sexes' tables, interleaved (sex code fastest)

    @staticmethod
    def build(name: str, columns: tuple[str, ...], equations: dict[int, tuple[Equation, Shape]]) -> CompiledModel:
        """Compile the fast form too when every equation allows it."""
        layout = make_layout(list(equations.values()))
        if layout is None or sorted(equations) != [0, 1]:
            return CompiledModel(name, columns, equations)
        fast = {code: compile_fast(eq, shape, layout) for code, (eq, shape) in equations.items()}
        if any(f is None for f in fast.values()):
            return CompiledModel(name, columns, equations)
        ready = {k: v for k, v in fast.items() if v is not None}
        tables = tuple(np.stack([ready[0].tables[i], ready[1].tables[i]], axis=-1).ravel() for i in range(3))
        return CompiledModel(name, columns, equations, layout, ready, tables)  # type: ignore[arg-type]

    def flag_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for _, shape in self.equations.values() for f in shape.flags))


def _score_rows(model: CompiledModel, data: Mapping[str, Array], sex: npt.NDArray[np.int8]) -> Array:
    """Score rows block by block with the general kernel, so every intermediate column stays
    in the CPU cache (gathering each sex's rows out of a cached block measured faster than out
    of the whole batch)."""
    out = np.full(len(sex), np.nan)
    for lo in range(0, len(sex), _BLOCK):
        block = {k: v[lo : lo + _BLOCK] for k, v in data.items()}
        block_sex = sex[lo : lo + _BLOCK]
        for code, (eq, shape) in model.equations.items():
            rows = np.flatnonzero(block_sex == code)
            if rows.size == 0:
                continue
            part = {k: v[rows] for k, v in block.items()} if rows.size < len(block_sex) else block
            codes: dict[str, Array] = {c: part[c] for c in ("ethrisk", "smoke_cat") if c in part}
            out[lo + rows] = evaluate(eq, shape.terms(part), codes)
    return out


def _score_rows_fast(
    model: CompiledModel, data: Mapping[str, Array], flags: Mapping[str, npt.NDArray[np.uint8]],
    sex: npt.NDArray[np.int8],
) -> Array:  # fmt: skip
    """As ``_score_rows``, by the fast form (every flag is 0 or 1): the discrete part for a whole
    block at once, then each sex's continuous terms."""
    assert model.fast is not None
    out = np.full(len(sex), np.nan)
    shapes = {code: shape for code, (_, shape) in model.equations.items()}
    low, high = shapes[0].age_low, shapes[0].age_high
    categories = {column: len(codes) for column, codes in CATEGORICAL.values() if column in data}
    for lo in range(0, len(sex), _BLOCK):
        block = {k: v[lo : lo + _BLOCK] for k, v in data.items() if k not in categories}
        block_sex = sex[lo : lo + _BLOCK]
        age = age_index(block["age"], low, high)
        codes = {c: _codes(data[c][lo : lo + _BLOCK], n) for c, n in categories.items()}
        block_flags = {k: v[lo : lo + _BLOCK] for k, v in flags.items()}
        discrete = discrete_part(model, age, codes, block_flags, block_sex)
        for code, eq in model.fast.items():
            rows = np.flatnonzero(block_sex == code)
            if rows.size == 0:
                continue
            if rows.size == len(block_sex):
                out[lo : lo + _BLOCK] = evaluate_fast(eq, discrete, shapes[code].continuous(block), age)
                continue
            part = {k: block[k][rows] for k in shapes[code].continuous_inputs}
            out[lo + rows] = evaluate_fast(eq, discrete[rows], shapes[code].continuous(part), age[rows])
    return out


def _float_or_int(column: pl.Series) -> npt.NDArray[np.float64] | npt.NDArray[np.integer]:
    """A column for the kernel without copying where possible: integers without nulls stay integers
    (NumPy computes integer × float in float64); anything else is cast to Float64 first, nulls as NaN
    (``to_numpy`` alone would hand small integers with nulls over as float32, rounding the arithmetic,
    and Booleans with nulls as Python objects)."""
    if column.dtype == pl.Float64 or (column.dtype.is_integer() and column.null_count() == 0):
        return column.to_numpy()
    return column.cast(pl.Float64).to_numpy()  # Booleans, nulls, other floats: as the Polars cast always did


def _zero_one(column: pl.Series) -> npt.NDArray[np.uint8] | None:
    """A flag column as 0/1 bytes (null as 0: the null check around the kernel withholds those
    rows' scores), or None when some value is neither 0 nor 1 (the general kernel then scores it
    as the C code would)."""
    if column.null_count():
        column = column.fill_null(0)
    if column.dtype == pl.Boolean:
        return column.to_numpy().view(np.uint8)
    values = column.to_numpy()
    if not column.dtype.is_integer():
        ok = bool(np.all((values == 0) | (values == 1)))
        return values.astype(np.uint8) if ok else None
    if values.dtype.itemsize == 1:
        ok = bool(np.all(values.view(np.uint8) <= 1))
    else:
        ok = bool(np.all((values >= 0) & (values <= 1)))
    return values.astype(np.uint8, copy=False) if ok else None


def _kernel(model: CompiledModel) -> Callable[[pl.Series], pl.Series]:
    flag_columns = set(model.flag_columns())

    def run(batch: pl.Series) -> pl.Series:
        frame = batch.struct.unnest()
        n = frame.height
        sex = frame["_sex"].fill_null(-1).to_numpy().astype(np.int8, copy=False)
        flags = {c: _zero_one(frame[c]) for c in flag_columns} if model.fast else {}
        fast = bool(flags) and all(v is not None for v in flags.values())
        if fast:
            data = {c: _float_or_int(frame[c]) for c in model.columns if c not in flag_columns}

            def score(d: Mapping[str, Array], s: npt.NDArray[np.int8], lo: int, hi: int) -> Array:
                return _score_rows_fast(model, d, {k: v[lo:hi] for k, v in flags.items()}, s)  # type: ignore[index]
        else:
            data = {c: _float_or_int(frame[c]) for c in model.columns}

            def score(d: Mapping[str, Array], s: npt.NDArray[np.int8], lo: int, hi: int) -> Array:
                return _score_rows(model, d, s)

        chunks = min(_THREADS, max(1, n // _MIN_ROWS_PER_THREAD))
        if chunks == 1:
            values = score(data, sex, 0, n)
        else:
            bounds = np.linspace(0, n, chunks + 1).astype(int)
            with ThreadPoolExecutor(chunks) as pool:
                parts = pool.map(
                    lambda lo_hi: score(
                        {k: v[lo_hi[0] : lo_hi[1]] for k, v in data.items()}, sex[lo_hi[0] : lo_hi[1]], *lo_hi
                    ),
                    itertools.pairwise(bounds),
                )
                values = np.concatenate(list(parts))
        return pl.Series(model.name, values, dtype=pl.Float64, nan_to_null=False)

    return run


def score_expr(model: CompiledModel, valid: Mapping[str, pl.Expr]) -> pl.Expr:
    """The model as one Polars expression: the NumPy kernel where ``valid[sex]`` holds, else null."""
    # 1 for men, 0 for anyone else (scores of people neither female nor male are withheld below)
    sex = (pl.col("sex") == "male").cast(pl.Int8).alias("_sex")
    inputs = [sex, *[pl.col(c) for c in model.columns]]  # NumPy promotes integer and 0/1 columns itself
    kernel = pl.struct(inputs).map_batches(_kernel(model), return_dtype=pl.Float64, is_elementwise=True)
    female, male = (pl.col("sex") == s for s in SEX_CODES)
    keep = (female & valid["female"]).fill_null(False) | (male & valid["male"]).fill_null(False)  # 30 % cheaper
    return pl.when(keep).then(kernel).otherwise(None).cast(pl.Float64)  # than a when/then chain


def all_present(columns: Sequence[str]) -> pl.Expr:
    """Every column non-null (a null input gives a null score, never a guess)."""
    return pl.all_horizontal([pl.col(c).is_not_null() for c in columns])


def category_ok(column: str) -> pl.Expr:
    """A category code the C array holds (null when outside, as the C code would read garbage)."""
    _, codes = CATEGORICAL["ethrisk" if column == "ethrisk" else "smoke"]
    return pl.col(column).is_in(list(codes))
