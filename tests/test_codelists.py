"""What a clinician or reviewer checks about the shipped clinical code lists.

The expectation table below is the clinical requirement: every example concept id
that docs/domain.md §6.2 cites for a concept must be in that concept's list.
"""

from __future__ import annotations

import csv
import shutil
import tomllib
from pathlib import Path

import polars as pl
import pytest

from longerlives.codelists import bnf_match_expr, file_sha256, load_codelists
from longerlives.errors import CodelistError
from longerlives.paths import CODELIST_DIR, PROJECT_ROOT

DRAFT = PROJECT_ROOT / "docs" / "concepts-draft.txt"
MANIFEST = CODELIST_DIR / "manifest.toml"

# domain.md §6.2 example SNOMED CT ids, by engine concept (the clinical spec).
# 1109911000000100 ("excepted - no response to three invitations") is listed in §6.2's
# cervical row but is a non-response code, so it is required in the non-responder list.
DOMAIN_EXAMPLES: dict[str, set[str]] = {
    "smi_diagnosis": {"58214004", "64905009", "13746004", "68890003", "69322001", "1127191000000108", "191525009"},
    "smi_remission": {"4926007", "63181006", "41836007", "85248005", "755311000000100", "191574005"},
    "bmi": {"60621009", "301331008", "846931000000101"},
    "weight": {"27113001", "162763007"},
    "height": {"50373000", "248333004"},
    # domain.md §6.2 lists clinic, home and ambulatory codes together; issue 11 splits
    # them by setting, so each example id is required in the list for its setting.
    # 314453003 "Average diastolic BP" names no setting and is in no list (see manifest
    # [derivations]).
    "systolic_bp": {"271649006", "72313002"},
    "home_systolic": {"413606001"},
    "abpm_day_systolic": {"198081000000101"},
    "diastolic_bp": {"271650006", "174255007"},
    "total_cholesterol": {"1005671000000105", "1017161000000104", "850981000000101"},
    "hdl_cholesterol": {"1005681000000107", "1010581000000101"},
    "cholesterol_hdl_ratio": {"313989009"},
    "hba1c": {"999791000000106", "1049301000000100", "1003671000000109"},
    "alcohol_units": {"160573003"},
    "audit_c": {"763256006"},
    "audit": {"443280005"},
    "smoker": {"77176002", "65568007"},
    "smoker_light": {"160603005"},
    "smoker_moderate": {"160604004"},
    "smoker_heavy": {"160605003", "160606002"},
    "ex_smoker": {"8517006", "281018007", "160617001", "266923002"},
    "never_smoked": {"266919005", "160601007", "221000119102"},
    # issue 11 splits smoking support by action: §6.2's "offered" examples 871661000000106 and
    # 395700008 are referrals, so they are required in the referral list (the QOF definition
    # counts both lists). §6.2's declined example 755741000000100 is left out: no public
    # source gives its term (manifest note), and a code is never shipped with an invented term.
    "smoking_cessation_offered": {"225323000"},
    "smoking_cessation_referral": {"871661000000106", "395700008"},
    "smoking_cessation_declined": {"1087441000000106", "527151000000107", "871641000000105"},
    "ecg": {"268400002", "29303009"},
    "cervical_screening": {"1020451000000104", "1104601000000107"},
    "cervical_screening_nonresponder": {"1109911000000100"},
    "breast_screening": {"268547008", "24623002"},
    "breast_screening_dna": {"275981000000102"},
    "bowel_screening": {"1101361000000103", "384171000000104"},
    # issue 11 / run-outputs v2: an abnormal FIT is a result that needs action, not a completed screen
    "bowel_screening_abnormal": {"1101371000000105"},
    "bowel_screening_dna": {"294261000000108", "293191000000109"},
    "usc_referral": {"199251000000107", "276401000000108", "1556551000000104", "276341000000100"},
    "medication_review": {"182836005", "314530002", "719328007"},
    "atrial_fibrillation": {"49436004", "282825002", "440028005", "5370000"},
    "diabetes_type1": {"313435000", "290002008"},
    "diabetes_type2": {"44054006", "313436004", "237599002", "703138006"},
    "ckd_3_5": {"433144002", "700378005", "700379002", "431857002", "433146000", "714152005"},
    # issue 11: a lithium level is recognised, serum measurement and result findings alike
    "lithium_level": {"269871000", "1006681000000100", "166956002", "1156021009"},
    "rheumatoid_arthritis": {"69896004", "239791005", "239792003"},
    "sle": {"239887007", "593481000000109", "1144942002"},
    "migraine": {"37796009", "4473006", "193030005"},
    "erectile_dysfunction": {"860914002"},
    "hypertension": {"38341003", "59621000", "843821000000102"},
    "gestational_diabetes": {"11687002", "40801000119106"},
    "pcos": {"69878008"},
    "learning_disability": {"110359009", "416075005", "41040004"},
    "homeless": {"32911000"},
    "dna_mental_health": {"281399006", "185326000", "401202005", "200961000000107"},
}

# Concepts with no shipped list yet (no citable public code list found; codes must not
# be invented). This set may only shrink: move a concept out once its refset is added.
KNOWN_PENDING = {
    "breast_screening_declined",
    "bowel_screening_declined",
    "mh_invite",
    "lithium_stopped",
}


def _draft() -> dict[str, dict[str, str]]:
    out = {}
    for line in DRAFT.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, kind, valued, desc = (p.strip() for p in line.split("|", 3))
        out[name] = {"kind": kind, "valued": valued, "description": desc}
    return out


@pytest.fixture(scope="module")
def manifest() -> dict:
    with MANIFEST.open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture(scope="module")
def lists():
    return load_codelists()


def test_every_draft_concept_has_a_list_or_is_a_declared_gap(manifest):
    shipped, pending = set(manifest["concepts"]), set(manifest.get("pending", {}))
    missing = set(_draft()) - shipped - pending
    assert not missing, f"concepts with neither a list nor a pending entry: {sorted(missing)}"
    assert not shipped & pending


def test_pending_gaps_only_shrink(manifest):
    assert set(manifest.get("pending", {})) <= KNOWN_PENDING


def test_manifest_kind_and_valued_match_the_concept_draft(manifest):
    draft = _draft()
    for name, entry in manifest["concepts"].items():
        assert name in draft, f"{name} is not a concept in docs/concepts-draft.txt"
        assert entry["kind"] == draft[name]["kind"], name
        assert entry["valued"] == (draft[name]["valued"] == "yes"), name


def test_all_shipped_lists_load_and_are_non_empty(lists, manifest):
    assert set(lists) == set(manifest["concepts"])
    assert all(cl.codes for cl in lists.values())


def test_manifest_sha256_matches_each_csv(manifest):
    for name, entry in manifest["concepts"].items():
        assert entry["sha256"] == file_sha256(CODELIST_DIR / entry["file"]), name


def test_every_csv_is_described_in_the_manifest(manifest):
    files = {e["file"] for e in manifest["concepts"].values()}
    on_disk = {p.name for p in CODELIST_DIR.glob("*.csv")}
    assert on_disk == files


def test_every_list_records_its_source(manifest):
    for name, entry in manifest["concepts"].items():
        assert entry.get("source", "").strip(), f"{name} has no source"
        assert entry.get("description", "").strip(), name


def test_each_csv_has_code_term_header_and_no_duplicate_codes():
    for path in CODELIST_DIR.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            assert next(reader) == ["code", "term"], path.name
            codes = [row[0] for row in reader]
        assert len(codes) == len(set(codes)), f"duplicate codes in {path.name}"


@pytest.mark.parametrize("concept", sorted(DOMAIN_EXAMPLES))
def test_domain_md_example_ids_are_in_the_list(lists, concept):
    missing = DOMAIN_EXAMPLES[concept] - set(lists[concept].codes)
    assert not missing, f"{concept} lacks domain.md §6.2 example ids {sorted(missing)}"


def test_remission_codes_never_count_as_smi_diagnosis(lists):
    dx, rem = set(lists["smi_diagnosis"].codes), set(lists["smi_remission"].codes)
    assert not dx & rem
    dx_terms = [t.lower() for t in lists["smi_diagnosis"].terms]
    assert not any("remission" in t for t in dx_terms)


def test_smoking_status_lists_are_disjoint(lists):
    names = ["smoker", "smoker_light", "smoker_moderate", "smoker_heavy", "ex_smoker", "never_smoked"]
    seen: dict[str, str] = {}
    for n in names:
        for code in lists[n].codes:
            assert code not in seen, f"{code} in both {seen[code]} and {n}"
            seen[code] = n


def test_lithium_prefixes_present(lists):
    lithium = lists["lithium"]
    assert lithium.kind == "bnf_prefix"
    assert {"0402030K0", "0402030P0"} <= set(lithium.codes)


def test_prochlorperazine_is_not_counted_as_an_antipsychotic(lists):
    cl = lists["antipsychotic"]
    frame = pl.DataFrame(
        {
            "bnf_code": [
                "0406000T0AAAGAG",  # prochlorperazine 5mg tablets
                "0406000U0AAABAB",  # prochlorperazine 12.5mg/1ml injection
                "040201030AAAAAA",  # risperidone 1mg tablets
                "0402020ADAAAAAA",  # aripiprazole 400mg LAI
            ]
        }
    )
    hits = frame.select(bnf_match_expr(cl).alias("hit"))["hit"].to_list()
    assert hits == [False, False, True, True]
    assert {"0406000T0", "0406000U0"} <= set(cl.exclude_prefixes)


def test_statins_are_lipid_lowering_drugs(lists):
    assert all(p.startswith("0212000") for p in lists["statin"].codes)
    assert lists["lipid_lowering"].codes == ("0212000",)


def test_an_rf2_refset_dropped_in_replaces_the_shipped_list(tmp_path):
    target = tmp_path / "codelists"
    shutil.copytree(CODELIST_DIR, target)
    rf2 = target / "refsets" / "smi_remission.txt"
    rf2.write_text(
        "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\n"
        "a\t20250101\t1\t999000011000230102\t999006091000230105\t4926007\n"
        "b\t20250101\t0\t999000011000230102\t999006091000230105\t63181006\n",
        encoding="utf-8",
    )
    lists = load_codelists(target)
    rem = lists["smi_remission"]
    assert rem.overridden is True
    assert rem.codes == ("4926007",)  # inactive member ignored
    assert rem.path == str(rf2)
    assert lists["smi_diagnosis"].overridden is False


def test_an_edited_list_without_rehash_is_refused(tmp_path):
    target = tmp_path / "codelists"
    shutil.copytree(CODELIST_DIR, target)
    with (target / "bmi.csv").open("a", encoding="utf-8") as fh:
        fh.write("123456789,Made-up code\n")
    with pytest.raises(CodelistError, match="sha256"):
        load_codelists(target)


# --- issue 11: whole published lists, recounted; splits by meaning --------------------


def _csv_codes(path: Path) -> dict[str, str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {row["code"]: row["term"].strip() for row in csv.DictReader(fh)}


def test_every_list_records_its_code_count_and_the_count_matches_the_file(manifest):
    for name, entry in manifest["concepts"].items():
        rows = _csv_codes(CODELIST_DIR / entry["file"])
        assert entry.get("code_count") == len(rows), (
            f"{name}: manifest says {entry.get('code_count')}, file has {len(rows)}"
        )


WHOLE_PCD_REFSETS = {
    # concept: (cluster, release, number of codes in that published release)
    "diabetes": ("DM_COD", "20250912", 86),
    "diabetes_type1": ("DMTYPE1_COD", "20250912", 44),
    "diabetes_resolved": ("DMRES_COD", "20250627", 1),
    "hypertension": ("HYP_COD", "20241205", 117),
    "learning_disability": ("LD_COD", "20210127", 333),
    "bp_declined": ("BPDEC_COD", "20200812", 1),
}


@pytest.mark.parametrize("concept", sorted(WHOLE_PCD_REFSETS))
def test_pcd_refset_is_copied_whole_with_its_opencodelists_id(manifest, concept):
    cluster, release, count = WHOLE_PCD_REFSETS[concept]
    entry = manifest["concepts"][concept]
    assert entry["cluster"] == cluster
    assert entry["release"] == release
    assert entry["list_id"] == f"nhsd-primary-care-domain-refsets/{cluster.lower()}/{release}"
    assert entry["url"] == f"https://www.opencodelists.org/codelist/{entry['list_id']}/"
    assert len(entry["commit"]) == 40 and entry["repo"] and entry["path"]
    assert len(_csv_codes(CODELIST_DIR / entry["file"])) == count


def test_every_code_of_a_split_source_refset_is_placed_or_excluded_with_a_reason(manifest):
    derived: dict[str, set[str]] = {}
    for name, entry in manifest["concepts"].items():
        for src in entry.get("derived_from", []):
            derived.setdefault(src, set()).update(_csv_codes(CODELIST_DIR / entry["file"]))
    assert derived, "no split concepts found"
    for key, d in manifest["derivations"].items():
        source = _csv_codes(CODELIST_DIR / d["file"])
        assert len(source) == d["code_count"], key
        assert file_sha256(CODELIST_DIR / d["file"]) == d["sha256"], key
        placed = derived.get(d["file"], set()) & set(source)
        excluded = set(d["excluded"])
        assert not placed & excluded, f"{key}: codes both used and excluded {sorted(placed & excluded)}"
        assert placed | excluded == set(source), f"{key}: unaccounted {sorted(set(source) - placed - excluded)}"
        assert all(reason.strip() for reason in d["excluded"].values())


def test_split_lists_only_hold_codes_and_terms_from_their_sources(manifest):
    for name, entry in manifest["concepts"].items():
        if not entry.get("derived_from"):
            continue
        sources: dict[str, str] = {}
        for src in entry["derived_from"]:
            sources.update(_csv_codes(CODELIST_DIR / src))
        for code, term in _csv_codes(CODELIST_DIR / entry["file"]).items():
            assert code in sources, f"{name}: {code} is in none of its sources"
            assert term == sources[code], f"{name}: {code} term differs from the source"


BP_LISTS = ["systolic_bp", "diastolic_bp", "abpm_day_systolic", "abpm_day_diastolic", "home_systolic", "home_diastolic"]


def test_no_minimum_maximum_night_or_24_hour_value_stands_for_a_blood_pressure(lists):
    for name in BP_LISTS:
        for code, term in zip(lists[name].codes, lists[name].terms):
            low = term.lower()
            assert not any(w in low for w in ("minimum", "maximum", "night", "24 hour")), (name, code, term)


def test_clinic_ambulatory_and_home_readings_are_never_in_the_same_list(lists):
    seen: dict[str, str] = {}
    for name in BP_LISTS:
        for code in lists[name].codes:
            assert code not in seen, f"{code} in both {seen[code]} and {name}"
            seen[code] = name
    assert "314446007" in lists["abpm_day_systolic"].codes  # average day interval systolic
    assert "314445006" not in seen  # average night interval systolic
    assert "413606001" in lists["home_systolic"].codes and "413606001" not in lists["systolic_bp"].codes


def test_antipsychotic_induced_and_other_secondary_diabetes_are_diabetes(lists):
    # Issue 11 finding: drug-induced diabetes, "without complication", secondary diabetes and MODY
    codes = set(lists["diabetes"].codes)
    assert {"5368009", "111552007", "8801005", "609561005", "408540003"} <= codes


def test_a_normal_or_abnormal_ecg_result_counts_as_an_ecg_recorded(lists):
    codes = set(lists["ecg"].codes)
    assert {"164854000", "102594003", "268400002"} <= codes


def test_fh_diabetes_mellitus_is_a_family_history_of_diabetes(lists):
    assert "160303001" in lists["family_history_diabetes"].codes


def test_learning_disability_is_the_whole_ld_cod_refset(lists):
    assert len(lists["learning_disability"].codes) == 333


def test_a_non_diabetic_code_inside_dmtype1_cod_never_counts_as_type_1_diabetes(lists, manifest):
    # DMTYPE1_COD 20250912 holds "Drug-induced insulin coma in nondiabetic"; the file stays
    # whole (recountable against the source) and the loader leaves the code out.
    assert "1217077001" in _csv_codes(CODELIST_DIR / manifest["concepts"]["diabetes_type1"]["file"])
    assert "1217077001" not in lists["diabetes_type1"].codes
    assert lists["diabetes_type1"].excluded_codes == ("1217077001",)
    assert {"46635009", "313435000", "290002008", "420868002"} <= set(lists["diabetes_type1"].codes)


# SNOMED CT concept ids end in a Verhoeff check digit (SNOMED CT Technical
# Implementation Guide, "Check-digit"): an id that fails it is not a concept at all,
# typically a long id a spreadsheet turned into a float (1082641000000106 -> 10826410000001000).
_VD = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]  # fmt: skip
_VP = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
]  # fmt: skip


def _verhoeff_ok(code: str) -> bool:
    c = 0
    for i, ch in enumerate(reversed(code)):
        c = _VD[c][_VP[i % 8][int(ch)]]
    return c == 0


def test_verhoeff_check_rejects_a_float_corrupted_id():
    assert _verhoeff_ok("1082641000000106")  # Alcohol units consumed per week
    assert not _verhoeff_ok("10826410000001000")  # the same id after a float round trip


def test_every_snomed_code_the_engine_matches_is_a_valid_concept_id(lists):
    bad = {(cl.concept, c) for cl in lists.values() if cl.kind == "snomed" for c in cl.codes if not _verhoeff_ok(c)}
    assert not bad, f"ids failing the SNOMED CT check digit: {sorted(bad)}"


def test_the_two_corrupted_medication_review_ids_are_named_and_left_out(lists, manifest):
    excluded = manifest["concepts"]["medication_review"]["exclude_codes"]
    assert set(excluded) == {"1079381000000100", "1127441000000100"}
    assert not set(excluded) & set(lists["medication_review"].codes)


def test_ckd_list_is_the_whole_ckd_cod_refset_as_published(lists, manifest):
    entry = manifest["concepts"]["ckd_3_5"]
    assert entry["cluster"] == "CKD_COD" and entry["release"] == "20200812"
    assert len(lists["ckd_3_5"].codes) == entry["code_count"] == 51
    terms = dict(zip(lists["ckd_3_5"].codes, lists["ckd_3_5"].terms, strict=True))
    # stage 5 with a transplant and the G-category codes are CKD 3-5 in QOF
    assert terms["714153000"] == "Chronic kidney disease stage 5 with transplant"
    assert "950251000000106" in terms
    # every member names a stage 3, 4 or 5 (or G3a-G5) kidney disease
    assert all(any(s in t for s in ("stage 3", "stage 4", "stage 5", "G3a", "G3b", "G4", "G5")) for t in terms.values())


def test_lithium_level_list_has_no_urine_test(lists):
    terms = [t.lower() for t in lists["lithium_level"].terms]
    assert terms and all("lithium" in t for t in terms)
    assert not any("urine" in t for t in terms)
    assert "271267007" not in lists["lithium_level"].codes


def test_mood_stabilisers_include_carbamazepine_but_not_every_antiepileptic(lists):
    cl = lists["mood_stabiliser"]
    frame = pl.DataFrame(
        {
            "bnf_code": [
                "0408010C0AAAAAA",  # carbamazepine presentation under chemical 0408010C0
                "0408010H0AAAAAA",  # lamotrigine
                "0408010W0AAAAAA",  # sodium valproate
                "0408010A0AAAAAA",  # levetiracetam: an antiepileptic, not a mood stabiliser
                "0402030K0AAAAAA",  # lithium carbonate: its own concept
            ]
        }
    )
    hits = frame.select(bnf_match_expr(cl).alias("hit"))["hit"].to_list()
    assert hits == [True, True, True, False, False]


def test_alcohol_units_a_week_code_is_recognised(lists):
    assert "1082641000000106" in lists["alcohol_units"].codes
    assert "1082631000000102" not in lists["alcohol_units"].codes  # per day: a different unit


# ---- issue 11 (R3): glucose split by meaning, whole lipid refset membership ---------------


def test_no_glucose_code_counts_as_both_fasting_and_random(lists):
    assert not set(lists["fasting_glucose"].codes) & set(lists["blood_glucose"].codes)


def test_every_fasting_glucose_term_says_fasting_and_no_random_one_does(lists):
    assert all("fasting" in t.lower() for t in lists["fasting_glucose"].terms)
    assert not any("fasting" in t.lower() for t in lists["blood_glucose"].terms)


@pytest.mark.parametrize("concept", ["blood_glucose", "fasting_glucose"])
def test_no_timed_post_prandial_or_series_glucose_stands_for_a_single_glucose_value(lists, concept):
    bad = [t for t in lists[concept].terms if any(w in t.lower() for w in ("minute", "post-prandial", "series"))]
    assert not bad, f"{concept}: {bad}"


# TCHOLHDL_COD and NONHDLCCHOL_COD 20200812 members as printed by the public merge log
# (cehram-ucl/priority codelists/cholesterol.log): every member matched, none left over.
TCHOLHDL_COD_20200812 = {"1015681000000109", "1015691000000106", "1028551000000102", "313811003"}
NONHDLCCHOL_COD_20200812 = {"1006191000000106", "1030411000000101", "1102851000000101"}


def test_the_ratio_list_holds_every_tcholhdl_cod_member_and_only_the_domain_example_besides(lists):
    assert set(lists["cholesterol_hdl_ratio"].codes) == TCHOLHDL_COD_20200812 | {"313989009"}


def test_the_non_hdl_list_is_the_whole_nonhdlcchol_cod_membership(lists):
    assert set(lists["non_hdl_cholesterol"].codes) == NONHDLCCHOL_COD_20200812


def test_pcos_is_recognised_under_the_current_snomed_concept_not_only_the_inactive_one(lists):
    assert {"237055002", "69878008"} <= set(lists["pcos"].codes)  # Polycystic ovary syndrome; Polycystic ovaries


def test_broad_family_history_codes_are_not_family_history_of_coronary_heart_disease(lists):
    # Family history of cardiovascular disease (stroke too); of cardiac disorder (valves, rhythm too)
    assert not {"266894000", "297242006"} & set(lists["family_history_cvd"].codes)


def test_homelessness_is_the_whole_homeless_cod_refset_with_rough_sleeping_and_sofa_surfing(lists, manifest):
    entry = manifest["concepts"]["homeless"]
    assert entry["cluster"] == "HOMELESS_COD" and entry["release"] == "20250627"
    assert entry["list_id"] == "nhsd-primary-care-domain-refsets/homeless_cod/20250627"
    terms = dict(zip(lists["homeless"].codes, lists["homeless"].terms, strict=True))
    assert len(terms) == entry["code_count"] == 22
    assert terms["224228000"] == "Living rough"
    assert terms["381751000000106"] == "Sofa surfer - person of no fixed abode"
    assert terms["224226001"] == "No fixed abode"
    assert "32911000" in terms  # Homeless: the one code the list held before issue 11


def test_drug_dependence_counts_through_the_whole_illsub_cod_refset_and_nicotine_does_not(lists, manifest):
    entry = manifest["concepts"]["substance_dependence"]
    whole = CODELIST_DIR / entry["whole_copy"]
    assert file_sha256(whole) == entry["whole_copy_sha256"]
    refset = _csv_codes(whole)
    assert len(refset) == entry["whole_copy_code_count"] == 548
    # the shipped CSV starts with the refset byte for byte, then the alcohol dependence rows
    shipped = (CODELIST_DIR / entry["file"]).read_bytes()
    assert shipped.startswith(whole.read_bytes())
    extra = set(_csv_codes(CODELIST_DIR / entry["file"])) - set(refset)
    assert extra == {"66590003", "191811004", "191812006", "191480000", "8635005", "191802004"}
    codes = set(lists["substance_dependence"].codes)
    assert set(refset) - codes == {"836439001"}  # Nicotine dependence in remission
    assert {"85005007", "228373001", "724715004"} <= codes  # cannabis, drug addict, ketamine
    assert "66590003" in codes  # Alcohol dependence still counts


def test_no_shipped_term_is_a_placeholder_waiting_for_verification():
    # issue 11: "no invented terms" — a term is the source's own words, never a VERIFY note
    for path in CODELIST_DIR.glob("*.csv"):
        terms = _csv_codes(path).values()
        assert not [t for t in terms if "VERIFY" in t], path.name


# issue 11 (R1): for each of these concepts a reviewer sees at a glance either the whole
# published list and its release, or that it was built because none is published.
R1_CONCEPTS = {
    "homeless": "20250627",
    "substance_dependence": "20250912",
    "alcohol_status": "built",
    "alcohol_units": "built",
    "alcohol_brief_intervention": "built",
    "audit": "built",
    "audit_c": "built",
    "alcohol_specialist_referral": "built",
    "smoking_cessation_offered": "built",
    "smoking_cessation_declined": "built",
    "smoking_cessation_referral": "built",
    "weight_management_referral": "built",
}


@pytest.mark.parametrize("concept", sorted(R1_CONCEPTS))
def test_each_alcohol_smoking_weight_substance_and_homeless_list_says_whole_or_built(manifest, concept):
    entry = manifest["concepts"][concept]
    assert "VERIFY: partial" not in entry.get("note", "")
    if R1_CONCEPTS[concept] != "built":
        release = R1_CONCEPTS[concept]
        assert entry["release"].startswith(release) and entry["list_id"].endswith(f"/{release}")
        assert len(entry["commit"]) == 40
    else:
        assert entry["note"].startswith("BUILT, not copied whole (issue 11): no public copy of ")
        assert "every term verified in: " in entry["note"]
