"""Words the input contract fixes (register-extract-v1): shared by the extract
schemas and by the settings that refer to them."""

SEX_VALUES = ("female", "male", "unknown")
SEX_ALIASES = {"f": "female", "m": "male", "u": "unknown"}
ETHNIC_CATEGORIES = tuple("ABCDEFGHJKLMNPRSZ")
COMMUNICATION_NEEDS = ("easy_read", "large_print", "braille", "bsl", "audio", "email")
SERVICES = (
    "gp",
    "practice_nurse",
    "community_mental_health",
    "crisis",
    "emergency_department",
    "inpatient_mental_health",
    "inpatient_physical",
    "outpatient",
    "cancer_2ww",
    "screening",
    "other",
)
