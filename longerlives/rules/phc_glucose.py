"""phc.glucose — HbA1c or blood glucose result is one of the six annual health-check elements (shared shape in ``_phc.py``)."""

from __future__ import annotations

from datetime import date

from longerlives.rules._phc import PHC_SOURCE, PHC_WINDOW, element_rule
from longerlives.rules._spec import RuleSpec

RULE = RuleSpec(
    id="phc.glucose",
    title="Annual health check: HbA1c / blood glucose",
    why_it_matters="Antipsychotics and SMI raise the risk of type 2 diabetes; an annual HbA1c or glucose finds it early.",
    source=PHC_SOURCE + "; QOF IFCCHBAM_COD, GLUC_COD; run-outputs-v1.md phc.glucose",
    windows=PHC_WINDOW,
    codelists=("hba1c", "blood_glucose", "fasting_glucose"),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    settings_keys=("phc_months", "phc_elements.glucose", "phc_declines"),
    plan_group="appointment",
    plan_order=4,
    plan_words="HbA1c blood test",
)

evaluate = element_rule(RULE.id, "glucose", "HbA1c or blood glucose result")
