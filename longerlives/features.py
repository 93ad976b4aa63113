"""Per-person clinical facts, built once from the clean extract.

One lazy pass over events (joined to the code lists), one over medications and
one over encounters produce a wide table with one row per valid patient. Rules
and risk read these columns; they never rescan the raw tables. Events, issues and
contacts dated after the as-of date are ignored here, once, for everyone.

Columns (see docs/features.md):

* the patient's own columns, plus ``age`` (whole years on the as-of date);
* per SNOMED concept ``c``: ``c_first_date``, ``c_last_date``, ``c_n_12m``; for
  valued concepts also ``c_last_value`` and ``c_last_value_date`` (the latest
  non-null value; on a tie the lower value);
* ``systolic_bp_sd_5y``: SD of systolic readings in the look-back (null if < 2);
* ``bp_last_date``, ``bp_last_systolic``, ``bp_last_diastolic``: the latest day
  with both a systolic and a diastolic reading (lowest of each on that day);
* per medicine concept ``m``: ``m_first_date``, ``m_last_date``, ``m_n_12m``;
* contacts: ``planned_contacts_12m``, ``last_planned_contact_date``,
  ``crisis_contacts_12m``, ``dna_12m``, and per service ``s``:
  ``s_last_attended``, ``s_last_dna``;
* cohorts: ``in_scope``, ``out_of_scope_reason``, ``in_remission``,
  ``health_check_cohort``, ``ecg_cohort``, ``ecg_cohort_reason``.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from longerlives.codelists import Codelist, bnf_match_expr, load_pending, snomed_concept_map
from longerlives.dates import months_before
from longerlives.extract.schemas import SERVICES
from longerlives.extract.validate import Extract
from longerlives.settings.features import FeatureSettings

EVENT_STATS = ("first_date", "last_date", "n_12m")
VALUE_STATS = ("last_value", "last_value_date")
MED_STATS = ("first_date", "last_date", "n_12m")


def _wide(long: pl.DataFrame, concepts: list[str], stats: dict[str, pl.DataType]) -> pl.DataFrame:
    """Long (nhs_number, concept, stats…) → one row per person, ``{concept}_{stat}`` columns."""
    ids = long.select("nhs_number").unique()
    out = ids
    for stat, dtype in stats.items():
        if long.height:
            piv = long.pivot(on="concept", index="nhs_number", values=stat, aggregate_function=None)
        else:
            piv = ids
        piv = piv.rename({c: f"{c}_{stat}" for c in piv.columns if c != "nhs_number"})
        out = out.join(piv, on="nhs_number", how="left")
        for c in concepts:
            name = f"{c}_{stat}"
            if name not in out.columns:
                out = out.with_columns(pl.lit(None, dtype=dtype).alias(name))
            else:
                out = out.with_columns(pl.col(name).cast(dtype))
    return out


def _event_features(
    events: pl.LazyFrame, codelists: dict[str, Codelist], as_of: date, settings: FeatureSettings
) -> pl.DataFrame:
    d12 = months_before(as_of, 12)
    d_sd = months_before(as_of, 12 * settings.sbp_sd_years)
    cmap = snomed_concept_map(codelists)
    matched = events.filter(pl.col("date") <= as_of).join(cmap.lazy(), on="code", how="inner")
    long_lf = matched.group_by("nhs_number", "concept").agg(
        pl.col("date").min().alias("first_date"),
        pl.col("date").max().alias("last_date"),
        (pl.col("date") > d12).sum().cast(pl.Int64).alias("n_12m"),
        pl.col("value").sort_by(["date", "value"], descending=[False, True], nulls_last=False)
        .drop_nulls().last().alias("last_value"),
        pl.col("date").filter(pl.col("value").is_not_null()).max().alias("last_value_date"),
        pl.col("value").filter(pl.col("date") > d_sd).std().alias("sd_recent"),
    )
    bp = (
        matched.filter(pl.col("concept").is_in(["systolic_bp", "diastolic_bp"]))
        .group_by("nhs_number", "date")
        .agg(
            pl.col("value").filter(pl.col("concept") == "systolic_bp").min().alias("sys"),
            pl.col("value").filter(pl.col("concept") == "diastolic_bp").min().alias("dia"),
        )
        .filter(pl.col("sys").is_not_null() & pl.col("dia").is_not_null())
        .group_by("nhs_number")
        .agg(
            pl.col("date").max().alias("bp_last_date"),
            pl.col("sys").sort_by("date").last().alias("bp_last_systolic"),
            pl.col("dia").sort_by("date").last().alias("bp_last_diastolic"),
        )
    )
    long, bp_df = pl.collect_all([long_lf, bp])
    snomed = sorted({c for c, cl in codelists.items() if cl.kind == "snomed"} | set(load_pending()))
    valued = sorted(c for c in snomed if c in codelists and codelists[c].valued)
    wide = _wide(long, snomed, {"first_date": pl.Date, "last_date": pl.Date, "n_12m": pl.Int64})
    vals = _wide(long.filter(pl.col("concept").is_in(valued)), valued, {"last_value": pl.Float64, "last_value_date": pl.Date})
    sd = long.filter(pl.col("concept") == "systolic_bp").select(
        "nhs_number", pl.col("sd_recent").alias(f"systolic_bp_sd_{settings.sbp_sd_years}y")
    )
    return (
        wide.join(vals, on="nhs_number", how="left")
        .join(sd, on="nhs_number", how="left")
        .join(bp_df, on="nhs_number", how="left")
    )


def _medication_features(meds: pl.LazyFrame, codelists: dict[str, Codelist], as_of: date) -> pl.DataFrame:
    d12 = months_before(as_of, 12)
    med_lists = {c: cl for c, cl in sorted(codelists.items()) if cl.kind == "bnf_prefix"}
    concept_list = pl.concat_list(
        [pl.when(bnf_match_expr(cl)).then(pl.lit(c)).otherwise(pl.lit(None, dtype=pl.String)) for c, cl in med_lists.items()]
    ).list.drop_nulls()
    long = (
        meds.filter(pl.col("date") <= as_of)
        .select("nhs_number", "date", concept_list.alias("concept"))
        .explode("concept")
        .filter(pl.col("concept").is_not_null())
        .group_by("nhs_number", "concept")
        .agg(
            pl.col("date").min().alias("first_date"),
            pl.col("date").max().alias("last_date"),
            (pl.col("date") > d12).sum().cast(pl.Int64).alias("n_12m"),
        )
        .collect()
    )
    return _wide(long, list(med_lists), {"first_date": pl.Date, "last_date": pl.Date, "n_12m": pl.Int64})


def _encounter_features(enc: pl.LazyFrame, as_of: date, settings: FeatureSettings) -> pl.DataFrame:
    d12 = months_before(as_of, 12)
    recent = pl.col("date") > d12
    att = pl.col("attended")
    planned = pl.col("service").is_in(list(settings.planned_services))
    crisis = pl.col("service").is_in(list(settings.crisis_services))
    aggs = [
        (recent & att & planned).sum().cast(pl.Int64).alias("planned_contacts_12m"),
        pl.col("date").filter(att & planned).max().alias("last_planned_contact_date"),
        (recent & att & crisis).sum().cast(pl.Int64).alias("crisis_contacts_12m"),
        (recent & ~att).sum().cast(pl.Int64).alias("dna_12m"),
    ]
    for s in SERVICES:
        aggs.append(pl.col("date").filter(att & (pl.col("service") == s)).max().alias(f"{s}_last_attended"))
        aggs.append(pl.col("date").filter(~att & (pl.col("service") == s)).max().alias(f"{s}_last_dna"))
    return enc.filter(pl.col("date") <= as_of).group_by("nhs_number").agg(aggs).collect()


def _age(dob: pl.Expr, as_of: date) -> pl.Expr:
    before_birthday = (dob.dt.month() > as_of.month) | (
        (dob.dt.month() == as_of.month) & (dob.dt.day() > as_of.day)
    )
    return (pl.lit(as_of.year) - dob.dt.year() - before_birthday.cast(pl.Int32)).cast(pl.Int64)


def _cohorts(people: pl.DataFrame, as_of: date, settings: FeatureSettings) -> pl.DataFrame:
    dead = pl.col("date_of_death").is_not_null() & (pl.col("date_of_death") <= as_of)
    left = pl.col("registered_to").is_not_null() & (pl.col("registered_to") <= as_of)
    not_yet = pl.col("registered_from").is_not_null() & (pl.col("registered_from") > as_of)
    young = pl.col("age") < settings.min_age
    reason = (
        pl.when(dead).then(pl.lit("died"))
        .when(left).then(pl.lit("left the practice"))
        .when(not_yet).then(pl.lit("not yet registered"))
        .when(young).then(pl.lit(f"under {settings.min_age}"))
        .otherwise(None)
    )
    dx, rem = pl.col("smi_diagnosis_last_date"), pl.col("smi_remission_last_date")
    in_remission = rem.is_not_null() & (dx.is_null() | (rem >= dx))
    d_med = months_before(as_of, settings.ecg_medicine_months)
    med_hits = [
        pl.when(pl.col(f"{m}_last_date") > d_med).then(pl.lit(m.replace("_", " "))) for m in settings.ecg_medicines
    ]
    people = people.with_columns(
        reason.alias("out_of_scope_reason"),
        in_remission.alias("in_remission"),
    ).with_columns(
        pl.col("out_of_scope_reason").is_null().alias("in_scope"),
    ).with_columns(
        (pl.col("in_scope") & dx.is_not_null() & ~pl.col("in_remission")).alias("health_check_cohort"),
    )
    med_reason = pl.concat_str(med_hits, separator=" and ", ignore_nulls=True)
    med_reason = pl.when(med_reason == "").then(None).otherwise(med_reason)
    ecg_reason = (
        pl.when(pl.col("health_check_cohort")).then(pl.lit("on the SMI register"))
        .when(med_reason.is_not_null()).then(pl.format("issued {} in the last {} months", med_reason, pl.lit(settings.ecg_medicine_months)))
        .otherwise(None)
    )
    return people.with_columns(
        (pl.col("in_scope") & ecg_reason.is_not_null()).alias("ecg_cohort"),
        pl.when(pl.col("in_scope")).then(ecg_reason).alias("ecg_cohort_reason"),
    )


def build_features(
    extract: Extract, codelists: dict[str, Codelist], as_of: date, settings: FeatureSettings
) -> pl.DataFrame:
    """One row per valid patient with every feature and cohort flag, sorted by NHS number."""
    ev = _event_features(extract.events, codelists, as_of, settings)
    med = _medication_features(extract.medications, codelists, as_of)
    enc = _encounter_features(extract.encounters, as_of, settings)
    people = (
        extract.patients.with_columns(_age(pl.col("date_of_birth"), as_of).alias("age"))
        .join(ev, on="nhs_number", how="left")
        .join(med, on="nhs_number", how="left")
        .join(enc, on="nhs_number", how="left")
    )
    counts = [c for c in people.columns if c.endswith("_n_12m") or c in ("planned_contacts_12m", "crisis_contacts_12m", "dna_12m")]
    people = people.with_columns(pl.col(counts).fill_null(0))
    return _cohorts(people, as_of, settings).sort("nhs_number")
