"""Issue 16, session 6: the export bundles put a per-row string in plain quotes when no cell of
its column needs JSON escaping, and use the escaping encoder otherwise. Either way the bytes
must be what ``json.dumps(..., ensure_ascii=False)`` writes for that Flag."""

from __future__ import annotations

import json
from datetime import date

import polars as pl

from longerlives.outputs.fhir import bundle_json, entry_texts, plain_bundle
from longerlives.outputs.jsontext import json_string_of
from longerlives.settings.operations import OperationsSettings
from tests.operations.conftest import flags_frame

AS_OF = date(2026, 11, 1)


def _quoted(values: list[str | None]) -> list[str]:
    column = pl.Series("v", values, dtype=pl.String)
    return pl.DataFrame([column]).select(json_string_of(column).alias("q"))["q"].to_list()


def test_plain_text_is_quoted_exactly_as_a_json_encoder_writes_it():
    values = ["Blood pressure 190/100 on 2026-10-30", "Zoë’s reading 😀", "=HYPERLINK", ""]
    assert _quoted(values) == [json.dumps(v, ensure_ascii=False) for v in values]


def test_one_cell_needing_escapes_makes_the_whole_column_escaped_like_a_json_encoder():
    for awkward in ['say "why"', "back\\slash", "two\nlines", "tab\there", "bell\x07"]:
        values = ["plain words", awkward]
        assert _quoted(values) == [json.dumps(v, ensure_ascii=False) for v in values], awkward


def test_a_missing_value_is_written_as_json_null():
    assert _quoted(["A81001", None]) == ['"A81001"', "null"]


def test_a_practice_bundle_with_only_plain_reasons_matches_the_per_flag_reference_encoder():
    rows = flags_frame(
        [
            ("9000000009", "phc.bmi", None, "No BMI recorded in the last 12 months", "routine"),
            ("9000000017", "safety.bp_severe", date(2026, 10, 30), "Clinic blood pressure 191/129", "same_day"),
            ("9000000025", "screening.cervical", date(2025, 3, 1), "Zoë’s screening is overdue.", "soon"),
        ]
    ).with_columns(pl.lit("A81001").alias("practice_code"), pl.lit("T1").alias("core_team"))
    code_system = OperationsSettings().fhir_flag_code_system
    reference = json.loads(bundle_json(plain_bundle(rows, "A81001", AS_OF, code_system)))["entry"]
    got = entry_texts(rows, AS_OF, code_system).to_list()
    assert got == [json.dumps(e, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for e in reference]
