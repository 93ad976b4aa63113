"""screening.bowel — eligible for bowel screening and overdue (shared shape in ``_screening.py``)."""

from __future__ import annotations

from datetime import date

from longerlives.rules._screening import ScreeningProgramme, programme_rule
from longerlives.rules._spec import RuleSpec

RULE = RuleSpec(
    id="screening.bowel",
    title="Bowel screening overdue",
    why_it_matters="Bowel cancer screening (FIT kit every 2 years, 50-74) is a home test people with SMI often miss; missed kits need a reminder.",
    source="NHS bowel cancer screening programme (https://bowelcanceruk.org.uk/news-and-blogs/news/bowel-cancer-screening-age-lowered-in-england); NCL fct_bowel_screening_status.sql (913 days); domain.md §4, §4.1",
    windows={"50-74": "no completed screen in 30 months", "declines": "valid 12 months"},
    codelists=("bowel_screening", "bowel_screening_declined", "bowel_screening_dna"),
    last_reviewed=date(2026, 11, 22),
    next_review=date(2027, 11, 22),
    params=ScreeningProgramme,
    plan_group="screening",
    plan_order=3,
    plan_words="bowel screening kit",
)

evaluate = programme_rule(RULE.id, "bowel")
