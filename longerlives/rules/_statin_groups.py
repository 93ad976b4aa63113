"""Who NICE NG238 offers a statin without a risk score, and for whom QRISK3 is not to be used.

Shared by ``statin.indicated`` and ``risk.qrisk3`` so the two can never disagree:
NG238 1.6.1 / 1.6.2 say do not use a risk assessment tool for people with type 1
diabetes or CKD (eGFR under 60 / stage 3-5); offer a statin instead to adults with CKD
and to adults with type 1 diabetes older than 40 (or with diabetes for 10+ years,
nephropathy or other CVD risk factors — not read here; see docs/clinical-safety.md).
"""

from __future__ import annotations

import polars as pl

from longerlives.frames import feature, last_dates
from longerlives.rules._helpers import iso, months_words


def type1_diabetes(type1: str = "diabetes_type1", type2: str = "diabetes_type2") -> pl.Expr:
    """A type 1 diabetes code is recorded and no later type 2 code says otherwise (latest type wins;
    a same-day tie counts as type 1, as the QRISK3 input does)."""
    t1, t2 = last_dates(type1, type2)
    return t1.is_not_null() & (t2.is_null() | (t1 >= t2))


def ckd_3_5(concept: str = "ckd_3_5") -> pl.Expr:
    """A chronic kidney disease stage 3-5 code is recorded."""
    return feature(concept, "last_date").col.is_not_null()


def qrisk3_not_for_use() -> pl.Expr:
    """NICE NG238: QRISK3 is not to be used (type 1 diabetes or CKD stage 3-5)."""
    return type1_diabetes() | ckd_3_5()


def lipid_lowering_words(treated_last: pl.Expr, months: int) -> pl.Expr:
    """Why the person counts as untreated, in the words both statin flags use."""
    return (
        pl.when(treated_last.is_null())
        .then(pl.lit("no lipid-lowering medicine ever issued"))
        .otherwise(
            pl.format(
                "last lipid-lowering medicine issued {}, more than {} ago",
                iso(treated_last),
                pl.lit(months_words(months)),
            )
        )
    )
