"""Risk scores: QRISK3-2017 and QDiabetes-2018, exact and vectorised.

* ``qrisk3_2017(frame)`` / ``qdiabetes_2018(frame, model)`` take ClinRisk's inputs
  (C argument names) in a DataFrame or LazyFrame and add ``qrisk3`` / ``qdiabetes``.
* ``score_people(features, as_of, settings)`` derives those inputs from the
  per-person features frame and scores everyone, naming missing inputs.
* ``CLINRISK_DISCLAIMER`` must be held with every score (licence additional terms).
"""

from dataclasses import dataclass
from datetime import date

import polars as pl

from longerlives.frames import FeatureRef
from longerlives.risk import inputs, smoking
from longerlives.risk.disclaimer import CLINRISK_DISCLAIMER, DISPLAY_LINE
from longerlives.risk.inputs import score_people
from longerlives.risk.qdiabetes_2018 import qdiabetes_2018
from longerlives.risk.qrisk3_2017 import qrisk3_2017
from longerlives.settings.risk import RiskSettings

# Every feature column the risk stage reads (pipeline.run checks them before any data is read).
FEATURES: tuple[FeatureRef, ...] = tuple(dict.fromkeys((*inputs.FEATURES, *smoking.FEATURES)))


@dataclass(frozen=True)
class RiskScores:
    """One row per person: ``nhs_number, qrisk3, qrisk3_missing, qrisk3_townsend_imputed,
    qdiabetes, qdiabetes_model, qdiabetes_missing``."""

    scores: pl.DataFrame


def score(people: pl.DataFrame, as_of: date, settings: RiskSettings) -> RiskScores:
    """The risk stage: QRISK3-2017 and QDiabetes-2018 for everyone in the features frame."""
    return RiskScores(score_people(people.lazy(), as_of, settings).collect())


__all__ = [
    "CLINRISK_DISCLAIMER",
    "DISPLAY_LINE",
    "FEATURES",
    "RiskScores",
    "qdiabetes_2018",
    "qrisk3_2017",
    "score",
    "score_people",
]
