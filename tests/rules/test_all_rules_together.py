"""evaluate_all: every rule at once — contract columns, order, scope and determinism."""

from datetime import date

from longerlives.rules import FLAG_COLUMNS, REGISTRY, evaluate_all
from tests.rules.conftest import AS_OF, SETTINGS


def build(reg):
    a = reg.smi_person(born=date(1960, 3, 3), qrisk3=22.0, qdiabetes=30.0)
    reg.bp(a, date(2026, 5, 1), 185, 95)
    reg.event(a, "smoker", date(2026, 5, 1), 20)
    b = reg.person(born=date(1990, 1, 1), sex="male")
    reg.medicine(b, "antipsychotic", date(2026, 6, 1))
    dead = reg.smi_person(died=date(2026, 1, 1), qrisk3=30.0)
    return a, b, dead


def test_output_has_the_contract_columns_sorted_by_nhs_number_then_flag(reg):
    a, b, dead = build(reg)
    out = evaluate_all(reg.people().lazy(), AS_OF, SETTINGS.rules)
    assert tuple(out.columns) == FLAG_COLUMNS
    assert out.select("nhs_number", "flag").rows() == sorted(out.select("nhs_number", "flag").rows())
    assert set(out["flag"]) <= {r.spec.id for r in REGISTRY}
    assert dead not in set(out["nhs_number"])
    assert set(out.filter(nhs_number=b)["flag"]) == {"ecg.annual"}
    assert {"risk.qrisk3", "risk.qdiabetes", "followup.blood_pressure", "smoking.cessation_offer"} <= set(
        out.filter(nhs_number=a)["flag"]
    )


def test_events_after_the_as_of_date_change_nothing(reg):
    build(reg)
    before = evaluate_all(reg.people().lazy(), AS_OF, SETTINGS.rules)
    for nhs in [p["nhs_number"] for p in reg.patients]:
        for concept in ("ecg", "hba1c", "bmi", "cervical_screening", "smi_remission"):
            reg.event(nhs, concept, date(2026, 6, 16), 40 if concept in ("hba1c", "bmi") else None)
        reg.medicine(nhs, "lipid_lowering", date(2026, 7, 1))
    after = evaluate_all(reg.people().lazy(), AS_OF, SETTINGS.rules)
    assert after.equals(before)
