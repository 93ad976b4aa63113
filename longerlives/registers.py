"""Register membership reported beside the health-check cohort (run-outputs-v2.md patients.csv).

``qof_mh_register`` is the QOF mental health register (MH001, business rules MH1_REG /
MH2_REG): an SMI diagnosis ever recorded (``MH_COD``; people in remission stay on it), or
lithium (``LIT_COD``) issued in the last ``lithium_months`` months with no "lithium stopped"
code (``LITSTP_COD``) on or after the latest issue. It differs from ``health_check_cohort``,
which leaves out people in remission and people on lithium alone (domain.md §1.2).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.dates import months_before


def qof_mh_register(as_of: date, lithium_months: int) -> pl.Expr:
    """True for people on the QOF MH register as of ``as_of`` (features columns only)."""
    diagnosed = pl.col("smi_diagnosis_last_date").is_not_null() | pl.col("smi_remission_last_date").is_not_null()
    issued, stopped = pl.col("lithium_last_date"), pl.col("lithium_stopped_last_date")
    on_lithium = (
        issued.is_not_null()
        & (issued > pl.lit(months_before(as_of, lithium_months)))
        & (stopped.is_null() | (stopped < issued))
    )
    return (diagnosed | on_lithium).fill_null(False)
