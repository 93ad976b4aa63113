"""The flag history written as the output half starts, for a register of up to
``operations.flag_history_early_max_people`` people (issue 16, session 26).

The run's store record is one transaction written beside the output half. The record's writes
after the letters (letters issued, the web worklist, then the flag history) ended the run on
one core; the flag history needs only the flags, so for an ICS-sized register it is written
while the letters are made. On SQLite the store's write lock is held from the first write to
the commit, so a national-sized register still writes it once the files beside the letters are
written. Either way the store must hold the same flag history and the outputs must not change.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from longerlives.store.record import RunRecord
from longerlives.synth import generate
from tests.operations.test_people_in_blocks import output_files, run_night

AS_OF = date(2026, 11, 1)
PEOPLE = 400
FLAG_HISTORY = "nhs_number, flag, since, first_seen, last_seen, resolved_on"


@pytest.fixture(scope="module")
def extract_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("early") / "extract"
    generate(PEOPLE, 13, folder, "csv", 0.01, AS_OF)
    return folder


@dataclasses.dataclass(frozen=True)
class Night:
    out: Path
    db: Path
    events: list[tuple[str, str]]  # the run's progress events, with ("record", "flags") where it was asked


def _night(extract_dir: Path, base: Path, max_people: int | None) -> Night:
    config = None if max_people is None else f"[operations]\nflag_history_early_max_people = {max_people}\n"
    events: list[tuple[str, str]] = []
    original, original_of = RunRecord.flags, RunRecord.flags_of

    def flags(self: RunRecord, frame):  # noqa: ANN001, ANN202 - the record's own method, noted as it is asked
        events.append(("record", "flags"))
        return original(self, frame)

    def flags_of(self: RunRecord, made):  # noqa: ANN001, ANN202 - the flags read on the store's thread (session 33)
        events.append(("record", "flags"))
        return original_of(self, made)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RunRecord, "flags", flags)
        patch.setattr(RunRecord, "flags_of", flags_of)
        out = run_night(extract_dir, base, config, events)
    return Night(out, base / "runs.sqlite", events)


@pytest.fixture(scope="module")
def early(extract_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Night:
    return _night(extract_dir, tmp_path_factory.mktemp("early-night"), None)  # the default limit


@pytest.fixture(scope="module")
def late(extract_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Night:
    return _night(extract_dir, tmp_path_factory.mktemp("late-night"), 0)  # every register is over the limit


def _flag_history(db: Path) -> list[tuple]:
    engine = create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return [
                tuple(r) for r in conn.execute(text(f"SELECT {FLAG_HISTORY} FROM flag_history ORDER BY {FLAG_HISTORY}"))
            ]
    finally:
        engine.dispose()


def test_a_register_within_the_limit_has_its_flag_history_written_before_the_letters_start(early: Night) -> None:
    asked = early.events.index(("record", "flags"))
    assert early.events.count(("record", "flags")) == 1
    assert asked < early.events.index(("letters", "start"))
    assert asked < early.events.index(("exports", "start"))


def test_a_register_over_the_limit_has_its_flag_history_written_after_the_files_beside_the_letters(
    late: Night,
) -> None:
    asked = late.events.index(("record", "flags"))
    assert late.events.count(("record", "flags")) == 1
    # the files beside the letters end with plans.json: only then is the flag history asked for
    assert asked > late.events.index(("plans_json", "done"))
    assert asked > late.events.index(("letters", "start"))


def test_the_store_holds_the_same_flag_history_written_early_or_late(early: Night, late: Night) -> None:
    written_early, written_late = _flag_history(early.db), _flag_history(late.db)
    assert written_early == written_late
    flags_csv = (early.out / "flags.csv").read_text().splitlines()
    assert len(written_early) == len(flags_csv) - 1 > 0  # one episode a flag on a first night
    assert {r[3] for r in written_early} == {AS_OF.isoformat()}  # every episode first seen tonight
    assert all(r[5] is None for r in written_early)  # none resolved on a first night


def test_the_outputs_are_the_same_whether_the_flag_history_is_written_early_or_late(early: Night, late: Night) -> None:
    expected, got = output_files(late.out), output_files(early.out)
    assert sorted(got) == sorted(expected) and "flags.csv" in got
    assert [name for name in expected if got[name] != expected[name]] == []


def test_the_run_summary_counts_the_flags_opened_either_way(early: Night, late: Night) -> None:
    summary_early = json.loads((early.out / "run.json").read_text())["summary"]
    summary_late = json.loads((late.out / "run.json").read_text())["summary"]
    assert summary_early["flags_opened"] == summary_late["flags_opened"] == summary_early["open_flags"] > 0
