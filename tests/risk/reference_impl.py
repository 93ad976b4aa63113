"""Slow, obviously-correct per-row references, written term by term like ClinRisk's C.

Used only by tests and the benchmark. One function call per person, ``math`` only,
every term written out in the C code's order; coefficients come from the same CSV
(their correctness is proved separately by the parity tests).
"""

from __future__ import annotations

import math

from longerlives.risk._engine import load_coefficients

QRISK3_BOOLEANS = ("b_AF", "b_atypicalantipsy", "b_corticosteroids", "b_impotence2", "b_migraine",
                   "b_ra", "b_renal", "b_semi", "b_sle", "b_treatedhyp", "b_type1", "b_type2", "fh_cvd")  # fmt: skip
QD_BOOLEANS = ("b_atypicalantipsy", "b_corticosteroids", "b_cvd", "b_gestdiab", "b_learning",
               "b_manicschiz", "b_pos", "b_statin", "b_treatedhyp", "fh_diab")  # fmt: skip


def _c(coefs: dict[str, float], name: str) -> float:
    return coefs.get(name, 0.0)


def qrisk3_row(p: dict) -> float:
    c = load_coefficients("qrisk3_2017.csv")[(p["sex"],)]
    dage = int(p["age"]) / 10
    if p["sex"] == "female":
        age_1, age_2 = dage**-2, dage
    else:
        age_1, age_2 = dage**-1, dage**3
    dbmi = p["bmi"] / 10
    bmi_1 = dbmi**-2
    bmi_2 = dbmi**-2 * math.log(dbmi)
    x = {
        "age_1": age_1 - c["mean_age_1"], "age_2": age_2 - c["mean_age_2"],
        "bmi_1": bmi_1 - c["mean_bmi_1"], "bmi_2": bmi_2 - c["mean_bmi_2"],
        "rati": p["rati"] - c["mean_rati"], "sbp": p["sbp"] - c["mean_sbp"],
        "sbps5": p["sbps5"] - c["mean_sbps5"], "town": p["town"] - c["mean_town"],
    }  # fmt: skip
    a = _c(c, f"ethrisk_{p['ethrisk']}") + _c(c, f"smoke_{p['smoke_cat']}")
    for name in ("age_1", "age_2", "bmi_1", "bmi_2", "rati", "sbp", "sbps5", "town"):
        a += x[name] * c[name]
    for name in QRISK3_BOOLEANS:
        a += p[name] * _c(c, name)
    for age_term in ("age_1", "age_2"):
        for k in range(1, 5):
            a += x[age_term] * (p["smoke_cat"] == k) * c[f"{age_term}:smoke_{k}"]
        for name in QRISK3_BOOLEANS:
            a += x[age_term] * p[name] * _c(c, f"{age_term}:{name}")
        for name in ("bmi_1", "bmi_2", "sbp", "town"):
            a += x[age_term] * x[name] * c[f"{age_term}:{name}"]
    return 100.0 * (1 - math.pow(c["survivor"], math.exp(a)))


def qdiabetes_row(p: dict, model: str) -> float:
    c = load_coefficients("qdiabetes_2018.csv")[(model, p["sex"])]
    dage = int(p["age"]) / 10
    dbmi = min(max(p["bmi"], 20.0), 40.0) / 10
    if p["sex"] == "female":
        age_1, bmi_1 = math.sqrt(dage), dbmi
    else:
        age_1, bmi_1 = math.log(dage), dbmi**2
    raw = {"age_1": age_1, "age_2": dage**3, "bmi_1": bmi_1, "bmi_2": dbmi**3, "town": p["town"]}
    if model == "B":
        power = -1.0 if p["sex"] == "female" else -0.5
        raw["fbs_1"] = p["fbs"] ** power
        raw["fbs_2"] = math.log(p["fbs"]) * p["fbs"] ** power
    if model == "C":
        raw["hba1c_1"] = math.sqrt(p["hba1c"] / 10)
        raw["hba1c_2"] = p["hba1c"] / 10
    x = {k: v - c[f"mean_{k}"] for k, v in raw.items()}
    a = _c(c, f"ethrisk_{p['ethrisk']}") + _c(c, f"smoke_{p['smoke_cat']}")
    for name, value in x.items():
        a += value * c[name]
    for name in QD_BOOLEANS:
        a += p[name] * _c(c, name)
    for age_term in ("age_1", "age_2"):
        for name in (*QD_BOOLEANS, "bmi_1", "bmi_2", "fbs_1", "fbs_2", "hba1c_1", "hba1c_2"):
            value = x.get(name, p.get(name, 0))
            a += x[age_term] * value * _c(c, f"{age_term}:{name}")
    return 100.0 * (1 - math.pow(c["survivor"], math.exp(a)))
