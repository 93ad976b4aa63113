"""screening.cervical — eligible for cervical screening and overdue (shared shape in ``_screening.py``)."""

from __future__ import annotations

from datetime import date

from longerlives.rules._screening import ScreeningProgramme, programme_rule
from longerlives.rules._spec import RuleSpec

RULE = RuleSpec(
    id="screening.cervical",
    title="Cervical screening overdue",
    why_it_matters="Women with SMI are less likely to be screened for cervical cancer; the seed commits to screening reminders and alerts for missed appointments (2.4.1).",
    source="NHS cervical screening programme; QOF coverage windows 3.5/5.5 years (NCL fct_cervical_screening_status.sql); https://www.oundlesurgery.nhs.uk/news/cervical-screening-changes ; domain.md §4, §4.1",
    windows={
        "25-49": "no test in 42 months (3.5 years)",
        "50-64": "no test in 66 months (5.5 years)",
        "declines": "valid 12 months",
    },
    codelists=(
        "cervical_screening",
        "cervical_screening_declined",
        "cervical_screening_nonresponder",
        "cervical_screening_unsuitable",
    ),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    params=ScreeningProgramme,
    plan_group="screening",
    plan_order=1,
    plan_words="cervical screening",
)

evaluate = programme_rule(RULE.id, "cervical")
