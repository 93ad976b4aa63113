"""Per-practice exports (run-outputs-v1): flags.csv and a FHIR R4 Bundle of Flags."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from fhir.resources.R4B.bundle import Bundle

from longerlives.outputs.core import FLAGS_COLUMNS
from longerlives.outputs.exports import EXPORT_COLUMNS, ExportError
from longerlives.outputs.fhir import NHS_NUMBER_SYSTEM, ODS_SYSTEM, UKCORE_FLAG_PROFILE, check_bundle

from .conftest import default_world, flags_frame, mini_run, nhs, people_frame


def test_practice_export_holds_only_its_own_patients(tmp_path):
    world = default_world()
    mini_run(tmp_path, date(2025, 6, 1), world)
    out = tmp_path / "out"
    whole = pl.read_csv(out / "flags.csv", infer_schema=False)
    practices = sorted(p.name for p in (out / "exports").iterdir())
    assert practices == ["A81001", "B82002", "C83003"]
    parts = []
    for practice in practices:
        part = pl.read_csv(out / "exports" / practice / "flags.csv", infer_schema=False)
        assert (
            part.columns
            == EXPORT_COLUMNS
            == FLAGS_COLUMNS
            == ["nhs_number", "practice_code", "core_team", "flag", "since", "reason", "urgency"]
        )
        assert part["practice_code"].unique().to_list() in ([practice], [])
        mine = world.people.filter(pl.col("practice_code") == practice)["nhs_number"].to_list()
        assert set(part["nhs_number"]) <= set(mine)
        assert set(part["urgency"].to_list()) <= {"routine"}  # no safety items in this world
        part = part.sort("nhs_number", "flag")
        assert part.equals(whole.filter(pl.col("practice_code") == practice))
        parts.append(part)
    assert pl.concat(parts).sort("nhs_number", "flag").equals(whole)
    # the dead person (nhs(4), B82002) appears nowhere
    assert nhs(4) not in (out / "exports" / "B82002" / "flags.csv").read_text()
    assert nhs(4) not in (out / "exports" / "B82002" / "bundle.json").read_text()


def test_practice_with_no_flags_gets_an_empty_export(tmp_path):
    world = default_world()
    world.flags = world.flags.filter(pl.col("nhs_number") != nhs(5))
    mini_run(tmp_path, date(2025, 6, 1), world)
    folder = tmp_path / "out" / "exports" / "C83003"
    assert (folder / "flags.csv").read_text() == ",".join(EXPORT_COLUMNS) + "\n"
    assert check_bundle((folder / "bundle.json").read_text()).entry is None


def test_export_refuses_flags_for_the_dead_or_deregistered(tmp_path):
    world = default_world()  # nhs(4) is out of scope (died); deregistered people are out of scope the same way
    world.flags = pl.concat([world.flags, flags_frame([(nhs(4), "phc.bmi", None, "No BMI ever recorded")])])
    with pytest.raises(ExportError, match="not in scope"):
        mini_run(tmp_path, date(2025, 6, 1), world)
    assert not (tmp_path / "out").exists()


def test_bundle_validates_as_fhir_r4_flags(tmp_path):
    world = default_world()
    mini_run(tmp_path, date(2025, 6, 1), world)
    folder = tmp_path / "out" / "exports" / "A81001"
    text = (folder / "bundle.json").read_text()
    bundle = Bundle.model_validate_json(text)  # fhir.resources R4B models
    check_bundle(text)
    rows = pl.read_csv(folder / "flags.csv", infer_schema=False)
    assert bundle.type == "collection" and len(bundle.entry) == rows.height == 2
    for entry, row in zip(bundle.entry, rows.iter_rows(named=True)):
        flag = entry.resource
        assert flag.get_resource_type() == "Flag"
        assert entry.fullUrl == f"urn:uuid:{flag.id}"
        assert flag.status == "active"
        assert (flag.subject.identifier.system, flag.subject.identifier.value) == (NHS_NUMBER_SYSTEM, row["nhs_number"])
        assert (flag.author.identifier.system, flag.author.identifier.value) == (ODS_SYSTEM, "A81001")
        assert flag.meta.profile == [UKCORE_FLAG_PROFILE]
        assert flag.code.text.endswith(f"({row['flag']})") and row["reason"] in flag.code.text
        assert flag.code.coding[-1].code == row["flag"]
        assert flag.period.start.isoformat() == (row["since"] or "2025-06-01")  # unknown start: the as-of date
    raw = json.loads(text)
    assert raw["resourceType"] == "Bundle" and raw["entry"][0]["resource"]["resourceType"] == "Flag"


def test_bundle_check_catches_what_structure_alone_does_not():
    from fhir.resources.R4B.bundle import Bundle as B

    from longerlives.outputs.fhir import FhirExportError, build_bundle, bundle_json

    rows = flags_frame([(nhs(1), "phc.bmi", None, "No BMI ever recorded")]).with_columns(
        pl.lit("A81001").alias("practice_code"), pl.lit("T1").alias("core_team")
    )
    bundle = build_bundle(rows, "A81001", date(2025, 6, 1), "https://example.org/flag")
    bad = bundle.model_copy(deep=True)
    bad.entry[0].resource.status = "bogus"
    with pytest.raises(FhirExportError):
        check_bundle(bundle_json(bad))
    assert isinstance(check_bundle(bundle_json(bundle)), B)
    with pytest.raises(FhirExportError, match="another practice"):
        build_bundle(rows, "B82002", date(2025, 6, 1), "https://example.org/flag")


def test_export_rejects_a_practice_code_that_is_not_ods_form(tmp_path):
    world = default_world()
    world.people = people_frame([(nhs(1), "../etc", "T1", True, True, 0)])
    world.flags = world.flags.filter(pl.col("nhs_number") == nhs(1))
    with pytest.raises(ExportError, match="ODS"):
        mini_run(tmp_path, date(2025, 6, 1), world)
