"""Coded events, prescription issues and contacts for one chunk of people.

Everything is vectorised over people (and person-years): a handful of loops over
the five look-back years and over concepts, never over people or events.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from longerlives.synth.codes import CodeBook
from longerlives.synth.population import People

Y = 365
N_YEARS = 5

# concept -> (unit, decimals) for valued concepts
VALUED = {
    "bmi": ("kg/m2", 1),
    "weight": ("kg", 1),
    "height": ("cm", 0),
    "systolic_bp": ("mmHg", 0),
    "diastolic_bp": ("mmHg", 0),
    "abpm_day_systolic": ("mmHg", 0),
    "abpm_day_diastolic": ("mmHg", 0),
    "home_systolic": ("mmHg", 0),
    "home_diastolic": ("mmHg", 0),
    "total_cholesterol": ("mmol/L", 1),
    "hdl_cholesterol": ("mmol/L", 1),
    "cholesterol_hdl_ratio": ("ratio", 1),
    "ldl_cholesterol": ("mmol/L", 1),
    "non_hdl_cholesterol": ("mmol/L", 1),
    "triglycerides": ("mmol/L", 1),
    "hba1c": ("mmol/mol", 0),
    "blood_glucose": ("mmol/L", 1),
    "fasting_glucose": ("mmol/L", 1),
    "alcohol_units": ("units/week", 0),
    "audit_c": ("score", 0),
    "audit": ("score", 0),
    "smoker": ("cigarettes/day", 0),
    "egfr": ("mL/min/1.73m2", 0),
    "creatinine": ("umol/L", 0),
    "tsh": ("mU/L", 2),
    "calcium": ("mmol/L", 2),
    "lithium_level": ("mmol/L", 2),
}

SERVICES = [
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
]
S = {s: i for i, s in enumerate(SERVICES)}


class Events:
    """Accumulates event rows as integer/float arrays."""

    def __init__(self, book: CodeBook, rng: np.random.Generator) -> None:
        self.book, self.rng = book, rng
        self.concepts = list(book.concept_codes)  # includes "__other__"
        self.cid = {c: i for i, c in enumerate(self.concepts)}
        n_other = len(book.other_codes)
        self.units = [VALUED.get(c, (None, 0))[0] for c in self.concepts] + [o[1] for o in book.other_codes]
        self.decimals = [VALUED.get(c, (None, 0))[1] for c in self.concepts] + [o[4] for o in book.other_codes]
        self.other_base = len(self.concepts)
        self.n_other = n_other
        self.p: list[np.ndarray] = []
        self.d: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.k: list[np.ndarray] = []
        self.v: list[np.ndarray] = []

    def add(self, concept: str, p: np.ndarray, d: np.ndarray, v: np.ndarray | None = None) -> None:
        n = len(p)
        if n == 0 or len(self.book.concept_codes[concept]) == 0:  # a pending concept: no verified code to write
            return
        self.p.append(p.astype(np.int32))
        self.d.append(np.asarray(d).astype(np.int32))
        self.c.append(self.book.pick(concept, n, self.rng))
        self.k.append(np.full(n, self.cid[concept], dtype=np.int16))
        self.v.append(np.full(n, np.nan) if v is None else np.asarray(v, dtype=np.float64))

    def add_other(self, p: np.ndarray, d: np.ndarray) -> None:
        n = len(p)
        if n == 0 or self.n_other == 0:
            return
        which = self.rng.integers(0, self.n_other, n)
        codes = self.book.concept_codes["__other__"][which]
        lo = np.array([o[2] for o in self.book.other_codes])[which]
        hi = np.array([o[3] for o in self.book.other_codes])[which]
        has_val = np.array([o[1] is not None for o in self.book.other_codes])[which]
        v = np.where(has_val, self.rng.uniform(lo, hi), np.nan)
        self.p.append(p.astype(np.int32))
        self.d.append(d.astype(np.int32))
        self.c.append(codes.astype(np.int32))
        self.k.append((self.other_base + which).astype(np.int16))
        self.v.append(v)

    def arrays(self):
        return (
            np.concatenate(self.p),
            np.concatenate(self.d),
            np.concatenate(self.c),
            np.concatenate(self.k),
            np.concatenate(self.v),
        )


def _rep(mask_or_counts: np.ndarray) -> np.ndarray:
    """Person indices repeated by count (or selected by a boolean mask)."""
    a = np.asarray(mask_or_counts)
    if a.dtype == bool:
        return np.flatnonzero(a)
    return np.repeat(np.arange(len(a)), a)


def _within(rng, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A uniform day in [lo, hi] (arrays; hi >= lo assumed, clipped otherwise)."""
    span = np.maximum(hi - lo, 0) + 1
    return lo + (rng.random(len(lo)) * span).astype(np.int64)


def _clip01(x):
    return np.clip(x, 0.0, 0.95)


def generate_clinical(pp: People, book: CodeBook, rng: np.random.Generator, as_of: int):
    """Returns (events arrays dict, medications arrays dict, encounters arrays dict)."""
    n = pp.n
    T = as_of
    age = pp.age
    female = pp.sex == 0
    male = pp.sex == 1
    smi = pp.cohort == 0
    ev = Events(book, rng)
    R = rng.random

    # ---- latent health --------------------------------------------------------------
    p_age = np.exp((age - 50) / 15)
    hyp = R(n) < _clip01(0.13 * p_age)
    dm_t1 = R(n) < 0.007
    dm_t2 = (~dm_t1) & (R(n) < _clip01(0.11 * p_age**0.8))
    dm = dm_t1 | dm_t2
    ndh_range = (~dm) & (R(n) < 0.10)
    undiag_dm = (~dm) & (~ndh_range) & (R(n) < 0.015)
    cvd = R(n) < _clip01(0.05 * p_age**1.3)
    af = R(n) < _clip01(0.015 * p_age**1.5)
    ckd = R(n) < _clip01(0.035 * p_age**1.5)
    ra = R(n) < 0.015
    sle = R(n) < np.where(female, 0.004, 0.0008)
    migraine = R(n) < np.where(female, 0.09, 0.03)
    ed = male & (R(n) < _clip01(0.05 * p_age))
    fh_cvd = R(n) < 0.08
    fh_dm = R(n) < 0.12
    gdm = female & (age > 25) & (R(n) < 0.025)
    pcos = female & (R(n) < 0.04)
    ld = pp.ld
    autism = R(n) < 0.02
    homeless = R(n) < 0.03
    substance = R(n) < 0.11

    # medicines (who takes what)
    on_ap = np.where(smi, R(n) < 0.78, np.where(pp.cohort == 1, R(n) < 0.8, False))
    on_li = np.where(smi, R(n) < 0.12, np.where(pp.cohort == 1, ~on_ap | (R(n) < 0.1), R(n) < 0.3))
    on_ms = smi & (R(n) < 0.07)
    on_statin = R(n) < _clip01(0.12 * p_age + 0.35 * (cvd | dm))
    on_ahtn = np.where(hyp, R(n) < 0.85, R(n) < 0.04)
    on_steroid = R(n) < 0.015
    steroid_short = R(n) < 0.04

    # engagement in the last year: 0 complete, 1 partial, 2 none
    cls0 = rng.choice(3, size=n, p=[0.60, 0.20, 0.20])
    crisis_only = (cls0 == 2) & (R(n) < 0.35)
    dna_prone = R(n) < np.where(cls0 == 2, 0.45, 0.1)
    dna_rate = np.where(dna_prone, rng.uniform(0.25, 0.5, n), rng.uniform(0.02, 0.1, n))

    # smoking: 0 smoker, 1 ex, 2 never; ex-smokers quit q years ago
    smoke = rng.choice(3, size=n, p=[0.40, 0.25, 0.35])
    quit_years = rng.integers(0, 9, n)
    cigs = rng.choice([3, 5, 10, 15, 20, 25, 30, 40], size=n, p=[0.05, 0.1, 0.25, 0.2, 0.25, 0.05, 0.07, 0.03])

    # baseline values (year 0) and yearly drift (value in year y = v0 - slope * y)
    height = np.where(male, rng.normal(176, 7, n), np.where(female, rng.normal(162.5, 6.5, n), rng.normal(169, 9, n)))
    bmi0 = np.clip(np.exp(rng.normal(np.log(28.5), 0.2, n)), 15, 65)
    bmi_slope = rng.normal(0.3, 0.35, n) + 0.2 * on_ap
    sbp0 = 118 + 0.45 * (age - 40) + 9 * hyp + rng.normal(0, 13, n)
    dbp0 = 0.45 * sbp0 + 22 + rng.normal(0, 7, n)
    severe_bp = R(n) < 0.02
    sbp_slope = rng.normal(0.6, 1.0, n)
    hba0 = np.where(
        dm,
        np.clip(rng.normal(58, 12, n), 40, 130),
        np.where(
            ndh_range,
            rng.uniform(42, 47.9, n),
            np.where(undiag_dm, rng.uniform(48, 70, n), np.clip(rng.normal(36.5, 3, n), 25, 41.5)),
        ),
    )
    hba_slope = np.where(ndh_range | undiag_dm, rng.uniform(0.3, 1.5, n), rng.normal(0.2, 0.5, n))
    glu0 = np.where(
        dm | undiag_dm,
        np.clip(rng.normal(9, 2.5, n), 5, 25),
        np.where(ndh_range, rng.normal(6.3, 0.5, n), np.clip(rng.normal(5.2, 0.7, n), 3.5, 7)),
    )
    tc0 = np.clip(rng.normal(5.1, 1.0, n), 2.5, 10.5)
    hdl0 = np.clip(np.where(female, rng.normal(1.5, 0.35, n), rng.normal(1.2, 0.3, n)), 0.5, 3.2)
    tg0 = np.clip(np.exp(rng.normal(np.log(1.5), 0.5, n)), 0.3, 12)
    drinker = R(n) >= 0.38
    units0 = np.where(drinker, np.clip(np.exp(rng.normal(np.log(10), 0.9, n)) * (1 + 1.5 * substance), 1, 200), 0)

    # ---- the six elements, year by year ---------------------------------------------
    done_any0 = np.zeros(n, dtype=bool)
    for y in range(N_YEARS):
        hi = np.full(n, T - Y * y)
        lo = hi - (Y - 1)
        if y == 0:
            cls = cls0
        else:
            trans = np.array([[0.65, 0.22, 0.13], [0.35, 0.40, 0.25], [0.15, 0.25, 0.60]])
            u = R(n)
            cum = trans[cls0].cumsum(axis=1)
            cls = (u[:, None] > cum).sum(axis=1)
        elem_p = np.array([0.75, 0.8, 0.4, 0.45, 0.5, 0.7])
        done = np.zeros((n, 6), dtype=bool)
        done[cls == 0] = True
        part = cls == 1
        done[part] = R((part.sum(), 6)) < elem_p
        # partial means 1..5 elements
        none_set = part & ~done.any(axis=1)
        done[none_set, rng.integers(0, 6, none_set.sum())] = True
        all_set = part & done.all(axis=1)
        done[all_set, rng.integers(0, 6, all_set.sum())] = False
        if y == 0:
            done_any0 = done.any(axis=1)
        check_day = _within(rng, lo, hi)
        blood_day = np.clip(check_day + rng.integers(-10, 11, n), lo, hi)
        scatter = R((n, 6)) < 0.3

        def day_for(e, base=check_day):
            return np.where(scatter[:, e], _within(rng, lo, hi), base)

        # 1 BMI (+ weight, sometimes height)
        m = done[:, 0]
        d = day_for(0)
        bmi = np.clip(bmi0 - bmi_slope * y + rng.normal(0, 0.5, n), 14, 70)
        p = _rep(m)
        ev.add("bmi", p, d[p], bmi[p])
        pw = p[R(len(p)) < 0.8]
        ev.add("weight", pw, d[pw], (bmi * (height / 100) ** 2)[pw])
        ph = p[R(len(p)) < 0.25]
        ev.add("height", ph, d[ph], height[ph])
        # antipsychotic weight monitoring in engaged years
        k = rng.poisson(np.where(m & on_ap, 1.2, 0.0))
        p = _rep(k)
        dd = _within(rng, lo[p], hi[p])
        ev.add("weight", p, dd, (bmi[p] + rng.normal(0, 0.4, len(p))) * (height[p] / 100) ** 2)
        p2 = p[R(len(p)) < 0.6]
        ev.add("bmi", p2, _within(rng, lo[p2], hi[p2]), bmi[p2] + rng.normal(0, 0.4, len(p2)))

        # 2 BP pair(s): the check reading plus extra readings
        m = done[:, 1]
        d = day_for(1)
        k = m.astype(np.int64) + rng.poisson(np.where(m, 0.5 + 1.3 * hyp, 0.0))
        p = _rep(k)
        first = np.r_[True, p[1:] != p[:-1]] if len(p) else np.zeros(0, bool)
        dd = np.where(first, d[p], _within(rng, lo[p], hi[p]))
        sbp = sbp0[p] - sbp_slope[p] * y + rng.normal(0, 9, len(p))
        dbp = dbp0[p] - 0.4 * sbp_slope[p] * y + rng.normal(0, 6, len(p))
        if y == 0:
            sev = first & severe_bp[p]
            sbp = np.where(sev, rng.uniform(180, 215, len(p)), sbp)
            dbp = np.where(
                sev, np.where(R(len(p)) < 0.4, rng.uniform(120, 130, len(p)), rng.uniform(95, 118, len(p))), dbp
            )
        sbp = np.clip(sbp, 85, 230)
        dbp = np.clip(np.minimum(dbp, sbp - 15), 45, 135)
        ev.add("systolic_bp", p, dd, sbp)
        ev.add("diastolic_bp", p, dd, dbp)
        if y == 0:
            # NICE NG136: a raised clinic reading is confirmed out of clinic. About a third of
            # people with a first reading of 140/90 or more get an ambulatory daytime or home
            # average 1-6 weeks later, lower than the clinic reading (white-coat effect).
            raised = first & ((sbp >= 140) | (dbp >= 90)) & (R(len(p)) < 0.35)
            q, qd = p[raised], dd[raised] + rng.integers(7, 43, int(raised.sum()))
            q_s, q_d = sbp[raised] - rng.normal(8, 6, len(q)), dbp[raised] - rng.normal(4, 4, len(q))
            ok = qd <= T
            q, qd, q_s, q_d = q[ok], qd[ok], np.clip(q_s[ok], 95, 220), np.clip(q_d[ok], 50, 130)
            amb = R(len(q)) < 0.6
            ev.add("abpm_day_systolic", q[amb], qd[amb], q_s[amb])
            ev.add("abpm_day_diastolic", q[amb], qd[amb], q_d[amb])
            ev.add("home_systolic", q[~amb], qd[~amb], q_s[~amb])
            ev.add("home_diastolic", q[~amb], qd[~amb], q_d[~amb])
        dec = (~m) & (R(n) < 0.03) & (cls != 2)
        p = _rep(dec)
        ev.add("bp_declined", p, _within(rng, lo[p], hi[p]))

        # 3 lipids on the blood day
        m = done[:, 2]
        d = day_for(2, blood_day)
        tc = np.clip(tc0 + rng.normal(0, 0.35, n) - 0.9 * on_statin * (y == 0), 2.0, 11)
        hdl = np.clip(hdl0 + rng.normal(0, 0.08, n), 0.4, 3.5)
        tg = np.clip(tg0 * np.exp(rng.normal(0, 0.15, n)), 0.3, 15)
        p = _rep(m)
        ev.add("total_cholesterol", p, d[p], tc[p])
        for concept, share, val in (
            ("hdl_cholesterol", 0.9, hdl),
            ("cholesterol_hdl_ratio", 0.85, tc / hdl),
            ("ldl_cholesterol", 0.5, np.clip(tc - hdl - tg / 2.2, 0.3, 9)),
            ("non_hdl_cholesterol", 0.6, np.clip(tc - hdl, 0.5, 10)),
            ("triglycerides", 0.6, tg),
        ):
            q = p[R(len(p)) < share]
            ev.add(concept, q, d[q], val[q])

        # 4 HbA1c and/or glucose
        m = done[:, 3]
        d = day_for(3, blood_day)
        hba = np.clip(hba0 - hba_slope * y + rng.normal(0, 1.5, n), 20, 160)
        glu = np.clip(glu0 + rng.normal(0, 0.5, n), 2.5, 30)
        kind = R(n)
        p = _rep(m & (kind < 0.85))
        ev.add("hba1c", p, d[p], hba[p])
        p = _rep(m & (kind >= 0.7))
        ev.add("blood_glucose", p, d[p], glu[p])
        p = _rep(m & (R(n) < 0.08))
        ev.add("fasting_glucose", p, d[p], np.clip(glu[p] - 0.4, 3, 25))
        k = rng.poisson(np.where(m & dm, 1.3, 0.0))
        p = _rep(k)
        ev.add("hba1c", p, _within(rng, lo[p], hi[p]), np.clip(hba[p] + rng.normal(0, 4, len(p)), 30, 160))

        # 5 alcohol: units a week or AUDIT-C (values), sometimes a status code too
        m = done[:, 4]
        d = day_for(4)
        units = np.clip(units0 * np.exp(rng.normal(0, 0.25, n)), 0, 300) * drinker
        auditc = np.clip(
            np.round(np.where(drinker, 1.5 + units / 7 + rng.normal(0, 1.2, n), rng.integers(0, 2, n))), 0, 12
        )
        use_units = R(n) < 0.55
        p = _rep(m & use_units)
        ev.add("alcohol_units", p, d[p], units[p])
        p = _rep(m & ~use_units)
        ev.add("audit_c", p, d[p], auditc[p])
        p = _rep(m & (R(n) < 0.4))
        ev.add("alcohol_status", p, d[p])
        p = _rep(m & (auditc >= 5) & (R(n) < 0.15))
        ev.add("audit", p, d[p], np.clip(auditc[p] * 2 + rng.integers(0, 8, len(p)), 0, 40))
        risky = m & ((units > 14) | (auditc >= 5))
        p = _rep(risky & (R(n) < 0.3))
        ev.add("alcohol_brief_intervention", p, d[p])
        # issue 11: a full AUDIT of 20 or more (possible dependence); about half referred to specialist services
        p = _rep(m & (auditc >= 8) & (R(n) < 0.25))
        ev.add("audit", p, d[p], np.clip(20 + rng.integers(0, 12, len(p)), 0, 40))
        p = p[R(len(p)) < 0.5]
        ev.add("alcohol_specialist_referral", p, np.minimum(d[p] + rng.integers(0, 30, len(p)), T))

        # 6 smoking status
        m = done[:, 5]
        d = day_for(5)
        status = np.where((smoke == 1) & (y > quit_years), 0, smoke)
        cur = m & (status == 0)
        with_value = R(n) < 0.6
        p = _rep(cur & with_value)
        ev.add("smoker", p, d[p], cigs[p])
        p = _rep(cur & ~with_value)
        for concept, sel in (
            ("smoker_light", cigs[p] < 10),
            ("smoker_moderate", (cigs[p] >= 10) & (cigs[p] < 20)),
            ("smoker_heavy", cigs[p] >= 20),
        ):
            q = p[sel]
            ev.add(concept, q, d[q])
        p = _rep(m & (status == 1))
        ev.add("ex_smoker", p, d[p])
        never = m & (status == 2)
        odd = (smoke == 1) & m & (R(n) < 0.01)  # "never smoked" after smoking: seen in real records
        p = _rep(never | odd)
        ev.add("never_smoked", p, d[p])
        # cessation support for current smokers
        smokers = (status == 0) & (cls != 2)
        for concept, share in (
            ("smoking_cessation_offered", 0.45),
            ("smoking_cessation_referral", 0.15),
            ("smoking_cessation_declined", 0.15),
        ):
            p = _rep(smokers & (R(n) < share))
            ev.add(concept, p, np.where(m[p], d[p], _within(rng, lo[p], hi[p])))

        # weight management / diabetes prevention
        p = _rep(done[:, 0] & (bmi >= 30) & (R(n) < 0.12))
        ev.add("weight_management_referral", p, _within(rng, lo[p], hi[p]))
        p = _rep(done[:, 3] & (hba >= 42) & (hba < 48) & ~dm & (R(n) < 0.3))
        ev.add("diabetes_prevention_referral", p, _within(rng, lo[p], hi[p]))

        # ECG, medication review, invitations, background codes
        ecg_p = np.where(smi | on_ap | on_li, 0.3, 0.05) * (cls != 2)
        p = _rep(R(n) < ecg_p)
        ev.add("ecg", p, _within(rng, lo[p], hi[p]))
        p = _rep((on_ap | on_li | on_ms) & (R(n) < np.where(cls == 2, 0.15, 0.6)))
        ev.add("medication_review", p, _within(rng, lo[p], hi[p]))
        k = np.where(
            cls == 0, (R(n) < 0.4).astype(int), np.where(cls == 1, rng.integers(0, 3, n), rng.integers(1, 4, n))
        )
        k = k * (smi | (pp.cohort == 2))
        p = _rep(k)
        ev.add("mh_invite", p, _within(rng, lo[p], hi[p]))
        p = _rep(rng.poisson(np.where(dna_prone, 1.2, 0.05)))
        ev.add("dna_mental_health", p, _within(rng, lo[p], hi[p]))
        lam = np.where(cls == 0, 11.0, np.where(cls == 1, 7.0, 1.0))
        if y == 0:
            lam = np.where(crisis_only, 0.0, lam)
        p = _rep(rng.poisson(lam))
        ev.add_other(p, _within(rng, lo[p], hi[p]))

    # ---- diagnoses ------------------------------------------------------------------
    start5 = T - N_YEARS * Y
    onset_age = np.clip(rng.normal(26, 8, n), 14, None)
    dx_day = pp.dob + (onset_age * 365.25).astype(np.int64)
    late = dx_day > T - 30
    dx_day[late] = T - rng.integers(30, 700, late.sum())
    p = _rep(smi)
    ev.add("smi_diagnosis", p, dx_day[p])
    k = rng.poisson(0.8, n) * smi
    p = _rep(k)
    rep_days = _within(rng, np.maximum(dx_day[p], start5), np.full(len(p), T))
    ev.add("smi_diagnosis", p, rep_days)
    latest_dx = dx_day.copy()
    if len(p):
        np.maximum.at(latest_dx, p, rep_days)
    u = R(n)
    remission = smi & (u < 0.12)
    relapse = smi & (u >= 0.12) & (u < 0.16)
    same_day = smi & (u >= 0.16) & (u < 0.175)
    p = _rep(remission)
    ev.add("smi_remission", p, _within(rng, latest_dx[p], np.full(len(p), T)))
    p = _rep(relapse)
    rem_day = _within(rng, latest_dx[p], np.full(len(p), T - 60))
    ev.add("smi_remission", p, rem_day)
    ev.add("smi_diagnosis", p, _within(rng, rem_day + 1, np.full(len(p), T)))
    p = _rep(same_day)
    ev.add("smi_remission", p, latest_dx[p])
    p = _rep((pp.cohort == 2) & (R(n) < 0.4))  # remission-only records
    ev.add("smi_remission", p, _within(rng, np.maximum(pp.dob[p] + 18 * Y, T - 15 * Y), np.full(len(p), T)))

    def diagnose(concept, mask, min_age=18.0, span_years=20):
        q = _rep(mask)
        lo = np.maximum(pp.dob[q] + int(min_age * 365), T - span_years * Y)
        ev.add(concept, q, _within(rng, lo, np.full(len(q), T)))

    diagnose("hypertension", hyp, 25)
    diagnose("diabetes", dm & (R(n) < 0.7), 20)
    diagnose("diabetes_type1", dm_t1, 5)
    diagnose("diabetes_type2", dm_t2, 25)
    diagnose("diabetes_resolved", dm_t2 & (R(n) < 0.03), 30, 5)
    diagnose("non_diabetic_hyperglycaemia", ndh_range & (R(n) < 0.6), 25, 6)
    diagnose("cvd", cvd, 35)
    diagnose("atrial_fibrillation", af, 40)
    diagnose("ckd_3_5", ckd, 40)
    diagnose("rheumatoid_arthritis", ra, 20)
    diagnose("sle", sle, 16)
    diagnose("migraine", migraine, 12)
    diagnose("erectile_dysfunction", ed, 30)
    diagnose("family_history_cvd", fh_cvd, 16)
    diagnose("family_history_diabetes", fh_dm, 16)
    diagnose("gestational_diabetes", gdm, 20)
    diagnose("pcos", pcos, 16)
    diagnose("learning_disability", ld, 2)
    diagnose("autism", autism, 3)
    diagnose("homeless", homeless, 16, 5)
    diagnose("substance_dependence", substance, 16)

    # ---- cancer screening -------------------------------------------------------------
    enc_p, enc_d, enc_s, enc_a = [], [], [], []

    def encounter(q, days, service, attended):
        enc_p.append(q.astype(np.int32))
        enc_d.append(np.asarray(days).astype(np.int32))
        enc_s.append(np.full(len(q), S[service], dtype=np.int8))
        enc_a.append(np.broadcast_to(np.asarray(attended, dtype=bool), len(q)).copy())

    def screening(prefix, eligible, interval_years, probs, attend_enc=True):
        # state: 0 up to date, 1 overdue, 2 never, 3 declined, 4 did not attend / no response, 5 unsuitable
        st = rng.choice(len(probs), size=n, p=probs)
        q = _rep(eligible & (st == 0))
        last = T - rng.integers(10, int(interval_years * Y), len(q))
        ev.add(prefix, q, last)
        if attend_enc:
            encounter(q, last, "screening", True)
        again = R(len(q)) < 0.6
        ev.add(prefix, q[again], last[again] - int(interval_years * Y))
        q = _rep(eligible & (st == 1))
        ev.add(prefix, q, T - rng.integers(int(interval_years * Y) + 60, int(interval_years * Y) + 5 * Y, len(q)))
        q = _rep(eligible & (st == 3))
        ev.add(prefix + "_declined", q, T - rng.integers(10, 2 * Y, len(q)))
        q = _rep(eligible & (st == 4))
        day = T - rng.integers(10, 2 * Y, len(q))
        if prefix == "cervical_screening":
            ev.add("cervical_screening_nonresponder", q, day)
        else:
            ev.add(prefix + "_dna", q, day)
            encounter(q, day, "screening", False)
        if len(probs) > 5:
            q = _rep(eligible & (st == 5))
            ev.add(prefix + "_unsuitable", q, T - rng.integers(Y, 15 * Y, len(q)))

    screening(
        "cervical_screening",
        female & (age >= 25) & (age < 65),
        3.0,
        [0.52, 0.17, 0.10, 0.08, 0.09, 0.04],
        attend_enc=False,
    )

    # issue 11: results that need action (never "screened"): ~3% of cervical tests need a repeat
    # (inadequate / HPV failure / HPV positive); ~2% of bowel kits are abnormal, most followed by a
    # screening-practitioner appointment (attended), some not.
    q = _rep(female & (age >= 25) & (age < 65) & (R(n) < 0.03))
    ev.add("cervical_screening_needs_repeat", q, T - rng.integers(10, Y, len(q)))
    q = _rep((age >= 50) & (age < 75) & (R(n) < 0.02))
    fit_day = T - rng.integers(10, 2 * Y, len(q))
    ev.add("bowel_screening_abnormal", q, fit_day)
    seen = R(len(q)) < 0.7
    encounter(q[seen], np.minimum(fit_day[seen] + rng.integers(7, 42, seen.sum()), T), "screening", True)
    screening("breast_screening", female & (age >= 50) & (age < 71), 3.0, [0.50, 0.15, 0.12, 0.10, 0.13])
    # issue 11 (R2): ~1% of women of breast-screening age have an abnormal screen (recall to assessment)
    q = _rep(female & (age >= 50) & (age < 71) & (R(n) < 0.01))
    ev.add("breast_screening_abnormal", q, T - rng.integers(10, 3 * Y, len(q)))
    screening("bowel_screening", (age >= 50) & (age < 75), 2.0, [0.45, 0.15, 0.20, 0.10, 0.10])

    # urgent suspected cancer referrals, some followed by a 2WW attendance, some not
    usc = R(n) < _clip01(0.012 * p_age)
    q = _rep(usc)
    ref_day = T - rng.integers(3, Y, len(q))
    ev.add("usc_referral", q, ref_day)
    outcome = R(len(q))
    att = outcome < 0.55
    encounter(q[att], np.minimum(ref_day[att] + rng.integers(5, 28, att.sum()), T), "cancer_2ww", True)
    dna = (outcome >= 0.55) & (outcome < 0.78)
    encounter(q[dna], np.minimum(ref_day[dna] + rng.integers(5, 21, dna.sum()), T), "cancer_2ww", False)

    # ---- encounters ----------------------------------------------------------------------
    # rates per year by service: engaged people / partially engaged / disengaged
    rates = {
        "gp": (4.5, 3.0, 1.2),
        "practice_nurse": (1.5, 1.0, 0.3),
        "community_mental_health": (6.0, 4.0, 1.5),
        "crisis": (0.15, 0.3, 0.8),
        "emergency_department": (0.3, 0.5, 0.9),
        "inpatient_mental_health": (0.03, 0.05, 0.08),
        "inpatient_physical": (0.04, 0.05, 0.05),
        "outpatient": (1.0, 0.8, 0.3),
        "other": (0.4, 0.3, 0.2),
    }
    for y in range(N_YEARS):
        hi = np.full(n, T - Y * y)
        lo = hi - (Y - 1)
        cls = cls0 if y == 0 else np.minimum(cls0, 1)
        for service, r in rates.items():
            lam = np.asarray(r)[cls]
            if service == "community_mental_health":
                lam = lam * (smi & pp.has_team)
            if y == 0:
                planned = service in ("gp", "practice_nurse", "community_mental_health", "outpatient", "other")
                if planned:
                    lam = np.where(crisis_only, 0.0, lam)
                elif service in ("crisis", "emergency_department"):
                    lam = np.where(crisis_only, lam + 1.5, lam)
            q = _rep(rng.poisson(lam))
            attended = R(len(q)) >= dna_rate[q]
            if service in ("crisis", "emergency_department", "inpatient_mental_health", "inpatient_physical"):
                attended[:] = True
            encounter(q, _within(rng, lo[q], hi[q]), service, attended)
        if y == 0:
            # disengaged people: booked but not attended
            q = _rep(rng.poisson(np.where(crisis_only, 2.0, 0.0)))
            encounter(q, _within(rng, lo[q], hi[q]), "gp", False)
            q = _rep(rng.poisson(np.where(crisis_only & smi, 1.5, 0.0)))
            encounter(q, _within(rng, lo[q], hi[q]), "community_mental_health", False)
    # a practice-nurse contact on most check days of the last year
    q = _rep(done_any0 & (R(n) < 0.7))
    encounter(q, _within(rng, np.full(len(q), T - Y + 1), np.full(len(q), T)), "practice_nurse", True)

    # ---- medications ----------------------------------------------------------------------
    med_p, med_d, med_c = [], [], []

    def course(concept, mask, start_lo_years, ongoing_share, interval_choices, max_len_years=None):
        q = _rep(mask)
        if len(q) == 0:
            return q, np.zeros(0, np.int64)
        start = T - (R(len(q)) * start_lo_years * Y).astype(np.int64)
        start = np.maximum(start, pp.reg_from[q] - 2 * Y)
        ongoing = R(len(q)) < ongoing_share
        stop = np.where(ongoing, T, _within(rng, start, np.full(len(q), T)))
        if max_len_years is not None:
            stop = np.minimum(stop, start + int(max_len_years * Y))
        start = np.maximum(start, T - N_YEARS * Y)
        stop = np.maximum(stop, start)
        interval = np.asarray(interval_choices)[rng.integers(0, len(interval_choices), len(q))]
        k = (stop - start) // interval + 1
        rows = np.repeat(np.arange(len(q)), k)
        offs = np.arange(len(rows)) - np.repeat(np.cumsum(k) - k, k)
        days = start[rows] + offs * interval[rows] + rng.integers(-3, 4, len(rows))
        drug = book.pick_drug(concept, len(q), rng)
        med_p.append(q[rows].astype(np.int32))
        med_d.append(days.astype(np.int32))
        med_c.append(drug[rows])
        return q, stop

    course("antipsychotic", on_ap, 10, 0.75, [28, 28, 56])
    switch = on_ap & (R(n) < 0.15)
    course("atypical_antipsychotic", switch, 3, 0.8, [28, 56])
    q, stop = course("lithium", on_li, 10, 0.8, [28, 56])
    stopped = stop < T - 60
    coded = stopped & (R(len(q)) < 0.6)
    ev.add("lithium_stopped", q[coded], np.minimum(stop[coded] + 14, T))
    # issue 11: lithium monitoring bloods (NICE CG185: every 6 months) — most current users are up to date
    current = stop >= T - 60
    for concept, mean, sd, share in (
        ("egfr", 78, 15, 0.8),
        ("creatinine", 85, 15, 0.5),
        ("tsh", 2.2, 1.0, 0.75),
        ("calcium", 2.35, 0.1, 0.6),
        ("lithium_level", 0.7, 0.15, 0.7),
    ):
        t = q[current & (R(len(q)) < share)]
        ev.add(concept, t, T - rng.integers(5, 170, len(t)), np.clip(rng.normal(mean, sd, len(t)), 0.05, 200))
        t = q[current & (R(len(q)) < 0.15)]
        ev.add(concept, t, T - rng.integers(200, Y, len(t)), np.clip(rng.normal(mean, sd, len(t)), 0.05, 200))
    course("mood_stabiliser", on_ms, 8, 0.8, [28, 56])
    course("statin", on_statin, 10, 0.85, [28, 56, 84])
    course("antihypertensive", on_ahtn, 10, 0.9, [28, 56, 84])
    course("antihypertensive", on_ahtn & (R(n) < 0.4), 6, 0.9, [28, 56])
    course("corticosteroid_oral", on_steroid, 5, 0.8, [28])
    course("corticosteroid_oral", steroid_short, 5, 0.0, [7, 14], max_len_years=0.05)
    course("smoking_cessation_drug", (smoke == 0) & (R(n) < 0.15), 4, 0.1, [14, 28], max_len_years=0.25)
    course("erectile_dysfunction_drug", ed & (R(n) < 0.4), 5, 0.7, [56, 84])

    # ---- assemble, keep rows inside each person's record -----------------------------------
    ep, ed_, ec, ek, evv = ev.arrays()
    keep = (ed_ <= pp.end[ep]) & (ed_ >= pp.dob[ep])
    events = dict(p=ep[keep], d=ed_[keep], c=ec[keep], k=ek[keep], v=evv[keep])
    mp = np.concatenate(med_p) if med_p else np.zeros(0, np.int32)
    md = np.concatenate(med_d) if med_d else np.zeros(0, np.int32)
    mc = np.concatenate(med_c) if med_c else np.zeros(0, np.int32)
    keep = (md <= pp.end[mp]) & (md >= pp.dob[mp])
    meds = dict(p=mp[keep], d=md[keep], c=mc[keep])
    xp, xd = np.concatenate(enc_p), np.concatenate(enc_d)
    xs, xa = np.concatenate(enc_s), np.concatenate(enc_a)
    keep = (xd <= pp.end[xp]) & (xd >= pp.dob[xp])
    encs = dict(p=xp[keep], d=xd[keep], s=xs[keep], a=xa[keep])
    return events, meds, encs, ev


def events_frame(
    ev_arrays: dict, ev: Events, nhs_str: pl.Series, code_table: pl.Series, rng: np.random.Generator
) -> pl.DataFrame:
    p, d, c, k, v = (ev_arrays[x] for x in ("p", "d", "c", "k", "v"))
    order = np.lexsort((d, p))
    p, d, c, k, v = p[order], d[order], c[order], k[order], v[order]
    dec = np.asarray(ev.decimals)[k]
    scale = 10.0**dec
    v = np.round(v * scale) / scale
    units = pl.Series(ev.units, dtype=pl.String)
    df = pl.DataFrame(
        {
            "nhs_number": nhs_str.gather(p),
            "date": pl.Series(d).cast(pl.Date).cast(pl.String),
            "code": code_table.gather(c),
            "_v": pl.Series(v, nan_to_null=True),
            "_int": pl.Series(dec == 0),
            "unit": units.gather(k.astype(np.int32)),
        }
    )
    return df.select(
        "nhs_number",
        "date",
        "code",
        pl.when(pl.col("_int"))
        .then(pl.col("_v").cast(pl.Int64).cast(pl.String))
        .otherwise(pl.col("_v").cast(pl.String))
        .alias("value"),
        pl.when(pl.col("_v").is_null()).then(None).otherwise(pl.col("unit")).alias("unit"),
    )


def medications_frame(m: dict, nhs_str: pl.Series, drug_codes: pl.Series, drug_names: pl.Series) -> pl.DataFrame:
    order = np.lexsort((m["d"], m["p"]))
    p, d, c = m["p"][order], m["d"][order], m["c"][order]
    return pl.DataFrame(
        {
            "nhs_number": nhs_str.gather(p),
            "date": pl.Series(d).cast(pl.Date).cast(pl.String),
            "bnf_code": drug_codes.gather(c),
            "dmd_code": pl.Series([None] * len(p), dtype=pl.String),
            "name": drug_names.gather(c),
        }
    )


def encounters_frame(x: dict, nhs_str: pl.Series, rng: np.random.Generator) -> pl.DataFrame:
    from longerlives.synth.population import FALSE_SPELLINGS, TRUE_SPELLINGS

    order = np.lexsort((x["d"], x["p"]))
    p, d, s, a = x["p"][order], x["d"][order], x["s"][order], x["a"][order]
    # spellings table: [true variants..., false variants...]; 97% plain "true"/"false"
    spell = pl.Series(TRUE_SPELLINGS + FALSE_SPELLINGS, dtype=pl.String)
    nt = len(TRUE_SPELLINGS)
    odd = rng.random(len(a)) < 0.03
    t_idx = np.where(odd, rng.integers(0, nt, len(a)), 0)
    f_idx = nt + np.where(odd, rng.integers(0, len(FALSE_SPELLINGS), len(a)), 0)
    att_idx = np.where(a, t_idx, f_idx).astype(np.int32)
    return pl.DataFrame(
        {
            "nhs_number": nhs_str.gather(p),
            "date": pl.Series(d).cast(pl.Date).cast(pl.String),
            "service": pl.Series(SERVICES, dtype=pl.String).gather(s.astype(np.int32)),
            "attended": spell.gather(att_idx),
        }
    )
