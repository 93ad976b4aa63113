"""report/coverage.csv agrees with patients.csv and flags.csv of the same run, for every
measure and breakdown (recomputed here independently, from the files and config/report.toml)."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import polars as pl

CONFIG = Path(__file__).resolve().parents[2] / "config" / "report.toml"
PHC = {
    "phc_bmi": "phc.bmi",
    "phc_blood_pressure": "phc.blood_pressure",
    "phc_lipids": "phc.lipids",
    "phc_glucose": "phc.glucose",
    "phc_alcohol": "phc.alcohol",
    "phc_smoking": "phc.smoking",
}


def _expected(out: Path) -> dict[tuple[str, str, str], tuple[int, int]]:
    cfg = tomllib.loads(CONFIG.read_text())
    patients = pl.read_csv(out / "patients.csv", infer_schema=False).to_dicts()
    flags = pl.read_csv(out / "flags.csv", infer_schema=False)
    flagged: dict[str, set[str]] = {}
    for nhs, flag in flags.select("nhs_number", "flag").iter_rows():
        flagged.setdefault(nhs, set()).add(flag)
    ethnic = {code: g["label"] for g in cfg["ethnic_groups"] for code in g["codes"]}

    def groups(p: dict) -> dict[str, str]:
        age = int(p["age"])
        band = next(b["label"] for b in cfg["age_bands"] if b["min_age_years"] <= age <= b["max_age_years"])
        decile = p["imd_decile"]
        return {
            "all": "all",
            "practice_code": p["practice_code"],
            "core_team": p["core_team"] or "unallocated",
            "imd_quintile": str((int(decile) + 1) // 2) if decile else "not known",
            "imd_decile": decile or "not known",
            "ethnic_group": ethnic.get(p["ethnic_category"] or "Z", "Not stated"),
            "sex": p["sex"],
            "age_band": band,
        }

    def in_measure(p: dict, measure: str) -> tuple[bool, bool]:
        mine = flagged.get(p["nhs_number"], set())
        if measure == "phc_all_six":
            den = p["health_check_cohort"] == "true"
            return den, den and not (mine & set(PHC.values()))  # no phc.* flag, not phc_elements_done
        if measure in PHC:
            den = p["health_check_cohort"] == "true"
            return den, den and PHC[measure] not in mine
        if measure == "ecg":
            den = p["ecg_cohort"] == "true"
            return den, den and "ecg.annual" not in mine
        if measure.startswith("screening_"):
            status = p[f"{measure}_status"]
            flag = "screening." + measure.split("_", 1)[1]
            assert (status == "overdue") == (flag in mine), (measure, status)  # the flag is exactly "overdue"
            den = status in ("screened", "declined", "overdue")
            return den, den and flag not in mine and status != "declined"
        den = p["current_smoker"] == "true"
        return den, den and "smoking.cessation_offer" not in mine

    counts: dict[tuple[str, str, str], list[int]] = {}
    for p in patients:
        g = groups(p)
        for measure in cfg["measures"]:
            den, num = in_measure(p, measure)
            for group_by, group in g.items():
                c = counts.setdefault((measure, group_by, group), [0, 0])
                c[0] += int(num)
                c[1] += int(den)
    return {k: (v[0], v[1]) for k, v in counts.items()}


def test_coverage_csv_agrees_with_patients_and_flags_for_every_measure_and_breakdown(full_run):
    out, _ = full_run
    expected = _expected(out)
    lo, hi = tomllib.loads(CONFIG.read_text())["suppress_min"], tomllib.loads(CONFIG.read_text())["suppress_max"]
    rows = pl.read_csv(out / "report" / "coverage.csv", infer_schema=False)
    assert rows.columns == ["measure", "group_by", "group", "numerator", "denominator", "percent"]
    seen = set()
    for r in rows.iter_rows(named=True):
        key = (r["measure"], r["group_by"], r["group"])
        seen.add(key)
        num, den = expected.get(key, (0, 0))
        if lo <= num <= hi or lo <= den <= hi:
            assert (r["numerator"], r["denominator"], r["percent"]) == (None, None, "suppressed"), key
        else:
            assert (int(r["numerator"]), int(r["denominator"])) == (num, den), key
            assert r["percent"] == (f"{100 * num / den:.1f}" if den else None), key
    # every group that has anyone in a denominator has its row, for every measure and breakdown
    assert {k for k, (_, den) in expected.items() if den} <= seen
    assert {r for r in rows["group_by"].unique()} >= {
        "all",
        "practice_code",
        "core_team",
        "imd_quintile",
        "ethnic_group",
        "sex",
        "age_band",
    }
    assert set(rows["measure"]) == set(tomllib.loads(CONFIG.read_text())["measures"])


def test_report_files_are_written_private_and_the_page_needs_no_network(full_run):
    out, _ = full_run
    for name in ("coverage.csv", "index.html"):
        assert stat.S_IMODE((out / "report" / name).stat().st_mode) == 0o600
    html = (out / "report" / "index.html").read_text()
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    assert "<script" not in html and "<link" not in html
    patients = pl.read_csv(out / "patients.csv", infer_schema=False)
    assert not any(n in html for n in patients["nhs_number"].head(200))  # no NHS numbers on the page


def test_patients_csv_carries_sex_ethnicity_and_deprivation_from_the_extract(full_run, synth_extract):
    out, _ = full_run
    patients = pl.read_csv(out / "patients.csv", infer_schema=False)
    source = pl.read_csv(synth_extract / "patients.csv", infer_schema=False).select(
        pl.col("nhs_number").str.replace_all(r"[\s-]", ""), "ethnic_category", "imd_decile"
    )
    joined = patients.join(source, on="nhs_number", how="left", suffix="_in")
    assert set(patients["sex"].unique()) <= {"female", "male", "unknown"}
    assert (joined["imd_decile"].fill_null("") == joined["imd_decile_in"].fill_null("")).all()
    assert (joined["ethnic_category"].fill_null("") == joined["ethnic_category_in"].fill_null("")).all()
