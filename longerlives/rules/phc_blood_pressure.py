"""phc.blood_pressure — blood pressure is one of the six annual health-check elements (shared shape in ``_phc.py``)."""

from __future__ import annotations

from datetime import date

from longerlives.rules._phc import PHC_SOURCE, PHC_WINDOW, element_rule
from longerlives.rules._spec import RuleSpec

RULE = RuleSpec(
    id="phc.blood_pressure",
    title="Annual health check: blood pressure",
    why_it_matters="High blood pressure is common, silent and treatable; people with SMI die early of heart disease and stroke.",
    source=PHC_SOURCE + "; QOF BP_COD (systolic and diastolic pair on one day); run-outputs-v1.md phc.blood_pressure",
    windows=PHC_WINDOW,
    codelists=("systolic_bp", "diastolic_bp"),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    settings_keys=("phc_months", "phc_elements.blood_pressure", "phc_declines"),
    plan_group="appointment",
    plan_order=1,
    plan_words="blood pressure",
)

evaluate = element_rule(RULE.id, "blood_pressure", "blood pressure")
