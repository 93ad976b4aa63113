"""Issue 16: the fhir.resources models check one Flag per distinct Flag shape, once a run, instead
of a sample of every practice's bundle. These tests hold that the Flags checked carry every
structure any practice receives, that a fault on one row anywhere is still found, and that the
setting's 0 (every Flag of every bundle) writes the same bytes."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from pydantic import ValidationError

from longerlives.outputs.exports import write_exports
from longerlives.outputs.fhir import FhirExportError, entry_texts, shape_rows
from longerlives.settings.operations import OperationsSettings
from tests.operations.conftest import flags_frame
from tests.operations.test_exports_one_pass import AS_OF, _world

# What differs from one Flag to the next of the same shape: the per-row strings.
PER_ROW = (("fullUrl",), ("resource", "id"), ("resource", "author", "identifier", "value"))
PER_ROW += (("resource", "subject", "identifier", "value"), ("resource", "code", "text"))
PER_ROW += (("resource", "period", "start"),)


def _shape(entry: dict) -> str:
    """The entry with every per-row string blanked: what the FHIR models see as its structure."""
    for path in PER_ROW:
        node = entry
        for key in path[:-1]:
            node = node[key]
        assert isinstance(node[path[-1]], str) and node[path[-1]]  # present and a non-empty string
        node[path[-1]] = "*"
    return json.dumps(entry, sort_keys=True)


def test_the_flags_the_fhir_models_check_carry_every_structure_any_practice_receives(tmp_path):
    flags, people = _world(seed=11, n_people=600)
    written = write_exports(flags, people, None, tmp_path, AS_OF, OperationsSettings())
    received = set()
    envelopes = set()
    for info in written.practices:
        bundle = json.loads((tmp_path / "exports" / info["practice_code"] / "bundle.json").read_text())
        received |= {_shape(e) for e in bundle.pop("entry", [])}
        bundle["identifier"]["value"] = "*"
        envelopes.add(json.dumps(bundle, sort_keys=True))
    rows = flags.join(people.select("nhs_number", "practice_code", "core_team"), on="nhs_number")
    checked = shape_rows(rows)
    checked_shapes = {
        _shape(json.loads(e)) for e in entry_texts(checked, AS_OF, OperationsSettings().fhir_flag_code_system)
    }
    assert len(received) >= 5  # several flags, with and without a known start
    assert checked_shapes == received
    # one Flag per flag id and start (known or the as-of date): a small share of the rows
    assert checked["flag"].n_unique() == len(received) and checked.height <= 2 * len(received) < rows.height / 10
    assert len(envelopes) == 1  # every practice's envelope differs only in its identifier's value


def test_a_flag_without_a_code_on_one_row_deep_inside_a_big_practice_is_refused(tmp_path):
    n = 3000
    rows = [
        (f"{9000000000 + i:010d}", "phc.bmi", date(2026, 1, 1), "No BMI ever recorded", "routine") for i in range(n)
    ]
    rows[1777] = (rows[1777][0], "", None, "", "routine")  # an empty code: not a FHIR code, whatever the sample
    flags = flags_frame(rows)
    people = pl.DataFrame(
        {
            "nhs_number": [r[0] for r in rows],
            "practice_code": ["A81001"] * n,
            "core_team": [None] * n,
            "in_scope": [True] * n,
        }
    )
    with pytest.raises(ValidationError):
        write_exports(flags, people, None, tmp_path, AS_OF, OperationsSettings())
    assert not (tmp_path / "exports" / "A81001" / "bundle.json").exists()  # checked before anything is written


def test_a_gap_start_date_fhir_cannot_hold_is_refused_before_writing(tmp_path):
    flags, people = _world(seed=5, n_people=50)
    flags = flags.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.date(10000, 1, 1)).otherwise(pl.col("since")).alias("since")
    )
    with pytest.raises(FhirExportError, match="period.start"):
        write_exports(flags, people, None, tmp_path, AS_OF, OperationsSettings())


def test_checking_every_flag_of_every_bundle_writes_the_same_files(tmp_path):
    flags, people = _world(seed=23, n_people=300)
    practices = pl.DataFrame({"practice_code": ["Z99999"]})  # a practice with nothing outstanding
    one = write_exports(flags, people, practices, tmp_path / "one", AS_OF, OperationsSettings())
    every = write_exports(flags, people, practices, tmp_path / "every", AS_OF, OperationsSettings(fhir_model_sample=0))
    assert one == every
    for path in sorted((tmp_path / "one").rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (tmp_path / "every" / path.relative_to(tmp_path / "one")).read_bytes()
    empty = json.loads((tmp_path / "one" / "exports" / "Z99999" / "bundle.json").read_text())
    assert "entry" not in empty and empty["identifier"]["value"] == "Z99999-2026-11-01"
