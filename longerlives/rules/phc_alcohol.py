"""phc.alcohol — alcohol consumption is one of the six annual health-check elements (shared shape in ``_phc.py``)."""

from __future__ import annotations

from datetime import date

from longerlives.rules._phc import PHC_SOURCE, PHC_WINDOW, element_rule
from longerlives.rules._spec import RuleSpec

RULE = RuleSpec(
    id="phc.alcohol",
    title="Annual health check: alcohol",
    why_it_matters="Harmful drinking is more common with SMI and worsens both mental and physical health; it is one of the six checks.",
    source=PHC_SOURCE + "; QOF ALC_COD, AUDITC_COD, AUDIT_COD; run-outputs-v1.md phc.alcohol",
    windows=PHC_WINDOW,
    codelists=("alcohol_units", "audit_c", "audit", "alcohol_status"),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    settings_keys=("phc_months", "phc_elements.alcohol", "phc_declines"),
    plan_group="appointment",
    plan_order=5,
    plan_words="alcohol questions",
)

evaluate = element_rule(RULE.id, "alcohol", "alcohol consumption")
