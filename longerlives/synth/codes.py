"""Code picking for the synthetic extract.

Codes come from the project's own code lists (``load_codelists()``) at run time.
The lists below are used only when a concept's list is absent (or the code-list
folder cannot be loaded at all); they also mark the *common* codes inside a loaded
list so the synthetic data favours the codes practices actually use.

BNF: drug concepts are prefixes. A generated prescription needs a full 15-character
presentation code, so a prefix is extended with a known chemical (9 characters)
and a generic product/form suffix (``AA`` + form + form), e.g. lithium carbonate
``0402030K0`` -> ``0402030K0AAAAAA``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Common SNOMED CT concept ids per concept (mostly from docs/domain.md §6; fallback only).
FALLBACK_SNOMED: dict[str, list[str]] = {
    "smi_diagnosis": ["58214004", "64905009", "13746004", "68890003", "69322001", "1127191000000108", "191525009"],
    "smi_remission": ["4926007", "63181006", "41836007", "85248005", "755311000000100", "191574005"],
    "bmi": ["60621009", "301331008"],
    "weight": ["27113001", "162763007"],
    "height": ["50373000", "248333004"],
    "systolic_bp": ["271649006", "72313002"],
    "diastolic_bp": ["271650006", "174255007"],
    "abpm_day_systolic": ["198081000000101", "314446007"],
    "abpm_day_diastolic": ["198091000000104", "314461008"],
    "home_systolic": ["413606001"],
    "home_diastolic": ["413605002"],
    "bp_declined": ["413123006"],  # BPDEC_COD 20200812 (1092631000000106 failed the check digit)
    "total_cholesterol": ["1005671000000105", "1017161000000104", "850981000000101"],
    "hdl_cholesterol": ["1005681000000107", "1010581000000101"],
    "cholesterol_hdl_ratio": ["1015681000000109", "1028551000000102"],  # serum ratio, total chol:HDL
    "ldl_cholesterol": ["1014501000000104"],
    "non_hdl_cholesterol": ["1006191000000106", "1030411000000101"],
    "triglycerides": ["1005691000000109"],
    "hba1c": ["999791000000106", "1049301000000100"],
    "blood_glucose": ["1010671000000102", "1010611000000107"],  # plasma, serum glucose
    "fasting_glucose": ["1003141000000105", "1003131000000101"],  # plasma, serum fasting
    "alcohol_units": ["160573003"],
    "audit_c": ["763256006"],
    "audit": ["443280005"],
    "alcohol_status": ["219006", "105542008", "228276006"],
    "smoker": ["77176002", "65568007"],
    "smoker_light": ["160603005"],
    "smoker_moderate": ["160604004"],
    "smoker_heavy": ["160605003", "160606002"],
    "ex_smoker": ["8517006", "281018007", "160617001"],
    "never_smoked": ["266919005", "160601007"],
    "smoking_cessation_offered": ["225323000", "225324006"],
    "smoking_cessation_referral": ["315232003"],
    "smoking_cessation_declined": ["1087441000000106", "527151000000107"],
    "ecg": ["268400002", "164854000", "102594003"],
    "cervical_screening": ["1020451000000104", "1104601000000107"],
    "cervical_screening_declined": ["275918005"],
    "cervical_screening_unsuitable": ["116140006"],
    "cervical_screening_nonresponder": ["1109911000000100"],
    "breast_screening": ["268547008", "24623002"],
    "breast_screening_declined": [],  # pending: no verified code (see PENDING_NOTE)
    "breast_screening_dna": ["275981000000102"],
    "breast_screening_abnormal": ["171176006", "185710003"],
    "bowel_screening": ["1101361000000103", "375211000000108"],
    "bowel_screening_abnormal": ["1101371000000105", "375241000000109"],
    "cervical_screening_needs_repeat": ["888111000000103", "168402006", "1128121000000109"],
    "alcohol_specialist_referral": ["431260004", "390857005"],
    "egfr": ["1011481000000105", "857971000000104"],
    "creatinine": ["1000731000000107"],
    "tsh": ["1022791000000101", "1027151000000105"],
    "calcium": ["935051000000108", "998341000000105"],
    "lithium_level": ["1006681000000100", "269871000"],
    "bowel_screening_declined": [],  # pending: no verified code (see PENDING_NOTE)
    "bowel_screening_dna": ["294261000000108"],
    "usc_referral": ["199251000000107", "276401000000108", "1556551000000104", "276341000000100"],
    "hypertension": ["38341003", "59621000"],
    "diabetes": ["73211009", "111552007", "5368009"],
    "diabetes_type1": ["46635009", "313435000"],
    "diabetes_type2": ["44054006", "313436004"],
    "diabetes_resolved": ["315051004"],
    "non_diabetic_hyperglycaemia": ["700449008"],
    "weight_management_referral": ["408289007"],
    "diabetes_prevention_referral": ["1025321000000109"],
    "alcohol_brief_intervention": ["413473000"],
    "cvd": ["53741008", "22298006", "230690007", "266257000", "399957001"],
    "atrial_fibrillation": ["49436004", "282825002"],
    "ckd_3_5": ["433144002", "700378005", "700379002", "431857002"],
    "rheumatoid_arthritis": ["69896004"],
    "sle": ["55464009", "239887007"],
    "migraine": ["37796009", "4473006"],
    "erectile_dysfunction": ["860914002"],
    "family_history_cvd": ["266897007", "134439009"],
    "family_history_diabetes": ["160303001"],
    "gestational_diabetes": ["11687002"],
    "pcos": ["237055002", "69878008"],
    "learning_disability": ["110359009", "416075005"],
    "autism": ["408856003"],
    "homeless": ["32911000"],
    "substance_dependence": ["191816009", "7200002"],
    "dna_mental_health": ["401202005", "200961000000107"],
    "mh_invite": [],  # pending: no verified code (see PENDING_NOTE)
    "medication_review": ["314530002", "182836005"],
    "lithium_stopped": [],  # pending: no verified code (see PENDING_NOTE)
}

# PENDING_NOTE (issue 11, R2): the manifest's [pending.*] concepts have no shipped list, and no
# public source shows a SNOMED id with their term. Their earlier fallback ids could not be
# verified (716181000000106 even fails the SNOMED CT check digit), so the generator writes no
# record for them until a list is shipped; the engine reads them as never recorded anyway.

# Codes in routine records that belong to no engine concept (background noise).
# (code, unit, low, high, decimals) -- value drawn uniformly; unit None = no value.
OTHER_CODES: list[tuple[str, str | None, float, float, int]] = [
    ("78564009", "/min", 55, 100, 0),  # pulse rate
    ("1022431000000105", "g/L", 110, 165, 0),  # haemoglobin
    ("1018251000000107", "U/L", 8, 55, 0),  # serum ALT
    ("185317003", None, 0, 0, 0),  # telephone encounter
    ("308335008", None, 0, 0, 0),  # patient encounter procedure
    ("1000661000000107", "mmol/L", 133, 145, 0),  # serum sodium
]

# Known BNF chemical codes (9 characters), with a display name and strengths.
BNF_CHEMICALS: list[tuple[str, str, list[str]]] = [
    # antipsychotics 4.2.1
    ("040201060", "Olanzapine", ["5mg tablets", "10mg tablets", "15mg tablets", "20mg tablets"]),
    ("0402010AB", "Quetiapine", ["25mg tablets", "100mg tablets", "200mg tablets", "300mg tablets"]),
    ("0402010AD", "Aripiprazole", ["5mg tablets", "10mg tablets", "15mg tablets"]),
    ("040201030", "Risperidone", ["1mg tablets", "2mg tablets", "3mg tablets"]),
    ("0402010A0", "Amisulpride", ["100mg tablets", "200mg tablets", "400mg tablets"]),
    ("0402010C0", "Clozapine", ["25mg tablets", "100mg tablets"]),
    ("0402010J0", "Haloperidol", ["500microgram capsules", "1.5mg tablets", "5mg tablets"]),
    ("0402010AI", "Lurasidone", ["37mg tablets", "74mg tablets"]),
    ("0402010D0", "Chlorpromazine", ["25mg tablets", "50mg tablets", "100mg tablets"]),
    ("0402010U0", "Sulpiride", ["200mg tablets", "400mg tablets"]),
    ("0402010X0", "Trifluoperazine", ["1mg tablets", "5mg tablets"]),
    ("0402010AJ", "Cariprazine", ["1.5mg capsules", "3mg capsules"]),
    # depots 4.2.2
    ("0402020AD", "Aripiprazole", ["400mg prolonged-release injection"]),
    ("0402020AB", "Paliperidone", ["100mg/1ml prolonged-release injection"]),
    ("0402020D0", "Flupentixol decanoate", ["40mg/2ml injection"]),
    ("0402020U0", "Zuclopenthixol decanoate", ["200mg/1ml injection"]),
    # mania 4.2.3
    ("0402030K0", "Lithium carbonate", ["250mg tablets", "400mg modified-release tablets"]),
    ("0402030P0", "Lithium citrate", ["520mg/5ml oral solution"]),
    ("0402030Q0", "Valproate semisodium", ["250mg gastro-resistant tablets", "500mg gastro-resistant tablets"]),
    ("0408010W0", "Sodium valproate", ["500mg gastro-resistant tablets"]),
    ("0408010C0", "Carbamazepine", ["200mg tablets"]),
    ("0408010H0", "Lamotrigine", ["100mg tablets"]),
    # statins 2.12
    ("0212000B0", "Atorvastatin", ["20mg tablets", "40mg tablets", "80mg tablets"]),
    ("0212000Y0", "Simvastatin", ["20mg tablets", "40mg tablets"]),
    ("0212000AA", "Rosuvastatin calcium", ["5mg tablets", "10mg tablets"]),
    ("0212000X0", "Pravastatin sodium", ["20mg tablets", "40mg tablets"]),
    # antihypertensives
    ("0206020A0", "Amlodipine", ["5mg tablets", "10mg tablets"]),
    ("0205051R0", "Ramipril", ["2.5mg capsules", "5mg capsules", "10mg capsules"]),
    ("0205051L0", "Lisinopril", ["10mg tablets", "20mg tablets"]),
    ("0205052N0", "Losartan potassium", ["50mg tablets", "100mg tablets"]),
    ("0205052C0", "Candesartan cilexetil", ["8mg tablets", "16mg tablets"]),
    ("0204000H0", "Bisoprolol fumarate", ["2.5mg tablets", "5mg tablets"]),
    ("0202010P0", "Indapamide", ["2.5mg tablets", "1.5mg modified-release tablets"]),
    ("0202010B0", "Bendroflumethiazide", ["2.5mg tablets"]),
    # oral corticosteroids
    ("0603020T0", "Prednisolone", ["5mg tablets", "1mg tablets"]),
    ("0603020G0", "Dexamethasone", ["2mg tablets"]),
    # smoking cessation
    ("0410020A0", "Nicotine", ["21mg/24hours transdermal patches", "2mg gum"]),
    ("0410020C0", "Varenicline", ["1mg tablets", "500microgram tablets"]),
    ("0410020B0", "Bupropion", ["150mg modified-release tablets"]),
    # erectile dysfunction
    ("0704050Z0", "Sildenafil", ["50mg tablets", "100mg tablets"]),
    ("0704050R0", "Tadalafil", ["10mg tablets", "20mg tablets"]),
]

FALLBACK_BNF: dict[str, list[str]] = {
    "lithium": ["0402030K0", "0402030P0"],
    "antipsychotic": ["040201", "040202"],
    "atypical_antipsychotic": [
        "040201060",
        "0402010AB",
        "0402010AD",
        "040201030",
        "0402010A0",
        "0402010C0",
        "0402010AI",
        "0402010AJ",
        "0402020AD",
        "0402020AB",
    ],
    "statin": ["0212000B0", "0212000Y0", "0212000AA", "0212000X0"],
    "lipid_lowering": ["0212000"],
    "corticosteroid_oral": ["0603020T0", "0603020G0"],
    "antihypertensive": ["0204", "0205", "0206020", "0202010"],
    "erectile_dysfunction_drug": ["0704050"],
    "smoking_cessation_drug": ["0410020"],
    "mood_stabiliser": ["0402030Q0", "0408010W0", "0408010C0", "0408010H0"],
}

FORM_SUFFIXES = ["AAAA", "ABAB", "ACAC", "ADAD"]

# Relative prescribing frequency of a chemical within its concept (default 1).
POPULARITY = {
    "040201060": 6,
    "0402010AB": 5,
    "0402010AD": 5,
    "040201030": 4,
    "0402010A0": 1.5,
    "0402010C0": 0.8,
    "0402010J0": 0.8,
    "0402010AI": 0.5,
    "0402010D0": 0.4,
    "0402010U0": 0.3,
    "0402010X0": 0.3,
    "0402010AJ": 0.3,
    "0402020AD": 0.3,
    "0402020AB": 0.3,
    "0402020D0": 0.2,
    "0402020U0": 0.2,
    "0402030K0": 8,
    "0402030P0": 1,
    "0212000B0": 6,
    "0212000Y0": 2,
    "0212000AA": 1.5,
    "0212000X0": 0.5,
    "0206020A0": 5,
    "0205051R0": 4,
    "0205051L0": 2,
    "0205052N0": 2,
    "0205052C0": 2,
    "0204000H0": 2,
    "0202010P0": 1.5,
    "0202010B0": 1,
    "0603020T0": 6,
    "0410020A0": 4,
    "0410020C0": 2,
    "0704050Z0": 4,
}


@dataclass
class DrugPool:
    """The presentations one drug concept is drawn from."""

    codes: list[str]
    names: list[str]
    weights: np.ndarray


@dataclass
class CodeBook:
    """Every code the generator can emit, indexed so chunks can gather by integer."""

    source: str  # "config" or "fallback" (or "mixed")
    code_table: list[str] = field(default_factory=list)
    concept_codes: dict[str, np.ndarray] = field(default_factory=dict)  # -> indices in code_table
    concept_weights: dict[str, np.ndarray] = field(default_factory=dict)
    fallback_concepts: list[str] = field(default_factory=list)
    drugs: dict[str, DrugPool] = field(default_factory=dict)
    drug_table: list[str] = field(default_factory=list)
    drug_names: list[str] = field(default_factory=list)
    drug_index: dict[str, np.ndarray] = field(default_factory=dict)
    drug_weights: dict[str, np.ndarray] = field(default_factory=dict)

    other_codes: list[tuple[str, str | None, float, float, int]] = field(default_factory=list)
    _ids: dict[str, int] = field(default_factory=dict)

    def _code_id(self, code: str) -> int:
        if code not in self._ids:
            self._ids[code] = len(self.code_table)
            self.code_table.append(code)
        return self._ids[code]

    def pick(self, concept: str, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` code indices for ``concept`` (common codes favoured)."""
        idx = self.concept_codes[concept]
        if n == 0:
            return np.zeros(0, dtype=np.int32)
        if len(idx) == 1:
            return np.full(n, idx[0], dtype=np.int32)
        return idx[rng.choice(len(idx), size=n, p=self.concept_weights[concept])].astype(np.int32)

    def pick_drug(self, concept: str, n: int, rng: np.random.Generator) -> np.ndarray:
        idx = self.drug_index[concept]
        if n == 0:
            return np.zeros(0, dtype=np.int32)
        return idx[rng.choice(len(idx), size=n, p=self.drug_weights[concept])].astype(np.int32)


# Code frequency inside a concept (issue 11). Real usage of SNOMED codes in primary care is
# heavy-tailed: a handful of codes carry most records and the rest of a refset is used
# rarely. NHS England publishes the counts ("SNOMED code usage in primary care"), but they
# are not shipped here, so the generator uses a Zipf law over a rank order instead: the
# codes practices use most (the FALLBACK lists, from domain.md §6) first, in that order,
# then every other member of the whole list in file order. Every code of the list can
# appear; the exponent sets how steeply use falls with rank.
ZIPF_EXPONENT = 1.1


def _weights(codes: list[str], preferred: list[str]) -> np.ndarray:
    """Zipf weights (rank^-ZIPF_EXPONENT): common codes ranked first, then the list order."""
    pref_rank = {c: i for i, c in enumerate(preferred)}
    order = sorted(range(len(codes)), key=lambda i: (pref_rank.get(codes[i], len(preferred)), i))
    w = np.empty(len(codes))
    w[order] = 1.0 / np.arange(1, len(codes) + 1) ** ZIPF_EXPONENT
    return w / w.sum()


def _load(codelist_dir: Path | None):
    try:
        from longerlives.codelists import load_codelists

        return load_codelists(codelist_dir, verify_sha=False)
    except Exception:  # missing or half-written code-list folder: fall back entirely
        return {}


def _excluded(code: str, excludes: tuple[str, ...] | list[str]) -> bool:
    return any(code.startswith(e) for e in excludes)


def _drug_pool(prefixes: list[str], excludes: list[str], terms: list[str]) -> DrugPool:
    """Full 15-character presentation codes for a list of BNF prefixes."""
    codes: list[str] = []
    names: list[str] = []
    weights: list[float] = []
    for p_i, prefix in enumerate(prefixes):
        chems = [
            c
            for c in BNF_CHEMICALS
            if (c[0].startswith(prefix) or prefix.startswith(c[0])) and not _excluded(c[0], excludes)
        ]
        if len(prefix) >= 9:
            # a chemical (or finer) prefix: keep it, take the name from a known chemical or the term
            known = [c for c in chems if prefix.startswith(c[0])]
            term = terms[p_i] if p_i < len(terms) and terms[p_i] else ""
            name = term or (known[0][1] if known else "Medicine")
            same_drug = known and (not term or term.split()[0].lower() == known[0][1].split()[0].lower())
            if same_drug:
                strengths = known[0][2]
            else:
                strengths = ["injection" if "injection" in name.lower() else "tablets"]
            chem_rows = [(prefix, name, strengths)]
        elif chems:
            chem_rows = chems
        else:
            # unknown section: pad to a 9-character chemical slot
            pad = (prefix + "0000000")[:7] + "A0"
            nm = terms[p_i] if p_i < len(terms) and terms[p_i] else "Medicine"
            chem_rows = [(pad, nm, ["tablets"])]
        for chem, name, strengths in chem_rows:
            for s_i, strength in enumerate(strengths):
                base = chem if len(chem) >= 9 else (chem + "000000000")[:9]
                if len(base) >= 15:
                    code = base[:15]
                else:
                    code = (base[:9] + "AA" + FORM_SUFFIXES[s_i % len(FORM_SUFFIXES)])[:15]
                    code = base + code[len(base) :]
                if _excluded(code, excludes):
                    continue
                codes.append(code)
                names.append(f"{name} {strength}")
                weights.append(POPULARITY.get(chem[:9], 0.5) / len(strengths))
    if not codes:
        raise ValueError(f"no presentation could be built from {prefixes}")
    w = np.array(weights)
    return DrugPool(codes, names, w / w.sum())


def build_codebook(codelist_dir: Path | None = None) -> CodeBook:
    lists = _load(codelist_dir)
    book = CodeBook(source="config" if lists else "fallback")
    for concept, fallback in FALLBACK_SNOMED.items():
        cl = lists.get(concept)
        if cl is not None and cl.kind == "snomed" and cl.codes:
            codes = list(cl.codes)
        else:
            # never borrow a code that the loaded lists give to another concept
            taken = {c for k, other in lists.items() if k != concept and other.kind == "snomed" for c in other.codes}
            codes = [c for c in fallback if c not in taken] or list(fallback)
            book.fallback_concepts.append(concept)
        if concept == "smi_diagnosis" and "smi_remission" in lists:
            rem = set(lists["smi_remission"].codes)
            codes = [c for c in codes if c not in rem] or codes
        if concept == "diabetes":
            # "any diabetes" records are drawn from the type-neutral part of DM_COD (drug-induced,
            # secondary, MODY, unspecified); typed records come from the type 1 / type 2 concepts
            typed = {c for k in ("diabetes_type1", "diabetes_type2") if k in lists for c in lists[k].codes}
            codes = [c for c in codes if c not in typed] or codes
        book.concept_codes[concept] = np.array([book._code_id(c) for c in codes], dtype=np.int32)
        book.concept_weights[concept] = _weights(codes, fallback) if codes else np.zeros(0)
    # background codes must not belong to any concept
    in_lists = {c for cl in lists.values() if cl.kind == "snomed" for c in cl.codes}
    book.other_codes = [o for o in OTHER_CODES if o[0] not in in_lists]
    book.concept_codes["__other__"] = np.array([book._code_id(o[0]) for o in book.other_codes], dtype=np.int32)
    for concept, fallback in FALLBACK_BNF.items():
        cl = lists.get(concept)
        if cl is not None and cl.kind == "bnf_prefix" and cl.codes:
            excludes = list(cl.exclude_prefixes)
            if concept == "mood_stabiliser":
                # lithium has its own concept; "mood stabiliser" issues here mean the others
                li = lists.get("lithium")
                excludes += list(li.codes) if li is not None else FALLBACK_BNF["lithium"]
            try:
                pool = _drug_pool(list(cl.codes), excludes, list(cl.terms))
            except ValueError:
                pool = _drug_pool(list(cl.codes), list(cl.exclude_prefixes), list(cl.terms))
        else:
            pool = _drug_pool(fallback, ["0402010Q0"] if concept == "antipsychotic" else [], [])
            book.fallback_concepts.append(concept)
        book.drugs[concept] = pool
        start = len(book.drug_table)
        book.drug_table.extend(pool.codes)
        book.drug_names.extend(pool.names)
        book.drug_index[concept] = np.arange(start, start + len(pool.codes), dtype=np.int32)
        book.drug_weights[concept] = pool.weights
    if lists and book.fallback_concepts:
        book.source = "mixed"
    return book
