"""Issue 16, session 25: the store records a night's letters a block of NHS numbers at a time,
and what each letter covered (``cadence_flags``) comes in no particular order. Each letter must
still carry exactly its own person's flags, as a sorted set, and the 28-day cadence must read
them back the same way however the rows were cut or ordered."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from longerlives.letters.cadence import letters_allowed
from longerlives.letters.ledger import SAFETY_LETTER_FLAG, cadence_flags
from longerlives.store import open_store

AS_OF = date(2026, 11, 1)
PEOPLE = [f"9{n:09d}" for n in range(100, 113)]  # thirteen ten-digit NHS numbers, in order
FLAG_IDS = ["ecg.annual", "phc.bmi", "risk.qrisk3", "safety.bp_severe", "screening.bowel", "statin.indicated"]


def _flags() -> pl.DataFrame:
    """Open flags, one row per (person, flag), sorted as the run's are: person i has i % 5 + 1 flags."""
    rows = [(nhs, FLAG_IDS[(i + k) % len(FLAG_IDS)]) for i, nhs in enumerate(PEOPLE) for k in range(i % 5 + 1)]
    return (
        pl.DataFrame(rows, schema={"nhs_number": pl.String, "flag": pl.String}, orient="row")
        .unique()
        .sort("nhs_number", "flag")
    )


def _plans() -> pl.DataFrame:
    """Every third person has a safety item."""
    return pl.DataFrame({"nhs_number": PEOPLE, "has_safety": [i % 3 == 0 for i in range(len(PEOPLE))]})


def _index(people: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "nhs_number": people,
            "letter": ["invitation"] * len(people),
            "language": ["en"] * len(people),
            "format": ["standard"] * len(people),
            "path": [f"letters/P1/{p}.html" for p in people],
        }
    )


def _expected_flags(flags: pl.DataFrame, plans: pl.DataFrame) -> dict[str, str]:
    """What a clinician would write down by hand: each person's open flags, plus safety.item when
    they have a safety item, sorted and joined with ';'."""
    by_person: dict[str, set[str]] = {}
    for nhs, flag in flags.iter_rows():
        by_person.setdefault(nhs, set()).add(flag)
    for nhs, has_safety in plans.iter_rows():
        if has_safety:
            by_person.setdefault(nhs, set()).add(SAFETY_LETTER_FLAG)
    return {nhs: ";".join(sorted(flags)) for nhs, flags in by_person.items()}


@pytest.mark.parametrize("block_letters", [1, 2, 5, 13, 100])
def test_each_letter_recorded_in_blocks_carries_only_its_own_persons_flags(tmp_path: Path, block_letters: int) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    flags, plans = _flags(), _plans()
    covered = cadence_flags(flags, plans).sample(fraction=1.0, shuffle=True, seed=block_letters)  # any order
    with store.engine.begin() as conn:
        written = store.record_letters(conn, _index(PEOPLE), covered, AS_OF, "run-1", block_letters=block_letters)
    recorded = store.letters()
    assert written == len(PEOPLE) == recorded.height
    assert recorded["nhs_number"].to_list() == PEOPLE  # in NHS-number order, one letter each
    assert dict(zip(recorded["nhs_number"], recorded["flags"])) == _expected_flags(flags, plans)


def test_a_letter_already_recorded_today_is_skipped_in_whichever_block_it_falls(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    covered = cadence_flags(_flags(), _plans())
    with store.engine.begin() as conn:
        store.record_letters(conn, _index(PEOPLE[3:6]), covered, AS_OF, "run-1", block_letters=2)
    with store.engine.begin() as conn:  # the same night again (a rerun): only the letters not yet recorded
        again = store.record_letters(conn, _index(PEOPLE), covered, AS_OF, "run-2", block_letters=4)
    recorded = store.letters()
    assert again == len(PEOPLE) - 3
    assert sorted(recorded["nhs_number"].to_list()) == sorted(PEOPLE)  # nobody recorded twice


def test_the_cadence_answers_the_same_whatever_the_order_of_what_a_letter_covered() -> None:
    flags, plans = _flags(), _plans()
    last = pl.DataFrame(
        {
            "nhs_number": PEOPLE,
            "last_letter": [AS_OF - timedelta(days=10)] * len(PEOPLE),
            # last time every person had only their first flag: those with more have something new
            "last_letter_flags": [flags.filter(pl.col("nhs_number") == p)["flag"][0] for p in PEOPLE],
        }
    )
    in_order = cadence_flags(flags, plans).unique().sort("nhs_number", "flag")
    shuffled = cadence_flags(flags, plans).sample(fraction=1.0, shuffle=True, seed=7)
    assert letters_allowed(shuffled, last, AS_OF, 28).equals(letters_allowed(in_order, last, AS_OF, 28))
    allowed = letters_allowed(shuffled, last, AS_OF, 28)
    one_flag_no_safety = [p for i, p in enumerate(PEOPLE) if i % 5 == 0 and i % 3 != 0]
    assert one_flag_no_safety  # nothing new for them: held by the cadence
    assert not allowed.filter(pl.col("nhs_number").is_in(one_flag_no_safety))["letter_allowed"].any()
    assert allowed.filter(~pl.col("nhs_number").is_in(one_flag_no_safety))["letter_allowed"].all()


def test_what_a_letter_covers_shares_the_flags_columns_rather_than_copying_them() -> None:
    flags, plans = _flags(), _plans()
    covered = cadence_flags(flags, plans)
    assert covered.height == flags.height + int(plans["has_safety"].sum())
    assert covered.filter(pl.col("flag") == SAFETY_LETTER_FLAG)["nhs_number"].to_list() == [
        p for p, s in plans.iter_rows() if s
    ]
    assert covered.head(flags.height).equals(flags)  # the open flags first, as they came


def test_a_nights_letters_recorded_a_part_at_a_time_skip_only_those_already_issued_today(tmp_path: Path) -> None:
    """Issue 16, session 32: the run records its letters a part of people at a time in one transaction, and
    each part asks only for its own people's letters of the day (not every earlier part's again)."""
    store = open_store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    covered = cadence_flags(_flags(), _plans())
    with store.engine.begin() as conn:  # earlier today: one person of the last part already had a letter
        store.record_letters(conn, _index([PEOPLE[11]]), covered, AS_OF, "run-1")
    parts = [PEOPLE[0:4], PEOPLE[4:9], PEOPLE[9:]]
    with store.engine.begin() as conn:
        written = [store.record_letters(conn, _index(part), covered, AS_OF, "run-2") for part in parts]
    recorded = store.letters()
    assert written == [4, 5, 3]  # PEOPLE[11] skipped in the last part, nobody else
    assert sorted(recorded["nhs_number"].to_list()) == PEOPLE  # everybody once
    assert recorded.filter(pl.col("nhs_number") == PEOPLE[11])["run_id"].to_list() == ["run-1"]
