"""Issue 16 (session 23): the medicines and contacts are summarised for the feature pass in
validation's own pass over them (longerlives/extract/reading.py), not parsed a second time.

A clinician must not be able to tell: every person's first and last issue of a medicine, their
12-month counts and their contacts are what the feature pass makes from the clean tables —
including the rows that only the full checks could accept (a date with a space before it) and
never a row that was quarantined.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from longerlives.extract import read_extract, validate_extract
from longerlives.extract import validate as validate_module
from longerlives.extract.reading import summarise
from longerlives.features import FeatureBlocks, build_features, encounter_reading, medication_reading, readings
from longerlives.synth.generator import generate
from tests.extract.conftest import AS_OF, GOOD_NHS, patient
from tests.extract.test_fast_path_same_as_full_checks import AWKWARD_ATTENDED, AWKWARD_DATES, AWKWARD_NHS

ANTIPSYCHOTIC_BNF = "0402010J0AAAAAA"  # olanzapine 10 mg tablets: in the antipsychotics list (BNF 4.2.1)
SERVICES = ["gp", "GP", "Gp ", "community_mental_health", "crisis", "", "ed"]


def _validated(folder, tmp_path, codelists, settings, summaries):
    raw = read_extract(folder)
    work = tmp_path / ("work-summaries" if summaries else "work-plain")
    return validate_extract(
        raw, as_of=AS_OF, settings=settings.extract, codelists=codelists, work_dir=work, summaries=summaries
    )


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, nulls_last=True)


def _awkward_extract(make_extract):
    medications = [
        {"nhs_number": nhs, "date": d, "bnf_code": bnf, "dmd_code": " 123 ", "name": ""}
        for nhs in AWKWARD_NHS
        for d in AWKWARD_DATES
        for bnf in [ANTIPSYCHOTIC_BNF, f" {ANTIPSYCHOTIC_BNF}", "04-02", ""]
    ]
    encounters = [
        {"nhs_number": nhs, "date": d, "service": s, "attended": a}
        for nhs in (GOOD_NHS[0], f" {GOOD_NHS[1]}", "12345")
        for d in AWKWARD_DATES
        for s in SERVICES
        for a in AWKWARD_ATTENDED
    ]
    return make_extract([patient(), patient(GOOD_NHS[1])], medications=medications, encounters=encounters)


def test_awkward_medicines_and_contacts_are_summarised_as_the_feature_pass_summarises_the_clean_rows(
    make_extract, tmp_path, codelists, settings
):
    folder = _awkward_extract(make_extract)
    plain = _validated(folder, tmp_path, codelists, settings, None)
    made = _validated(folder, tmp_path, codelists, settings, readings(AS_OF))
    # what is kept and quarantined does not change
    assert made.quarantine.equals(plain.quarantine)
    assert made.rows_quarantined == plain.rows_quarantined and made.rows_read == plain.rows_read
    assert plain.summaries == {} and set(made.summaries) == {"medications", "encounters"}
    for table, reading in (("medications", medication_reading(AS_OF)), ("encounters", encounter_reading(AS_OF))):
        expected = summarise(getattr(plain, table), reading)
        assert _sorted(made.summaries[table]).equals(_sorted(expected)), table
        assert made.rows_quarantined[table] > 0  # quarantined rows existed and were left out
    # the padded date and code cells were accepted by the full checks only, and they are counted
    meds = made.summaries["medications"].filter(
        (pl.col("nid") == int(GOOD_NHS[0])) & (pl.col("bnf_code") == ANTIPSYCHOTIC_BNF)
    )
    good_dates = ["2026-06-01", " 2026-06-01", "2026-06-01 ", "2026-6-1"]
    kept = plain.medications.filter(
        (pl.col("nhs_number") == GOOD_NHS[0]) & (pl.col("bnf_code") == ANTIPSYCHOTIC_BNF)
    ).collect()
    assert kept.height > len(good_dates)  # rows of the fast path and of the full checks both
    assert meds["n_12m"].to_list() == [kept.filter(pl.col("date") <= AS_OF).height]
    assert meds["last_date"].to_list() == [date(2026, 6, 1)]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_every_feature_of_a_synthetic_night_is_the_same_with_the_summaries_made_in_validation(
    tmp_path, codelists, settings, fmt
):
    folder = tmp_path / f"synth-{fmt}"
    generate(300, 11, folder, fmt, bad_row_share=0.05, as_of=AS_OF)
    plain = _validated(folder, tmp_path, codelists, settings, None)
    made = _validated(folder, tmp_path, codelists, settings, readings(AS_OF))
    assert sum(made.rows_quarantined.values()) > 0
    by_plain = build_features(plain, codelists, AS_OF, settings.features).people
    by_made = build_features(made, codelists, AS_OF, settings.features).people
    assert by_made.columns == by_plain.columns
    assert by_made.equals(by_plain)
    on_antipsychotics = by_made.filter(pl.col("antipsychotic_last_date").is_not_null()).height
    assert on_antipsychotics > 0 and by_made["planned_contacts_12m"].sum() > 0


def test_patients_and_summaries_handed_to_the_feature_pass_are_let_go_and_every_feature_is_the_same(
    tmp_path, codelists, settings
):
    """Issue 16 (sessions 32–34): the pipeline hands validation's patients and summaries over
    (``Extract.hand_over``); the feature pass lets each summary go once read, so the extract does not hold
    them beside its working. In blocks, the patients are read a block at a time from validation's work file,
    each summary waits in the work folder and every block reads its own people's rows: every feature of
    every person is the same."""
    folder = tmp_path / "synth-handed"
    generate(300, 11, folder, "csv", bad_row_share=0.05, as_of=AS_OF)
    kept = _validated(folder, tmp_path, codelists, settings, readings(AS_OF))
    expected = build_features(kept, codelists, AS_OF, settings.features).people
    handed = _validated(folder, tmp_path / "handed", codelists, settings, readings(AS_OF))
    patients, taken = handed.hand_over()
    assert set(taken) == {"medications", "encounters"}
    assert handed.summaries == {} and handed.patients.collect().height == 0
    assert patients.collect().height == expected.height
    got = FeatureBlocks(handed, codelists, AS_OF, settings.features, handed=(patients, taken)).block(0).people
    assert taken == {}  # each read and let go
    assert got.equals(expected)
    assert got["planned_contacts_12m"].sum() > 0 and got.filter(pl.col("antipsychotic_last_date").is_not_null()).height

    in_blocks = _validated(folder, tmp_path / "blocks", codelists, settings, readings(AS_OF))
    work = tmp_path / "work"
    work.mkdir()
    blocks = FeatureBlocks(
        in_blocks, codelists, AS_OF, settings.features, block_people=70, work_dir=work, handed=in_blocks.hand_over()
    )
    waiting = {p.name for p in work.glob("features.*.parquet")}
    assert waiting == {"features.medications.parquet", "features.encounters.parquet"}  # as validation made them
    assert len(blocks) == -(-expected.height // 70) > 1
    assert pl.concat([blocks.block(i).people for i in range(len(blocks))]).equals(expected)


def test_validated_patients_come_in_nhs_number_order_whatever_the_file_order(tmp_path, codelists, settings):
    """The feature pass's order: a block of people is then a slice of validation's file, not a sorted copy of
    every patient."""
    folder = tmp_path / "synth-order"
    generate(200, 5, folder, "csv", bad_row_share=0.0, as_of=AS_OF)
    lines = (folder / "patients.csv").read_text().splitlines()
    (folder / "patients.csv").write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    patients = _validated(folder, tmp_path, codelists, settings, None).patients.collect()
    numbers = patients["nhs_number"].to_list()
    assert len(numbers) == len(lines) - 1 and numbers == sorted(numbers)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_large_registers_summaries_made_a_part_of_the_people_at_a_time_are_the_same(
    tmp_path, codelists, settings, fmt
):
    """Issue 16 (session 35): for a register of more than ``extract.summary_part_people`` the medicines' and
    contacts' summaries are grouped a part of the people at a time (each person's rows in one part, the
    suspects' own groups too). Every person's summary rows, the quarantine and every feature are the same."""
    folder = tmp_path / f"synth-parts-{fmt}"
    generate(300, 13, folder, fmt, bad_row_share=0.05, as_of=AS_OF)
    whole = _validated(folder, tmp_path / "whole", codelists, settings, readings(AS_OF))
    small = settings.model_copy(update={"extract": settings.extract.model_copy(update={"summary_part_people": 70})})
    seen: list[int] = []
    real = validate_module._grouped_in_parts

    def watched(frame, keys, aggs, parts, work_dir):
        seen.append(parts)
        return real(frame, keys, aggs, parts, work_dir)

    validate_module._grouped_in_parts = watched
    try:
        in_parts = _validated(folder, tmp_path / "parts", codelists, small, readings(AS_OF))
    finally:
        validate_module._grouped_in_parts = real
    people = whole.patients.collect().height
    assert seen == [-(-people // 70)] * 2 and seen[0] > 1  # the medicines and the contacts, in parts
    assert in_parts.quarantine.equals(whole.quarantine) and sum(whole.rows_quarantined.values()) > 0
    for table in ("medications", "encounters"):
        assert _sorted(in_parts.summaries[table]).equals(_sorted(whole.summaries[table])), table
        assert whole.summaries[table].height > people  # many groups a person
    by_whole = build_features(whole, codelists, AS_OF, settings.features).people
    assert build_features(in_parts, codelists, AS_OF, settings.features).people.equals(by_whole)
    assert not list((tmp_path / "parts" / "work-summaries").glob("summary.*"))  # the parts' work files removed


def test_groups_made_in_parts_are_the_groups_of_one_pass_and_an_empty_table_gives_an_empty_typed_summary(tmp_path):
    """``_grouped_in_parts`` (issue 16, session 35): each part's groups are whole (a key's rows all in one part),
    so the parts together are the one pass's groups; a table with no row kept gives the empty summary with the
    summary's own column types (not an error for want of a work file)."""
    rows = pl.LazyFrame(
        {
            "nid": [9000000001, 9000000002, 9000000001, -17, 9000000003, 9000000002],
            "code": ["a", "b", "a", "a", "c", "b"],
            "date": [date(2026, 1, d) for d in (1, 2, 3, 4, 5, 6)],
        }
    )
    keys = [pl.col("nid"), pl.col("code")]
    aggs = (pl.col("date").min().alias("first"), pl.col("date").max().alias("last"), pl.len().alias("n"))
    one_pass = rows.group_by(*keys).agg(*aggs).collect()
    in_parts = validate_module._grouped_in_parts(rows, keys, aggs, 3, tmp_path)
    assert _sorted(in_parts).equals(_sorted(one_pass)) and in_parts.height == 4
    assert list(tmp_path.iterdir()) == []  # the parts' work files removed
    empty = validate_module._grouped_in_parts(rows.filter(pl.lit(False)), keys, aggs, 3, tmp_path)
    assert empty.height == 0 and empty.schema == one_pass.schema


def test_a_persons_contacts_of_one_service_summarised_in_two_rows_give_the_same_contact_features(tmp_path, settings):
    """Issue 16, session 36: each feature block makes its contact columns from validation's summary per person,
    service and attendance, in which one key may have two rows (the good suspect rows summarised apart): the
    12-month counts are summed and the latest dates taken across them, as from every contact at once."""
    from longerlives.features import _encounter_summary

    folder = tmp_path / "synth-contacts"
    generate(200, 3, folder, "csv", bad_row_share=0.0, as_of=AS_OF)
    contacts = pl.read_csv(folder / "encounters.csv", infer_schema=False).with_columns(
        pl.col("date").str.to_date(), pl.col("attended") == "true"
    )
    reading = encounter_reading(AS_OF)
    half = contacts.height // 2
    halves = [summarise(part.lazy(), reading) for part in (contacts.slice(0, half), contacts.slice(half))]
    in_two_rows, once = pl.concat(halves), summarise(contacts.lazy(), reading)
    assert in_two_rows.height > once.height  # some person's service and attendance in two rows
    got = _encounter_summary(in_two_rows, settings.features).sort("nid")
    expected = _encounter_summary(once, settings.features).sort("nid")
    assert got.equals(expected)
    assert expected["planned_contacts_12m"].sum() > 0 and expected["dna_12m"].sum() > 0
