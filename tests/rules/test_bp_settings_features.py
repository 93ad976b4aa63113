"""Blood pressure read by setting (issue 11): clinic, ambulatory daytime average, home average.

Real SNOMED CT codes from the published refsets (SYSBP_COD 20250912, BP_COD 20200812,
HOMEBP_COD 20200812) — several per setting, not only the first of each list.
"""

from datetime import date

import pytest

D = date(2026, 5, 1)

CLINIC_SYSTOLIC = ["271649006", "72313002", "407554009", "163030003", "100151000000109"]
CLINIC_DIASTOLIC = ["271650006", "174255007", "407555005", "163031004", "1091811000000102"]
ABPM_DAY = [("314446007", "314461008"), ("198081000000101", "198091000000104")]


@pytest.mark.parametrize(("sys_code", "dia_code"), list(zip(CLINIC_SYSTOLIC, CLINIC_DIASTOLIC)))
def test_each_clinic_code_pair_is_a_clinic_reading(reg, sys_code, dia_code):
    p = reg.person()
    reg.coded(p, sys_code, D, 146)
    reg.coded(p, dia_code, D, 91)
    row = reg.people().row(0, named=True)
    assert (row["bp_last_date"], row["bp_last_systolic"], row["bp_last_diastolic"]) == (D, 146, 91)
    assert row["abpm_day_bp_last_date"] is None and row["home_bp_last_date"] is None


@pytest.mark.parametrize(("sys_code", "dia_code"), ABPM_DAY)
def test_abpm_day_146_91_with_night_124_72_is_read_as_146_91_and_not_as_a_clinic_reading(reg, sys_code, dia_code):
    p = reg.person()
    reg.coded(p, sys_code, D, 146)
    reg.coded(p, dia_code, D, 91)
    reg.coded(p, "314445006", D, 124)  # average night interval systolic: in BP_COD, in no list here
    reg.coded(p, "314460009", D, 72)  # average night interval diastolic
    reg.coded(p, "314438006", D, 101)  # minimum systolic
    row = reg.people().row(0, named=True)
    assert (row["abpm_day_bp_last_systolic"], row["abpm_day_bp_last_diastolic"]) == (146, 91)
    assert row["bp_last_date"] is None  # no clinic reading: ambulatory values never stand in for one
    assert row["systolic_bp_last_value"] is None


def test_home_average_is_its_own_setting(reg):
    p = reg.person()
    reg.coded(p, "413606001", D, 138)
    reg.coded(p, "413605002", D, 86)
    reg.bp(p, date(2026, 4, 1), 150, 95)
    row = reg.people().row(0, named=True)
    assert (row["home_bp_last_systolic"], row["home_bp_last_diastolic"]) == (138, 86)
    assert (row["bp_last_systolic"], row["bp_last_diastolic"]) == (150, 95)


def test_qrisk3_systolic_variability_uses_clinic_readings_only(reg):
    p = reg.person()
    reg.coded(p, "271649006", date(2026, 1, 1), 130)
    reg.coded(p, "407554009", date(2026, 3, 1), 134)
    reg.coded(p, "314442009", date(2026, 3, 2), 95)  # minimum night interval systolic
    reg.coded(p, "413606001", date(2026, 3, 3), 160)  # home average
    row = reg.people().row(0, named=True)
    sd_col = next(c for c in row if c.startswith("systolic_bp_sd_"))
    assert row[sd_col] == pytest.approx(2.8284, abs=1e-3)  # SD of 130 and 134 only


def test_drug_induced_insulin_coma_in_a_non_diabetic_is_not_type_1_diabetes(reg):
    p = reg.person()
    reg.coded(p, "1217077001", date(2024, 2, 2))
    t1 = reg.person()
    reg.coded(t1, "420868002", date(2024, 2, 2))  # disorder due to type 1 diabetes mellitus
    rows = {r["nhs_number"]: r for r in reg.people().iter_rows(named=True)}
    assert rows[p]["diabetes_type1_last_date"] is None
    assert rows[t1]["diabetes_type1_last_date"] == date(2024, 2, 2)
