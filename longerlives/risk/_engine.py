"""Shared machinery: a coefficient table (CSV, data) becomes one Polars expression.

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
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import TypeVar

import polars as pl

COEFFICIENT_DIR = Path(__file__).resolve().parent / "coefficients"

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)

#: category prefix -> (input column, codes the C arrays accept)
CATEGORICAL = {"ethrisk": ("ethrisk", range(0, 10)), "smoke": ("smoke_cat", range(0, 5))}


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


def _category_lookup(prefix: str, coefs: dict[str, float], name_prefix: str = "") -> pl.Expr:
    """Coefficient of each category level; codes outside the C array give null."""
    column, codes = CATEGORICAL[prefix]
    values = [coefs.get(f"{name_prefix}{prefix}_{k}", 0.0) for k in codes]
    return pl.col(column).replace_strict(
        list(codes), values, default=None, return_dtype=pl.Float64
    )


def linear_predictor(coefs: dict[str, float], terms: dict[str, pl.Expr]) -> pl.Expr:
    """Sum of coefficient x term for one equation (one model, one sex).

    ``terms`` maps names to already transformed and centred expressions (booleans
    as Float64). Every coefficient in ``coefs`` must be used, so a misspelt term in
    the CSV fails loudly instead of being silently dropped.
    """
    used = {"survivor"} | {k for k in coefs if k.startswith("mean_")}
    parts: list[pl.Expr] = []
    for prefix in CATEGORICAL:
        if any(k.startswith(f"{prefix}_") for k in coefs):
            parts.append(_category_lookup(prefix, coefs))
            used |= {k for k in coefs if k.startswith(f"{prefix}_")}
    for name, value in coefs.items():
        if name in used or ":" in name:
            continue
        if name not in terms:
            raise KeyError(f"coefficient {name!r} has no matching input term")
        parts.append(terms[name] * value)
        used.add(name)
    interactions: dict[str, list[pl.Expr]] = defaultdict(list)
    for name, value in coefs.items():
        if ":" not in name:
            continue
        left, right = name.split(":")
        if left not in terms:
            raise KeyError(f"interaction {name!r}: unknown term {left!r}")
        if right.startswith("smoke_"):
            continue  # handled as one lookup per age term below
        if right not in terms:
            raise KeyError(f"interaction {name!r}: unknown term {right!r}")
        interactions[left].append(terms[right] * value)
        used.add(name)
    for left in sorted({n.split(":")[0] for n in coefs if ":" in n}):
        inner = list(interactions[left])
        if any(n.startswith(f"{left}:smoke_") for n in coefs):
            inner.append(_category_lookup("smoke", coefs, name_prefix=f"{left}:"))
            used |= {n for n in coefs if n.startswith(f"{left}:smoke_")}
        parts.append(terms[left] * pl.sum_horizontal(inner, ignore_nulls=False))
    unused = set(coefs) - used
    if unused:
        raise KeyError(f"coefficients not used by the equation: {sorted(unused)}")
    return pl.sum_horizontal(parts, ignore_nulls=False)


def risk_percent(survivor: float, a: pl.Expr) -> pl.Expr:
    """10-year risk in percent, as ClinRisk computes it: 100 * (1 - S0^exp(a))."""
    return 100.0 * (1.0 - pl.lit(survivor, dtype=pl.Float64).pow(a.exp()))


def flag(column: str) -> pl.Expr:
    """A 0/1 or Boolean input column as Float64 (null stays null)."""
    return pl.col(column).cast(pl.Float64)


def whole_years(column: str = "age") -> pl.Expr:
    """Age as the C code sees it: an int (fractions truncated), as Float64."""
    return pl.col(column).cast(pl.Float64).floor()
