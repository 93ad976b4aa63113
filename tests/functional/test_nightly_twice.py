"""Two nightly runs on the same day against the same run store: same flags, no letter twice."""

from __future__ import annotations

import json

import polars as pl

from longerlives.pipeline import run
from tests.functional.conftest import AS_OF


def test_second_run_on_the_same_day_repeats_flags_but_sends_no_letter_again(synth_extract, tmp_path):
    db = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    first = run(synth_extract, tmp_path / "out1", AS_OF, db_url=db)
    letters_first = pl.read_csv(tmp_path / "out1" / "letters" / "index.csv", infer_schema=False)
    second = run(synth_extract, tmp_path / "out2", AS_OF, db_url=db)
    letters_second = pl.read_csv(tmp_path / "out2" / "letters" / "index.csv", infer_schema=False)

    assert (tmp_path / "out1" / "flags.csv").read_bytes() == (tmp_path / "out2" / "flags.csv").read_bytes()
    assert letters_first.height > 100
    assert letters_second.height == 0
    assert first.run_id != second.run_id
    worklist = pl.concat(
        [pl.read_csv(p, infer_schema=False) for p in (tmp_path / "out2" / "worklists").glob("*.csv")], how="diagonal"
    )
    sent = set(letters_first["nhs_number"])
    on_list = worklist.filter(pl.col("nhs_number").is_in(sent))
    assert on_list.height > 0
    assert set(on_list["last_letter"].drop_nulls()) == {AS_OF.isoformat()}
    record = json.loads((tmp_path / "out2" / "run.json").read_text())
    assert record["summary"]["letters"]["written"] == 0
