"""Print what a run found and where to look (used by `make demo`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def summarise(out_dir: Path) -> str:
    record = json.loads((out_dir / "run.json").read_text())
    s = record["summary"]
    lines = [
        "",
        f"Longer Lives run {record['run_id']} (as of {record['as_of']}, engine {record['engine_version']})",
        f"  people on the extract:        {s['people_on_extract']:>7}",
        f"  people in scope:              {s['people_in_scope']:>7}",
        f"  health-check cohort:          {s['health_check_cohort']:>7}",
        f"  ECG cohort:                   {s['ecg_cohort']:>7}",
        f"  open flags:                   {s['open_flags']:>7}  for {s['people_with_flags']} people",
    ]
    for flag, n in sorted(s.get("flags_by_kind", {}).items()):
        lines.append(f"    {flag:<28}{n:>7}")
    outreach = s.get("outreach") or {}
    if isinstance(outreach, dict) and outreach:
        lines.append(
            f"  selected for core-team outreach: {outreach.get('selected', 0):>4}  "
            f"(strict Longer Lives definition: {outreach.get('strict', 0)})"
        )
        lines.append(f"  engagement plans:             {outreach.get('plans', 0):>7}")
    lines.append(f"  people with a safety item:    {s.get('safety_items', 0):>7}  (first on every worklist)")
    letters = s.get("letters") or {}
    if isinstance(letters, dict):
        lines.append(f"  letters produced:             {letters.get('written', 0):>7}")
        for why, n in sorted((letters.get("not_sent") or {}).items()):
            lines.append(f"    no letter: {why:<26}{n:>7}")
    deliveries = s.get("deliveries")
    if isinstance(deliveries, dict):
        line = f"  practice exports delivered:   {deliveries.get('ok', 0):>7}"
        extra = []
        if deliveries.get("skipped"):
            extra.append(f"{deliveries['skipped']} unchanged since the last delivery")
        if deliveries.get("outbox_because_mesh_not_configured"):
            extra.append(
                f"{deliveries['outbox_because_mesh_not_configured']} practices with a MESH mailbox went to the "
                "outbox because MESH is not configured here"
            )
        if deliveries.get("failed"):
            extra.append(f"{deliveries['failed']} FAILED (see the audit trail: longerlives history)")
        lines.append(line + (f"  ({'; '.join(extra)})" if extra else ""))
    lines.append(f"  input rows quarantined:       {s['rows_quarantined']:>7}  (see quarantine.csv)")
    lines.append("")
    lines.append("Where to look:")
    where = [
        ("flags.csv", "every open flag, with its reason"),
        ("patients.csv", "one row per person in scope: checks done, QRISK3-2017/QDiabetes-2018, outreach"),
        ("worklists/", "one worklist per core team (CSV and HTML), plans.json"),
        ("letters/index.csv", "letters produced (HTML; PDF with --pdf)"),
        ("exports/", "per-practice flags.csv and FHIR bundle.json"),
        ("report/index.html", "coverage and inequalities report for programme leads (coverage.csv beside it)"),
        ("quarantine.csv", "input rows not used, with reasons"),
        ("run.json", "run id, input hashes, counts and stage timings"),
    ]
    for name, what in where:
        if (out_dir / name.rstrip("/")).exists():
            lines.append(f"  {out_dir / name}  — {what}")
    if "qrisk3" in (out_dir / "patients.csv").read_text(encoding="utf-8").split("\n", 1)[0]:
        lines.append("")
        lines.append("Risk scores use the QRISK3-2017 and QDiabetes-2018 algorithms (open-source implementations);")
        lines.append(f"ClinRisk's disclaimer is held with every score: {out_dir / 'risk-scores-DISCLAIMER.txt'}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(summarise(Path(sys.argv[1] if len(sys.argv) > 1 else "demo/out")))
