"""Issue 16, session 31: the output half reads each block of people once for its letters, but the
run's record (one transaction, which on SQLite holds the store's write lock from its first write to
the commit) must not start writing any earlier than it did: the web app's own writes — a core team's
outcome, a lead's allocation — wait for that lock for at most 60 seconds. So a register over
``flag_history_early_max_people`` has its letters issued, web worklist and flag history asked for
only once every block's letters are written (hazard H96)."""

from __future__ import annotations

from datetime import date

import pytest

from longerlives.letters import LettersInBlocks
from longerlives.store.record import RunRecord
from longerlives.synth import generate
from tests.operations.test_people_in_blocks import run_night

AS_OF = date(2026, 11, 1)
CONFIG = (
    "[features]\nblock_people = 90\n\n"
    "[operations]\nflag_history_early_max_people = 0\nexport_group_flags = 200\nworklist_group_rows = 50\n"
)


@pytest.fixture(scope="module")
def events(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    base = tmp_path_factory.mktemp("record-after-letters")
    generate(400, 6, base / "extract", "csv", 0.0, AS_OF)
    seen: list[tuple[str, str]] = []

    def noted(name: str, original):  # noqa: ANN001, ANN202 - each method as it is, noted when asked
        def call(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            seen.append(("asked", name))
            return original(self, *args, **kwargs)

        return call

    with pytest.MonkeyPatch.context() as patch:
        for name in ("flags", "flags_of", "letters", "letters_of", "worklist_in_blocks", "coverage"):
            patch.setattr(RunRecord, name, noted(name, getattr(RunRecord, name)))
        patch.setattr(LettersInBlocks, "add", noted("letters_block", LettersInBlocks.add))
        run_night(base / "extract", base, CONFIG, seen)
    return seen


def test_a_large_registers_record_is_asked_for_nothing_before_every_blocks_letters_are_written(events) -> None:
    blocks = [i for i, e in enumerate(events) if e == ("asked", "letters_block")]
    writes = [i for i, e in enumerate(events) if e[0] == "asked" and e[1] != "letters_block"]
    assert len(blocks) == 5  # 400 people in blocks of 90
    assert writes and min(writes) > max(blocks)


def test_every_blocks_letters_are_recorded_and_the_web_worklist_begun_once(events) -> None:
    assert events.count(("asked", "letters_of")) == 5
    assert events.count(("asked", "worklist_in_blocks")) == 1
    # session 33: the flag history of a large register is read from the work folder on the store's thread
    # (``flags_of``), asked for once, after the web worklist's blocks (the store's last read of the work folder)
    assert events.count(("asked", "flags_of")) == 1 and events.count(("asked", "flags")) == 0
    assert events.index(("asked", "flags_of")) > events.index(("asked", "worklist_in_blocks"))
