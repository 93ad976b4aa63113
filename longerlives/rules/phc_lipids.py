"""phc.lipids — cholesterol or lipid result is one of the six annual health-check elements (shared shape in ``_phc.py``)."""

from __future__ import annotations

from datetime import date

from longerlives.rules._phc import PHC_SOURCE, PHC_WINDOW, element_rule
from longerlives.rules._spec import RuleSpec

RULE = RuleSpec(
    id="phc.lipids",
    title="Annual health check: lipids",
    why_it_matters="Cholesterol feeds the cardiovascular risk assessment (QRISK3) and the decision to offer a statin.",
    source=PHC_SOURCE
    + "; QOF CHOL2_COD, HDLCCHOL_COD, TCHOLHDL_COD, LDLCCHOL_COD, NONHDLCCHOL_COD, TRIGLYC_COD; run-outputs-v1.md phc.lipids",
    windows=PHC_WINDOW,
    codelists=(
        "total_cholesterol",
        "hdl_cholesterol",
        "cholesterol_hdl_ratio",
        "ldl_cholesterol",
        "non_hdl_cholesterol",
        "triglycerides",
    ),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    settings_keys=("phc_months", "phc_elements.lipids", "phc_declines"),
    plan_group="appointment",
    plan_order=3,
    plan_words="lipids blood test",
)

evaluate = element_rule(RULE.id, "lipids", "cholesterol or lipid result")
