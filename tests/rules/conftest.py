"""Builders for rule tests: a tiny register extract run through the REAL path.

``reg`` (a ``Register``) collects made-up people, coded events, medicine issues and
contacts, writes them as CSVs under ``tmp_path``, then runs ``read_extract →
validate_extract → build_features → add_health_check_columns`` with the real code
lists and settings, and finally the rule(s). Tests name concepts (``"bmi"``), never
SNOMED codes: the builder picks a code from the concept's code list.

If a concept a rule reads has no code list yet, a synthetic one-code list is added
for the tests and ``tests/meta/test_rule_registry.py`` fails, naming the concept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from longerlives.codelists import Codelist, load_codelists
from longerlives.errors import CodelistError
from longerlives.extract import read_extract, validate_extract
from longerlives.features import build_features
from longerlives.rules import evaluate_all, rule_by_id
from longerlives.rules.annual_health_check import add_health_check_columns
from longerlives.settings import Settings, load_settings

AS_OF = date(2026, 6, 15)
ROOT = Path(__file__).resolve().parents[2]
DRAFT = ROOT / "docs" / "concepts-draft.txt"


def draft_concepts() -> dict[str, tuple[str, bool]]:
    """concept → (kind, valued) from docs/concepts-draft.txt."""
    out = {}
    for line in DRAFT.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        concept, kind, valued, *_ = [p.strip() for p in line.split("|")]
        out[concept] = (kind, valued == "yes")
    return out


def _synthetic(concept: str, kind: str, valued: bool, i: int) -> Codelist:
    code = f"{990000000 + i * 17}" if kind == "snomed" else f"ZZ{i:03d}"
    return Codelist(concept, kind, (code,), ("synthetic test code",), valued, "synthetic", "tests", "", "", "<tests>")


def codelists_for_tests() -> tuple[dict[str, Codelist], list[str]]:
    """Real code lists, plus synthetic ones for draft concepts without a list yet."""
    try:
        real = load_codelists()
    except CodelistError:
        real = {}
    lists = dict(real)
    added = []
    for i, (concept, (kind, valued)) in enumerate(sorted(draft_concepts().items())):
        if concept not in lists:
            lists[concept] = _synthetic(concept, kind, valued, i)
            added.append(concept)
    return lists, added


CODELISTS, SYNTHETIC = codelists_for_tests()
SETTINGS: Settings = load_settings()


def _code_owners() -> dict[str, set[str]]:
    owners: dict[str, set[str]] = {}
    for cl in CODELISTS.values():
        if cl.kind == "snomed":
            for code in cl.codes:
                owners.setdefault(code, set()).add(cl.concept)
    return owners


_OWNERS = _code_owners()


def code_for(concept: str) -> str:
    """A SNOMED code belonging to ``concept`` (preferably to no other concept)."""
    cl = CODELISTS[concept]
    assert cl.kind == "snomed", f"{concept} is a medicine list"
    solo = [c for c in cl.codes if _OWNERS[c] == {concept}]
    return (solo or list(cl.codes))[0]


def bnf_for(concept: str) -> str:
    cl = CODELISTS[concept]
    assert cl.kind == "bnf_prefix", f"{concept} is not a medicine list"
    ok = [p for p in cl.codes if not any(p.startswith(x) for x in cl.exclude_prefixes)]
    code = ok[0]
    return code if len(code) >= 2 else code + "0"


def nhs_numbers():
    """Valid (modulus 11) made-up NHS numbers, in increasing order."""
    n = 999_000_000
    while True:
        n += 1
        digits = [int(d) for d in f"{n:09d}"]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1))) % 11
        check = 0 if check == 11 else check
        if check != 10:
            yield f"{n:09d}{check}"


@dataclass
class Register:
    tmp_path: Path
    patients: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    medications: list[dict] = field(default_factory=list)
    encounters: list[dict] = field(default_factory=list)
    scores: dict[str, dict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ids = nhs_numbers()

    # people ------------------------------------------------------------
    def person(
        self,
        *,
        born: date = date(1980, 1, 1),
        sex: str = "female",
        ethnic_category: str | None = None,
        smi: date | None = None,
        registered_from: date | None = date(2000, 1, 1),
        registered_to: date | None = None,
        died: date | None = None,
        qrisk3: float | None = None,
        qdiabetes: float | None = None,
    ) -> str:
        """A new person; ``smi`` gives them an SMI diagnosis code on that date."""
        nhs = next(self._ids)
        self.patients.append(
            {
                "nhs_number": nhs,
                "practice_code": "A81001",
                "date_of_birth": born,
                "sex": sex,
                "ethnic_category": ethnic_category,
                "given_name": "Test",
                "family_name": f"Person{len(self.patients)}",
                "address_line_1": "1 Test Street",
                "postcode": "N1 1AA",
                "registered_from": registered_from,
                "registered_to": registered_to,
                "date_of_death": died,
            }
        )
        self.scores[nhs] = {"qrisk3": qrisk3, "qdiabetes": qdiabetes}
        if smi is not None:
            self.event(nhs, "smi_diagnosis", smi)
        return nhs

    def smi_person(self, **kw) -> str:
        """In the health-check cohort: SMI diagnosed 2010-01-01 unless ``smi`` says otherwise."""
        kw.setdefault("smi", date(2010, 1, 1))
        return self.person(**kw)

    # records -----------------------------------------------------------
    def event(self, nhs: str, concept: str, on: date, value: float | None = None) -> None:
        self.events.append({"nhs_number": nhs, "date": on, "code": code_for(concept), "value": value})

    def coded(self, nhs: str, code: str, on: date, value: float | None = None) -> None:
        """An event with an explicit real SNOMED code (several codes of one refset, or a code in no list)."""
        self.events.append({"nhs_number": nhs, "date": on, "code": code, "value": value})

    def bp(self, nhs: str, on: date, systolic: float = 120, diastolic: float = 80) -> None:
        self.event(nhs, "systolic_bp", on, systolic)
        self.event(nhs, "diastolic_bp", on, diastolic)

    def medicine(self, nhs: str, concept: str, on: date) -> None:
        self.medications.append({"nhs_number": nhs, "date": on, "bnf_code": bnf_for(concept)})

    def contact(self, nhs: str, service: str, on: date, attended: bool = True) -> None:
        self.encounters.append({"nhs_number": nhs, "date": on, "service": service, "attended": attended})

    # running -----------------------------------------------------------
    def _write(self, name: str, rows: list[dict], schema: dict) -> None:
        frame = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
        frame.write_csv(self.tmp_path / "extract" / f"{name}.csv")

    def people(self, as_of: date = AS_OF) -> pl.DataFrame:
        """The per-person frame the rules see (features + health-check columns + scores)."""
        (self.tmp_path / "extract").mkdir(exist_ok=True)
        pschema = {
            k: (
                pl.Date
                if isinstance(v, date) or k in ("registered_from", "registered_to", "date_of_death")
                else pl.String
            )
            for k, v in self.patients[0].items()
        }
        self._write("patients", self.patients, pschema)
        self._write(
            "events", self.events, {"nhs_number": pl.String, "date": pl.Date, "code": pl.String, "value": pl.Float64}
        )
        self._write("medications", self.medications, {"nhs_number": pl.String, "date": pl.Date, "bnf_code": pl.String})
        self._write(
            "encounters",
            self.encounters,
            {"nhs_number": pl.String, "date": pl.Date, "service": pl.String, "attended": pl.Boolean},
        )
        raw = read_extract(self.tmp_path / "extract")
        extract = validate_extract(
            raw, as_of=as_of, settings=SETTINGS.extract, codelists=CODELISTS, work_dir=self.tmp_path / "work"
        )
        assert extract.quarantine.height == 0, extract.quarantine
        people = build_features(extract, CODELISTS, as_of, SETTINGS.features).people
        scores = pl.DataFrame(
            [{"nhs_number": k, **v} for k, v in self.scores.items()],
            schema={"nhs_number": pl.String, "qrisk3": pl.Float64, "qdiabetes": pl.Float64},
        )
        people = people.join(scores, on="nhs_number", how="left")
        return add_health_check_columns(people, as_of, SETTINGS.rules)

    def flags(self, flag_id: str, as_of: date = AS_OF, settings=None, with_urgency: bool = False) -> dict[str, dict]:
        """nhs_number → {"since", "reason"} for one rule, through ``evaluate_all``."""
        rules_settings = settings or SETTINGS.rules
        out = evaluate_all(self.people(as_of).lazy(), as_of, rules_settings, rules=[rule_by_id(flag_id)])
        assert out["flag"].unique().to_list() in ([], [flag_id])
        assert out["nhs_number"].is_unique().all(), "one row per person"
        keys = ("since", "reason", "urgency") if with_urgency else ("since", "reason")
        return {r["nhs_number"]: {k: r[k] for k in keys} for r in out.iter_rows(named=True)}


@pytest.fixture
def reg(tmp_path: Path) -> Register:
    return Register(tmp_path)


def with_rule_params(rule_id: str, **changes) -> object:
    """The default rules settings with some of one rule's own parameters changed (validated)."""
    data = SETTINGS.rules.model_dump()
    data[rule_id] = {**data[rule_id], **changes}
    settings = type(SETTINGS.rules).model_validate(data)
    from longerlives.rules import check_settings

    check_settings(settings)
    return settings
