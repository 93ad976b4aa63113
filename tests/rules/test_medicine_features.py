"""Medicines are matched to their lists by BNF prefix once per person and BNF code
(issue 16, one pass over the issues): a concept's first and last issue and 12-month
count must be what matching every issue to every list gives, across all of a list's
codes and with a list's exclusions (lithium is not a 'mood stabiliser' issue)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from longerlives.codelists import bnf_match_expr, load_codelists
from longerlives.dates import months_before
from longerlives.features import _medication_features

AS_OF = date(2026, 11, 1)


def _issues(rng: np.random.Generator, people: list[int], n: int) -> pl.DataFrame:
    """Issues under BNF codes of the lists (several per list), their exclusions and unrelated chapters."""
    lists = load_codelists()
    prefixes = sorted(
        {p for cl in lists.values() if cl.kind == "bnf_prefix" for p in (*cl.codes, *cl.exclude_prefixes)}
    )
    stems = [*prefixes, "0101010", "1302011", "0501013"]  # antacids, emollients, penicillins: no list
    codes = [(s + "ABCDEFGHJKLMNP")[:15] for s in stems] + [(s + "AAAAAAAAAAAAAA")[:15] for s in stems]
    days = rng.integers(-900, 30, n)  # some issues after the as-of date: ignored
    return pl.DataFrame(
        {
            "nhs_number": [str(people[i]) for i in rng.integers(0, len(people), n)],
            "date": [AS_OF + timedelta(days=int(d)) for d in days],
            "bnf_code": [codes[i] for i in rng.integers(0, len(codes), n)],
        }
    )


def _every_issue_matched(issues: pl.DataFrame, ids: pl.Series) -> pl.DataFrame:
    """The obvious way: each list matched against every issue, then one summary per person."""
    d12 = months_before(AS_OF, 12)
    out = ids.to_frame()
    lists = {c: cl for c, cl in sorted(load_codelists().items()) if cl.kind == "bnf_prefix"}
    for concept, cl in lists.items():
        per_person = (
            issues.filter(bnf_match_expr(cl) & (pl.col("date") <= AS_OF))
            .group_by(pl.col("nhs_number").str.to_integer().alias("nid"))
            .agg(
                pl.col("date").min().alias(f"{concept}_first_date"),
                pl.col("date").max().alias(f"{concept}_last_date"),
                (pl.col("date") > d12).sum().cast(pl.Int64).alias(f"{concept}_n_12m"),
            )
        )
        out = out.join(per_person, on="nid", how="left", maintain_order="left")
    counts = [f"{c}_n_12m" for c in lists]
    ordered = [f"{c}_{s}" for s in ("first_date", "last_date", "n_12m") for c in lists]
    return out.with_columns(pl.col(counts).fill_null(0)).select(ordered)


def test_each_medicines_first_last_and_12_month_count_are_those_of_every_matching_issue():
    rng = np.random.default_rng(5)
    people = [9000000000 + 17 * k for k in range(60)]
    ids = pl.Series("nid", people[:50], dtype=pl.Int64)  # ten people with issues are not on the patient list
    issues = _issues(rng, people, 3000)
    built = _medication_features(issues.lazy(), load_codelists(), AS_OF, ids)
    expected = _every_issue_matched(issues, ids)
    assert built.columns == expected.columns
    for column in expected.columns:
        assert built[column].equals(expected[column]), column
    # the generated issues did reach every kind of case the summary must get right
    assert built["antipsychotic_n_12m"].sum() > 0 and built["lithium_first_date"].null_count() < ids.len()
    assert (built["mood_stabiliser_n_12m"] < built["mood_stabiliser_n_12m"].max()).any()


def test_no_issues_give_every_medicine_column_empty_and_counts_zero():
    ids = pl.Series("nid", [9000000009, 9000000017], dtype=pl.Int64)
    empty = pl.DataFrame(schema={"nhs_number": pl.String, "date": pl.Date, "bnf_code": pl.String})
    built = _medication_features(empty.lazy(), load_codelists(), AS_OF, ids)
    assert built.height == 2
    assert all(built[c].null_count() == 2 for c in built.columns if not c.endswith("_n_12m"))
    assert all(built[c].sum() == 0 for c in built.columns if c.endswith("_n_12m"))


def test_a_persons_issues_of_one_code_summarised_in_two_rows_give_the_same_medicine_features():
    """Issue 16, session 36: each feature block makes its medicine concepts from validation's summary per person
    and BNF code, in which a person may have two rows of one code (the good suspect rows summarised apart from
    the fast rows): the first and last issue and the 12-month count are those of every issue all the same."""
    from longerlives.extract.reading import summarise
    from longerlives.features import _medication_summary, _medication_wide, medication_reading

    rng = np.random.default_rng(11)
    people = [9000000000 + 17 * k for k in range(40)]
    ids = pl.Series("nid", people, dtype=pl.Int64)
    issues = _issues(rng, people, 2000)
    lists = load_codelists()
    reading = medication_reading(AS_OF)
    halves = [summarise(part.lazy(), reading) for part in (issues.slice(0, 1000), issues.slice(1000))]
    in_two_rows = pl.concat(halves)
    assert in_two_rows.height > summarise(issues.lazy(), reading).height  # some person and code twice
    built = _medication_wide(_medication_summary(in_two_rows, lists), lists, ids)
    expected = _every_issue_matched(issues, ids)
    for column in expected.columns:
        assert built[column].equals(expected[column]), column
