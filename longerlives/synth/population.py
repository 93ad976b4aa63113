"""Practices, core teams, neighbourhoods and the people on the register."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from longerlives.synth import words as W
from longerlives.synth.nhs import NhsNumberSource

YEAR = 365.25

# NHS Data Dictionary ethnic category, London-like shares for an SMI register
# ("" = not recorded). Black groups are over-represented on London SMI registers.
ETHNIC_CODES = ["A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S", "Z", ""]
ETHNIC_SHARE = np.array([34, 2.2, 14, 1.8, 1.0, 1.1, 1.6, 5.5, 2.4, 3.2, 4.2, 6.5, 8.5, 3.0, 1.3, 5.2, 4.0, 3.5])
ETHNIC_SHARE = ETHNIC_SHARE / ETHNIC_SHARE.sum()

# ethnic category -> (non-English languages, probability of a non-English preference)
LANGUAGES = {
    "C": (["pl", "ro", "tr", "pt", "it", "el", "bg", "lt"], 0.25),
    "H": (["gu", "pa", "hi", "ta"], 0.12),
    "J": (["ur", "pa"], 0.18),
    "K": (["bn"], 0.32),
    "L": (["ta", "ar", "fa", "tl"], 0.15),
    "N": (["so", "ti", "am", "yo", "fr", "pt"], 0.14),
    "R": (["zh", "yue"], 0.25),
    "S": (["tr", "ar", "ku", "fa", "es"], 0.22),
    "Z": (["pl", "tr", "ar"], 0.05),
    "": (["pl", "tr", "so"], 0.04),
}

TRUE_SPELLINGS = ["true", "TRUE", "True", "t", "T", "yes", "Yes", "YES", "y", "Y", "1"]
FALSE_SPELLINGS = ["false", "FALSE", "False", "f", "F", "no", "No", "NO", "n", "N", "0"]
SEX_SPELLINGS = {0: ["F", "f", "Female", "FEMALE"], 1: ["M", "m", "Male", "MALE"], 2: ["U", "u", "Unknown"]}
SEX_WORDS = ["female", "male", "unknown"]


@dataclass
class Static:
    practices: pl.DataFrame
    teams: pl.DataFrame
    practice_codes: np.ndarray
    practice_borough: np.ndarray
    practice_weight: np.ndarray
    practice_team: np.ndarray
    team_codes: np.ndarray
    lsoa_codes: np.ndarray
    lsoa_borough: np.ndarray
    lsoa_imd: np.ndarray
    lsoa_townsend: np.ndarray
    lsoa_area: np.ndarray
    lsoa_district: np.ndarray
    borough_lsoas: list[np.ndarray]


def _pick(rng: np.random.Generator, items: list[str], n: int) -> np.ndarray:
    return np.asarray(items, dtype=object)[rng.integers(0, len(items), n)]


def _postcodes(rng: np.random.Generator, districts: np.ndarray) -> np.ndarray:
    n = len(districts)
    letters = np.asarray(list(W.UNIT_LETTERS), dtype=object)
    sector = rng.integers(0, 10, n).astype(str).astype(object)
    return (
        districts + " " + sector + letters[rng.integers(0, len(letters), n)] + letters[rng.integers(0, len(letters), n)]
    )


def _landline(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.char.add("020 7946 0", np.char.zfill(rng.integers(0, 1000, n).astype(str), 3)).astype(object)


def _mobile(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.char.add("07700 900", np.char.zfill(rng.integers(0, 1000, n).astype(str), 3)).astype(object)


def _street_address(rng: np.random.Generator, n: int) -> np.ndarray:
    num = rng.integers(1, 240, n).astype(str).astype(object)
    return num + " " + _pick(rng, W.STREET_WORDS, n) + " " + _pick(rng, W.STREET_TYPES, n)


def build_static(n_patients: int, seed: int) -> Static:
    rng = np.random.default_rng([seed, 1])
    n_pr = max(1, int(round(15 * n_patients / 10_000)))
    n_tm = max(1, int(round(6 * n_patients / 10_000)))

    # neighbourhoods (LSOAs): deprivation skewed towards the deprived end
    codes, boroughs, areas, districts = [], [], [], []
    for b_i, b in enumerate(W.BOROUGH_NAMES):
        lo, hi = W.BOROUGH_LSOA_RANGES[b]
        k = hi - lo + 1
        codes += [f"E01{c:06d}" for c in range(lo, hi + 1)]
        boroughs += [b_i] * k
        pick = rng.integers(0, len(W.BOROUGHS[b]), k)
        areas += [W.BOROUGHS[b][j][0] for j in pick]
        districts += [W.BOROUGHS[b][j][1] for j in pick]
    lsoa_borough = np.array(boroughs)
    z = rng.normal(np.asarray(W.BOROUGH_DEPRIVATION)[lsoa_borough] * 0.6, 1.0)
    imd = np.clip(np.floor(4.2 + 2.2 * z), 1, 10).astype(np.int64)
    townsend = np.clip(6.5 - 1.1 * (imd - 1) + rng.normal(0, 1.6, len(imd)), -7, 11).round(2)
    borough_lsoas = [np.flatnonzero(lsoa_borough == b) for b in range(len(W.BOROUGH_NAMES))]

    # core teams
    team_borough = rng.permutation(np.arange(n_tm) % len(W.BOROUGH_NAMES))
    team_codes, team_names = [], []
    seen: dict[int, int] = {}
    for i, b in enumerate(team_borough):
        seen[b] = seen.get(b, 0) + 1
        bname = W.BOROUGH_NAMES[b]
        team_codes.append(f"{bname[:3].upper()}CT{seen[b]:03d}")
        loc = W.TEAM_LOCALITIES[(seen[b] - 1) % len(W.TEAM_LOCALITIES)]
        round_no = (seen[b] - 1) // len(W.TEAM_LOCALITIES)
        team_names.append(f"{bname} {loc} Core Mental Health Team" + (f" {round_no + 1}" if round_no else ""))
    team_codes_a = np.array(team_codes, dtype=object)
    t_area = [W.BOROUGHS[W.BOROUGH_NAMES[b]][0] for b in team_borough]
    t_post = _postcodes(rng, np.array([a[1] for a in t_area], dtype=object))
    teams = pl.DataFrame(
        {
            "team_code": team_codes,
            "name": team_names,
            "phone": _landline(rng, n_tm).tolist(),
            "email": [f"{c.lower()}@nhs-teams.example" for c in team_codes],
            "address": [f"{s}, {a[0]}, London {p}" for s, a, p in zip(_street_address(rng, n_tm), t_area, t_post)],
        }
    )

    # practices
    prefixes = {"Barnet": "E83", "Camden": "F83", "Enfield": "F85", "Haringey": "F85", "Islington": "F83"}
    pr_borough = rng.choice(len(W.BOROUGH_NAMES), size=n_pr, p=W.BOROUGH_SHARE)
    used: dict[str, set[int]] = {}
    pr_codes = []
    for b in pr_borough:
        pfx = prefixes[W.BOROUGH_NAMES[b]]
        while True:
            pool = used.setdefault(pfx, set())
            if len(pool) >= 1000:
                pfx = pfx[0] + f"{int(pfx[1:]) + 10:02d}"
                continue
            c = int(rng.integers(0, 1000))
            if c not in pool:
                pool.add(c)
                pr_codes.append(f"{pfx}{c:03d}")
                break
    pr_area = [
        W.BOROUGHS[W.BOROUGH_NAMES[b]][int(rng.integers(0, len(W.BOROUGHS[W.BOROUGH_NAMES[b]])))] for b in pr_borough
    ]
    names = []
    for i in range(n_pr):
        style = rng.integers(0, 3)
        word = W.STREET_WORDS[int(rng.integers(0, len(W.STREET_WORDS)))]
        kind = W.PRACTICE_KINDS[int(rng.integers(0, len(W.PRACTICE_KINDS)))]
        if style == 0:
            names.append(f"{word} {kind}")
        elif style == 1:
            names.append(f"The {pr_area[i][0]} {kind}")
        else:
            names.append(f"{word} Road {kind}")
    mailbox_ids = rng.permutation(26**3 * 9)[:n_pr]
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    mailboxes = []
    has_mesh = rng.random(n_pr) < 0.75
    for i, m in enumerate(mailbox_ids):
        if not has_mesh[i]:
            mailboxes.append(None)
            continue
        d, rest = int(m % 9) + 1, int(m // 9)
        three = letters[rest // 676] + letters[(rest // 26) % 26] + letters[rest % 26]
        mailboxes.append(f"X26{three}{d}")
    pr_post = _postcodes(rng, np.array([a[1] for a in pr_area], dtype=object))
    practices = pl.DataFrame(
        {
            "practice_code": pr_codes,
            "name": names,
            "phone": _landline(rng, n_pr).tolist(),
            "address": [f"{s}, {a[0]}, London {p}" for s, a, p in zip(_street_address(rng, n_pr), pr_area, pr_post)],
            "mesh_mailbox": mailboxes,
        },
        schema={
            "practice_code": pl.String,
            "name": pl.String,
            "phone": pl.String,
            "address": pl.String,
            "mesh_mailbox": pl.String,
        },
    )
    pr_team = np.zeros(n_pr, dtype=np.int64)
    for i, b in enumerate(pr_borough):
        same = np.flatnonzero(team_borough == b)
        pr_team[i] = rng.choice(same) if len(same) else rng.integers(0, n_tm)
    weight = rng.lognormal(0, 0.45, n_pr)
    return Static(
        practices=practices,
        teams=teams,
        practice_codes=np.array(pr_codes, dtype=object),
        practice_borough=pr_borough,
        practice_weight=weight / weight.sum(),
        practice_team=pr_team,
        team_codes=team_codes_a,
        lsoa_codes=np.array(codes, dtype=object),
        lsoa_borough=lsoa_borough,
        lsoa_imd=imd,
        lsoa_townsend=townsend,
        lsoa_area=np.array(areas, dtype=object),
        lsoa_district=np.array(districts, dtype=object),
        borough_lsoas=borough_lsoas,
    )


@dataclass
class People:
    """Per-person attributes the clinical generator needs (one chunk)."""

    n: int
    nhs: np.ndarray  # int64
    sex: np.ndarray  # 0 female, 1 male, 2 unknown
    age: np.ndarray  # years at the reference date (float)
    dob: np.ndarray  # day number
    eth: np.ndarray  # index into ETHNIC_CODES
    imd: np.ndarray  # 1..10 (0 = missing)
    cohort: np.ndarray  # 0 SMI diagnosis, 1 non-SMI on antipsychotic/lithium, 2 other
    reg_from: np.ndarray
    end: np.ndarray  # last day the record runs to (death, deregistration or as-of)
    has_team: np.ndarray
    ld: np.ndarray  # learning disability (drives easy read)
    table: pl.DataFrame  # the patients rows as strings


def _booleans(rng: np.random.Generator, values: np.ndarray, odd_share: float = 0.06) -> np.ndarray:
    out = np.where(values, "true", "false").astype(object)
    odd = rng.random(len(values)) < odd_share
    t = np.asarray(TRUE_SPELLINGS, dtype=object)[rng.integers(0, len(TRUE_SPELLINGS), len(values))]
    f = np.asarray(FALSE_SPELLINGS, dtype=object)[rng.integers(0, len(FALSE_SPELLINGS), len(values))]
    return np.where(odd, np.where(values, t, f), out)


def _dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date).cast(pl.String)


def format_nhs(rng: np.random.Generator, nhs: np.ndarray, share: float = 0.015) -> np.ndarray:
    s = nhs.astype(str).astype(object)
    r = rng.random(len(nhs))
    spaced = np.array([f"{x[:3]} {x[3:6]} {x[6:]}" for x in s[r < share / 2]], dtype=object)
    dashed = np.array([f"{x[:3]}-{x[3:6]}-{x[6:]}" for x in s[(r >= share / 2) & (r < share)]], dtype=object)
    out = s.copy()
    out[r < share / 2] = spaced
    out[(r >= share / 2) & (r < share)] = dashed
    return out


def make_people(
    static: Static, rng: np.random.Generator, n: int, nhs_src: NhsNumberSource, as_of: int
) -> tuple[People, int]:
    """One chunk of people. Returns the people and how many NHS numbers were written formatted."""
    nhs = nhs_src.take(n)
    sex = rng.choice(3, size=n, p=[0.465, 0.53, 0.005])
    age = np.clip(rng.normal(47, 15.5, n), 18, 97)
    young = rng.random(n) < 0.005
    age[young] = rng.uniform(14, 17.95, young.sum())
    dob = (as_of - age * YEAR).astype(np.int64)
    eth = rng.choice(len(ETHNIC_CODES), size=n, p=ETHNIC_SHARE)
    practice = rng.choice(len(static.practice_codes), size=n, p=static.practice_weight)
    borough = static.practice_borough[practice]
    # people live in their practice's borough, more often in deprived neighbourhoods
    lsoa = np.zeros(n, dtype=np.int64)
    for b, idx in enumerate(static.borough_lsoas):
        mask = borough == b
        if mask.any():
            w = 1.0 + 0.18 * (10 - static.lsoa_imd[idx])
            lsoa[mask] = rng.choice(idx, size=mask.sum(), p=w / w.sum())
    imd = static.lsoa_imd[lsoa].copy()
    cohort = rng.choice(3, size=n, p=[0.80, 0.15, 0.05])
    years_reg = np.minimum(rng.exponential(9.0, n), np.maximum(age - 0.1, 0.1))
    reg_from = (as_of - years_reg * YEAR).astype(np.int64)
    end = np.full(n, as_of, dtype=np.int64)
    dead = rng.random(n) < 0.004 + 0.0004 * np.maximum(age - 40, 0)
    death = as_of - rng.integers(1, 3 * 365, n)
    death = np.maximum(death, reg_from + 30)
    dead &= death < as_of
    left = (~dead) & (rng.random(n) < 0.02)
    reg_to = np.maximum(as_of - rng.integers(1, 3 * 365, n), reg_from + 30)
    left &= reg_to < as_of
    end[dead] = death[dead]
    end[left] = reg_to[left]
    has_team = rng.random(n) >= 0.05
    ld = rng.random(n) < 0.03

    # --- strings ---------------------------------------------------------------------
    given = np.where(
        sex == 0,
        _pick(rng, W.GIVEN_FEMALE, n),
        np.where(sex == 1, _pick(rng, W.GIVEN_MALE, n), _pick(rng, W.GIVEN_UNISEX, n)),
    )
    family = _pick(rng, W.FAMILY, n)
    title = np.where(
        sex == 0, _pick(rng, W.TITLES_F, n), np.where(sex == 1, _pick(rng, W.TITLES_M, n), _pick(rng, W.TITLES_U, n))
    )
    title = np.where(rng.random(n) < 0.1, None, title)
    flat = rng.random(n) < 0.35
    line1 = np.where(
        flat,
        "Flat "
        + rng.integers(1, 60, n).astype(str).astype(object)
        + ", "
        + _pick(rng, W.STREET_WORDS, n)
        + " "
        + _pick(rng, W.ESTATE_WORDS, n),
        _street_address(rng, n),
    )
    line2 = np.where(flat, _street_address(rng, n), None)
    line3 = static.lsoa_area[lsoa]
    line4 = np.where(rng.random(n) < 0.9, "London", None)
    postcode = _postcodes(rng, static.lsoa_district[lsoa])
    phone = np.where(rng.random(n) < 0.7, _mobile(rng, n), _landline(rng, n))
    phone = np.where(rng.random(n) < 0.12, None, phone)
    email = np.where(
        rng.random(n) < 0.35,
        (
            np.char.lower(given.astype(str)).astype(object)
            + "."
            + np.char.lower(np.char.replace(np.char.replace(family.astype(str), "'", ""), " ", "")).astype(object)
            + rng.integers(1, 999, n).astype(str).astype(object)
            + "@"
            + _pick(rng, W.EMAIL_DOMAINS, n)
        ),
        None,
    )

    lang = np.full(n, "en", dtype=object)
    eth_codes = np.asarray(ETHNIC_CODES, dtype=object)[eth]
    for e, (langs, p) in LANGUAGES.items():
        mask = (eth_codes == e) & (rng.random(n) < p)
        lang[mask] = _pick(rng, langs, int(mask.sum()))
    lang = np.where(rng.random(n) < 0.02, None, lang)  # not recorded -> default en
    interp = (lang != "en") & (lang != None) & (rng.random(n) < 0.45)  # noqa: E711
    interp |= rng.random(n) < 0.002

    needs = np.full(n, "", dtype=object)
    age_old = age > 70
    for need, p in (
        ("easy_read", np.where(ld, 0.5, 0.02)),
        ("large_print", np.where(age_old, 0.07, 0.012)),
        ("braille", 0.0008),
        ("bsl", 0.0015),
        ("audio", 0.0015),
        ("email", 0.05),
    ):
        m = rng.random(n) < p
        needs[m] = np.where(needs[m] == "", need, needs[m] + ";" + need)
    needs = np.where(needs == "", None, needs)
    by_letter = rng.random(n) >= 0.03

    sex_str = np.asarray(SEX_WORDS, dtype=object)[sex]
    odd = rng.random(n) < 0.05
    for s, spellings in SEX_SPELLINGS.items():
        m = odd & (sex == s)
        sex_str[m] = _pick(rng, spellings, int(m.sum()))

    townsend = static.lsoa_townsend[lsoa].astype(object)
    lsoa_code = static.lsoa_codes[lsoa]
    no_geo = rng.random(n) < 0.03
    townsend[no_geo | (rng.random(n) < 0.03)] = None
    lsoa_code = np.where(no_geo, None, lsoa_code)
    imd_str = np.where(no_geo, None, imd.astype(str).astype(object))
    imd[no_geo] = 0

    nhs_str = format_nhs(rng, nhs)
    formatted = int(sum(1 for x in nhs_str if len(x) != 10))
    team = np.where(has_team, static.team_codes[static.practice_team[practice]], None)

    def col(a):
        return pl.Series(a.tolist() if isinstance(a, np.ndarray) else a, dtype=pl.String)

    table = pl.DataFrame(
        {
            "nhs_number": col(nhs_str),
            "practice_code": col(static.practice_codes[practice]),
            "date_of_birth": _dates(dob),
            "sex": col(sex_str),
            "ethnic_category": col(np.where(eth_codes == "", None, eth_codes)),
            "lsoa_code": col(lsoa_code),
            "imd_decile": col(imd_str),
            "townsend_score": col(np.array([None if t is None else f"{t:.2f}" for t in townsend], dtype=object)),
            "title": col(title),
            "given_name": col(given),
            "family_name": col(family),
            "address_line_1": col(line1),
            "address_line_2": col(line2),
            "address_line_3": col(line3),
            "address_line_4": col(line4),
            "postcode": col(postcode),
            "phone": col(phone),
            "email": col(email),
            "preferred_language": col(lang),
            "interpreter_required": col(_booleans(rng, interp)),
            "communication_needs": col(needs),
            "contact_by_letter": col(_booleans(rng, by_letter)),
            "registered_from": _dates(reg_from),
            "registered_to": _dates(reg_to).zip_with(pl.Series(left), pl.Series([None] * n, dtype=pl.String)),
            "date_of_death": _dates(death).zip_with(pl.Series(dead), pl.Series([None] * n, dtype=pl.String)),
            "core_team": col(team),
        }
    )
    people = People(
        n=n,
        nhs=nhs,
        sex=sex,
        age=age,
        dob=dob,
        eth=eth,
        imd=imd,
        cohort=cohort,
        reg_from=reg_from,
        end=end,
        has_team=has_team,
        ld=ld,
        table=table,
    )
    return people, formatted


PATIENT_COLUMNS = [
    "nhs_number",
    "practice_code",
    "date_of_birth",
    "sex",
    "ethnic_category",
    "lsoa_code",
    "imd_decile",
    "townsend_score",
    "title",
    "given_name",
    "family_name",
    "address_line_1",
    "address_line_2",
    "address_line_3",
    "address_line_4",
    "postcode",
    "phone",
    "email",
    "preferred_language",
    "interpreter_required",
    "communication_needs",
    "contact_by_letter",
    "registered_from",
    "registered_to",
    "date_of_death",
    "core_team",
]
