"""What every rule declares about itself, and the shape of what it returns.

A rule module exports ``RULE`` (a frozen ``RuleSpec``) and ``evaluate(people,
as_of, settings)`` — a pure function from the per-person features (a LazyFrame,
one row per valid patient, see ``longerlives/features.py``) to open flags. No I/O,
no clock, no logging inside a rule: the as-of date always arrives as an argument.

``RULE`` declares everything about the flag, so a rule lives in one place: what a
clinician calls it, why it matters, its sources, windows and code lists, how urgent
it is, where it sits in an engagement plan and the words the plan uses, the key of
its patient wording in every language's ``templates/letters/<lang>/_words.j2``, and
its own typed parameters (``params``: a pydantic model read from the
``["<flag id>"]`` table of ``config/rules.toml``; ``RulesSettings.params`` returns
them), and the feature columns it reads (``features``: ``frames.feature`` references,
checked against the loaded code lists before any data is read). Meta-tests (tests/meta/test_rule_registry.py) fail when any of these is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import polars as pl
from pydantic import BaseModel

from longerlives.frames import FLAGS, FeatureRef

FLAG_COLUMNS = FLAGS.names  # declared once: longerlives/frames.py
FLAG_SCHEMA = FLAGS.polars_schema
URGENCY_ORDER = {"same_day": 0, "soon": 1, "routine": 2}  # most urgent first


Urgency = Literal["same_day", "soon", "routine"]
PlanGroup = Literal["safety", "appointment", "screening", "lifestyle"]
PLAN_GROUPS: tuple[PlanGroup, ...] = ("safety", "appointment", "screening", "lifestyle")
URGENCIES: tuple[Urgency, ...] = ("same_day", "soon", "routine")


@dataclass(frozen=True)
class RuleSpec:
    id: str  # the flag id in run-outputs-v2.md, e.g. "phc.blood_pressure"
    title: str  # what a clinician calls it
    why_it_matters: str
    source: str  # guideline / QOF rule / contract section, with URL
    windows: dict[str, str]  # name -> plain description, e.g. {"look-back": "12 months"}
    codelists: tuple[str, ...]  # concepts read (via features)
    last_reviewed: date
    next_review: date
    plan_group: PlanGroup  # where the action sits in an engagement plan
    plan_order: int  # order within the group (1 first)
    plan_words: str  # what the plan asks a clinician to do, e.g. "12-lead ECG"
    urgency: Urgency = "routine"  # the flag's urgency unless the rule sets one per row
    patient_words: str = ""  # key of the patient wording in _words.j2 ITEMS ("" = the flag id)
    params: type[BaseModel] | None = None  # the rule's own typed parameters, ["<id>"] in config/rules.toml
    reviewed_by: str = "longerlives founding engineers (clinical sign-off pending)"
    settings_keys: tuple[str, ...] = field(default_factory=tuple)  # shared [rules] keys the rule also reads
    # Feature columns read by name (``frames.feature``) beyond ``<c>_last_date`` of ``codelists``;
    # checked against the loaded code lists when the pipeline is assembled (rules.declared_features).
    features: tuple[FeatureRef, ...] = ()

    @property
    def words_key(self) -> str:
        """The key of this flag's patient wording in every language's ``_words.j2``."""
        return self.patient_words or self.id


@dataclass(frozen=True)
class Rule:
    spec: RuleSpec
    evaluate: Callable[..., pl.LazyFrame]
    module: str


def flags(
    frame: pl.LazyFrame, flag_id: str, since: pl.Expr, reason: pl.Expr, urgency: pl.Expr | None = None
) -> pl.LazyFrame:
    """Shape rows already filtered to people with the gap into flag rows. Without ``urgency``
    the registry gives every row the rule's declared ``RULE.urgency``."""
    cols = [
        pl.col("nhs_number"),
        pl.lit(flag_id).alias("flag"),
        since.cast(pl.Date).alias("since"),
        reason.cast(pl.String).alias("reason"),
    ]
    if urgency is not None:
        cols.append(urgency.cast(pl.String).alias("urgency"))
    return frame.select(cols)
