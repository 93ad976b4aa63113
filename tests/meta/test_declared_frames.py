"""Each stage's output frame matches its declaration in ``longerlives/frames.py`` (names and
dtypes declared once), on a small synthetic extract run through the real stages; and the
contract column lists of flags.csv and patients.csv are those declarations."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
import pytest

from longerlives import frames, outreach, risk, rules
from longerlives.codelists import load_codelists, load_pending
from longerlives.extract import read_extract, validate_extract
from longerlives.features import build_features
from longerlives.outputs.core import flags_with_practice
from longerlives.report.measures import add_measure_columns
from longerlives.settings import load_settings
from longerlives.synth import generate
from tests.shared_refs import CONTRACT_V2

AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def stages(tmp_path_factory):
    """The stage results for 300 synthetic people (the pipeline's own order, no store)."""
    tmp = tmp_path_factory.mktemp("frames")
    generate(300, 5, tmp / "extract", "csv", 0.01, AS_OF)
    settings, codelists = load_settings(), load_codelists()
    extract = validate_extract(
        read_extract(tmp / "extract"), as_of=AS_OF, settings=settings.extract, codelists=codelists, work_dir=tmp / "w"
    )
    features = build_features(extract, codelists, AS_OF, settings.features).people
    scores = risk.score(features, AS_OF, settings.risk).scores
    evaluated = rules.evaluate(features.join(scores, on="nhs_number", how="left"), AS_OF, settings.rules)
    people = evaluated.people.join(rules.safety_items(evaluated.flags), on="nhs_number", how="left")
    people = add_measure_columns(people, AS_OF, settings.rules)
    reached = outreach.rank_and_plan(people, evaluated.flags, AS_OF, settings.outreach, contacts_known=True)
    return {
        "available": frames.available_stats(codelists, load_pending()),
        "features": features,
        "scores": scores,
        "evaluated": evaluated,
        "reached": reached,
    }


def test_the_features_stage_gives_the_declared_per_person_frame(stages):
    people = stages["features"]
    assert frames.FEATURE_PEOPLE.problems(people, stages["available"]) == []
    feature_columns = [c for c in people.columns if c not in frames.FEATURE_PEOPLE.names]
    assert len(feature_columns) > 100  # every concept's columns are there, checked by dtype above


def test_the_risk_stage_gives_the_declared_scores(stages):
    assert frames.RISK_SCORES.problems(stages["scores"]) == []


def test_the_rules_stage_gives_declared_flags_and_people(stages):
    evaluated = stages["evaluated"]
    assert frames.FLAGS.problems(evaluated.flags) == []
    assert evaluated.flags.height > 0
    assert frames.RULES_PEOPLE.problems(evaluated.people, stages["available"]) == []


def test_the_outreach_stage_gives_declared_people_flags_and_plans(stages):
    reached = stages["reached"]
    assert frames.OUTREACH_PEOPLE.problems(reached.people, stages["available"]) == []
    assert frames.FLAGS.problems(reached.flags) == []
    assert frames.PLANS.problems(reached.plans) == []
    assert reached.plans.height > 0


def test_flags_csv_rows_are_the_declared_contract_columns(stages):
    reached = stages["reached"]
    assert frames.FLAGS_CSV.problems(flags_with_practice(reached.flags, reached.people)) == []


def test_a_column_of_the_wrong_type_is_named():
    bad = frames.FLAGS.empty().with_columns(pl.col("since").cast(pl.String))
    assert frames.FLAGS.problems(bad) == ["flags: column since is String, declared Date"]
    with pytest.raises(frames.FrameError, match="column since is String"):
        frames.FLAGS.check(bad)


def test_an_undeclared_column_is_named():
    extra = frames.FLAGS.empty().with_columns(pl.lit(1).alias("score"))
    assert frames.FLAGS.problems(extra) == ["flags: column score is not declared"]


def _contract_columns(heading: str) -> list[str]:
    text = CONTRACT_V2.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    match = re.search(r"Columns[^:]*:\s*`([^`]+)`", section)
    assert match, heading
    return [c.strip() for c in match.group(1).replace("\n", " ").split(",")]


def test_flags_csv_declaration_is_the_contract_column_list():
    assert list(frames.FLAGS_CSV.names) == _contract_columns("## flags.csv")


def test_patients_csv_declaration_is_the_contract_column_list():
    assert list(frames.PATIENTS_CSV.names) == _contract_columns("## patients.csv")
