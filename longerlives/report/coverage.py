"""coverage.csv: measures x breakdowns with numerators, denominators and percentages
(run-outputs-v2.md, "report/"), computed from the rows of patients.csv and flags.csv.

``coverage_counts`` gives the raw counts (for charts and statistics, never published as
they are); ``coverage_table`` gives the published table with small numbers suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from longerlives.settings.report import ReportSettings

COVERAGE_COLUMNS = ["measure", "group_by", "group", "numerator", "denominator", "percent"]
GROUP_BYS = ("all", "practice_code", "core_team", "imd_quintile", "imd_decile", "ethnic_group", "sex", "age_band")
SEXES = ("female", "male", "unknown")
NOT_KNOWN = "not known"
UNALLOCATED = "unallocated"
SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class Measure:
    id: str
    title: str
    denominator: str  # in words, printed on the page
    numerator: str
    flag: str | None  # the flag whose absence is the numerator (None: defined by a column)


MEASURES: dict[str, Measure] = {
    m.id: m
    for m in [
        Measure(
            "phc_all_six",
            "All six health-check elements",
            "people in the health-check cohort",
            "all six elements (BMI, blood pressure, lipids, glucose, alcohol, smoking) recorded in the last 12 months",
            None,
        ),
        Measure(
            "phc_bmi",
            "BMI or weight",
            "people in the health-check cohort",
            "BMI or weight recorded in the last 12 months",
            "phc.bmi",
        ),
        Measure(
            "phc_blood_pressure",
            "Blood pressure",
            "people in the health-check cohort",
            "blood pressure recorded in the last 12 months",
            "phc.blood_pressure",
        ),
        Measure(
            "phc_lipids",
            "Cholesterol (lipids)",
            "people in the health-check cohort",
            "a cholesterol or lipid result in the last 12 months",
            "phc.lipids",
        ),
        Measure(
            "phc_glucose",
            "Glucose or HbA1c",
            "people in the health-check cohort",
            "an HbA1c or blood glucose result in the last 12 months",
            "phc.glucose",
        ),
        Measure(
            "phc_alcohol",
            "Alcohol",
            "people in the health-check cohort",
            "alcohol consumption recorded in the last 12 months",
            "phc.alcohol",
        ),
        Measure(
            "phc_smoking",
            "Smoking status",
            "people in the health-check cohort",
            "smoking status recorded in the last 12 months",
            "phc.smoking",
        ),
        Measure(
            "ecg",
            "Annual ECG",
            "the ECG cohort: the health-check cohort, or anyone in scope issued an "
            "antipsychotic or mood stabiliser in the last 6 months",
            "an ECG in the last 12 months",
            "ecg.annual",
        ),
        Measure(
            "screening_cervical",
            "Cervical screening",
            "people eligible for cervical screening today, less "
            "those ceased from the programme (for example after a hysterectomy)",
            "screened within the interval for their age; a decline counts as not screened",
            "screening.cervical",
        ),
        Measure(
            "screening_breast",
            "Breast screening",
            "people eligible for breast screening today",
            "screened within the interval; a decline counts as not screened",
            "screening.breast",
        ),
        Measure(
            "screening_bowel",
            "Bowel screening",
            "people eligible for bowel screening today",
            "screened within the interval; a decline counts as not screened",
            "screening.bowel",
        ),
        Measure(
            "smoking_cessation_offer",
            "Support to stop smoking",
            "people in scope whose latest smoking status is current smoker",
            "offered, referred to or declining stop-smoking support, or issued a stop-smoking "
            "medicine, in the last 12 months",
            "smoking.cessation_offer",
        ),
    ]
}


def _truthy(col: str) -> pl.Expr:
    c = pl.col(col)
    return c.cast(pl.String).str.to_lowercase().is_in(["true", "1"]).fill_null(False)


# The patients columns group_columns reads, with the person's id.
GROUP_SOURCES = ("nhs_number", "practice_code", "core_team", "imd_decile", "ethnic_category", "sex", "age")


def group_columns(patients: pl.DataFrame, settings: ReportSettings) -> pl.DataFrame:
    """``patients`` with one column per breakdown (labels as printed in coverage.csv)."""
    age = pl.col("age").cast(pl.Int64)
    band = pl.lit(None, dtype=pl.String)
    for b in reversed(settings.age_bands):
        band = pl.when((age >= b.min_age_years) & (age <= b.max_age_years)).then(pl.lit(b.label)).otherwise(band)
    code_to_group = {c: g.label for g in settings.ethnic_groups for c in g.codes}
    not_stated = next((g.label for g in settings.ethnic_groups if "Z" in g.codes), "Not stated")
    decile = pl.col("imd_decile").cast(pl.Int64, strict=False)
    return patients.with_columns(
        pl.lit("all").alias("all"),
        pl.col("practice_code").cast(pl.String),
        pl.col("core_team").cast(pl.String).fill_null(UNALLOCATED).replace("", UNALLOCATED),
        ((decile + 1) // 2).cast(pl.String).fill_null(NOT_KNOWN).alias("imd_quintile"),
        decile.cast(pl.String).fill_null(NOT_KNOWN).alias("imd_decile"),
        pl.col("ethnic_category")
        .cast(pl.String)
        .replace_strict(code_to_group, default=not_stated)
        .alias("ethnic_group"),
        pl.col("sex").cast(pl.String).fill_null("unknown"),
        band.fill_null(NOT_KNOWN).alias("age_band"),
    )


def group_order(patients: pl.DataFrame, group_by: str, settings: ReportSettings) -> list[str]:
    """Every group a breakdown shows, in reading order (fixed categories always listed)."""
    if group_by == "all":
        return ["all"]
    if group_by == "imd_quintile":
        return [str(q) for q in range(1, 6)] + [NOT_KNOWN]
    if group_by == "imd_decile":
        return [str(d) for d in range(1, 11)] + [NOT_KNOWN]
    if group_by == "ethnic_group":
        return [g.label for g in settings.ethnic_groups]
    if group_by == "sex":
        return list(SEXES)
    if group_by == "age_band":
        seen = set(patients["age_band"].to_list())
        return [b.label for b in settings.age_bands] + ([NOT_KNOWN] if NOT_KNOWN in seen else [])
    return sorted(set(patients[group_by].drop_nulls().to_list()))


def measure_inputs(settings: ReportSettings) -> set[str]:
    """The patients columns the measures below read (denominators and numerators)."""
    out = set()
    for mid in settings.measures:
        if mid.startswith("phc_"):
            out |= {"health_check_cohort", "phc_elements_done"}
        elif mid == "ecg":
            out.add("ecg_cohort")
        elif mid.startswith("screening_"):
            out.add(f"{mid}_status")
        else:
            out.add("current_smoker")
    return out


def _person_measures(patients: pl.DataFrame, flags: pl.DataFrame, settings: ReportSettings) -> pl.DataFrame:
    """One row per person: ``<measure>_den`` and ``<measure>_num`` booleans."""
    # Only the columns the counts read (patients.csv has hundreds).
    used = {"nhs_number", *GROUP_BYS, *measure_inputs(settings)}
    frame = patients.select([c for c in patients.columns if c in used]).with_columns(
        pl.col("nhs_number").cast(pl.String)
    )
    flag_of = pl.col("flag").cast(pl.String)

    def has_flag(flag: str | None) -> pl.Expr:
        """Whether the person has an open ``flag``: the people holding it looked up, not every person's
        list of flags built (2.3 million flags made unique and grouped held 750 MB at 600,000 people)."""
        if flag is None:
            return pl.lit(False)
        holders = flags.filter(flag_of == flag).select(pl.col("nhs_number").cast(pl.String)).to_series()
        return pl.col("nhs_number").is_in(holders.implode()).fill_null(False)

    cols: list[pl.Expr] = []
    for mid in settings.measures:
        m = MEASURES[mid]
        if mid.startswith("phc_"):
            den = _truthy("health_check_cohort")
        elif mid == "ecg":
            den = _truthy("ecg_cohort")
        elif mid.startswith("screening_"):
            den = pl.col(f"{mid}_status").is_in(["screened", "declined", "overdue"]).fill_null(False)
        else:  # smoking_cessation_offer
            den = _truthy("current_smoker")
        if mid == "phc_all_six":
            num = den & (pl.col("phc_elements_done").cast(pl.Int64) >= 6).fill_null(False)
        elif mid.startswith("screening_"):
            num = den & (pl.col(f"{mid}_status") == "screened").fill_null(False)
        else:
            num = den & ~has_flag(m.flag)
        cols += [den.alias(f"{mid}_den"), num.alias(f"{mid}_num")]
    return frame.with_columns(cols)


def coverage_counts(patients: pl.DataFrame, flags: pl.DataFrame, settings: ReportSettings) -> pl.DataFrame:
    """Raw counts per (measure, group_by, group), with ``suppressed`` as the settings say. Not for publication."""
    people = _person_measures(group_columns(patients, settings), flags, settings)
    parts = []
    for g_i, group_by in enumerate(GROUP_BYS):
        order = group_order(people, group_by, settings)
        groups = pl.DataFrame(
            {"group": order, "_g": list(range(len(order)))}, schema={"group": pl.String, "_g": pl.Int64}
        )
        sums = people.group_by(pl.col(group_by).alias("group")).agg(
            *[pl.col(f"{m}_num").sum().alias(f"{m}|num") for m in settings.measures],
            *[pl.col(f"{m}_den").sum().alias(f"{m}|den") for m in settings.measures],
        )
        table = groups.join(sums, on="group", how="left", maintain_order="left")
        for m_i, mid in enumerate(settings.measures):
            parts.append(
                table.select(
                    pl.lit(mid).alias("measure"),
                    pl.lit(group_by).alias("group_by"),
                    "group",
                    pl.col(f"{mid}|num").fill_null(0).cast(pl.Int64).alias("numerator"),
                    pl.col(f"{mid}|den").fill_null(0).cast(pl.Int64).alias("denominator"),
                    pl.lit(m_i).alias("_m"),
                    pl.lit(g_i).alias("_b"),
                    "_g",
                )
            )
    out = pl.concat(parts).sort("_m", "_b", "_g").drop("_m", "_b", "_g")
    suppressed = [settings.is_suppressed(n, d) for n, d in zip(out["numerator"], out["denominator"])]
    return out.with_columns(pl.Series("suppressed", suppressed, dtype=pl.Boolean))


def format_percent(numerator: int, denominator: int) -> str:
    return f"{100 * numerator / denominator:.1f}" if denominator else ""


def publish(counts: pl.DataFrame) -> pl.DataFrame:
    """The published table: suppressed rows lose their counts and say ``suppressed``."""
    percent = [
        SUPPRESSED if s else (format_percent(n, d) or None)
        for n, d, s in zip(counts["numerator"], counts["denominator"], counts["suppressed"])
    ]
    return counts.with_columns(
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("numerator")).alias("numerator"),
        pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("denominator")).alias("denominator"),
        pl.Series("percent", percent, dtype=pl.String),
    ).select(COVERAGE_COLUMNS)


def coverage_table(patients: pl.DataFrame, flags: pl.DataFrame, settings: ReportSettings) -> pl.DataFrame:
    """coverage.csv rows (run-outputs-v2.md "report/") from patients.csv and flags.csv rows."""
    return publish(coverage_counts(patients, flags, settings))
