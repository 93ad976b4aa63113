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


# ---------------------------------------------------------------------------------------------
# Declared frames: what passes between stages, names and dtypes declared once.
#
# The project's own small schema classes rather than dataframely (see docs/architecture.md,
# "Declared frames"): the per-person frame is *open* — its feature columns depend on the code
# lists loaded at run time — which a static class cannot declare, and stages pass plain Polars
# frames, so checking is a function call in tests, not a wrapper type on every stage.


class FrameError(AssertionError):
    """A frame does not match its declaration (a programming error, found by the tests)."""


@dataclass(frozen=True)
class Col:
    name: str
    dtype: pl.DataType
    doc: str = ""


@dataclass(frozen=True)
class FrameSchema:
    """Named, typed columns of a frame that one stage hands to the next.

    ``open_features``: the frame may also carry ``<concept>_<stat>`` feature columns (checked
    against ``available_stats`` when given); any other extra column is an error unless
    ``extra_allowed``."""

    name: str
    columns: tuple[Col, ...]
    open_features: bool = False
    extra_allowed: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema)

    def problems(
        self, frame: pl.DataFrame | pl.LazyFrame, available: Mapping[str, tuple[str, ...]] | None = None
    ) -> list[str]:
        """Every way ``frame`` differs from the declaration (empty when it matches)."""
        schema = frame.collect_schema()
        out = []
        for c in self.columns:
            if c.name not in schema:
                out.append(f"{self.name}: column {c.name} missing")
            elif schema[c.name] != c.dtype:
                out.append(f"{self.name}: column {c.name} is {schema[c.name]}, declared {c.dtype}")
        features = _feature_dtypes(available) if available is not None else {}
        for name, dtype in schema.items():
            if name in self.names or self.extra_allowed:
                continue
            if self.open_features and available is None:
                continue
            if self.open_features and name in features:
                if dtype != features[name]:
                    out.append(
                        f"{self.name}: feature column {name} is {dtype}, the feature pass makes {features[name]}"
                    )
                continue
            out.append(f"{self.name}: column {name} is not declared")
        return out

    def check(self, frame: pl.DataFrame | pl.LazyFrame, available: Mapping[str, tuple[str, ...]] | None = None) -> None:
        found = self.problems(frame, available)
        if found:
            raise FrameError("; ".join(found))


def _feature_dtypes(available: Mapping[str, tuple[str, ...]]) -> dict[str, pl.DataType]:
    return {f"{c}_{s}": STAT_DTYPES[s]() for c, stats in available.items() for s in stats}


_KIND_DTYPES: dict[str, pl.DataType] = {
    "nhs_number": pl.String(),
    "string": pl.String(),
    "enum": pl.String(),
    "needs": pl.String(),
    "date": pl.Date(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
}


def _patient_columns() -> tuple[Col, ...]:
    from longerlives.extract.schemas import PATIENTS as PATIENTS_TABLE

    return tuple(Col(c.name, _KIND_DTYPES[c.kind], c.description) for c in PATIENTS_TABLE.columns)


_STR, _DATE, _INT, _FLOAT, _BOOL = pl.String(), pl.Date(), pl.Int64(), pl.Float64(), pl.Boolean()

FLAGS = FrameSchema(
    "flags",
    (
        Col("nhs_number", _STR),
        Col("flag", _STR, "a flag id of run-outputs-v2.md"),
        Col("since", _DATE, "the day the gap began (empty for outreach.marginalised)"),
        Col("reason", _STR, "plain-English reason naming the evidence"),
        Col("urgency", _STR, "same_day, soon or routine"),
    ),
)
# flags.csv (run-outputs-v2.md): the flags with the person's practice and core team.
FLAGS_CSV = FrameSchema(
    "flags.csv", (*FLAGS.columns[:1], Col("practice_code", _STR), Col("core_team", _STR), *FLAGS.columns[1:])
)

# The features stage: one row per valid patient (patients.csv of the extract, plus these,
# plus every <concept>_<stat> feature column).
FEATURE_PEOPLE = FrameSchema(
    "features",
    (
        *_patient_columns(),
        Col("age", _INT, "whole years on the as-of date"),
        Col("systolic_bp_sd_5y", _FLOAT, "SD of systolic readings in the look-back (QRISK3 sbps5)"),
        Col("planned_contacts_12m", _INT),
        Col("last_planned_contact_date", _DATE),
        Col("crisis_contacts_12m", _INT),
        Col("dna_12m", _INT),
        Col("out_of_scope_reason", _STR),
        Col("in_remission", _BOOL),
        Col("in_scope", _BOOL),
        Col("health_check_cohort", _BOOL),
        Col("qof_mh_register", _BOOL),
        Col("ecg_cohort", _BOOL),
        Col("ecg_cohort_reason", _STR),
    ),
    open_features=True,
)

RISK_SCORES = FrameSchema(
    "risk scores",
    (
        Col("nhs_number", _STR),
        Col("qrisk3", _FLOAT, "QRISK3-2017 10-year risk, percent (ClinRisk disclaimer wherever shown)"),
        Col("qrisk3_missing", _STR, "inputs missing, ';'-joined (score withheld)"),
        Col("qrisk3_townsend_imputed", _BOOL),
        Col("qdiabetes", _FLOAT, "QDiabetes-2018 10-year risk, percent"),
        Col("qdiabetes_model", _STR, "A, B or C"),
        Col("qdiabetes_missing", _STR),
    ),
)

_PHC_ELEMENTS = ("bmi", "blood_pressure", "lipids", "glucose", "alcohol", "smoking")
HEALTH_CHECK_COLUMNS: tuple[Col, ...] = (
    *(Col(f"phc_{e}_{what}", _DATE) for e in _PHC_ELEMENTS for what in ("last", "declined_last")),
    *(Col(f"phc_{e}_{what}", _BOOL) for what in ("done", "declined") for e in _PHC_ELEMENTS),
    Col("phc_elements_done", _INT, "health-check elements done in 12 months (0-6)"),
    Col("phc_last_any", _DATE),
)
RULES_PEOPLE = FrameSchema(
    "rules people", (*FEATURE_PEOPLE.columns, *RISK_SCORES.columns[1:], *HEALTH_CHECK_COLUMNS), open_features=True
)

OUTREACH_COLUMNS: tuple[Col, ...] = (
    Col("marginalisation_score", _FLOAT),
    Col("marginalisation_rank", _INT, "1 = most marginalised, within the health-check cohort"),
    Col("outreach", _BOOL),
    Col("outreach_strict", _BOOL, "the strict Longer Lives definition"),
    Col("outreach_reasons", _STR),
)
MEASURE_COLUMNS: tuple[Col, ...] = (
    Col("safety_items", _STR, "open safety.* reasons, most urgent first, '; '-joined"),
    Col("current_smoker", _BOOL),
    Col("screening_cervical_status", _STR),
    Col("screening_breast_status", _STR),
    Col("screening_bowel_status", _STR),
)
OUTREACH_PEOPLE = FrameSchema(
    "outreach people", (*RULES_PEOPLE.columns, *MEASURE_COLUMNS, *OUTREACH_COLUMNS), open_features=True
)

PLANS = FrameSchema(
    "plans",
    (
        Col("nhs_number", _STR),
        Col("practice_code", _STR),
        Col("core_team", _STR),
        Col("urgency", _STR, "the person's most urgent open flag"),
        Col("has_safety", _BOOL),
        Col("safety", pl.List(_STR), "safety actions, most urgent first"),
        Col("flags", pl.List(_STR)),
        Col("actions", pl.List(_STR), "ordered engagement-plan actions"),
        Col("lead", _STR),
        Col("lead_why", _STR),
        Col("channel", _STR),
        Col("manual_needs", _STR),
        Col("reasonable_adjustments", pl.List(_STR)),
        Col("language", _STR),
        Col("interpreter_required", _BOOL),
        Col("outreach", _BOOL),
        Col("outreach_strict", _BOOL),
        Col("marginalisation_rank", _INT),
        Col("marginalisation_score", _FLOAT),
        Col("outreach_reasons", _STR),
    ),
)


def _pick(schema: FrameSchema, names: tuple[str, ...], name: str) -> FrameSchema:
    by_name = {c.name: c for c in schema.columns}
    return FrameSchema(name, tuple(by_name[n] for n in names))


# patients.csv (run-outputs-v2.md "Columns (at least)"), then the extra columns it carries when present.
PATIENTS_CSV = _pick(
    OUTREACH_PEOPLE,
    (
        "nhs_number",
        "practice_code",
        "core_team",
        "age",
        "sex",
        "ethnic_category",
        "imd_decile",
        "qof_mh_register",
        "health_check_cohort",
        "phc_elements_done",
        "qrisk3",
        "qrisk3_missing",
        "qdiabetes",
        "qdiabetes_model",
        "marginalisation_score",
        "marginalisation_rank",
        "outreach",
        "outreach_strict",
        "outreach_reasons",
    ),
    "patients.csv",
)
