"""The register worked through in blocks of people (issue 16, session 17): the feature pass,
risk scores and rules run on at most ``features.block_people`` people at a time, so the
400-column feature table never holds everybody; the letters are made for at most
``letters.block_letters`` people at a time (session 24). Every column is a fact about one person,
so a practice, a team or a patient must not be able to tell how big the blocks were:
every output file is the same, byte for byte. Since session 31 the output half reads each block
once and writes the practice exports and the worklist files a group of practices or teams at a time
(``operations.export_group_flags``, ``operations.worklist_group_rows``), and the web worklist and the
store's letters a block at a time: the store must not be able to tell either. Since session 32 each
block's outputs wait for the output half in parts of at most ``operations.output_block_people``."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from longerlives import pipeline
from longerlives.codelists import load_codelists
from longerlives.extract import read_extract, validate_extract
from longerlives.features import FeatureBlocks, build_features
from longerlives.settings import load_settings
from longerlives.store import dispose_all
from longerlives.synth import generate

AS_OF = date(2026, 11, 1)
PEOPLE = 600
BLOCK = 97  # seven blocks, the last one short
LETTER_BLOCK = 41  # the letters (about 500 of them) in blocks of 41 people
EXPORT_GROUP = 300  # flags a group of practices (about 2,000 flags in 11 practices: several groups)
LIST_GROUP = 60  # worklist rows a group of teams (about 450 rows in 5 teams and unallocated)
OUTPUT_PART = 37  # each block's outputs wait for the output half in three parts


@pytest.fixture(scope="module")
def extract_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("blocks") / "extract"
    generate(PEOPLE, 11, folder, "csv", 0.01, AS_OF)  # a few bad rows: the quarantine is compared too
    return folder


@dataclasses.dataclass(frozen=True)
class Night:
    out: Path
    run: dict
    progress: list[tuple[str, str]]


def run_night(extract_dir: Path, base: Path, config_text: str | None, events: list[tuple[str, str]]) -> Path:
    """One nightly run of ``extract_dir`` into ``base/out`` on a fresh SQLite store in ``base``, with
    ``config_text`` as the user's configuration (none if None) and its progress events appended to
    ``events``. Returns the output folder."""
    config = None
    if config_text is not None:
        config = base / "config.toml"
        config.write_text(config_text)
    pipeline.run(
        extract_dir,
        base / "out",
        AS_OF,
        config=config,
        db_url=f"sqlite:///{base / 'runs.sqlite'}",
        progress=lambda stage, event: events.append((stage, event)),
    )
    dispose_all()
    return base / "out"


def _night(extract_dir: Path, base: Path, block_people: int | None) -> Night:
    # the letters in blocks too (session 24): of a different size, so their edges fall elsewhere
    config = (
        None
        if block_people is None
        else f"[features]\nblock_people = {block_people}\n\n[letters]\nblock_letters = {LETTER_BLOCK}\n\n"
        f"[operations]\nexport_group_flags = {EXPORT_GROUP}\nworklist_group_rows = {LIST_GROUP}\n"
        f"output_block_people = {OUTPUT_PART}\n"
    )
    seen: list[tuple[str, str]] = []
    out = run_night(extract_dir, base, config, seen)
    return Night(out, json.loads((out / "run.json").read_text()), seen)


@pytest.fixture(scope="module")
def one_block(extract_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Night:
    return _night(extract_dir, tmp_path_factory.mktemp("one-block"), None)


@pytest.fixture(scope="module")
def in_blocks(extract_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Night:
    return _night(extract_dir, tmp_path_factory.mktemp("in-blocks"), BLOCK)


def output_files(out: Path) -> dict[str, bytes]:
    """Every output file of the run in ``out`` but run.json, the run's id replaced (it is random per run)."""
    run_id = json.loads((out / "run.json").read_text())["run_id"].encode()
    return {
        str(p.relative_to(out)): p.read_bytes().replace(run_id, b"<run>")
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "run.json"
    }


def test_every_output_file_is_the_same_whatever_the_block_size(one_block: Night, in_blocks: Night) -> None:
    expected, got = output_files(one_block.out), output_files(in_blocks.out)
    assert sorted(got) == sorted(expected)
    assert any(name.startswith("letters/") for name in got) and "flags.csv" in got and "patients.csv" in got
    assert [name for name in expected if got[name] != expected[name]] == []


def _store_rows(base: Path, table: str, order: str, leave_out: tuple[str, ...]) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(base / "runs.sqlite") as conn:
        columns = [r[1] for r in conn.execute(f"pragma table_info({table})") if r[1] not in leave_out]
        quoted = ", ".join(f'"{c}"' for c in columns)
        return conn.execute(f"select {quoted} from {table} order by {order}").fetchall()


@pytest.mark.parametrize(
    ("table", "order"),
    [
        ("worklist_entries", "team, priority"),  # the web worklist, a block at a time since session 31
        ("letters_issued", "nhs_number, letter"),
        ("flag_history", "nhs_number, flag, first_seen"),
        ("coverage", 'measure, group_by, "group"'),
    ],
)
def test_the_run_store_holds_the_same_rows_whatever_the_block_size(
    one_block: Night, in_blocks: Night, table: str, order: str
) -> None:
    # the run's own id and the store's keys (a store's person keys are made with its own secret)
    leave_out = ("id", "run_id", "person_key", "first_run_id", "last_run_id")
    expected = _store_rows(one_block.out.parent, table, order, leave_out)
    got = _store_rows(in_blocks.out.parent, table, order, leave_out)
    assert len(expected) > 0
    assert got == expected


def test_the_run_summary_counts_the_same_people_flags_and_letters_in_blocks(one_block: Night, in_blocks: Night) -> None:
    ignore = {"recovery"}
    expected = {k: v for k, v in one_block.run["summary"].items() if k not in ignore}
    got = {k: v for k, v in in_blocks.run["summary"].items() if k not in ignore}
    assert got == expected
    assert got["people_in_scope"] > 0 and got["open_flags"] > 0


def test_a_stage_worked_in_blocks_starts_and_ends_once_for_the_progress_bar(one_block: Night, in_blocks: Night) -> None:
    for stage in pipeline.STAGES:  # the bar counts stages: seven blocks must not advance it seven times
        assert in_blocks.progress.count((stage, "start")) == 1, stage
        assert in_blocks.progress.count((stage, "done")) == 1, stage
    order = [stage for stage, event in in_blocks.progress if event == "done"]
    assert order.index("features") < order.index("risk") < order.index("rules") < order.index("outreach")
    assert sorted(in_blocks.progress) == sorted(one_block.progress)


def test_the_stage_times_of_the_blocks_add_up_in_the_run_record(in_blocks: Night) -> None:
    seconds = in_blocks.run["stage_seconds"]
    assert list(seconds).count("features") == 1
    assert all(seconds[stage] > 0 for stage in ("features", "risk", "rules"))


def test_the_matched_events_work_file_is_gone_after_the_run(in_blocks: Night) -> None:
    left = [p for p in in_blocks.out.parent.rglob("matched_events.parquet")]
    assert left == []
    assert not (in_blocks.out / ".work").exists()


@pytest.fixture(scope="module")
def validated(extract_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    settings, codelists = load_settings(), load_codelists()
    work = tmp_path_factory.mktemp("work")
    extract = validate_extract(
        read_extract(extract_dir), as_of=AS_OF, settings=settings.extract, codelists=codelists, work_dir=work
    )
    return extract, settings, codelists, work


@pytest.mark.parametrize("block_people", [1_000_000, PEOPLE, BLOCK, 50])
def test_feature_blocks_one_after_another_are_the_whole_feature_table(validated, block_people: int) -> None:
    extract, settings, codelists, work = validated
    whole = build_features(extract, codelists, AS_OF, settings.features).people
    blocks = FeatureBlocks(extract, codelists, AS_OF, settings.features, block_people=block_people, work_dir=work)
    assert len(blocks) == -(-whole.height // block_people)
    parts = [blocks.block(i).people for i in range(len(blocks))]
    assert all(part.height <= block_people for part in parts)
    assert pl.concat(parts).equals(whole)


@pytest.mark.parametrize(
    ("block_people", "split_people", "expected_size"), [(PEOPLE, BLOCK, PEOPLE), (500, BLOCK, BLOCK)]
)
def test_a_register_larger_than_block_people_is_worked_in_blocks_of_split_block_people(
    validated, block_people: int, split_people: int, expected_size: int
) -> None:
    """Issue 16, session 34: a register of up to ``features.block_people`` stays one block (nothing written to
    the work folder and read back); a larger one is worked in the smaller blocks of
    ``features.split_block_people``, and every person's features are the same."""
    extract, settings, codelists, work = validated
    whole = build_features(extract, codelists, AS_OF, settings.features).people
    assert BLOCK < 500 < whole.height <= PEOPLE
    blocks = FeatureBlocks(
        extract,
        codelists,
        AS_OF,
        settings.features,
        block_people=block_people,
        work_dir=work,
        split_people=split_people,
    )
    parts = [blocks.block(i).people for i in range(len(blocks))]
    assert len(parts) == -(-whole.height // expected_size)
    assert max(part.height for part in parts) == min(expected_size, whole.height)
    assert pl.concat(parts).equals(whole)


def test_the_feature_blocks_read_the_validated_patients_a_block_at_a_time_from_the_work_folder(validated) -> None:
    """Issue 16, session 34: validation keeps the valid patients in its work folder in NHS-number order and
    holds only their NHS numbers; the feature pass of a register in several blocks reads its patients a block
    at a time from there (nothing of everybody's patients held beside a block's features)."""
    extract, settings, codelists, work = validated
    plan = extract.patients.explain()
    assert "patients.valid." in plan and str(work) in plan  # a scan of validation's file, not a held frame
    numbers = extract.patients.select("nhs_number").collect()["nhs_number"]
    assert numbers.is_sorted() and numbers.n_unique() == numbers.len() > BLOCK
    blocks = FeatureBlocks(extract, codelists, AS_OF, settings.features, block_people=BLOCK, work_dir=work)
    assert "patients.valid." in blocks._patients.explain()  # read by each block, not collected whole
    assert not list(work.glob("features.patients*"))  # and not copied to a work file of the feature pass
    first = blocks.block(0).people
    assert first["nhs_number"].to_list() == numbers.head(BLOCK).to_list()


def test_an_extract_validated_again_into_the_same_folder_keeps_its_own_patients(validated, extract_dir) -> None:
    """Each validation's patients file is its own: validating another extract into the same work folder does
    not change what an earlier extract's patients read."""
    extract, settings, codelists, work = validated
    before = extract.patients.collect()
    other = extract_dir.parent / "one-patient"
    other.mkdir(exist_ok=True)
    for table in ("events", "medications", "encounters", "teams", "practices"):
        (other / f"{table}.csv").write_text((extract_dir / f"{table}.csv").read_text())
    first = before["nhs_number"][0]
    patients = pl.read_csv(extract_dir / "patients.csv", infer_schema=False)
    patients.filter(pl.col("nhs_number") == first).write_csv(other / "patients.csv")
    again = validate_extract(
        read_extract(other), as_of=AS_OF, settings=settings.extract, codelists=codelists, work_dir=work
    )
    assert again.patients.collect()["nhs_number"].to_list() == [first]
    assert extract.patients.collect().equals(before) and before.height > 1  # the first extract's, unchanged


def test_feature_blocks_need_a_work_folder_for_more_than_one_block(validated) -> None:
    extract, settings, codelists, _ = validated
    with pytest.raises(ValueError, match="work folder"):
        FeatureBlocks(extract, codelists, AS_OF, settings.features, block_people=BLOCK)


def test_systolic_sd_has_the_same_bits_whatever_the_order_of_the_events(validated) -> None:
    """QRISK3's sbps5 reads this SD: it must not change in its last bits with the order rows
    arrive in (before session 17 a grouped std() did, from run to run on two threads)."""
    extract, settings, codelists, _ = validated
    sd = f"systolic_bp_sd_{settings.features.sbp_sd_years}y"
    events = extract.events.collect()
    shuffled = [
        dataclasses.replace(extract, events=events.sample(fraction=1.0, shuffle=True, seed=seed).lazy())
        for seed in (1, 2, 3)
    ]
    first = build_features(extract, codelists, AS_OF, settings.features).people[sd]
    assert first.drop_nulls().len() > PEOPLE // 4  # most people have two or more readings
    for other in shuffled:
        again = build_features(other, codelists, AS_OF, settings.features).people[sd]
        assert again.equals(first)


def test_letters_in_blocks_write_each_letter_once_in_blocks_of_at_most_the_size(one_block: Night, in_blocks: Night):
    index = pl.read_csv(in_blocks.out / "letters" / "index.csv", schema_overrides={"nhs_number": pl.String})
    assert index.height > 3 * LETTER_BLOCK  # several blocks of letters were made
    assert index["nhs_number"].is_unique().all() and index["nhs_number"].is_sorted()
    assert (in_blocks.out / "letters" / "index.csv").read_bytes() == (
        one_block.out / "letters" / "index.csv"
    ).read_bytes()


@pytest.mark.parametrize("size", [1, 7, 1_000_000])
def test_letter_blocks_split_the_people_sent_letters_into_disjoint_ranges(size: int) -> None:
    from longerlives.letters import LetterInputs, letter_blocks

    numbers = [f"9{i:09d}" for i in (5, 1, 9, 3, 7, 2, 8, 4, 6, 0)]
    decisions = pl.DataFrame({"nhs_number": numbers, "send": [i % 3 != 0 for i in range(10)]})
    flags = pl.DataFrame({"nhs_number": sorted(numbers * 2), "flag": ["a", "b"] * 10})
    people = pl.DataFrame({"nhs_number": sorted(numbers)})
    inputs = LetterInputs(decisions, people, flags, people, None, None)
    blocks = letter_blocks(inputs, size)
    sent = [b.decisions.filter(pl.col("send"))["nhs_number"].to_list() for b in blocks]
    assert sorted(n for part in sent for n in part) == sorted(decisions.filter(pl.col("send"))["nhs_number"])
    assert all(0 < len(part) <= size for part in sent)
    assert len(blocks) == -(-6 // size)  # six of the ten are sent a letter
    for block in blocks:  # each block's flags are its own range's people's, every one of them
        lo, hi = min(block.decisions["nhs_number"]), max(block.decisions["nhs_number"])
        assert block.flags["nhs_number"].is_between(pl.lit(lo), pl.lit(hi)).all()
    assert sum(b.flags.height for b in blocks) <= flags.height


@pytest.mark.parametrize("size", [1, 3, 4, 10, 11])
def test_a_block_waits_for_the_output_half_in_nhs_number_ranges_of_at_most_the_size_losing_no_row(
    size: int,
) -> None:
    numbers = ["9000000007", "9000000015", "9000000023", "9000000031", "9000000040", "9000000058"]
    people = pl.DataFrame({"nhs_number": numbers[::-1], "name": list("fedcba")})  # not in NHS-number order
    flags = pl.DataFrame({"nhs_number": [numbers[i] for i in (5, 0, 0, 3, 3, 3, 1)], "flag": list("abcdefg")})
    plans = pl.DataFrame({"nhs_number": numbers[1::2], "plan": ["x", "y", "z"]})
    parts = pipeline._in_parts({"people": people, "flags": flags, "plans": plans}, size)
    assert all(part["people"].height <= size for part in parts)
    assert len(parts) == -(-len(numbers) // size)
    for name, whole in (("people", people), ("flags", flags), ("plans", plans)):
        together = pl.concat([part[name] for part in parts])
        assert sorted(together.rows()) == sorted(whole.rows())  # every row once, none lost
        for part in parts:  # each person's rows in one part, the rows in their own order there
            assert set(part[name]["nhs_number"]) <= set(part["people"]["nhs_number"])
            assert (
                part[name].rows()
                == whole.filter(pl.col("nhs_number").is_in(part["people"]["nhs_number"].implode())).rows()
            )
    highest = [max(part["people"]["nhs_number"]) for part in parts]
    lowest = [min(part["people"]["nhs_number"]) for part in parts]
    assert all(hi < lo for hi, lo in zip(highest, lowest[1:]))  # one part after another in NHS-number order
