"""Scenarios for the synthetic register extract generator (longerlives.synth)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from longerlives.synth import generate
from longerlives.synth.badrows import KINDS
from longerlives.synth.codes import build_codebook
from longerlives.synth.nhs import NhsNumberSource, check_digits, is_valid

TABLES = ("patients", "events", "medications", "encounters", "teams", "practices")
AS_OF = date(2026, 11, 1)


def _read(folder: Path, table: str) -> pl.DataFrame:
    csv = folder / f"{table}.csv"
    if csv.exists():
        return pl.read_csv(csv, infer_schema=False)
    return pl.read_parquet(folder / f"{table}.parquet")


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, dict]:
    """3,000 people, no bad rows."""
    out = tmp_path_factory.mktemp("clean")
    return out, generate(3000, 11, out, bad_row_share=0.0, as_of=AS_OF)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, dict]:
    """2,000 people with the default share of bad rows."""
    out = tmp_path_factory.mktemp("dirty")
    return out, generate(2000, 5, out, bad_row_share=0.002, as_of=AS_OF)


def test_same_seed_gives_byte_identical_files(tmp_path):
    for fmt in ("csv", "parquet"):
        a, b = tmp_path / f"a-{fmt}", tmp_path / f"b-{fmt}"
        generate(700, 3, a, fmt=fmt, as_of=AS_OF, chunk_size=300)
        generate(700, 3, b, fmt=fmt, as_of=AS_OF, chunk_size=300)
        assert _hashes(a) == _hashes(b)


def test_different_seed_gives_different_files(tmp_path):
    generate(500, 1, tmp_path / "a", as_of=AS_OF)
    generate(500, 2, tmp_path / "b", as_of=AS_OF)
    ha, hb = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    assert set(ha) == set(hb)
    assert all(ha[k] != hb[k] for k in ("patients.csv", "events.csv", "medications.csv", "encounters.csv"))


def test_output_folder_holds_exactly_the_six_tables(clean):
    out, summary = clean
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.csv" for t in TABLES)
    assert summary["tables"]["patients"] == 3000
    assert summary["bad_rows"] == {}


def test_writing_parquet_over_csv_leaves_no_csv_behind(tmp_path):
    generate(200, 1, tmp_path, as_of=AS_OF)
    generate(200, 1, tmp_path, fmt="parquet", as_of=AS_OF)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{t}.parquet" for t in TABLES)


def test_every_good_nhs_number_passes_modulus_11(clean):
    from nhs_number import is_valid as reference_is_valid

    out, _ = clean
    numbers = _read(out, "patients")["nhs_number"].str.replace_all(r"[ -]", "")
    assert numbers.str.contains(r"^9\d{9}$").all()
    assert numbers.n_unique() == len(numbers)
    assert is_valid(numbers.cast(pl.Int64).to_numpy()).all()
    sample = numbers.sample(400, seed=1).to_list()
    assert all(reference_is_valid(x) for x in sample)
    # some are written with spaces or dashes (valid after cleaning)
    raw = _read(out, "patients")["nhs_number"]
    assert raw.str.contains(r"[ -]").sum() > 0


def test_nhs_number_source_never_repeats_and_orphans_are_distinct():
    src = NhsNumberSource(9)
    front = np.concatenate([src.take(5000), src.take(5000)])
    back = src.take(300, from_back=True)
    assert len(np.unique(front)) == 10_000
    assert not np.intersect1d(front, back).size
    assert is_valid(front).all() and is_valid(back).all()
    assert (check_digits(front // 10) != 10).all()


def test_practices_and_teams_scale_with_the_register(tmp_path):
    s = generate(3000, 4, tmp_path, bad_row_share=0.0, as_of=AS_OF)
    # 15 practices and 6 core teams per 10,000 people
    assert 4 <= s["tables"]["practices"] <= 5
    assert 1 <= s["tables"]["teams"] <= 2
    practices, teams = _read(tmp_path, "practices"), _read(tmp_path, "teams")
    assert practices["practice_code"].str.contains(r"^[A-Z]\d{5}$").all()
    assert practices["practice_code"].is_unique().all()
    assert teams["team_code"].is_unique().all()
    mesh = practices["mesh_mailbox"].drop_nulls()
    assert mesh.str.contains(r"^X26[A-Z]{3}\d$").all()
    patients = _read(tmp_path, "patients")
    assert set(patients["practice_code"]) <= set(practices["practice_code"])
    assert set(patients["core_team"].drop_nulls()) <= set(teams["team_code"])
    missing_team = patients["core_team"].is_null().mean()
    assert 0.02 < missing_team < 0.09


def test_practice_and_team_counts_at_10000_rate():
    from longerlives.synth.population import build_static

    st = build_static(20_000, 1)
    assert st.practices.height == 30 and st.teams.height == 12


def test_about_60_percent_complete_and_20_percent_none(clean):
    out, _ = clean
    book = build_codebook()
    code_concept = {}
    for concept in (
        "bmi",
        "systolic_bp",
        "total_cholesterol",
        "hba1c",
        "blood_glucose",
        "alcohol_units",
        "audit_c",
        "alcohol_status",
        "smoker",
        "smoker_light",
        "smoker_moderate",
        "smoker_heavy",
        "ex_smoker",
        "never_smoked",
    ):
        for i in book.concept_codes[concept]:
            code_concept.setdefault(book.code_table[i], concept)
    element = {
        "bmi": 0,
        "systolic_bp": 1,
        "total_cholesterol": 2,
        "hba1c": 3,
        "blood_glucose": 3,
        "alcohol_units": 4,
        "audit_c": 4,
        "alcohol_status": 4,
    }
    element.update(
        {c: 5 for c in ("smoker", "smoker_light", "smoker_moderate", "smoker_heavy", "ex_smoker", "never_smoked")}
    )
    ev = _read(out, "events").filter(pl.col("date") > "2025-11-01")
    ev = ev.with_columns(
        el=pl.col("code")
        .replace_strict(code_concept, default=None)
        .replace_strict(element, default=None, return_dtype=pl.Int64)
    ).drop_nulls("el")
    per = ev.group_by("nhs_number").agg(k=pl.col("el").n_unique())
    patients = _read(out, "patients").select(nhs_number=pl.col("nhs_number").str.replace_all(r"[ -]", ""))
    k = patients.join(per, on="nhs_number", how="left")["k"].fill_null(0)
    complete, none = (k == 6).mean(), (k == 0).mean()
    assert 0.5 < complete < 0.7, complete
    assert 0.14 < none < 0.3, none


def test_about_100_events_per_person(clean):
    _, s = clean
    assert 70 < s["tables"]["events"] / s["tables"]["patients"] < 140


def test_every_bad_row_kind_appears_when_share_positive(dirty):
    out, s = dirty
    expected = {f"{t}.{k}" for t, ks in KINDS.items() for k in ks}
    assert set(s["bad_rows"]) == expected
    assert all(v >= 1 for v in s["bad_rows"].values())
    assert s["bad_rows"]["patients.duplicate_nhs_number"] >= 2
    patients = _read(out, "patients")
    assert patients.height == 2000 + sum(v for k, v in s["bad_rows"].items() if k.startswith("patients."))
    cleaned = patients["nhs_number"].str.replace_all(r"[ -]", "")
    assert cleaned.is_duplicated().sum() == s["bad_rows"]["patients.duplicate_nhs_number"]
    digits = cleaned.filter(cleaned.str.contains(r"^\d{10}$")).cast(pl.Int64).to_numpy()
    assert (~is_valid(digits)).sum() == s["bad_rows"]["patients.invalid_nhs_number"]
    assert (patients["sex"] == "X").sum() + patients["sex"].is_in(["Z", "9"]).sum() >= 1
    assert patients["interpreter_required"].eq("maybe").sum() >= 1
    assert patients["communication_needs"].str.contains("semaphore").sum() >= 1
    encounters = _read(out, "encounters")
    assert (
        encounters["service"].is_in(["spa", "dentist", "GP surgery"]).sum()
        == s["bad_rows"]["encounters.unknown_service"]
    )
    meds = _read(out, "medications")
    assert meds["bnf_code"].is_null().sum() == s["bad_rows"]["medications.missing_bnf_code"]
    events = _read(out, "events")
    known = set(cleaned)
    assert (~events["nhs_number"].is_in(list(known))).sum() == s["bad_rows"]["events.orphan"]
    assert events["value"].is_in(["250", "0.5"]).sum() >= 1  # an impossible BMI


def test_no_bad_rows_when_share_is_zero(clean):
    out, s = clean
    assert s["bad_rows"] == {} and s["bad_rows_total"] == 0
    patients = _read(out, "patients")
    for col in (
        "given_name",
        "family_name",
        "address_line_1",
        "postcode",
        "practice_code",
        "date_of_birth",
        "sex",
        "registered_from",
    ):
        assert patients[col].null_count() == 0, col
    assert patients["date_of_birth"].str.to_date(strict=False).null_count() == 0
    assert (patients["date_of_birth"].str.to_date() <= AS_OF).all()
    assert patients["sex"].str.to_lowercase().is_in(["female", "male", "unknown", "f", "m", "u"]).all()
    assert patients["ethnic_category"].drop_nulls().is_in(list("ABCDEFGHJKLMNPRSZ")).all()
    assert patients["imd_decile"].drop_nulls().cast(pl.Int64).is_between(1, 10).all()
    townsend = patients["townsend_score"].drop_nulls().cast(pl.Float64)
    assert townsend.is_between(-7, 11).all()
    bools = ["true", "false", "t", "f", "yes", "no", "y", "n", "1", "0"]
    for col in ("interpreter_required", "contact_by_letter"):
        assert patients[col].str.to_lowercase().is_in(bools).all()
    needs = patients["communication_needs"].drop_nulls().str.split(";").explode()
    assert needs.is_in(["easy_read", "large_print", "braille", "bsl", "audio", "email"]).all()
    nhs = set(patients["nhs_number"].str.replace_all(r"[ -]", ""))
    events = _read(out, "events")
    assert events["nhs_number"].is_in(list(nhs)).all()
    assert events["code"].str.contains(r"^\d{6,18}$").all()
    assert events["date"].str.to_date(strict=False).null_count() == 0
    assert events["value"].drop_nulls().cast(pl.Float64, strict=False).null_count() == 0
    meds = _read(out, "medications")
    assert meds["bnf_code"].str.len_chars().eq(15).all()
    encounters = _read(out, "encounters")
    assert encounters["attended"].str.to_lowercase().is_in(bools).all()
    assert (
        encounters["service"]
        .is_in(
            [
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
        )
        .all()
    )


def test_csv_and_parquet_hold_the_same_rows(tmp_path):
    generate(800, 21, tmp_path / "c", fmt="csv", as_of=AS_OF, chunk_size=300)
    generate(800, 21, tmp_path / "p", fmt="parquet", as_of=AS_OF, chunk_size=300)
    for t in TABLES:
        c = _read(tmp_path / "c", t)
        p = _read(tmp_path / "p", t)
        assert c.columns == p.columns, t
        assert c.equals(p), t


def test_blood_pressure_arrives_as_a_pair_on_the_same_date(clean):
    out, _ = clean
    book = build_codebook()
    sys_codes = {book.code_table[i] for i in book.concept_codes["systolic_bp"]}
    dia_codes = {book.code_table[i] for i in book.concept_codes["diastolic_bp"]}
    ev = _read(out, "events")
    s = ev.filter(pl.col("code").is_in(list(sys_codes))).group_by("nhs_number", "date").len("n_sys")
    d = ev.filter(pl.col("code").is_in(list(dia_codes))).group_by("nhs_number", "date").len("n_dia")
    both = s.join(d, on=["nhs_number", "date"], how="full", coalesce=True)
    assert s.height > 1000
    assert both["n_sys"].null_count() == 0 and both["n_dia"].null_count() == 0
    assert (both["n_sys"] == both["n_dia"]).all()
    sys_rows = ev.filter(pl.col("code").is_in(list(sys_codes))).with_columns(pl.col("value").cast(pl.Float64))
    assert sys_rows["value"].null_count() == 0
    latest = sys_rows.sort("date").group_by("nhs_number").last()["value"]
    assert 0.005 < (latest >= 180).mean() < 0.05  # a few severe readings
    assert (latest >= 140).mean() > 0.08


def test_register_shape_is_plausible(clean):
    out, _ = clean
    p = _read(out, "patients")
    dob = p["date_of_birth"].str.to_date()
    age = (pl.Series([AS_OF] * len(dob)) - dob).dt.total_days() / 365.25
    assert 0 < (age < 18).sum() < 0.02 * len(age)  # a few children to test scope
    assert ((age >= 18) & (age <= 80)).mean() > 0.85
    eth = p["ethnic_category"].fill_null("")
    assert 0.25 < (eth == "A").mean() < 0.45
    assert (eth.is_in(["M", "N", "P"])).mean() > 0.1
    imd = p["imd_decile"].drop_nulls().cast(pl.Int64)
    assert (imd <= 2).mean() > (imd >= 9).mean() * 2  # skewed deprived
    assert p["date_of_death"].drop_nulls().len() > 0
    assert p["registered_to"].drop_nulls().len() > 0
    assert (p["preferred_language"].fill_null("en") != "en").mean() > 0.03
    assert 0.01 < p["communication_needs"].str.contains("easy_read").fill_null(False).mean() < 0.07
    assert 0.01 < p["contact_by_letter"].str.to_lowercase().is_in(["false", "f", "no", "n", "0"]).mean() < 0.06
    enc = _read(out, "encounters")
    assert (enc["service"] == "cancer_2ww").sum() > 0
    assert enc["attended"].str.to_lowercase().is_in(["false", "f", "no", "n", "0"]).mean() > 0.02


def test_dead_and_deregistered_people_have_nothing_after_they_leave(clean):
    out, _ = clean
    p = _read(out, "patients").select(
        nhs_number=pl.col("nhs_number").str.replace_all(r"[ -]", ""),
        end=pl.coalesce(pl.col("date_of_death"), pl.col("registered_to")),
    )
    for t in ("events", "medications", "encounters"):
        df = _read(out, t).join(p.drop_nulls("end"), on="nhs_number")
        assert (df["date"] <= df["end"]).all(), t


def test_medicines_use_full_bnf_codes_for_each_concept(clean):
    out, _ = clean
    meds = _read(out, "medications")
    book = build_codebook()
    for concept in ("lithium", "antipsychotic", "statin", "antihypertensive", "corticosteroid_oral"):
        codes = set(book.drugs[concept].codes)
        assert meds["bnf_code"].is_in(list(codes)).sum() > 0, concept
    assert meds["bnf_code"].str.starts_with("0402030K0").sum() > 0  # lithium carbonate


def test_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError):
        generate(10, 1, tmp_path, fmt="xlsx")
    with pytest.raises(ValueError):
        generate(0, 1, tmp_path)


def test_remission_relapse_same_day_and_crisis_only_people_exist(clean):
    out, _ = clean
    book = build_codebook()
    dx = {book.code_table[i] for i in book.concept_codes["smi_diagnosis"]}
    rem = {book.code_table[i] for i in book.concept_codes["smi_remission"]}
    ev = _read(out, "events")
    d = (
        ev.filter(pl.col("code").is_in(list(dx)))
        .group_by("nhs_number")
        .agg(last_dx=pl.col("date").max(), dx_dates=pl.col("date"))
    )
    r = (
        ev.filter(pl.col("code").is_in(list(rem)))
        .group_by("nhs_number")
        .agg(last_rem=pl.col("date").max(), first_rem=pl.col("date").min())
    )
    both = d.join(r, on="nhs_number")
    n_people = _read(out, "patients").height
    assert 0.6 < d.height / n_people < 0.9  # ~80% with an SMI diagnosis
    assert (both["last_rem"] > both["last_dx"]).sum() > 0  # in remission
    assert (both["last_dx"] > both["first_rem"]).sum() > 0  # relapse after remission
    assert (both["last_rem"] == both["last_dx"]).sum() > 0  # same-day diagnosis and remission
    enc = _read(out, "encounters").filter(pl.col("date") > "2025-11-01")
    attended = enc.filter(pl.col("attended").str.to_lowercase().is_in(["true", "t", "yes", "y", "1"]))
    kinds = attended.group_by("nhs_number").agg(
        crisis=pl.col("service").is_in(["crisis", "emergency_department"]).any(),
        planned=pl.col("service").is_in(["gp", "practice_nurse", "community_mental_health", "outpatient"]).any(),
    )
    assert kinds.filter(pl.col("crisis") & ~pl.col("planned")).height > 0.01 * n_people
