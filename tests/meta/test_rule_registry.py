"""The rule registry is complete, its metadata is governance-grade, and docs/rules.md is current."""

from __future__ import annotations

import re
import warnings
from datetime import date
from pathlib import Path

import pytest

from longerlives.codelists import load_codelists
from longerlives.rules import NOT_RULES, REGISTRY, RULE_MODULES, needed_concepts, optional_concepts
from longerlives.rules.catalogue import render
from longerlives.settings import load_settings
from tests.shared_refs import CONTRACT_V2

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "longerlives" / "rules"
CONTRACT = CONTRACT_V2
REVIEW_CHECK_DATE = date(2026, 12, 1)  # fixed, so the suite does not depend on the clock

# run-outputs-v2.md flag table, minus outreach.marginalised (set by the outreach stage).
CONTRACT_FLAGS = {
    "phc.bmi",
    "phc.blood_pressure",
    "phc.lipids",
    "phc.glucose",
    "phc.alcohol",
    "phc.smoking",
    "ecg.annual",
    "screening.cervical",
    "screening.breast",
    "screening.bowel",
    "smoking.cessation_offer",
    "risk.qrisk3",
    "risk.qdiabetes",
    "followup.blood_pressure",
    "followup.bmi",
    "followup.hba1c",
    "followup.alcohol",
    "followup.hypertension_control",
    "statin.indicated",
    "lithium.monitoring",
    "safety.bp_severe",
    "safety.diabetes_range_undiagnosed",
    "safety.usc_not_attended",
    "safety.screening_abnormal",
}
# v2 flags not built yet (issue 11): this set may only shrink — it is now empty.
NOT_YET_BUILT: set[str] = set()
IDS = [r.spec.id for r in REGISTRY]


def rule_module_files() -> set[str]:
    return {p.stem for p in RULES_DIR.glob("*.py") if not p.stem.startswith("_") and p.stem not in NOT_RULES}


def test_every_rule_module_is_registered_and_every_registered_module_exists():
    assert set(RULE_MODULES) == rule_module_files()
    assert list(RULE_MODULES) == sorted(RULE_MODULES)


def test_rule_ids_are_unique_and_match_the_contract_flag_list():
    assert len(IDS) == len(set(IDS))
    assert set(IDS) == CONTRACT_FLAGS


def test_contract_table_lists_exactly_these_flags_plus_outreach_and_the_ones_not_yet_built():
    table = set(re.findall(r"^\| `([a-z0-9_]+\.[a-z0-9_]+)` \|", CONTRACT.read_text(encoding="utf-8"), re.M))
    assert table == CONTRACT_FLAGS | {"outreach.marginalised"} | NOT_YET_BUILT
    assert not (NOT_YET_BUILT & set(IDS)), "a built flag is still listed as not yet built"


@pytest.mark.parametrize("rule", REGISTRY, ids=IDS)
def test_module_is_named_after_its_flag_id(rule):
    assert rule.module == rule.spec.id.replace(".", "_")


@pytest.mark.parametrize("rule", REGISTRY, ids=IDS)
def test_metadata_is_complete_and_review_is_not_overdue(rule):
    s = rule.spec
    for name in ("title", "why_it_matters", "source", "reviewed_by"):
        assert getattr(s, name).strip(), f"{s.id}: {name} is blank"
    assert "http" in s.source, f"{s.id}: source needs a URL"
    assert s.windows and all(v.strip() for v in s.windows.values())
    assert s.codelists
    assert s.last_reviewed <= REVIEW_CHECK_DATE < s.next_review


@pytest.mark.parametrize("rule", REGISTRY, ids=IDS)
def test_every_rule_has_a_test_module(rule):
    assert (ROOT / "tests" / "rules" / f"test_{rule.module}.py").exists()


@pytest.mark.parametrize("rule", REGISTRY, ids=IDS)
def test_settings_keys_named_by_a_rule_exist(rule):
    settings = load_settings().model_dump()
    for key in rule.spec.settings_keys:
        area, path = ("features", key.split(".")[1:]) if key.startswith("features.") else ("rules", key.split("."))
        value = settings[area]
        for part in path:
            assert part in value, f"{rule.spec.id}: setting {key} does not exist"
            value = value[part]


@pytest.mark.parametrize(
    "module", sorted(rule_module_files() | {"_helpers", "_phc", "_screening", "_screening_params"})
)
def test_rule_code_is_small_and_has_no_clock_or_io(module):
    text = (RULES_DIR / f"{module}.py").read_text(encoding="utf-8")
    assert len(text.splitlines()) < 150
    for banned in (
        "date.today",
        "datetime.now",
        "open(",
        "read_csv",
        "scan_csv",
        "print(",
        "map_elements",
        "iter_rows",
    ):
        assert banned not in text, f"{module}: {banned}"


def test_every_required_concept_the_rules_read_has_a_code_list():
    settings = load_settings().rules
    available = set(load_codelists())
    missing = sorted(needed_concepts(settings) - optional_concepts(settings) - available)
    assert not missing, f"no code list in config/codelists for: {', '.join(missing)}"
    pending = sorted(optional_concepts(settings) - available)
    if pending:
        warnings.warn(f"optional concepts with no code list yet (treated as never recorded): {', '.join(pending)}")


def test_docs_rules_md_is_current():
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") if (ROOT / "docs" / "rules.md").exists() else ""
    assert current == render(), "docs/rules.md is out of date: run .venv/bin/python -m longerlives.rules.catalogue"


# -- one rule, one place: everything about a flag is declared by its module ---------------
SHIPPED_LANGUAGES = sorted(p.name for p in (ROOT / "templates" / "letters").iterdir() if (p / "_words.j2").exists())


def _patient_words(language: str) -> dict:
    from jinja2 import Environment, FileSystemLoader

    env = Environment(loader=FileSystemLoader(str(ROOT / "templates" / "letters")))
    return dict(env.get_template(f"{language}/_words.j2").module.ITEMS)


@pytest.mark.parametrize("rule", REGISTRY, ids=IDS)
def test_every_rule_declares_its_plan_group_order_and_clinician_words(rule):
    from longerlives.rules._spec import PLAN_GROUPS

    s = rule.spec
    assert s.plan_group in PLAN_GROUPS
    assert s.plan_words.strip(), f"{s.id}: no plan wording; it would drop out of plans and letters"
    assert s.urgency in ("same_day", "soon", "routine")
    same_slot = [r.spec.id for r in REGISTRY if (r.spec.plan_group, r.spec.plan_order) == (s.plan_group, s.plan_order)]
    assert same_slot == [s.id], f"plan order {s.plan_group} #{s.plan_order} shared by {same_slot}"


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
@pytest.mark.parametrize("rule", REGISTRY, ids=IDS)
def test_every_rule_has_patient_wording_in_every_shipped_language(rule, language):
    items = _patient_words(language)
    assert rule.spec.words_key in items, f"{rule.spec.id}: no patient wording in templates/letters/{language}/_words.j2"
    what, why = items[rule.spec.words_key]
    assert what.strip() and why.strip()


def test_every_flag_in_plans_and_letters_comes_from_the_registry():
    from longerlives.outreach.items import FLAG_ITEMS

    assert set(FLAG_ITEMS) == {r.spec.id for r in REGISTRY if r.spec.plan_group != "safety"}


@pytest.mark.parametrize("rule", REGISTRY, ids=IDS)
def test_every_rule_with_parameters_has_its_table_and_every_table_has_its_rule(rule):
    from longerlives.rules import check_settings

    rules = load_settings().rules
    check_settings(rules)  # unknown tables and tables that do not fit raise ConfigError
    assert (rule.spec.id in rules.rule_tables()) == (rule.spec.params is not None)
    if rule.spec.params is not None:
        assert rules.rule_tables()[rule.spec.id].get("source", "").strip(), f"{rule.spec.id}: table without a source"
        assert (
            "VERIFY" in rules.rule_tables()[rule.spec.id]["source"]
            or "http" in rules.rule_tables()[rule.spec.id]["source"]
            or "domain.md" in rules.rule_tables()[rule.spec.id]["source"]
        )


def test_a_rules_table_for_an_unknown_flag_or_with_a_bad_value_stops_the_run_with_a_clear_message(tmp_path):
    from longerlives.errors import ConfigError
    from longerlives.rules import check_settings

    bad = tmp_path / "bad.toml"
    bad.write_text('[rules."risk.qrisk5"]\nthreshold_percent = 10\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown flag id.*risk.qrisk5"):
        check_settings(load_settings(bad).rules)
    bad.write_text('[rules."risk.qrisk3"]\nthreshold_percent = 150\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r'\["risk.qrisk3"\].*threshold_percent'):
        check_settings(load_settings(bad).rules)


def test_a_user_config_can_change_one_rules_threshold_and_nothing_else(tmp_path):
    from longerlives.rules.risk_qrisk3 import Params

    user = tmp_path / "local.toml"
    user.write_text('[rules."risk.qrisk3"]\nthreshold_percent = 15\n', encoding="utf-8")
    changed, default = load_settings(user).rules, load_settings().rules
    assert changed.params("risk.qrisk3", Params).threshold_percent == 15
    assert (
        changed.params("risk.qrisk3", Params).treatment_months == default.params("risk.qrisk3", Params).treatment_months
    )
