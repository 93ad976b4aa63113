"""What a later stage reads of a clinical table, summarised in validation's own pass (issue 16).

The feature pass reads the medicines and contacts as per-person summaries (each person's
first and last issue of each BNF code, their contacts per service). Built after validation,
each summary parsed the whole table a second time: at 600,000 people that second pass cost
more than validating the table. A ``Summary`` names the summary once — which good rows it
reads, how they are grouped and aggregated, and how two summaries of one group combine —
and validation computes it from the rows its own fast checks have just parsed
(``validate._fast_split``): one pass over the table for both.

Expressions are written over the contract's column names and typed values, as the clean
frames of ``Extract`` hold them. ``summarise`` applies a summary to any clean frame: the
feature pass uses it when validation made none (a table checked in full), and validation
uses it for the few suspect rows that the full checks found good.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Summary:
    """A grouped summary of a clinical table's good rows.

    ``keep``: the rows read. ``keys``: what groups them — the first key a whole number of
    at least 0 for every kept row (validation gives each suspect row a group of its own
    under a negative first key). ``aggs``: each group's values. ``merge``: the same
    values from several summaries' rows of one group (e.g. the minimum of the minimums)."""

    keep: pl.Expr
    keys: tuple[pl.Expr, ...]
    aggs: tuple[pl.Expr, ...]
    merge: tuple[pl.Expr, ...]

    @property
    def key_names(self) -> list[str]:
        return [k.meta.output_name() for k in self.keys]


def summarise(frame: pl.LazyFrame, summary: Summary) -> pl.DataFrame:
    """``summary`` of the clean rows of ``frame`` (contract columns)."""
    return frame.filter(summary.keep).group_by(*summary.keys).agg(*summary.aggs).collect()


def merged(parts: list[pl.DataFrame], summary: Summary) -> pl.DataFrame:
    """One summary of the rows behind ``parts`` (each a summary of some of them; at least one)."""
    filled = [p for p in parts if p.height]
    if len(filled) <= 1:
        return filled[0] if filled else parts[0]
    return pl.concat(filled, how="vertical").group_by(*summary.key_names).agg(*summary.merge)
