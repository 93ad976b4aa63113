"""phc.bmi — BMI or weight is one of the six annual health-check elements (shared shape in ``_phc.py``)."""

from __future__ import annotations

from datetime import date

from longerlives.rules._phc import PHC_SOURCE, PHC_WINDOW, element_rule
from longerlives.rules._spec import RuleSpec

RULE = RuleSpec(
    id="phc.bmi",
    title="Annual health check: BMI / weight",
    why_it_matters="Weight gain on antipsychotics is common and drives diabetes and heart disease; BMI is the first step to weight-management support.",
    source=PHC_SOURCE + "; QOF BMI_COD/BMIVAL_COD; run-outputs-v1.md phc.bmi (BMI or weight)",
    windows=PHC_WINDOW,
    codelists=("bmi", "weight"),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    settings_keys=("phc_months", "phc_elements.bmi", "phc_declines"),
    plan_group="appointment",
    plan_order=2,
    plan_words="weight and BMI",
)

evaluate = element_rule(RULE.id, "bmi", "BMI or weight")
