"""Issue 16: every team's worklist files, written from the one frame of all teams' rows, are
exactly what the reference path (``write_csv`` and the HTML rows of that team alone) writes,
hostile text included. (A one-pass variant, every team's CSV cells and HTML rows built at once,
was measured and dropped: no CPU saved at 100,000 people and 130 MB more peak memory; this test
guards any such rewrite.)"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from longerlives.outputs.csvfile import write_csv
from longerlives.outputs.worklist_snapshot import lazy_snapshot
from longerlives.outputs.worklists import (
    HTML_COLUMNS,
    NO_TEAM,
    PLAN_ROW,
    _html_frame,
    _html_rows,
    lean_worklist_rows,
    with_plan_texts,
    worklist_order,
    worklist_rows,
    write_worklists,
)
from tests.outreach.helpers import AS_OF, flags_frame, people_frame, person, run_stages

HOSTILE = ['=HYPERLINK("http://x","y")', "<script>alert(1)</script>", 'O\'Brien & "Sons"', "-2+3", "@cmd"]


def test_each_team_file_is_byte_identical_to_the_per_team_reference(tmp_path):
    rows = []
    for i in range(1, 31):
        team = [None, "CT01", "CT02", "=CT03"][i % 4]
        rows.append(
            person(
                i,
                title=None,
                given_name=None,
                family_name=HOSTILE[i % len(HOSTILE)],  # the whole name cell: a formula if not neutralised
                core_team=team,
                phc_elements_done=i % 3,
                imd_decile=1 + i % 10,
                communication_needs="braille" if i % 7 == 0 else None,
            )
        )
    flags = flags_frame([(r["nhs_number"], "ecg.annual") for r in rows] + [(rows[0]["nhs_number"], "phc.bmi")])
    run = run_stages(tmp_path, people_frame(rows), flags)
    lists = worklist_rows(run.plans, run.people, run.letters_index, run.decisions, None)
    assert lists["team"].n_unique() == 4
    out = tmp_path / "out"
    written = write_worklists(lists, out, None, AS_OF, "2025-06-30-test")
    index = pl.read_csv(out / "worklists" / "index.csv", infer_schema=False)
    codes = [c.removeprefix("'") for c in index["team_code"].fill_null(NO_TEAM).to_list()]  # index.csv is neutralised
    files = dict(zip(codes, index["file"].to_list()))
    for (team,), part in lists.partition_by("team", as_dict=True).items():
        part = part.drop("team").sort("priority")
        csv_path = out / files[team]
        reference = write_csv(part, tmp_path / "ref" / csv_path.name, float_precision=1).read_bytes()
        assert csv_path.read_bytes() == reference
        html = csv_path.with_suffix(".html").read_text(encoding="utf-8")
        assert _html_rows(_html_frame(part), list(HTML_COLUMNS)) in html
        assert "<script>" not in html and "&lt;script&gt;" in html
    assert sum(1 for f in written if f.endswith(".html")) == 4
    text = "".join((out / f).read_text(encoding="utf-8") for f in files.values())
    assert "'=HYPERLINK" in text and "'@cmd" in text and "'-2+3" in text


def _thirty_people_in_four_teams(tmp_path):
    rows = []
    for i in range(1, 31):
        rows.append(
            person(
                i,
                core_team=[None, "CT01", "CT02", "CT03"][i % 4],
                phc_elements_done=i % 4,
                imd_decile=1 + i % 10,
                current_smoker=i % 2 == 0,
            )
        )
    flags = flags_frame(
        [(r["nhs_number"], "ecg.annual") for r in rows]
        + [(r["nhs_number"], "phc.bmi") for r in rows[::3]]
        + [(r["nhs_number"], "smoking.cessation_offer") for r in rows[1::2]]
    )
    return run_stages(tmp_path, people_frame(rows), flags)


def test_worklist_files_made_from_lean_rows_are_byte_identical_to_the_full_rows(tmp_path):
    """Issue 16, session 25: the pipeline makes the rows without their plan and flag-label texts
    and makes them a team at a time as it writes; every file must be what the full rows write."""
    run = _thirty_people_in_four_teams(tmp_path)
    full = worklist_rows(run.plans, run.people, run.letters_index, run.decisions, None)
    lean = lean_worklist_rows(run.plans, run.people, run.letters_index, run.decisions, None)
    assert "plan" not in lean.columns and "flag_labels" not in lean.columns
    write_worklists(full, tmp_path / "full", None, AS_OF, "run-1")
    write_worklists(lean, tmp_path / "lean", None, AS_OF, "run-1", run.plans)
    _assert_same_files(tmp_path / "full" / "worklists", tmp_path / "lean" / "worklists", expected=9)


def _assert_same_files(reference: Path, made: Path, expected: int) -> None:
    """The same file names in both folders, each file byte for byte the same."""
    names = sorted(p.name for p in reference.iterdir())
    assert names == sorted(p.name for p in made.iterdir())
    assert len(names) == expected  # four teams' CSV and HTML, and the index
    for name in names:
        assert (made / name).read_bytes() == (reference / name).read_bytes(), name


def test_each_worklist_row_shows_its_own_persons_plan_and_flags(tmp_path):
    run = _thirty_people_in_four_teams(tmp_path)
    lean = lean_worklist_rows(run.plans, run.people, run.letters_index, run.decisions, None)
    made = with_plan_texts(lean.sample(fraction=1.0, shuffle=True, seed=3), run.plans)  # any selection, any order
    plans = {p["nhs_number"]: p for p in run.plans.iter_rows(named=True)}
    for row in made.iter_rows(named=True):
        own = plans[row["nhs_number"]]
        assert row["plan"] == "; ".join(f"{n}. {action}" for n, action in enumerate(own["actions"], start=1))
        assert row["flag_labels"].count("; ") == len(own["flags"]) - 1
        assert row["flags"] == ";".join(own["flags"])


def test_the_web_worklist_snapshot_holds_none_of_the_files_own_texts(tmp_path):
    run = _thirty_people_in_four_teams(tmp_path)
    lean = lean_worklist_rows(run.plans, run.people, run.letters_index, run.decisions, None)
    snapshot = lazy_snapshot(lean, run.plans, run.flags, run.people, AS_OF, 14)
    assert snapshot.rest is not None
    assert not {"plan", "flag_labels", PLAN_ROW} & set(snapshot.rest.columns)
    whole = snapshot.frame()
    assert whole.height == lean.height and whole["plan_json"].null_count() == 0


def test_worklist_held_as_positions_writes_every_file_byte_identical_to_the_full_rows(tmp_path):
    """Issue 16, session 30: the pipeline holds the list as each row's team, priority and plan, and
    makes a team's cells as its files are written; every file must be what the full rows write."""
    run = _thirty_people_in_four_teams(tmp_path)
    full = worklist_rows(run.plans, run.people, run.letters_index, run.decisions, None)
    listed = worklist_order(run.plans, run.people, run.letters_index, run.decisions, None)
    write_worklists(full, tmp_path / "full", None, AS_OF, "run-1")
    write_worklists(listed, tmp_path / "positions", None, AS_OF, "run-1", run.plans)
    _assert_same_files(tmp_path / "full" / "worklists", tmp_path / "positions" / "worklists", expected=9)


def test_worklist_held_as_positions_keeps_no_persons_text_until_a_team_is_asked_for(tmp_path):
    run = _thirty_people_in_four_teams(tmp_path)
    listed = worklist_order(run.plans, run.people, run.letters_index, run.decisions, None)
    assert listed.order.columns == ["team", "priority", PLAN_ROW]
    assert listed.height == run.plans.height  # one row a plan
    lean = lean_worklist_rows(run.plans, run.people, run.letters_index, run.decisions, None)
    # a team's rows, asked for in any order, carry their own person's cells
    some = listed.order.sample(fraction=1.0, shuffle=True, seed=5)
    made = listed.rows(some)
    by_person = {r["nhs_number"]: r for r in lean.iter_rows(named=True)}
    for row in made.iter_rows(named=True):
        assert row == by_person[row["nhs_number"]]


def test_web_worklist_from_positions_is_the_snapshot_of_the_lean_rows_part_by_part(tmp_path):
    run = _thirty_people_in_four_teams(tmp_path)
    lean = lean_worklist_rows(run.plans, run.people, run.letters_index, run.decisions, None)
    listed = worklist_order(run.plans, run.people, run.letters_index, run.decisions, None)
    from_positions = lazy_snapshot(listed, run.plans, run.flags, run.people, AS_OF, 14)
    assert from_positions.rest is None and from_positions.cells is not None
    assert not {"name", "contact", "letter_note", "safety", "flags", "outreach"} & set(from_positions.order.columns)
    whole = lazy_snapshot(lean, run.plans, run.flags, run.people, AS_OF, 14).frame()
    assert pl.concat(list(from_positions.parts(7))).equals(whole)
    assert whole["name"].null_count() == 0 and whole.height == lean.height


def test_a_web_worklist_block_reads_only_the_snapshots_columns_and_makes_the_same_snapshot(tmp_path):
    """Issue 16, session 34: the store's thread reads a waiting block's people, flags, plans and worklist rows
    only for the columns the snapshot reads (``SNAPSHOT_READS``, ``source_read_by``: no addresses, no plans'
    texts twice, beside the worklist files' groups); the web worklist is the snapshot of the whole frames, row
    for row."""
    from longerlives import pipeline
    from longerlives.outputs.worklist_snapshot import SNAPSHOT_READS, SNAPSHOT_SCHEMA
    from longerlives.outputs.worklists import in_worklist_order, source_read_by, worklist_source
    from longerlives.workfiles import wait

    run = _thirty_people_in_four_teams(tmp_path)
    source = worklist_source(run.plans, run.people, run.letters_index, run.decisions, None)
    whole = lazy_snapshot(in_worklist_order(source), run.plans, run.flags, run.people, AS_OF, 14).frame()
    for folder in (None, tmp_path / "work"):  # a block held, and one waiting in the work folder
        block = wait({"people": run.people, "flags": run.flags, "plans": run.plans}, folder, "block0000")
        made = pipeline._web_block(block, wait({"source": source}, folder, "lists0000"), AS_OF, 14).frame()
        assert made.equals(whole)
    assert whole.height == run.plans.height and whole["plan_json"].null_count() == 0
    assert not {"given_name", "family_name", "address_line_1", "postcode"} & set(SNAPSHOT_READS["people"])
    assert SNAPSHOT_READS["plans"] == ("nhs_number", "actions")
    read = source_read_by(SNAPSHOT_SCHEMA)  # of the worklist rows: not the plans' actions (the plans give them)
    assert "actions" not in read and "marginalisation_score" not in read and set(read) < set(source.columns)
