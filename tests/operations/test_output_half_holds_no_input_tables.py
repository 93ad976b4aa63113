"""What the output half holds (issue 16, session 24): the patients table and the medicine and contact
summaries are read by the feature pass alone, so once the blocks of people are done the run no longer
holds them — at 600,000 people they were about 230 MB of the output half's 2.9 GB."""

from __future__ import annotations

import weakref
from datetime import date
from pathlib import Path

import pytest

from longerlives import pipeline
from longerlives.extract.validate import Extract
from longerlives.settings import load_settings
from longerlives.store import dispose_all
from longerlives.synth import generate

AS_OF = date(2026, 11, 1)


@pytest.fixture(scope="module")
def extract_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("held") / "extract"
    generate(200, 5, folder, "parquet", 0.01, AS_OF)
    return folder


def test_the_validated_patients_and_summaries_are_released_before_the_letters_are_written(extract_dir, tmp_path):
    alive = _validated_extract_alive_at(extract_dir, tmp_path, "letters")
    assert alive == [False]  # released: nothing of the output half holds the validated extract


def test_the_validated_patients_and_summaries_are_released_before_the_first_block_is_scored(extract_dir, tmp_path):
    """Issue 16, session 30: the feature blocks make their own sorted patients and summaries when
    they are set up, so the validated copies are not held through the blocks of people (at 600,000
    people about 230 MB of the feature pass's peak)."""
    alive = _validated_extract_alive_at(extract_dir, tmp_path, "risk")
    assert alive == [False]


def _validated_extract_alive_at(extract_dir: Path, tmp_path: Path, stage_name: str) -> list[bool]:
    """Whether the run's validated extract was still alive when ``stage_name`` started."""
    validated: list[weakref.ref[Extract]] = []
    alive_at_start: list[bool] = []
    real = pipeline.validate_extract

    def validate_and_watch(*args, **kwargs):  # the run's own validation, watched
        extract = real(*args, **kwargs)
        assert extract.patients.collect().height > 0 and extract.summaries  # what the feature pass reads
        validated.append(weakref.ref(extract))
        return extract

    def progress(stage: str, event: str) -> None:
        if stage == stage_name and event == "start":
            alive_at_start.append(validated[0]() is not None)

    pipeline.validate_extract, original = validate_and_watch, pipeline.validate_extract  # type: ignore[assignment]
    try:
        report = pipeline.run(
            extract_dir, tmp_path / "out", AS_OF, db_url=f"sqlite:///{tmp_path / 'runs.sqlite'}", progress=progress
        )
    finally:
        pipeline.validate_extract = original  # type: ignore[assignment]
        dispose_all()
    assert report.summary["people_on_extract"] > 0 and report.summary["rows_quarantined"] > 0
    return alive_at_start


def test_the_extract_after_the_features_keeps_what_the_output_half_reads(extract_dir, tmp_path):
    from longerlives.codelists import load_codelists
    from longerlives.extract import read_extract, validate_extract
    from longerlives.features import readings
    from longerlives.settings import load_settings

    s = load_settings(None)
    full = validate_extract(
        read_extract(extract_dir),
        as_of=AS_OF,
        settings=s.extract,
        codelists=load_codelists(),
        work_dir=tmp_path,
        summaries=readings(AS_OF),
    )
    after = full.after_features()
    assert after.patients.collect().height == 0 and after.patients.collect_schema() == full.patients.collect_schema()
    assert after.summaries == {}
    assert after.quarantine.equals(full.quarantine) and after.practices.equals(full.practices)
    assert after.teams.equals(full.teams)
    assert (after.rows_read, after.rows_quarantined, after.latest_event) == (
        full.rows_read,
        full.rows_quarantined,
        full.latest_event,
    )


def test_through_the_output_half_only_a_few_columns_of_everybody_are_held(extract_dir, tmp_path):
    """Issue 16, session 31: each block of people's output columns, flags and plans wait in the work
    folder for the output half, which reads them a block at a time; of everybody it holds only what it
    counts and sorts by (the people's counted, report and export columns, the flags' keys and the
    worklist's sort keys). The worklists still name and reach everyone."""
    import polars as pl

    given = []
    real = pipeline._output_half

    def watched(reached, *args, **kwargs):
        given.append(reached)
        return real(reached, *args, **kwargs)

    pipeline._output_half = watched  # type: ignore[assignment]
    try:
        report = pipeline.run(extract_dir, tmp_path / "out", AS_OF, db_url=f"sqlite:///{tmp_path / 'runs.sqlite'}")
    finally:
        pipeline._output_half = real  # type: ignore[assignment]
        dispose_all()
    (reached,) = given
    kept = reached.kept.read()["people"]
    assert set(kept.columns) <= pipeline._kept_people(load_settings(None))
    assert not {"given_name", "family_name", "phone", "address_line_1"} & set(kept.columns)
    assert kept.height == reached.people_count == report.summary["people_on_extract"]
    assert reached.flags().columns == list(pipeline.FLAG_KEYS)
    assert reached.keys().columns == ["team", "nhs_number", "urgency", "marginalisation_rank"]
    patients = pl.read_csv(tmp_path / "out" / "patients.csv", infer_schema=False)
    rows = pl.concat(
        [
            pl.read_csv(f, infer_schema=False)
            for f in (tmp_path / "out" / "worklists").glob("*.csv")
            if f.name != "index.csv"
        ]
    )
    assert rows.height == report.summary["worklists"]["rows"] == reached.keys().height > 0
    assert rows["name"].null_count() == 0  # every synthetic person has a name: each row still shows it
    assert rows["nhs_number"].is_in(patients["nhs_number"].implode()).all()


def test_a_register_in_blocks_keeps_everybodys_flags_and_letters_index_in_the_work_folder(extract_dir, tmp_path):
    """Issue 16, session 33: for a register in several blocks of people the output half holds neither
    everybody's flags' keys nor the blocks' letters index rows (at 600,000 people 61 MB and 40 MB held to
    its end): both wait in the work folder and are read when the report, the exports and the store's
    thread come to them. The flag history and the letters issued are still every flag and every letter."""
    import polars as pl
    import sqlalchemy

    from longerlives import letters

    config = tmp_path / "blocks.toml"
    config.write_text("[features]\nblock_people = 60\n", encoding="utf-8")
    seen: dict[str, object] = {}
    real_half, real_add = pipeline._output_half, letters.LettersInBlocks.add

    def watched(reached, *args, **kwargs):
        seen["held"] = [dict(part.held) for part in reached.flag_keys.parts]
        seen["flags"] = reached.flags()
        return real_half(reached, *args, **kwargs)

    def added(self, inputs):
        index = real_add(self, inputs)
        seen.setdefault("letter_rows_held_by_the_letters", []).append(  # type: ignore[union-attr]
            [v for v in vars(self).values() if isinstance(v, pl.DataFrame | list) and len(v)]
        )
        return index

    pipeline._output_half = watched  # type: ignore[assignment]
    letters.LettersInBlocks.add = added  # type: ignore[method-assign]
    db = tmp_path / "runs.sqlite"
    try:
        report = pipeline.run(extract_dir, tmp_path / "out", AS_OF, config=config, db_url=f"sqlite:///{db}")
    finally:
        pipeline._output_half = real_half  # type: ignore[assignment]
        letters.LettersInBlocks.add = real_add  # type: ignore[method-assign]
    try:
        engine = sqlalchemy.create_engine(f"sqlite:///{db}")
        with engine.connect() as conn:
            history = conn.exec_driver_sql("SELECT count(*) FROM flag_history WHERE resolved_on IS NULL").scalar()
            issued = conn.exec_driver_sql("SELECT count(*) FROM letters_issued").scalar()
        engine.dispose()
    finally:
        dispose_all()
    held = seen["held"]
    assert isinstance(held, list) and len(held) > 1 and all(part == {} for part in held)  # in the work folder
    flags = seen["flags"]
    assert isinstance(flags, pl.DataFrame) and flags.columns == list(pipeline.FLAG_KEYS)
    assert flags.height == report.summary["open_flags"] > 0
    assert len(seen["letter_rows_held_by_the_letters"]) > 1  # type: ignore[arg-type]
    assert all(held == [] for held in seen["letter_rows_held_by_the_letters"])  # type: ignore[union-attr]
    index = pl.read_csv(tmp_path / "out" / "letters" / "index.csv", infer_schema=False)
    assert history == flags.height and issued == index.height == report.summary["letters"]["written"] > 0
    assert not (tmp_path / "out" / ".work").exists()


def test_a_register_in_blocks_keeps_everybodys_kept_columns_and_worklist_keys_in_the_work_folder(extract_dir, tmp_path):
    """Issue 16, session 35: for a register in several blocks the output half holds neither everybody's kept
    columns (the counts', the report's and the exports' columns: 37.5 MB at 600,000 people) nor every worklist
    row's keys (17.5 MB): both wait in the work folder, read by the report, the exports, the worklist files and
    the store's thread when they come to them. Session 36: each block's part waits there as soon as the block
    is made (one file a block), never stacked. The run's counts, the worklists and the exports still cover
    everybody: the same as a register worked as one block."""
    import polars as pl

    config = tmp_path / "blocks.toml"
    config.write_text("[features]\nblock_people = 60\n", encoding="utf-8")
    seen: dict[str, object] = {}
    real_half = pipeline._output_half

    def watched(reached, *args, **kwargs):
        parts = reached.kept.parts
        seen["held"] = [dict(part.held) for part in parts]
        seen["files"] = [[p.name for p in part.paths.values()] for part in parts]
        seen["same_parts"] = reached.list_keys.parts == reached.flag_keys.parts == parts
        return real_half(reached, *args, **kwargs)

    pipeline._output_half = watched  # type: ignore[assignment]
    try:
        blocks = pipeline.run(
            extract_dir, tmp_path / "blocks", AS_OF, config=config, db_url=f"sqlite:///{tmp_path / 'a.sqlite'}"
        )
    finally:
        pipeline._output_half = real_half  # type: ignore[assignment]
    try:
        whole = pipeline.run(extract_dir, tmp_path / "whole", AS_OF, db_url=f"sqlite:///{tmp_path / 'b.sqlite'}")
    finally:
        dispose_all()
    blocks_made = -(-blocks.summary["people_on_extract"] // 60)
    assert seen["held"] == [{}] * blocks_made  # in the work folder, not in memory
    assert seen["files"] == [
        [f"everybody{i:04d}.{name}.parquet" for name in ("people", "flags", "keys")] for i in range(blocks_made)
    ]
    assert seen["same_parts"] is True
    for name in ("people_on_extract", "people_in_scope", "health_check_cohort", "phc_six_complete", "team_codes"):
        assert blocks.summary[name] == whole.summary[name]
    assert blocks.summary["worklists"] == whole.summary["worklists"] and whole.summary["worklists"]["rows"] > 0
    assert blocks.summary["exports"] == whole.summary["exports"] and whole.summary["exports"]["rows"] > 0
    for name in ("flags.csv", "patients.csv", "worklists/index.csv"):
        assert pl.read_csv(tmp_path / "blocks" / name, infer_schema=False).equals(
            pl.read_csv(tmp_path / "whole" / name, infer_schema=False)
        )
