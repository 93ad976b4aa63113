"""What each flag asks a clinician to do, and where it sits in an engagement plan.

Plans are ordered: safety items, then what one appointment can cover together
(missing check elements, ECG, result follow-ups), then screening, then lifestyle
support (smoking, alcohol, weight). Patient-facing words live in the letter
templates (one set per language), not here.
"""

from __future__ import annotations

import polars as pl

GROUPS = ("appointment", "screening", "lifestyle")
GROUP_ORDER = {"safety": 0, "appointment": 1, "screening": 2, "lifestyle": 3}

# flag id -> (group, order within the group, clinician-facing words)
FLAG_ITEMS: dict[str, tuple[str, int, str]] = {
    "phc.blood_pressure": ("appointment", 1, "blood pressure"),
    "phc.bmi": ("appointment", 2, "weight and BMI"),
    "phc.lipids": ("appointment", 3, "lipids blood test"),
    "phc.glucose": ("appointment", 4, "HbA1c blood test"),
    "phc.alcohol": ("appointment", 5, "alcohol questions"),
    "phc.smoking": ("appointment", 6, "smoking status"),
    "ecg.annual": ("appointment", 7, "12-lead ECG"),
    "followup.blood_pressure": ("appointment", 8, "confirm raised blood pressure (ABPM/HBPM)"),
    "followup.hba1c": ("appointment", 9, "act on raised HbA1c (repeat; diabetes prevention referral)"),
    "risk.qrisk3": ("appointment", 10, "discuss statin (QRISK3 at or above threshold)"),
    "risk.qdiabetes": ("appointment", 11, "discuss diabetes risk (QDiabetes at or above threshold)"),
    "screening.cervical": ("screening", 1, "cervical screening"),
    "screening.breast": ("screening", 2, "breast screening"),
    "screening.bowel": ("screening", 3, "bowel screening kit"),
    "smoking.cessation_offer": ("lifestyle", 1, "offer stop-smoking support"),
    "followup.alcohol": ("lifestyle", 2, "alcohol brief intervention"),
    "followup.bmi": ("lifestyle", 3, "offer weight management"),
}
OUTREACH_FLAG = "outreach.marginalised"

# Short words for the element names used in outreach reasons (domain.md §5.2 example).
ELEMENT_WORDS = {
    "blood_pressure": "blood pressure",
    "bmi": "BMI",
    "lipids": "lipids",
    "glucose": "HbA1c",
    "alcohol": "alcohol",
    "smoking": "smoking",
}

GROUP_LEADS = {
    "appointment": "One appointment to cover: ",
    "screening": "Screening: ",
    "lifestyle": "Lifestyle support: ",
}


def flag_items_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "flag": list(FLAG_ITEMS),
            "group": [g for g, _, _ in FLAG_ITEMS.values()],
            "order": [o for _, o, _ in FLAG_ITEMS.values()],
            "words": [w for _, _, w in FLAG_ITEMS.values()],
        },
        schema={"flag": pl.String, "group": pl.String, "order": pl.Int64, "words": pl.String},
    )
