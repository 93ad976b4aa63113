"""The run summary's headline counts (run.json, the store's run totals): what a programme lead reads
first each morning. They are counted from the columns they need (issue 16, session 24: the people
frame is no longer copied to count them); these hold the counts to the rows a lead would count."""

from __future__ import annotations

from types import SimpleNamespace

import polars as pl

from longerlives.pipeline import FlagCounts, _counts, _phc_six_complete

PEOPLE = pl.DataFrame(
    {
        "nhs_number": ["9000000001", "9000000002", "9000000003", "9000000004", "9000000005", "9000000006"],
        # in scope with all six checks; in scope with five; in scope, checks not known; scope not known;
        # out of scope (deregistered) with all six; in scope, not in the health-check cohort
        "in_scope": [True, True, True, None, False, True],
        "health_check_cohort": [True, True, True, True, True, None],
        "ecg_cohort": [True, False, True, True, True, False],
        "phc_elements_done": [6, 5, None, 6, 6, 6],
        "safety_items": ["bp_severe", None, None, "bp_severe", "k_high", "lithium_high"],
        "practice_code": ["A81001"] * 6,  # a column the counts never read
    },
    schema_overrides={"phc_elements_done": pl.Int64},
)


def test_six_checks_complete_counts_only_people_in_scope_in_the_cohort_with_all_six():
    # person 1 only: 2 has five, 3's checks are unknown, 4's scope is unknown, 5 has left, 6 is not in the cohort
    assert _phc_six_complete(PEOPLE) == 1


def test_headline_counts_are_the_people_in_scope_and_their_cohorts_and_safety_items():
    flags = pl.DataFrame({"nhs_number": ["9000000001", "9000000001", "9000000003"], "flag": ["a", "b", "a"]})
    extract = SimpleNamespace(rows_quarantined={"events": 2, "patients": 1})

    counts = _counts(PEOPLE, FlagCounts.of(flags), extract)  # type: ignore[arg-type]

    assert counts["people_on_extract"] == 6
    assert counts["people_in_scope"] == 4  # 1, 2, 3 and 6: unknown scope and the deregistered are not counted
    assert counts["health_check_cohort"] == 3  # of those four, 6's cohort is unknown
    assert counts["ecg_cohort"] == 2  # 1 and 3
    assert counts["safety_items"] == 2  # 1 and 6: 4 and 5 are not in scope
    assert counts["open_flags"] == 3 and counts["people_with_flags"] == 2
    assert counts["flags_by_kind"] == {"a": 2, "b": 1}
    assert counts["rows_quarantined"] == 3


def test_open_flags_counted_a_block_of_people_at_a_time_add_up_to_the_whole_registers_counts():
    """Issue 16 (session 35): outreach's last pass counts each block's open flags and the run adds them up
    (a person's flags are all in one block), so everybody's flags need not be read again to count them."""
    flags = pl.DataFrame(
        {
            "nhs_number": ["9000000001", "9000000001", "9000000003", "9000000004", "9000000004", "9000000004"],
            "flag": ["phc.bmi", "safety.bp_severe", "phc.bmi", "ecg.annual", "phc.bmi", "safety.bp_severe"],
        }
    )
    extract = SimpleNamespace(rows_quarantined={})
    blocks = [flags.head(2), flags.slice(2, 1), flags.slice(3)]  # each person's flags in one block
    added = FlagCounts()
    for block in blocks:
        added += FlagCounts.of(block)

    by_blocks = _counts(PEOPLE, added, extract)  # type: ignore[arg-type]
    whole = _counts(PEOPLE, FlagCounts.of(flags), extract)  # type: ignore[arg-type]

    assert by_blocks == whole
    assert whole["open_flags"] == 6 and whole["people_with_flags"] == 3
    assert whole["flags_by_kind"] == {"ecg.annual": 1, "phc.bmi": 3, "safety.bp_severe": 2}
    assert list(whole["flags_by_kind"]) == sorted(whole["flags_by_kind"])  # in flag order, as run.json lists them
