"""screening.breast — eligible for breast screening and overdue (shared shape in ``_screening.py``)."""

from __future__ import annotations

from datetime import date

from longerlives.rules._screening import ScreeningProgramme, programme_rule
from longerlives.rules._spec import RuleSpec

RULE = RuleSpec(
    id="screening.breast",
    title="Breast screening overdue",
    why_it_matters="Breast cancer is diagnosed later and survival is worse for women with SMI; screening every 3 years from 50 to 70 finds it early.",
    source="NHS breast screening programme (https://porthosp.nhs.uk/departments-and-services/breast-screening/what-breast-screening); NCL fct_breast_screening_status.sql (1095 days); domain.md §4, §4.1",
    windows={"50-70 (up to the 71st birthday)": "no screen in 36 months", "declines": "valid 12 months"},
    codelists=("breast_screening", "breast_screening_abnormal", "breast_screening_declined", "breast_screening_dna"),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    params=ScreeningProgramme,
    plan_group="screening",
    plan_order=2,
    plan_words="breast screening",
)

evaluate = programme_rule(RULE.id, "breast")
