"""Issue 11 (R2): the synthetic extract writes only verifiable SNOMED CT ids. Concepts still
pending in the manifest (no public list) get no records; the new breast-screening
"abnormal result" list is exercised."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from longerlives.codelists import load_codelists, load_pending
from longerlives.synth import generate
from longerlives.synth.codes import FALLBACK_SNOMED
from tests.test_codelists import _verhoeff_ok

AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def events(tmp_path_factory) -> pl.DataFrame:
    out = tmp_path_factory.mktemp("synth")
    generate(3000, 11, out, bad_row_share=0.0, as_of=AS_OF)
    return pl.read_csv(out / "events.csv", infer_schema=False)


def test_every_fallback_snomed_id_passes_the_check_digit():
    bad = {(k, c) for k, codes in FALLBACK_SNOMED.items() for c in codes if not _verhoeff_ok(c)}
    assert not bad, f"fallback ids that are not SNOMED CT concept ids: {sorted(bad)}"


def test_a_concept_still_pending_has_no_made_up_fallback_code():
    for concept in load_pending():
        assert FALLBACK_SNOMED.get(concept, []) == [], concept


def test_the_extract_holds_no_id_that_fails_the_snomed_check_digit(events):
    codes = [c for c in events["code"].unique().to_list() if c and c.isdigit()]
    assert codes
    assert not [c for c in codes if not _verhoeff_ok(c)]


def test_some_women_have_an_abnormal_breast_screen_drawn_from_the_list(events):
    listed = set(load_codelists()["breast_screening_abnormal"].codes)
    used = set(events.filter(pl.col("code").is_in(list(listed)))["code"].unique().to_list())
    assert used and used <= listed
