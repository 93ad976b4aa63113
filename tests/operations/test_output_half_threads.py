"""The output half runs on two threads (issue 16): the letters and worklists on one, flags.csv,
patients.csv, quarantine.csv, the practice exports and the coverage report on the other. A failure
on either thread must still fail the whole run with nothing half-written and last night's outputs
untouched; and the output stages must read no feature column (they are dropped to save memory)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from longerlives import letters as letters_package
from longerlives import pipeline
from longerlives.outfolder import debris
from longerlives.outputs.exports import ExportError
from longerlives.settings import load_settings
from longerlives.store import dispose_all, open_store
from longerlives.synth import generate

AS_OF = date(2026, 11, 1)
EARLIER = AS_OF - timedelta(days=40)


@pytest.fixture(scope="module")
def last_night(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("two-threads")
    generate(150, 5, base / "extract", "csv", 0.0, AS_OF)
    pipeline.run(base / "extract", base / "out", EARLIER, db_url=f"sqlite:///{base / 'state' / 'runs.sqlite'}")
    dispose_all()
    return base


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@dataclass(frozen=True)
class FailedNight:
    before: dict[str, bytes]  # last night's output files before tonight's run
    after: dict[str, bytes]  # the same folder after tonight's run failed
    debris: list[Path]  # staging folders left beside it
    last_status: str  # the store's status of tonight's run


def _fail_tonight(base: Path, monkeypatch: pytest.MonkeyPatch, where: str, error: Exception) -> FailedNight:
    """Run tonight with ``where`` raising ``error``; what the folder and the store hold afterwards."""

    def broken(*args: object, **kwargs: object) -> None:
        raise error

    if where == "exports":
        monkeypatch.setattr(pipeline, "write_exports", broken)
    else:  # the pipeline writes the letters a block of people at a time (issue 16, session 31)
        monkeypatch.setattr(letters_package.LettersInBlocks, "add", broken)
    before = _files(base / "out")
    db = f"sqlite:///{base / 'state' / 'runs.sqlite'}"
    with pytest.raises(type(error), match="simulated"):
        pipeline.run(base / "extract", base / "out", AS_OF, db_url=db)
    dispose_all()
    status = open_store(db).runs().sort("started_at")["status"].to_list()[-1]
    dispose_all()
    return FailedNight(before, _files(base / "out"), debris(base / "out"), status)


def test_a_practice_export_failure_on_the_second_thread_fails_the_run_and_keeps_last_nights_outputs(
    last_night: Path, monkeypatch: pytest.MonkeyPatch
):
    night = _fail_tonight(last_night, monkeypatch, "exports", ExportError("simulated: a bundle failed its check"))
    assert night.after == night.before, "last night's outputs changed although tonight's run failed"
    assert night.debris == [], "tonight's half-written staging folder was left behind"
    assert night.last_status == "failed"


def test_a_letter_failure_waits_for_the_exports_thread_and_leaves_nothing_half_written(
    last_night: Path, monkeypatch: pytest.MonkeyPatch
):
    night = _fail_tonight(last_night, monkeypatch, "letters", RuntimeError("simulated: the letter disk is full"))
    assert night.after == night.before, "last night's outputs changed although tonight's run failed"
    assert night.debris == [], "the exports thread wrote on after the run gave up"
    assert night.last_status == "failed"


def test_the_output_stages_are_handed_no_feature_columns(last_night: Path):
    people = pl.DataFrame(
        {
            "nhs_number": ["9000000009"],
            "practice_code": ["A81001"],
            "bmi_last_date": [AS_OF],  # a feature the rules read
            "ecg_cohort_reason": ["on the SMI register"],  # a rule's working read by no output
            "qrisk3": [12.5],
            "address_line_1": ["1 High Street"],  # the letters'
        }
    )
    narrowed = pipeline.output_people(people, load_settings(None))
    assert narrowed.columns == ["nhs_number", "practice_code", "qrisk3", "address_line_1"]
    patients = pl.read_csv(last_night / "out" / "patients.csv", infer_schema=False)
    assert "qrisk3" in patients.columns and not any(c.endswith("_last_date") for c in patients.columns)
