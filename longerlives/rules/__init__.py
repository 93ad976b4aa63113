"""The rule registry: one module per flag id, listed explicitly and in order.

``evaluate_all`` runs every registered rule over the per-person features and
returns the open flags sorted by NHS number then flag id.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import polars as pl
from pydantic import BaseModel, ValidationError

from longerlives.columnwise import sorted_by
from longerlives.errors import CodelistError, ConfigError
from longerlives.frames import FeatureRef, check_features, feature
from longerlives.rules._helpers import with_optional_concepts
from longerlives.rules._spec import FLAG_COLUMNS, FLAG_SCHEMA, Rule, RuleSpec
from longerlives.settings.rules import RulesSettings

RULE_MODULES = (
    "ecg_annual",
    "followup_alcohol",
    "followup_blood_pressure",
    "followup_bmi",
    "followup_hba1c",
    "followup_hypertension_control",
    "lithium_monitoring",
    "phc_alcohol",
    "phc_blood_pressure",
    "phc_bmi",
    "phc_glucose",
    "phc_lipids",
    "phc_smoking",
    "risk_qdiabetes",
    "risk_qrisk3",
    "safety_bp_severe",
    "safety_diabetes_range_undiagnosed",
    "safety_screening_abnormal",
    "safety_usc_not_attended",
    "screening_bowel",
    "screening_breast",
    "screening_cervical",
    "smoking_cessation_offer",
    "statin_indicated",
)
# Modules in this package that are not rules (shared shapes and helpers).
NOT_RULES = (
    "annual_health_check",
    "catalogue",
)  # _statin_groups, _screening, _helpers are private (leading underscore)


def _load(name: str) -> Rule:
    mod = importlib.import_module(f"longerlives.rules.{name}")
    return Rule(spec=mod.RULE, evaluate=mod.evaluate, module=name)


REGISTRY: tuple[Rule, ...] = tuple(_load(n) for n in RULE_MODULES)


def rule_params(settings: RulesSettings, rules: Iterable[Rule] | None = None) -> dict[str, BaseModel]:
    """Every rule's typed parameters from its ``["<flag id>"]`` table (ConfigError when bad)."""
    out: dict[str, BaseModel] = {}
    for rule in REGISTRY if rules is None else rules:
        model = rule.spec.params
        if model is None:
            continue
        try:
            out[rule.spec.id] = settings.params(rule.spec.id, model)
        except ValidationError as exc:
            problems = "; ".join(f"`{'.'.join(str(p) for p in e['loc'])}`: {e['msg']}" for e in exc.errors())
            raise ConfigError(f'config: rules table ["{rule.spec.id}"]: {problems}') from None
    return out


def check_settings(settings: RulesSettings) -> None:
    """Reject a rules configuration the registry cannot use, before anything runs: a table
    for a flag id no rule has, a rule without its table, or a table that does not fit the
    rule's parameters."""
    known = {r.spec.id: r for r in REGISTRY}
    unknown = sorted(set(settings.rule_tables()) - set(known))
    if unknown:
        raise ConfigError(
            f"config: rules table(s) for unknown flag id(s): {', '.join(unknown)}; "
            f"known rules: {', '.join(sorted(known))}"
        )
    for rule_id, table in settings.rule_tables().items():
        if known[rule_id].spec.params is None:
            raise ConfigError(f'config: rule {rule_id} takes no parameters, but a table ["{rule_id}"] is given')
        if not isinstance(table, dict):
            raise ConfigError(f'config: ["{rule_id}"] must be a table')
    rule_params(settings)


def _params_concepts(settings: RulesSettings, optional: bool) -> set[str]:
    out: set[str] = set()
    for prm in rule_params(settings).values():
        fn = getattr(prm, "optional_concepts" if optional else "concepts_used", None)
        if fn is not None:
            out.update(fn())
    return out


def needed_concepts(settings: RulesSettings) -> set[str]:
    """Every concept the registered rules and their settings read."""
    out = set(settings.concepts_used()) | _params_concepts(settings, optional=False)
    for rule in REGISTRY:
        out.update(rule.spec.codelists)
    return out


def optional_concepts(settings: RulesSettings) -> set[str]:
    """Concepts that only silence or annotate a flag: with no code list they count as never recorded."""
    return settings.optional_concepts() | _params_concepts(settings, optional=True)


def declared_features(settings: RulesSettings) -> dict[str, tuple[FeatureRef, ...]]:
    """Who reads which feature columns: each rule ("rule <id>": its ``features``, plus
    ``<c>_last_date`` of its code lists and of the concepts its parameters name) and the
    shared ``[rules]`` settings (health-check elements, declines, diabetes, hypertension)."""
    params = rule_params(settings)
    out: dict[str, tuple[FeatureRef, ...]] = {}
    for rule in REGISTRY:
        concepts = set(rule.spec.codelists)
        prm = params.get(rule.spec.id)
        for method in ("concepts_used", "optional_concepts"):
            fn = getattr(prm, method, None)
            if fn is not None:
                concepts.update(fn())
        from_params = getattr(prm, "features_used", None)  # columns a parameter names beyond <c>_last_date
        extra: tuple[FeatureRef, ...] = from_params() if from_params is not None else ()
        refs = (*rule.spec.features, *extra, *(feature(c, "last_date") for c in sorted(concepts)))
        out[f"rule {rule.spec.id}"] = refs
    shared = set(settings.concepts_used()) | set(settings.optional_concepts())
    shared.update(c for cs in settings.phc_elements.values() for c in cs)  # BP pairs by setting included
    out["config/rules.toml shared settings"] = tuple(feature(c, "last_date") for c in sorted(shared))
    return out


def check_declared_features(settings: RulesSettings, available: dict[str, tuple[str, ...]]) -> None:
    """Every feature a rule reads exists for the loaded code lists (``FeatureError`` naming the rule)."""
    for owner, refs in declared_features(settings).items():
        check_features(owner, refs, available)


def _check_columns(people: pl.LazyFrame, settings: RulesSettings) -> None:
    """Fail with a plain message (not a Polars column error) when a code list is missing."""
    present = set(people.collect_schema().names())
    required = needed_concepts(settings) - optional_concepts(settings)
    missing = sorted(c for c in required if feature(c, "last_date").name not in present)
    if missing:
        raise CodelistError(
            f"the rules need code lists that are not loaded: {', '.join(missing)} "
            "(add them to config/codelists/manifest.toml, or change config/rules.toml)"
        )


def evaluate_all(
    people: pl.LazyFrame, as_of: date, settings: RulesSettings, rules: Iterable[Rule] | None = None
) -> pl.DataFrame:
    """Every rule (or just ``rules``) over everyone; people out of scope never get a flag."""
    _check_columns(people, settings)
    people = with_optional_concepts(people, optional_concepts(settings))
    in_scope = people.filter(pl.col("in_scope"))
    frames = []
    for rule in REGISTRY if rules is None else rules:
        frame = rule.evaluate(in_scope, as_of, settings)
        if "urgency" not in frame.collect_schema().names():  # the rule's declared urgency
            frame = frame.with_columns(pl.lit(rule.spec.urgency).alias("urgency"))
        frames.append(frame.select(FLAG_COLUMNS))
    if not frames:
        return pl.DataFrame(schema=FLAG_SCHEMA)
    out = pl.concat(pl.collect_all(frames), how="vertical_relaxed").select(FLAG_COLUMNS).cast(FLAG_SCHEMA)
    return sorted_by(out, ["nhs_number", "flag"])  # a column at a time (columnwise.py; issue 16)


@dataclass(frozen=True)
class Evaluated:
    """The rules stage's result: people with the health-check columns added, and every
    open flag (FLAG_SCHEMA, ``safety.*`` flags included), sorted by NHS number then flag."""

    people: pl.DataFrame
    flags: pl.DataFrame


def evaluate(people: pl.DataFrame, as_of: date, settings: RulesSettings) -> Evaluated:
    """The rules stage: health-check columns, then every registered rule."""
    from longerlives.rules.annual_health_check import add_health_check_columns

    people = add_health_check_columns(people, as_of, settings)
    return Evaluated(people, evaluate_all(people.lazy(), as_of, settings))


def safety_items(flags: pl.DataFrame) -> pl.DataFrame:
    """``nhs_number, safety_items``: each person's open ``safety.*`` reasons, most urgent first,
    joined by "; " (a readable column for patients.csv; plans read the flags themselves)."""
    from longerlives.rules._spec import URGENCY_ORDER

    safety = flags.filter(pl.col("flag").str.starts_with("safety."))
    return (
        safety.with_columns(pl.col("urgency").replace_strict(URGENCY_ORDER, return_dtype=pl.Int8).alias("_u"))
        .sort("nhs_number", "_u", "flag")
        .group_by("nhs_number", maintain_order=True)
        .agg(pl.col("reason").str.join("; ").alias("safety_items"))
    )


def rule_by_id(flag_id: str) -> Rule:
    for rule in REGISTRY:
        if rule.spec.id == flag_id:
            return rule
    raise KeyError(f"no rule with id {flag_id!r}")


__all__ = [
    "Evaluated",
    "evaluate",
    "safety_items",
    "check_settings",
    "check_declared_features",
    "declared_features",
    "rule_params",
    "optional_concepts",
    "FLAG_COLUMNS",
    "FLAG_SCHEMA",
    "NOT_RULES",
    "REGISTRY",
    "RULE_MODULES",
    "Rule",
    "RuleSpec",
    "evaluate_all",
    "needed_concepts",
    "rule_by_id",
]
