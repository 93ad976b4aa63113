"""The rule registry: one module per flag id, listed explicitly and in order.

``evaluate_all`` runs every registered rule over the per-person features and
returns the open flags sorted by NHS number then flag id.
"""

from __future__ import annotations

import importlib
from datetime import date

import polars as pl

from longerlives.rules._spec import FLAG_COLUMNS, FLAG_SCHEMA, Rule, RuleSpec
from longerlives.settings.rules import RulesSettings

RULE_MODULES = (
    "phc_blood_pressure",
)


def _load(name: str) -> Rule:
    mod = importlib.import_module(f"longerlives.rules.{name}")
    return Rule(spec=mod.RULE, evaluate=mod.evaluate, module=name)


REGISTRY: tuple[Rule, ...] = tuple(_load(n) for n in RULE_MODULES)


def evaluate_all(people: pl.LazyFrame, as_of: date, settings: RulesSettings) -> pl.DataFrame:
    """Every rule over everyone; people out of scope never get a flag."""
    in_scope = people.filter(pl.col("in_scope"))
    frames = [rule.evaluate(in_scope, as_of, settings) for rule in REGISTRY]
    if not frames:
        return pl.DataFrame(schema=FLAG_SCHEMA)
    out = pl.concat(pl.collect_all(frames), how="vertical_relaxed")
    return out.select(FLAG_COLUMNS).cast(FLAG_SCHEMA).sort("nhs_number", "flag")


__all__ = ["FLAG_COLUMNS", "FLAG_SCHEMA", "REGISTRY", "RULE_MODULES", "Rule", "RuleSpec", "evaluate_all"]
