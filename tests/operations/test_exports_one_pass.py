"""Issue 16: the exports are built in one pass over every practice's rows (CSV neutralised once,
each Flag's JSON built column-wise for all rows), then cut per practice. What a practice
receives must be exactly what the per-practice reference path writes, byte for byte."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import date

import polars as pl

from longerlives.outputs.csvfile import write_csv
from longerlives.outputs.exports import write_exports
from longerlives.outputs.fhir import bundle_json, check_bundle, entry_texts, plain_bundle
from longerlives.outputs.worklist_snapshot import _plan
from longerlives.settings.operations import OperationsSettings
from tests.operations.conftest import flags_frame

AS_OF = date(2026, 11, 1)
FLAGS = ["phc.bmi", "screening.cervical", "followup.blood_pressure", "safety.bp_severe", "outreach.marginalised"]
AWKWARD = [
    'No BMI "ever" recorded',
    '=HYPERLINK("http://x")',
    "-3",
    "+cmd|' /C calc'!A0",
    "Zoë’s reading\nsecond line",
    "tab\tand back\\slash\x01",
    "",
    None,
    "@SUM(1+1)",
    "Blood pressure 190/100 on 2026-10-30.",
]


def _world(seed: int, n_people: int = 400) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = random.Random(seed)
    practices = ["A81001", "B82002", "C83003", "D84004", "E85005"]
    nhs = [f"{9000000000 + i * 7919:010d}" for i in range(n_people)]
    people = pl.DataFrame(
        {
            "nhs_number": nhs,
            "practice_code": [rng.choice(practices) for _ in nhs],
            "core_team": [rng.choice(["T1", "T2", None]) for _ in nhs],
            "in_scope": [True] * n_people,
        }
    )
    rows = []
    for n in nhs:
        for f in rng.sample(FLAGS, rng.randint(0, 3)):
            urgency = "same_day" if f.startswith("safety.") else rng.choice(["soon", "routine", None])
            since = rng.choice([None, date(2025, rng.randint(1, 12), rng.randint(1, 28))])
            rows.append((n, f, since, rng.choice(AWKWARD), urgency))
    return flags_frame(rows), people


def test_every_practice_export_is_byte_identical_to_the_per_practice_reference(tmp_path):
    flags, people = _world(seed=16)
    ops = OperationsSettings()
    written = write_exports(flags, people, None, tmp_path, AS_OF, ops)
    assert written.rows == flags.height > 0
    rows = flags.join(people.select("nhs_number", "practice_code", "core_team"), on="nhs_number")
    for info in written.practices:
        practice = info["practice_code"]
        folder = tmp_path / "exports" / practice
        mine = (
            rows.filter(pl.col("practice_code") == practice)
            .with_columns(pl.col("urgency").fill_null("routine").replace({"same_day": "0", "soon": "1"}).alias("_u"))
            .with_columns(pl.when(pl.col("_u") == "routine").then(pl.lit("2")).otherwise(pl.col("_u")).alias("_u"))
            .sort("_u", "nhs_number", "flag")
            .select("nhs_number", "practice_code", "core_team", "flag", "since", "reason", "urgency")
        )
        # the CSV as the one CSV writer writes it for this practice alone
        reference_csv = write_csv(mine, tmp_path / "ref" / practice / "flags.csv").read_bytes()
        assert (folder / "flags.csv").read_bytes() == reference_csv
        # the Bundle as the dictionary-per-Flag reference encoder writes it
        reference = bundle_json(plain_bundle(mine, practice, AS_OF, ops.fhir_flag_code_system))
        body = (folder / "bundle.json").read_bytes()
        assert body == reference.encode()
        check_bundle(body.decode())  # fhir.resources R4B models on the whole bundle, every Flag
        assert info["sha256"] == hashlib.sha256(reference_csv + b"\0" + body).hexdigest()
        assert info["rows"] == mine.height


def test_formula_like_reasons_are_neutralised_in_the_csv_but_not_in_the_fhir_text(tmp_path):
    flags, people = _world(seed=3, n_people=60)
    write_exports(flags, people, None, tmp_path, AS_OF, OperationsSettings())
    csv_text = "".join(p.read_text() for p in (tmp_path / "exports").glob("*/flags.csv"))
    assert "'=HYPERLINK" in csv_text and "'@SUM(1+1)" in csv_text and ",-3," in csv_text
    texts = [
        e["resource"]["code"]["text"]
        for p in (tmp_path / "exports").glob("*/bundle.json")
        for e in json.loads(p.read_text()).get("entry", [])
    ]
    assert any(": =HYPERLINK" in t for t in texts)


def test_flag_entries_for_many_practices_at_once_match_each_practice_bundle():
    flags, people = _world(seed=7, n_people=120)
    rows = flags.join(people.select("nhs_number", "practice_code", "core_team"), on="nhs_number")
    code_system = OperationsSettings().fhir_flag_code_system
    entries = entry_texts(rows, AS_OF, code_system).to_list()
    for i, row in enumerate(rows.iter_rows(named=True)):
        one = pl.DataFrame([row], schema=rows.schema)
        reference = json.loads(bundle_json(plain_bundle(one, row["practice_code"], AS_OF, code_system)))
        assert (
            json.dumps(reference["entry"][0], sort_keys=True, ensure_ascii=False, separators=(",", ":")) == entries[i]
        )


def test_plan_steps_for_the_web_app_are_the_json_a_python_encoder_writes():
    actions = [
        ["Offer a blood pressure check", 'Say "why" \\ plainly', "Zoë’s\nline\ttab\x01 😀"],
        [],
        None,
        [None, "x"],
    ]
    plans = pl.DataFrame(
        {"nhs_number": ["9000000009", "9000000017", "9000000025", "9000000033"], "actions": actions},
        schema={"nhs_number": pl.String, "actions": pl.List(pl.String)},
    )
    got = _plan(plans)["plan_json"].to_list()
    assert got == [json.dumps(a or [], ensure_ascii=False) for a in actions]
    assert json.loads(got[0])[2] == "Zoë’s\nline\ttab\x01 😀"
