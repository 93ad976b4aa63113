"""coverage_table on tiny made-up registers: denominators, suppression and breakdown labels."""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.report.composition import safety_open
from longerlives.report.coverage import coverage_table
from longerlives.settings import load_settings

SETTINGS = load_settings().report


def _people(n: int, **overrides: object) -> pl.DataFrame:
    base = {
        "nhs_number": [f"{9000000000 + i}" for i in range(n)],
        "practice_code": ["A81001"] * n,
        "core_team": [None] * n,
        "age": ["40"] * n,
        "sex": ["female"] * n,
        "ethnic_category": [None] * n,
        "imd_decile": [None] * n,
        "health_check_cohort": ["true"] * n,
        "phc_elements_done": ["6"] * n,
        "ecg_cohort": ["true"] * n,
        "current_smoker": ["false"] * n,
        "screening_cervical_status": [None] * n,
        "screening_breast_status": [None] * n,
        "screening_bowel_status": [None] * n,
        "outreach": ["false"] * n,
    }
    base.update({k: v if isinstance(v, list) else [v] * n for k, v in overrides.items()})
    return pl.DataFrame(base, schema={k: pl.String for k in base})


NO_FLAGS = pl.DataFrame(schema={"nhs_number": pl.String, "flag": pl.String})


def _row(table: pl.DataFrame, measure: str, group_by: str, group: str) -> dict:
    return table.filter(
        (pl.col("measure") == measure) & (pl.col("group_by") == group_by) & (pl.col("group") == group)
    ).row(0, named=True)


def test_seven_people_in_a_group_are_suppressed_and_eight_are_shown() -> None:
    seven = coverage_table(_people(7), NO_FLAGS, SETTINGS)
    assert _row(seven, "phc_all_six", "all", "all") == {
        "measure": "phc_all_six",
        "group_by": "all",
        "group": "all",
        "numerator": None,
        "denominator": None,
        "percent": "suppressed",
    }
    eight = coverage_table(_people(8), NO_FLAGS, SETTINGS)
    assert _row(eight, "phc_all_six", "all", "all")["percent"] == "100.0"


def test_a_numerator_of_zero_is_shown_not_suppressed() -> None:
    people = _people(10)
    flags = pl.DataFrame({"nhs_number": people["nhs_number"], "flag": ["phc.bmi"] * 10})
    row = _row(coverage_table(people, flags, SETTINGS), "phc_bmi", "all", "all")
    assert (row["numerator"], row["denominator"], row["percent"]) == (0, 10, "0.0")


def test_a_small_numerator_suppresses_the_row_even_with_a_large_denominator() -> None:
    people = _people(20)
    flags = pl.DataFrame({"nhs_number": people["nhs_number"][:17], "flag": ["ecg.annual"] * 17})
    assert _row(coverage_table(people, flags, SETTINGS), "ecg", "all", "all")["percent"] == "suppressed"  # 3 of 20


def test_a_screening_decline_counts_in_the_denominator_but_not_as_screened() -> None:
    status = ["screened"] * 8 + ["declined"] * 8 + ["overdue"] * 8 + ["ceased"] * 8 + [None] * 8
    people = _people(40, screening_cervical_status=status)
    flags = pl.DataFrame({"nhs_number": people["nhs_number"][16:24], "flag": ["screening.cervical"] * 8})
    row = _row(coverage_table(people, flags, SETTINGS), "screening_cervical", "all", "all")
    assert (row["numerator"], row["denominator"], row["percent"]) == (8, 24, "33.3")  # ceased and ineligible out


def test_people_without_a_team_are_unallocated_and_missing_deprivation_is_not_known() -> None:
    table = coverage_table(_people(9), NO_FLAGS, SETTINGS)
    assert _row(table, "phc_all_six", "core_team", "unallocated")["denominator"] == 9
    assert _row(table, "phc_all_six", "imd_quintile", "not known")["denominator"] == 9
    assert _row(table, "phc_all_six", "ethnic_group", "Not stated")["denominator"] == 9
    assert _row(table, "phc_all_six", "imd_quintile", "1")["denominator"] == 0  # fixed groups always listed


def test_ethnic_categories_fall_into_the_five_data_dictionary_groups() -> None:
    people = _people(40, ethnic_category=["A"] * 8 + ["D"] * 8 + ["H"] * 8 + ["N"] * 8 + ["R"] * 8)
    table = coverage_table(people, NO_FLAGS, SETTINGS)
    for group in ("White", "Mixed", "Asian or Asian British", "Black or Black British", "Other ethnic groups"):
        assert _row(table, "phc_all_six", "ethnic_group", group)["denominator"] == 8


def test_imd_deciles_pair_into_quintiles_with_one_most_deprived() -> None:
    people = _people(16, imd_decile=["1"] * 8 + ["2"] * 8)
    assert _row(coverage_table(people, NO_FLAGS, SETTINGS), "phc_all_six", "imd_quintile", "1")["denominator"] == 16


def test_safety_flags_are_grouped_by_how_long_they_have_been_open() -> None:
    flags = pl.DataFrame(
        {
            "nhs_number": ["1", "2", "3", "4"],
            "flag": ["safety.bp_severe", "safety.usc_not_attended", "safety.bp_severe", "phc.bmi"],
            "since": ["2026-10-31", "2026-10-01", None, "2020-01-01"],
        }
    )
    out = dict(safety_open(flags, date(2026, 11, 1), (7, 14, 28, 90)).iter_rows())
    assert out["up to 7 days"] == 1 and out["29-90 days"] == 1 and out["date not known"] == 1
    assert sum(out.values()) == 3  # the phc flag is not a safety flag


def test_a_person_with_an_open_ecg_flag_is_not_counted_as_having_had_the_ecg_even_when_flagged_twice() -> None:
    # issue 16, session 18: who holds a flag is now looked up per flag, not every person's list of flags built
    people = _people(10)
    flagged = people["nhs_number"][:3].to_list()
    flags = pl.DataFrame(
        {
            "nhs_number": [*flagged, flagged[0], "9999999999"],  # a repeated row; a flag for someone not listed
            "flag": ["ecg.annual", "ecg.annual", "phc.bmi", "ecg.annual", "ecg.annual"],
        }
    )
    table = coverage_table(people, flags, SETTINGS)
    ecg = _row(table, "ecg", "all", "all")
    assert (ecg["numerator"], ecg["denominator"]) == (8, 10)  # two people still need their ECG
    assert _row(table, "phc_bmi", "all", "all")["numerator"] == 9  # the one BMI flag, not the ECG ones
    assert _row(table, "phc_all_six", "all", "all")["numerator"] == 10  # defined by a column, not a flag
