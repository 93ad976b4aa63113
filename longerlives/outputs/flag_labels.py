"""What people who act on a flag read: a human label and a suggested action per flag id.

Labels and suggested actions come from each rule's metadata (``RuleSpec.title`` and
``plan_words``). The outreach flag (raised by the outreach stage) and any contract flag
not yet built as a rule have their words in ``OTHER_LABELS`` / ``OTHER_ACTIONS``.

SNOMED CT codes for the FHIR export: ``config/fhir_flag_codes.csv`` (flag, code, display,
and the project code list in ``config/codelists/`` the concept is taken from; a test
holds every code to that list).
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

import polars as pl

from longerlives.paths import CONFIG_DIR

FHIR_FLAG_CODES = CONFIG_DIR / "fhir_flag_codes.csv"

# Flags that are not registered rules: outreach (raised by the outreach stage) and v2 flags
# not built yet. A registered rule's own title and plan words always win.
OTHER_LABELS: dict[str, str] = {
    "safety.screening_abnormal": "Abnormal bowel screening not followed up",
    "outreach.marginalised": "Proactive outreach (most marginalised)",
}
OTHER_ACTIONS: dict[str, str] = {
    "safety.screening_abnormal": "contact the person about the abnormal bowel screening result and its follow-up",
    "outreach.marginalised": "proactive contact by the core team",
}


@lru_cache(maxsize=1)
def flag_labels() -> dict[str, str]:
    """Flag id -> the label a clinician reads (each rule's title)."""
    from longerlives.rules import REGISTRY

    return {**OTHER_LABELS, **{r.spec.id: r.spec.title for r in REGISTRY}}


def flag_actions() -> dict[str, str]:
    """Flag id -> suggested action: the plan words each rule declares (``RuleSpec.plan_words``)."""
    from longerlives.rules import REGISTRY

    return {**OTHER_ACTIONS, **{r.spec.id: r.spec.plan_words for r in REGISTRY}}


def label_expr(flag: pl.Expr) -> pl.Expr:
    """A flag id column -> its label (the id itself when no label is known)."""
    return flag.replace_strict(flag_labels(), default=flag, return_dtype=pl.String)


def action_expr(flag: pl.Expr) -> pl.Expr:
    return flag.replace_strict(flag_actions(), default=None, return_dtype=pl.String)


@lru_cache(maxsize=2)
def snomed_codes(path: Path = FHIR_FLAG_CODES) -> dict[str, tuple[str, str]]:
    """Flag id -> (SNOMED CT concept id, display) for the flags that have one."""
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["flag"]: (r["snomed_code"], r["display"]) for r in csv.DictReader(fh)}


CODE_SYSTEM_FILE = CONFIG_DIR / "fhir" / "CodeSystem-longerlives-flag.json"


def code_system_resource(url: str) -> dict[str, object]:
    """The project's flag code system as a FHIR R4 CodeSystem (every flag id and its label)."""
    labels = flag_labels()
    return {
        "resourceType": "CodeSystem",
        "id": "longerlives-flag",
        "url": url,
        "name": "LongerlivesFlag",
        "title": "longerlives flag identifiers",
        "status": "draft",
        "content": "complete",
        "caseSensitive": True,
        "description": "Open gaps and safety findings raised by the longerlives nightly engine "
        "(run-outputs-v2 flags.csv `flag` column).",
        "count": len(labels),
        "concept": [{"code": f, "display": labels[f]} for f in sorted(labels)],
    }


def write_code_system(url: str, path: Path = CODE_SYSTEM_FILE) -> Path:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(code_system_resource(url), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":  # regenerate config/fhir/CodeSystem-longerlives-flag.json
    from longerlives.settings import load_settings

    print(write_code_system(load_settings().operations.fhir_flag_code_system))
