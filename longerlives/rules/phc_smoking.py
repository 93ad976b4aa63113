"""phc.smoking — smoking status is one of the six annual health-check elements (shared shape in ``_phc.py``)."""

from __future__ import annotations

from datetime import date

from longerlives.rules._phc import PHC_SOURCE, PHC_WINDOW, element_rule
from longerlives.rules._spec import RuleSpec

RULE = RuleSpec(
    id="phc.smoking",
    title="Annual health check: smoking status",
    why_it_matters="Smoking is the largest single cause of the mortality gap for people with SMI; knowing status is the start of support to stop.",
    source=PHC_SOURCE + "; QOF SMOK_COD (LSMOK_COD, EXSMOK_COD, NSMOK_COD); run-outputs-v1.md phc.smoking",
    windows=PHC_WINDOW,
    codelists=("smoker", "smoker_light", "smoker_moderate", "smoker_heavy", "ex_smoker", "never_smoked"),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    settings_keys=("phc_months", "phc_elements.smoking", "phc_declines"),
    plan_group="appointment",
    plan_order=6,
    plan_words="smoking status",
)

evaluate = element_rule(RULE.id, "smoking", "smoking status")
