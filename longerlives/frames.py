"""Feature columns by name, checked: the one way rules, risk inputs and outreach name a
column of the per-person features frame.

The feature pass (``longerlives/features.py``) writes ``<concept>_<stat>`` columns.
Code never spells those names by hand: it asks for ``feature("bmi", "last_value")``,
a frozen ``FeatureRef`` whose ``.col`` is the Polars column. ``feature`` rejects a stat
the feature pass does not produce at once (``FeatureError``); whether the *concept* is
known depends on the code lists loaded, so ``check_features`` checks every declared
reference against them when the pipeline is assembled — before any data is read —
and names who reads the unknown concept (``pipeline.run`` calls it through
``rules.declared_features``, ``risk.FEATURES`` and ``outreach.FEATURES``).

Which stats exist for which concept:

* a SNOMED concept (a ``snomed`` code list, or ``[pending.<c>]`` in the manifest):
  ``first_date``, ``last_date``, ``n_12m``; when the list is ``valued`` also
  ``last_value`` and ``last_value_date``;
* a medicine concept (``bnf_prefix`` list): ``first_date``, ``last_date``, ``n_12m``;
* a blood-pressure setting (``BP_SETTINGS``: ``bp``, ``abpm_day_bp``, ``home_bp``):
  ``last_date``, ``last_systolic``, ``last_diastolic``;
* a contact service (``vocabulary.SERVICES``): ``last_attended``, ``last_dna``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

import polars as pl

from longerlives.errors import ConfigError
from longerlives.vocabulary import SERVICES

EVENT_STATS = ("first_date", "last_date", "n_12m")
VALUE_STATS = ("last_value", "last_value_date")
MED_STATS = ("first_date", "last_date", "n_12m")
BP_STATS = ("last_date", "last_systolic", "last_diastolic")
SERVICE_STATS = ("last_attended", "last_dna")

# prefix -> (systolic concept, diastolic concept). The clinic pair keeps its v1 column names.
BP_SETTINGS: dict[str, tuple[str, str]] = {
    "bp": ("systolic_bp", "diastolic_bp"),
    "abpm_day_bp": ("abpm_day_systolic", "abpm_day_diastolic"),
    "home_bp": ("home_systolic", "home_diastolic"),
}

# Every stat the feature pass produces, with its column dtype.
STAT_DTYPES: dict[str, type[pl.DataType]] = {
    "first_date": pl.Date,
    "last_date": pl.Date,
    "n_12m": pl.Int64,
    "last_value": pl.Float64,
    "last_value_date": pl.Date,
    "last_systolic": pl.Float64,
    "last_diastolic": pl.Float64,
    "last_attended": pl.Date,
    "last_dna": pl.Date,
}
_CONCEPT_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class FeatureError(ConfigError):
    """A feature column that the feature pass cannot produce (exit status: configuration)."""


@dataclass(frozen=True)
class FeatureRef:
    """One column of the per-person features frame: ``<concept>_<stat>``."""

    concept: str
    stat: str

    @property
    def name(self) -> str:
        return f"{self.concept}_{self.stat}"

    @property
    def col(self) -> pl.Expr:
        return pl.col(self.name)

    @property
    def dtype(self) -> type[pl.DataType]:
        return STAT_DTYPES[self.stat]


def feature(concept: str, stat: str) -> FeatureRef:
    """The column ``<concept>_<stat>``; a stat the feature pass never produces fails here."""
    if stat not in STAT_DTYPES:
        raise FeatureError(
            f"feature({concept!r}, {stat!r}): unknown stat {stat!r}; the feature pass produces "
            f"{', '.join(STAT_DTYPES)}{_did_you_mean(stat, STAT_DTYPES)}"
        )
    if not _CONCEPT_RE.match(concept):
        raise FeatureError(f"feature({concept!r}, {stat!r}): a concept is a lower-case name such as 'bmi'")
    return FeatureRef(concept, stat)


def last_dates(*concepts: str) -> list[pl.Expr]:
    """``<c>_last_date`` for each concept."""
    return [feature(c, "last_date").col for c in concepts]


class _Codelist(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def valued(self) -> bool: ...


def available_stats(codelists: Mapping[str, _Codelist], pending: Iterable[str] = ()) -> dict[str, tuple[str, ...]]:
    """Concept -> the stats the feature pass produces for it, given the loaded code lists."""
    out: dict[str, tuple[str, ...]] = {}
    for concept in pending:
        out[concept] = EVENT_STATS
    for concept, cl in codelists.items():
        if cl.kind == "snomed":
            out[concept] = EVENT_STATS + (VALUE_STATS if cl.valued else ())
        else:
            out[concept] = MED_STATS
    for prefix in BP_SETTINGS:
        out[prefix] = BP_STATS
    for service in SERVICES:
        out[service] = SERVICE_STATS
    return out


def check_features(owner: str, refs: Iterable[FeatureRef], available: Mapping[str, tuple[str, ...]]) -> None:
    """Fail, naming ``owner`` (e.g. "rule phc.bmi"), when a reference is not produced."""
    for ref in refs:
        if ref.concept not in available:
            raise FeatureError(
                f"{owner} reads feature {ref.name}: unknown concept {ref.concept!r} (not a code list in "
                f"config/codelists/manifest.toml, a blood-pressure setting or a contact service)"
                f"{_did_you_mean(ref.concept, available)}"
            )
        if ref.stat not in available[ref.concept]:
            raise FeatureError(
                f"{owner} reads feature {ref.name}: the feature pass gives concept {ref.concept!r} only "
                f"{', '.join(available[ref.concept])}"
            )


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def bp_pair(prefix: str) -> tuple[FeatureRef, FeatureRef, FeatureRef]:
    """(day, systolic, diastolic) of the latest paired reading of one BP setting (``BP_SETTINGS``)."""
    if prefix not in BP_SETTINGS:
        raise FeatureError(f"bp_pair({prefix!r}): blood-pressure settings are {', '.join(BP_SETTINGS)}")
    return feature(prefix, "last_date"), feature(prefix, "last_systolic"), feature(prefix, "last_diastolic")


def latest_value(concept: str) -> tuple[FeatureRef, FeatureRef]:
    """(latest value, its date) of a valued concept."""
    return feature(concept, "last_value"), feature(concept, "last_value_date")
