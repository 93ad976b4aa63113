"""What a GP practice receives (issue 15; run-outputs-v2 exports/<practice_code>/): safety
flags included and first, with their urgency; FHIR Flags in the UK Core Flag profile,
checked against the profile's required and must-support elements and by fhir.resources.
A golden practice export (``UPDATE_GOLDEN=1`` rewrites it; review the diff like code)."""

from __future__ import annotations

import csv
import json
import os
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from fhir.resources.R4B.bundle import Bundle

from longerlives.outputs.fhir import SNOMED_SYSTEM, UKCORE_FLAG_PROFILE, check_bundle
from longerlives.outputs.flag_labels import FHIR_FLAG_CODES
from longerlives.paths import CODELIST_DIR

from .conftest import World, flags_frame, mini_run, nhs, people_frame

AS_OF = date(2025, 6, 1)
GOLDEN = Path(__file__).parent / "golden" / "practice_export"
PROFILE_XML = Path(__file__).resolve().parents[1] / "vendor" / "UKCore-Flag-1.2.0.xml"
FHIR_NS = {"f": "http://hl7.org/fhir"}
# Base R4 Flag: status 1..1, code 1..1, subject 1..1 (https://hl7.org/fhir/R4/flag.html); UK Core keeps them.
BASE_REQUIRED = ("status", "code", "subject")

USC = "Urgent suspected cancer referral on 2025-03-10, no hospital attendance recorded yet"
BP_TODAY = "Blood pressure 186/100 on 2025-05-28 is 180/120 or higher and needs same-day assessment"
BP_OLD = "Blood pressure 182/96 on 2025-01-15 is 180/120 or higher and needs same-day assessment"


def safety_world() -> World:
    people = people_frame(
        [
            (nhs(1), "A81001", "T1", True, True, 2),
            (nhs(2), "A81001", "T1", True, True, 6),
            (nhs(3), "A81001", None, True, True, 0),
            (nhs(4), "B82002", "T2", True, True, 6),
        ]
    )
    flags = flags_frame(
        [  # as the rules raise them: safety flags carry their urgency
            (
                nhs(1),
                "phc.blood_pressure",
                date(2024, 3, 3),
                "Last blood pressure recorded 2024-03-02, more than 12 months ago",
            ),
            (nhs(1), "screening.bowel", None, "Bowel screening overdue"),
            (nhs(2), "safety.usc_not_attended", date(2025, 3, 10), USC, "soon"),
            (nhs(3), "safety.bp_severe", date(2025, 1, 15), BP_OLD, "soon"),
            (nhs(3), "outreach.marginalised", None, "Most marginalised 20%: no contact in 12 months"),
            (nhs(4), "safety.bp_severe", date(2025, 5, 28), BP_TODAY, "same_day"),
        ]
    ).sort("nhs_number", "flag")
    return World(people, flags)


@pytest.fixture
def export(tmp_path):
    mini_run(tmp_path, AS_OF, safety_world())
    return tmp_path / "out" / "exports"


def test_a_cancer_referral_not_attended_reaches_the_practice_export(export):
    rows = list(csv.DictReader((export / "A81001" / "flags.csv").open(encoding="utf-8")))
    usc = [r for r in rows if r["flag"] == "safety.usc_not_attended"]
    assert len(usc) == 1 and usc[0]["nhs_number"] == nhs(2) and usc[0]["urgency"] == "soon"
    assert usc[0]["since"] == "2025-03-10" and "no hospital attendance" in usc[0]["reason"]


def test_safety_flags_come_first_most_urgent_first(export):
    b = list(csv.DictReader((export / "B82002" / "flags.csv").open(encoding="utf-8")))
    assert [(r["flag"], r["urgency"]) for r in b] == [("safety.bp_severe", "same_day")]  # reading 4 days old
    a = list(csv.DictReader((export / "A81001" / "flags.csv").open(encoding="utf-8")))
    assert [r["urgency"] for r in a] == ["soon", "soon", "routine", "routine", "routine"]
    assert [r["flag"] for r in a[:2]] == ["safety.usc_not_attended", "safety.bp_severe"]  # BP over 30 days old: soon


def test_safety_flags_are_in_the_bundle_first_as_safety_category(export):
    bundle = check_bundle((export / "A81001" / "bundle.json").read_text(encoding="utf-8"))
    first = bundle.entry[0].resource
    assert first.category[0].coding[0].code == "safety"
    assert first.code.coding[0].system == SNOMED_SYSTEM and first.code.coding[0].code == "199251000000107"
    from longerlives.rules import rule_by_id

    spec = rule_by_id("safety.usc_not_attended").spec
    assert first.code.text.startswith(f"{spec.title} (within two weeks)")
    assert f". Plan: {spec.plan_words}" in first.code.text
    assert [e.resource.category[0].coding[0].code for e in bundle.entry] == [
        "safety",
        "safety",
        "clinical",
        "clinical",
        "clinical",
    ]


def _profile_elements() -> tuple[set[str], set[str]]:
    """(paths with min >= 1, must-support paths) from the UK Core Flag differential."""
    root = ET.parse(PROFILE_XML).getroot()
    assert root.find("f:url", FHIR_NS).get("value") == UKCORE_FLAG_PROFILE
    required, must = set(), set()
    for el in root.iterfind("f:differential/f:element", FHIR_NS):
        path = el.find("f:path", FHIR_NS).get("value").removeprefix("Flag.")
        m = el.find("f:min", FHIR_NS)
        if m is not None and int(m.get("value")) >= 1:
            required.add(path)
        ms = el.find("f:mustSupport", FHIR_NS)
        if ms is not None and ms.get("value") == "true":
            must.add(path)
    return required, must


def test_every_flag_has_the_uk_core_flag_profiles_required_and_must_support_elements(export):
    required, must = _profile_elements()
    assert must == {"status", "code", "subject"}  # UK Core Flag 1.2.0
    for practice in ("A81001", "B82002"):
        raw = json.loads((export / practice / "bundle.json").read_text(encoding="utf-8"))
        Bundle.model_validate(raw)  # fhir.resources R4B: structure and cardinality
        for entry in raw["entry"]:
            flag = entry["resource"]
            for path in required | must | set(BASE_REQUIRED):
                node = flag
                for part in path.split("."):
                    node = node[part] if isinstance(node, dict) else node[0][part]
                assert node, path
            assert flag["meta"]["profile"] == [UKCORE_FLAG_PROFILE]
            assert flag["category"][0]["coding"][0]["system"] == "http://terminology.hl7.org/CodeSystem/flag-category"
            assert flag["period"]["start"]
            assert flag["author"] == {
                "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": practice},
                "type": "Organization",
            }
            assert flag["code"]["coding"][-1]["code"] == flag["code"]["text"].rsplit("(", 1)[1].rstrip(")")


def test_every_snomed_code_comes_whole_from_a_project_code_list():
    """Only real SNOMED CT concepts: each code and its term are in the named config/codelists file."""
    with FHIR_FLAG_CODES.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows
    for r in rows:
        listed = pl.read_csv(CODELIST_DIR / f"{r['codelist']}.csv", infer_schema=False)
        match = listed.filter(pl.col("code") == r["snomed_code"])
        assert match.height == 1, r
        assert match["term"][0] == r["display"], r


def test_practice_export_matches_golden(export):
    for name in ("flags.csv", "bundle.json"):
        got = (export / "A81001" / name).read_text(encoding="utf-8")
        path = GOLDEN / name
        if os.environ.get("UPDATE_GOLDEN") == "1":
            path.write_text(got, encoding="utf-8")
        assert got == path.read_text(encoding="utf-8"), name


def test_project_code_system_is_shipped_complete_and_valid():
    """Every flag code a practice can receive is defined in the shipped CodeSystem, under the configured URL."""
    from fhir.resources.R4B.codesystem import CodeSystem

    from longerlives.outputs.flag_labels import CODE_SYSTEM_FILE, code_system_resource
    from longerlives.settings import load_settings

    url = load_settings().operations.fhir_flag_code_system
    shipped = json.loads(CODE_SYSTEM_FILE.read_text(encoding="utf-8"))
    assert shipped == code_system_resource(url), "regenerate: .venv/bin/python -m longerlives.outputs.flag_labels"
    system = CodeSystem.model_validate(shipped)
    codes = {c.code for c in system.concept}
    assert {"safety.usc_not_attended", "safety.bp_severe", "phc.bmi", "outreach.marginalised"} <= codes
    assert load_settings().operations.fhir_flag_code_system_source


def test_mesh_workflow_id_is_documented_configuration_not_a_default():
    from longerlives.delivery.mesh import MeshNotConfigured, mesh_client
    from longerlives.settings import load_settings
    from longerlives.settings.operations import MeshSettings

    mesh = load_settings().operations.mesh
    assert mesh.workflow_id is None and "NHS England" in mesh.workflow_id_source
    with pytest.raises(MeshNotConfigured, match="workflow id not set"):
        mesh_client(MeshSettings(url="http://127.0.0.1:1", mailbox="X26ABC1"))


def test_a_run_without_mesh_configured_falls_back_to_the_outbox_without_loading_the_mesh_client():
    """The MESH client library (and its HTTP stack) is loaded only once MESH is configured:
    an unconfigured night says why and uses the outbox, and does not pay for the import (issue 16)."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from longerlives.delivery.mesh import MeshNotConfigured, mesh_client\n"
        "from longerlives.settings.operations import MeshSettings\n"
        "try:\n"
        "    mesh_client(MeshSettings(url='http://127.0.0.1:1', mailbox='X26ABC1'))\n"
        "except MeshNotConfigured as exc:\n"
        "    print('not configured:', exc)\n"
        "print('mesh_client loaded' if 'mesh_client' in sys.modules else 'mesh_client not loaded')\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert "not configured: MESH workflow id not set" in out
    assert "mesh_client not loaded" in out
