"""Issue 12: letters are kept in the output folder until the print/post operator collects them.

The output folder is replaced every night; letters of an earlier night that nobody has
collected yet used to disappear with it. Now each night's letters are a batch that stays
(``letter-batches/<batch>/``) until ``longerlives letters collected`` is recorded, and the
next run after that removes it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import polars as pl

from longerlives.errors import EXIT_STORE, EXIT_USAGE
from longerlives.pipeline import run
from longerlives.store import dispose_all, open_store
from tests.security.conftest import AS_OF, cli

NEXT_NIGHT = AS_OF + timedelta(days=1)


def _letter_files(folder: Path) -> dict[str, bytes]:
    """Letter files under ``folder``, by path relative to it (index and batch record left out)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in ("index.csv", "batch.json")
    }


def _waiting(out: Path) -> pl.DataFrame:
    return pl.read_csv(out / "letter-batches" / "index.csv", infer_schema=False)


def _every_letter_in(out: Path) -> pl.DataFrame:
    """Every letter row in the output folder: tonight's index plus each waiting batch's index."""
    frames = [pl.read_csv(out / folder / "index.csv", infer_schema=False) for folder in _waiting(out)["folder"]]
    return pl.concat(frames) if frames else pl.DataFrame(schema={"nhs_number": pl.String, "path": pl.String})


def test_letters_not_collected_survive_the_next_nights_run_byte_for_byte(extract: Path, tmp_path: Path) -> None:
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'runs.sqlite'}"
    first = run(extract, out, AS_OF, db_url=db)
    issued = _letter_files(out / "letters")
    first_index = pl.read_csv(out / "letters" / "index.csv", infer_schema=False)
    assert len(issued) > 10

    second = run(extract, out, NEXT_NIGHT, db_url=db)
    kept = out / "letter-batches" / first.run_id
    assert _letter_files(kept) == issued  # every letter of the first night, unchanged
    kept_index = pl.read_csv(kept / "index.csv", infer_schema=False)
    assert kept_index["nhs_number"].to_list() == first_index["nhs_number"].to_list()
    assert all((out / p).is_file() for p in kept_index["path"])  # paths are relative to the output folder
    assert all(p.startswith(f"letter-batches/{first.run_id}/") for p in kept_index["path"])
    waiting = _waiting(out)
    assert waiting.filter(pl.col("batch") == first.run_id).row(0, named=True) == {
        "batch": first.run_id,
        "as_of": AS_OF.isoformat(),
        "letters": str(first_index.height),
        "folder": f"letter-batches/{first.run_id}",
    }
    tonight = pl.read_csv(out / "letters" / "index.csv", infer_schema=False)
    if tonight.height:
        assert waiting.filter(pl.col("batch") == second.run_id)["folder"].to_list() == ["letters"]
    # the letters are private like every other output
    assert all((p.stat().st_mode & 0o077) == 0 for p in kept.rglob("*"))


def test_a_batch_kept_for_two_nights_is_still_whole_on_the_third(extract: Path, tmp_path: Path) -> None:
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'runs.sqlite'}"
    first = run(extract, out, AS_OF, db_url=db)
    issued = _letter_files(out / "letters")
    run(extract, out, NEXT_NIGHT, db_url=db)
    run(extract, out, NEXT_NIGHT + timedelta(days=1), db_url=db)
    assert _letter_files(out / "letter-batches" / first.run_id) == issued


def test_after_collected_the_batch_stays_until_the_next_run_which_removes_it(extract: Path, tmp_path: Path) -> None:
    out, db_path = tmp_path / "out", tmp_path / "runs.sqlite"
    db = f"sqlite:///{db_path}"
    first = run(extract, out, AS_OF, db_url=db)
    second = run(extract, out, NEXT_NIGHT, db_url=db)
    second_letters = pl.read_csv(out / "letters" / "index.csv", infer_schema=False).height
    dispose_all()
    assert first.run_id in _waiting(out)["batch"].to_list()

    done = cli("letters", "collected", "--out", str(out), "--db", db, "--batch", first.run_id)
    assert done.returncode == 0, done.stderr
    assert "recorded as collected" in done.stdout
    assert (out / "letter-batches" / first.run_id).is_dir(), "collected is recorded; only a run removes files"
    audit = open_store(db).audit().filter(pl.col("kind") == "collected")
    assert audit["run_id"].to_list() == [first.run_id]

    third = run(extract, out, NEXT_NIGHT + timedelta(days=1), db_url=db)
    assert not (out / "letter-batches" / first.run_id).exists()
    assert first.run_id not in _waiting(out)["batch"].to_list()
    assert third.summary["letters"]["batches_collected_removed"] == 1
    # the second night's batch, not collected, is still there (when it had letters)
    assert (out / "letter-batches" / second.run_id).is_dir() == (second_letters > 0)
    assert json.loads((out / "run.json").read_text())["summary"]["letters"]["batches_kept"] == int(second_letters > 0)


def test_collecting_twice_records_one_collection(extract: Path, tmp_path: Path) -> None:
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'runs.sqlite'}"
    first = run(extract, out, AS_OF, db_url=db)
    dispose_all()
    for _ in range(2):
        assert cli("letters", "collected", "--out", str(out), "--db", db, "--batch", first.run_id).returncode == 0
    assert open_store(db).audit().filter(pl.col("kind") == "collected").height == 1


def test_collected_for_a_batch_that_is_not_waiting_is_refused_and_records_nothing(
    extract: Path, tmp_path: Path
) -> None:
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'runs.sqlite'}"
    first = run(extract, out, AS_OF, db_url=db)
    dispose_all()
    proc = cli("letters", "collected", "--out", str(out), "--db", db, "--batch", "2026-10-31-deadbeef")
    assert proc.returncode == EXIT_USAGE
    assert "not waiting" in proc.stderr and first.run_id in proc.stderr  # names what is waiting
    assert "Traceback" not in proc.stderr
    assert open_store(db).audit().filter(pl.col("kind") == "collected").height == 0


def test_collected_on_a_mistyped_store_path_creates_no_store(extract: Path, tmp_path: Path) -> None:
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'runs.sqlite'}"
    first = run(extract, out, AS_OF, db_url=db)
    wrong = tmp_path / "typo" / "runs.sqlite"
    proc = cli("letters", "collected", "--out", str(out), "--db", f"sqlite:///{wrong}", "--batch", first.run_id)
    assert proc.returncode == EXIT_STORE
    assert not wrong.exists()


def test_letters_list_names_each_waiting_batch(extract: Path, tmp_path: Path) -> None:
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'runs.sqlite'}"
    first = run(extract, out, AS_OF, db_url=db)
    listed = cli("letters", "list", "--out", str(out))
    assert listed.returncode == 0
    assert f"{first.run_id},{AS_OF.isoformat()}," in listed.stdout


def test_same_day_rerun_keeps_the_issued_batch_and_no_letter_is_in_the_outputs_twice(
    extract: Path, tmp_path: Path
) -> None:
    out, db = tmp_path / "out", f"sqlite:///{tmp_path / 'runs.sqlite'}"
    first = run(extract, out, AS_OF, db_url=db)
    issued = _letter_files(out / "letters")
    recorded = open_store(db).letters().height

    run(extract, out, AS_OF, db_url=db)
    assert _letter_files(out / "letter-batches" / first.run_id) == issued  # the issued batch, byte for byte
    everything = _every_letter_in(out)
    assert everything["nhs_number"].n_unique() == everything.height == recorded  # each letter once
    assert open_store(db).letters().height == recorded  # nothing issued twice
