"""Feature columns are named through ``frames.feature`` and checked when the pipeline is
assembled: a misspelt concept stops a run before any data is read, naming who reads it."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from longerlives import pipeline, risk, rules
from longerlives.codelists import load_codelists, load_pending
from longerlives.errors import EXIT_CONFIG
from longerlives.extract import read_extract, validate_extract
from longerlives.features import build_features
from longerlives.frames import FeatureError, available_stats, check_features, feature
from longerlives.rules import REGISTRY, declared_features, rule_by_id
from longerlives.rules.annual_health_check import add_health_check_columns
from longerlives.settings import load_settings
from longerlives.synth import generate

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("rules", "risk", "outreach")
# A hand-built feature column name: an f-string or literal ending in a stat the feature pass makes.
HAND_BUILT = re.compile(
    r"""["'][a-z0-9_{}]*_(first_date|last_date|n_12m|last_value|last_value_date|last_systolic|"""
    r"""last_diastolic|last_attended|last_dna)["']"""
)


def _misspelt(rule_id: str, concept: str, stat: str) -> rules.Rule:
    rule = rule_by_id(rule_id)
    spec = dataclasses.replace(rule.spec, features=(*rule.spec.features, feature(concept, stat)))
    return dataclasses.replace(rule, spec=spec)


def test_a_misspelt_concept_in_a_rule_stops_the_run_before_the_extract_is_read(tmp_path, monkeypatch):
    bad = _misspelt("followup.bmi", "bmii", "last_value")
    monkeypatch.setattr(rules, "REGISTRY", tuple(bad if r.spec.id == "followup.bmi" else r for r in REGISTRY))
    missing_extract = tmp_path / "no-extract-here"  # reading it would fail with a different error
    with pytest.raises(FeatureError) as caught:
        pipeline.run(missing_extract, tmp_path / "out", date(2026, 11, 1), db_url=f"sqlite:///{tmp_path / 'r.db'}")
    message = str(caught.value)
    assert "rule followup.bmi" in message
    assert "'bmii'" in message and "bmii_last_value" in message
    assert "did you mean 'bmi'?" in message
    assert caught.value.exit_code == EXIT_CONFIG
    assert not (tmp_path / "out").exists()


def test_a_stat_the_feature_pass_never_makes_fails_when_the_reference_is_written():
    with pytest.raises(FeatureError, match=r"unknown stat 'last_valu'.*did you mean 'last_value'"):
        feature("bmi", "last_valu")


def test_a_value_of_a_concept_recorded_without_values_is_rejected_by_name():
    available = available_stats(load_codelists(), load_pending())
    with pytest.raises(FeatureError, match=r"rule ecg\.annual reads feature ecg_last_value: .*only first_date"):
        check_features("rule ecg.annual", [feature("ecg", "last_value")], available)


def test_a_misspelt_concept_in_the_outreach_settings_is_named(monkeypatch):
    settings = load_settings()
    inclusion = settings.outreach.inclusion.model_copy(update={"multimorbidity_concepts": ("hypertensoin",)})
    bad = settings.model_copy(update={"outreach": settings.outreach.model_copy(update={"inclusion": inclusion})})
    with pytest.raises(FeatureError, match=r"outreach reads feature hypertensoin_last_date.*'hypertension'"):
        pipeline.check_features(bad, load_codelists())


def test_every_declared_feature_exists_for_the_shipped_code_lists():
    pipeline.check_features(load_settings(), load_codelists())  # raises naming the reader otherwise


def test_every_rule_declares_the_features_it_reads(tmp_path):
    """Each rule runs on a features frame holding only the feature columns it declares
    (plus the shared settings' and every non-feature column): an undeclared read fails."""
    as_of = date(2026, 11, 1)
    settings = load_settings()
    available = available_stats(load_codelists(), load_pending())
    feature_names = {f"{c}_{s}" for c, stats in available.items() for s in stats}
    declared = declared_features(settings.rules)
    shared = {ref.name for ref in declared["config/rules.toml shared settings"]}
    people = add_health_check_columns(_small_features(tmp_path, as_of), as_of, settings.rules)
    evaluated = 0
    for rule in REGISTRY:
        own = {ref.name for ref in declared[f"rule {rule.spec.id}"]} | shared
        keep = [c for c in people.columns if c not in feature_names or c in own]
        frame = people.select(keep).lazy().filter(pl.col("in_scope"))
        rule.evaluate(frame, as_of, settings.rules).collect()  # ColumnNotFoundError names an undeclared read
        evaluated += 1
    assert evaluated == len(REGISTRY)


def _small_features(tmp_path: Path, as_of: date) -> pl.DataFrame:
    """A 200-person synthetic extract through validation, features and risk scores."""
    folder = tmp_path / "extract"
    generate(200, 3, folder, "csv", 0.0, as_of)
    settings, codelists = load_settings(), load_codelists()
    extract = validate_extract(
        read_extract(folder), as_of=as_of, settings=settings.extract, codelists=codelists, work_dir=tmp_path / "w"
    )
    people = build_features(extract, codelists, as_of, settings.features).people
    return people.join(risk.score(people, as_of, settings.risk).scores, on="nhs_number", how="left")


@pytest.mark.parametrize("folder", SOURCE_DIRS)
def test_no_feature_column_name_is_spelt_by_hand(folder):
    offenders = []
    for path in sorted((ROOT / "longerlives" / folder).glob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if HAND_BUILT.search(line) and "feature(" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == [], "use longerlives.frames.feature(concept, stat):\n" + "\n".join(offenders)
