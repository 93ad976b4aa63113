"""Per-person columns the coverage report needs beyond the rules' own, added before
patients.csv is written so that every coverage.csv number can be recomputed from
patients.csv and flags.csv of the same run.

* ``current_smoker`` — the latest smoking status is a current-smoker code (the
  denominator of ``smoking_cessation_offer``; same definition as the rule);
* ``screening_<programme>_status`` — null when not eligible today, else ``screened``,
  ``ceased``, ``declined`` or ``overdue`` (``overdue`` is exactly who gets the
  ``screening.<programme>`` flag; see ``rules/_screening.py``).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.columnwise import beside
from longerlives.rules._helpers import current_smoker_date, with_optional_concepts
from longerlives.rules._screening import programme_status
from longerlives.settings.rules import RulesSettings

SCREENING_PROGRAMMES = ("cervical", "breast", "bowel")
MEASURE_COLUMNS = ("current_smoker",) + tuple(f"screening_{p}_status" for p in SCREENING_PROGRAMMES)


def add_measure_columns(people: pl.DataFrame, as_of: date, settings: RulesSettings) -> pl.DataFrame:
    """``people`` with ``current_smoker`` and ``screening_<programme>_status`` (in-scope rows; null out of scope)."""
    from longerlives.rules import optional_concepts
    from longerlives.rules.smoking_cessation_offer import Params as SmokingParams

    frame = with_optional_concepts(people, optional_concepts(settings))
    in_scope = pl.col("in_scope")
    min_age = settings.params("smoking.cessation_offer", SmokingParams).min_age_at_record_years  # same as the rule
    cols = [pl.when(in_scope).then(current_smoker_date(min_age).is_not_null()).alias("current_smoker")]
    for programme in SCREENING_PROGRAMMES:
        status = programme_status(programme, as_of, settings)
        cols.append(pl.when(in_scope).then(status).alias(f"screening_{programme}_status"))
    added = frame.select("nhs_number", *cols)
    return beside(people, [added])  # the measures beside the people's columns: no copy of them (issue 16)
