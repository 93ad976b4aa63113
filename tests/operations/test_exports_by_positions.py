"""Issue 16 (session 28): the exports keep each flag's place in the export order and gather a batch of
practices' rows when they are written, instead of a sorted copy of every flag (hazard H91). A GP
practice must receive exactly its own flags, most urgent first, whatever order the run holds them
in and however many practices are written at once; the FHIR models must still see the first Flag of
every shape."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from longerlives.outputs import exports
from longerlives.outputs.exports import export_order, export_rows, write_exports
from longerlives.outputs.fhir import shape_rows
from longerlives.settings.operations import OperationsSettings
from tests.operations.test_exports_one_pass import AS_OF, _world


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_flags_in_the_runs_order_give_the_same_exports_as_flags_in_any_order(tmp_path):
    flags, people = _world(seed=28, n_people=500)
    shuffled = flags.sample(fraction=1.0, shuffle=True, seed=5)
    in_order = flags.sort("nhs_number", "flag")  # as the rules and outreach leave them
    a = write_exports(shuffled, people, None, tmp_path / "a", AS_OF, OperationsSettings())
    b = write_exports(in_order, people, None, tmp_path / "b", AS_OF, OperationsSettings())
    assert a.practices == b.practices and a.rows == b.rows == flags.height
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


@pytest.mark.parametrize("batch_rows", [1, 7, 1_000_000])
def test_each_practice_gets_exactly_its_own_flags_however_many_practices_are_written_at_once(
    tmp_path, monkeypatch, batch_rows
):
    flags, people = _world(seed=3, n_people=300)
    flags = flags.sort("nhs_number", "flag")
    monkeypatch.setattr(exports, "ENTRY_BATCH_ROWS", batch_rows)
    written = write_exports(flags, people, None, tmp_path, AS_OF, OperationsSettings())
    practice_of = dict(zip(people["nhs_number"].to_list(), people["practice_code"].to_list()))
    seen = 0
    for info in written.practices:
        rows = pl.read_csv(tmp_path / "exports" / info["practice_code"] / "flags.csv", infer_schema=False)
        assert {practice_of[n] for n in rows["nhs_number"].to_list()} <= {info["practice_code"]}
        urgency = rows["urgency"].fill_null("routine").replace({"same_day": "0", "soon": "1", "routine": "2"})
        assert urgency.to_list() == sorted(urgency.to_list())  # same-day first, then soon, then routine
        seen += rows.height
    assert seen == flags.height  # every open flag sent once


@pytest.mark.parametrize("per_shape", [1, 2])
def test_the_flags_the_fhir_models_check_are_the_first_of_each_shape_in_export_order(per_shape):
    flags, people = _world(seed=9, n_people=400)
    for held in (flags, flags.sort("nhs_number", "flag")):
        picked = export_order(held, people).shape_rows(per_shape)
        assert picked.equals(shape_rows(export_rows(held, people), per_shape))


def test_a_person_twice_among_the_people_is_refused_rather_than_sent_twice(tmp_path):
    flags, people = _world(seed=4, n_people=50)
    person = flags["nhs_number"][0]  # someone with an open flag
    twice = pl.concat([people, people.filter(pl.col("nhs_number") == person)])  # validation never lets this through
    with pytest.raises(exports.ExportError, match="twice"):
        write_exports(flags, twice, None, tmp_path, AS_OF, OperationsSettings())
    assert not (tmp_path / "exports").exists()  # nothing written for any practice
