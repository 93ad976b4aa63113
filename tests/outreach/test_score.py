"""Marginalisation points, ranking and the outreach flag (domain.md §5.2, issue 5)."""

from __future__ import annotations

import random
from datetime import date

import polars as pl
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from longerlives import outreach
from longerlives.outreach.score import n_selected_by_rank, score_and_rank
from longerlives.settings import load_settings
from tests.outreach.helpers import AS_OF, flags_frame, missing_flags, people_frame, person, run_stages

S = load_settings().outreach


def _strict_person(i: int, **kw):
    base = dict(
        phc_elements_done=0,
        planned_contacts_12m=0,
        crisis_contacts_12m=3,
        phc_last_any=date(2024, 3, 14),
        bp_last_date=date(2024, 3, 14),
        imd_decile=1,
    )
    return person(i, **{**base, **kw})


def _run(rows, flags=None, settings=S, contacts_known=True):
    people = people_frame(rows)
    fl = flags if flags is not None else flags_frame([f for r in rows for f in missing_flags(r)])
    return score_and_rank(people, fl, AS_OF, settings, contacts_known=contacts_known)


def test_reason_carries_evidence_like_the_issue_example():
    out = _run([_strict_person(1), person(2)])
    row = out.filter(pl.col("outreach_strict")).row(0, named=True)
    assert row["outreach_reasons"].startswith(
        "no blood pressure, BMI, lipids, HbA1c, alcohol or smoking record since 2024-03-14; "
        "3 crisis contacts, no planned contact in 12 months; "
    )
    assert "IMD decile 1" in row["outreach_reasons"]
    # 20 (0/6) + 10 (no planned) + 10 (crisis only) + 15 (decile 1); BP 2024-03-14 is inside 18 months
    assert row["marginalisation_score"] == 55
    assert row["marginalisation_rank"] == 1 and row["outreach"]


def test_no_bp_words_not_repeated_after_the_none_done_reason():
    out = _run([_strict_person(1, bp_last_date=date(2023, 1, 1), phc_last_any=date(2023, 1, 1))])
    r = out.row(0, named=True)
    assert r["marginalisation_score"] == 60 and "no blood pressure since" not in r["outreach_reasons"]


def test_no_blood_pressure_in_18_months():
    out = _run([person(1, bp_last_date=date(2023, 12, 30)), person(2, bp_last_date=date(2023, 12, 31))]).sort(
        "nhs_number"
    )
    assert out["marginalisation_score"].to_list() == [5, 0]
    assert out["outreach_reasons"][0] == "no blood pressure since 2023-12-30"


def test_group_caps_apply():
    r = person(
        1,
        homeless_last_date=date(2025, 1, 1),
        substance_dependence_last_date=date(2020, 1, 1),
        learning_disability_last_date=date(2010, 1, 1),
        interpreter_required=True,
        preferred_language="pl",
        hypertension_last_date=date(2019, 1, 1),
        cvd_last_date=date(2019, 1, 1),
    )
    out = _run([r])
    # inclusion would be 10 + 5 + 5 + 5 + 3 = 28, capped at 25; nothing else scores
    assert out["marginalisation_score"][0] == 25
    reasons = out["outreach_reasons"][0]
    assert (
        "homelessness recorded 2025-01-01" in reasons
        and "2 long-term conditions (hypertension, heart disease or stroke)" in reasons
    )


def test_few_elements_names_the_missing_ones():
    out = _run([person(1, phc_elements_done=2), person(2), person(3), person(4), person(5)])
    r = out.filter(pl.col("marginalisation_rank") == 1).row(0, named=True)
    assert (
        "only 2 of 6 health-check elements in 12 months (missing lipids, HbA1c, alcohol, smoking)"
        in r["outreach_reasons"]
    )


def test_usc_referral_not_attended_scores_and_attendance_clears_it():
    ref = date(2025, 6, 1)
    a = person(1, usc_referral_last_date=ref)
    b = person(2, usc_referral_last_date=ref, cancer_2ww_last_attended=date(2025, 6, 10))
    c = person(3, usc_referral_last_date=date(2025, 6, 25))  # within the 14-day grace
    out = _run([a, b, c]).sort("nhs_number")
    assert out["marginalisation_score"].to_list() == [10, 0, 0]


def test_missing_code_list_never_raises_the_score():
    # screening.bowel flag open but no bowel_screening_last_date column: not "never screened"
    r = person(1)
    out = _run([r], flags=flags_frame([(r["nhs_number"], "screening.bowel")]))
    assert out["marginalisation_score"][0] == 0
    out2 = _run([r], flags=flags_frame([(r["nhs_number"], "followup.hba1c")]))
    assert out2["marginalisation_score"][0] == 5
    assert "abnormal result not yet followed up (act on raised HbA1c" in out2["outreach_reasons"][0]


def test_contacts_unknown_scores_no_contact_points_and_strict_uses_checks_only():
    out = _run([_strict_person(1)], contacts_known=False)
    r = out.row(0, named=True)
    assert r["outreach_strict"] and "planned contact" not in r["outreach_reasons"]
    assert r["marginalisation_score"] == 35  # 20 (0/6) + 15 (decile 1)


def test_outside_the_cohort_is_not_ranked():
    out = _run([person(1, health_check_cohort=False, phc_elements_done=0), person(2, in_scope=False)])
    assert out["marginalisation_rank"].null_count() == 2
    assert not out["outreach"].any() and not out["outreach_strict"].any()


def test_score_zero_is_never_selected_by_rank():
    out = _run([person(i) for i in range(1, 11)])
    assert not out["outreach"].any()
    assert out["marginalisation_rank"].to_list() == list(range(1, 11))  # ties → NHS number order


def test_n_selected_by_rank_avoids_float_fuzz():
    assert n_selected_by_rank(15, 0.2) == 3
    assert n_selected_by_rank(10, 0.2) == 2
    assert n_selected_by_rank(11, 0.2) == 3
    assert n_selected_by_rank(0, 0.2) == 0


def test_outreach_appends_one_marginalised_flag_and_a_plan_for_the_strict_person(tmp_path):
    rows = [_strict_person(1), person(2)]
    ctx = run_stages(
        tmp_path, people_frame(rows), flags_frame([f for r in rows for f in missing_flags(r)]), upto="outreach"
    )
    f = ctx.flags.filter(pl.col("flag") == "outreach.marginalised")
    assert f.height == 1 and f["since"][0] is None
    assert f["reason"][0].startswith("Meets the strict Longer Lives definition (rank 1 of 2): no blood pressure")
    assert ctx.flags.equals(ctx.flags.sort("nhs_number", "flag"))
    assert ctx.plans["nhs_number"].to_list() == [rows[0]["nhs_number"]]
    # re-running the stage does not duplicate the flag
    again = outreach.rank_and_plan(ctx.people, ctx.flags, AS_OF, ctx.settings.outreach)
    assert again.flags.filter(pl.col("flag") == "outreach.marginalised").height == 1


# ---------------------------------------------------------------- properties

_people = st.lists(
    st.fixed_dictionaries(
        {
            "done": st.integers(0, 6),
            "planned": st.integers(0, 3),
            "crisis": st.integers(0, 3),
            "dna": st.integers(0, 4),
            "imd": st.one_of(st.none(), st.integers(1, 10)),
            "homeless": st.booleans(),
            "interp": st.booleans(),
            "cohort": st.booleans(),
            "eth": st.sampled_from(list("ABCDEFGHJKLMNPRSZ")),
        }
    ),
    min_size=1,
    max_size=60,
)


def _rows(spec):
    return [
        person(
            i + 1,
            phc_elements_done=d["done"],
            planned_contacts_12m=d["planned"],
            crisis_contacts_12m=d["crisis"],
            dna_12m=d["dna"],
            imd_decile=d["imd"],
            homeless_last_date=date(2025, 1, 1) if d["homeless"] else None,
            interpreter_required=d["interp"],
            health_check_cohort=d["cohort"],
            ethnic_category=d["eth"],
            phc_last_any=None if d["done"] == 0 else date(2025, 1, 1),
        )
        for i, d in enumerate(spec)
    ]


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=_people, fraction=st.sampled_from([0.1, 0.2, 0.25, 0.5]), seed=st.integers(0, 1000))
def test_ranking_properties(spec, fraction, seed):
    s = S.model_copy(update={"fraction": fraction})
    rows = _rows(spec)
    out = _run(rows, settings=s)
    cohort = out.filter(pl.col("health_check_cohort"))
    n_top = n_selected_by_rank(cohort.height, fraction)
    # ranks are 1..N, unique, in score order
    assert sorted(cohort["marginalisation_rank"].to_list()) == list(range(1, cohort.height + 1))
    by_rank = cohort.sort("marginalisation_rank")["marginalisation_score"].to_list()
    assert by_rank == sorted(by_rank, reverse=True)
    # fraction respected: selected by rank = top n_top with a score of at least min_score
    ranked_sel = cohort.filter(
        (pl.col("marginalisation_rank") <= n_top) & (pl.col("marginalisation_score") >= s.min_score)
    )
    assert ranked_sel.height <= n_top
    # strict set always included; nobody else outside the ranked selection
    assert cohort.filter(pl.col("outreach_strict") & ~pl.col("outreach")).height == 0
    expected = set(ranked_sel["nhs_number"]) | set(cohort.filter(pl.col("outreach_strict"))["nhs_number"])
    assert set(out.filter(pl.col("outreach"))["nhs_number"]) == expected
    # deterministic whatever the input order
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    assert _run(shuffled, settings=s).equals(out)
    # changing ethnicity changes nothing
    other = [dict(r, ethnic_category=random.Random(seed + i).choice("ABCDEFGHJKLMNPRSZ")) for i, r in enumerate(rows)]
    assert _run(other, settings=s).drop("ethnic_category").equals(out.drop("ethnic_category"))
