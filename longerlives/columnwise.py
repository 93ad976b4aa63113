"""Frame operations that copy as little as they can (issue 16, memory): used by the rules after each
block of people, outreach and the output stages.

Polars' eager ``join`` and ``sort`` copy every column of the frame at once, and a join's result
and a sort's result are alive together: for the flags of 600,000 people (2.3 million rows, 290 MB)
that was two more copies at once. These give the same frames with less held at a time:

* ``beside(frame, sides)``: the side tables (one row a person) joined to the frame's key alone
  and their columns laid beside the frame's own, which are not copied at all;
* ``in_order(frame, keys)``: whether the rows are already in the order a sort would give (and,
  asked, with no key repeated);
* ``sorted_by(frame, keys)``: the frame sorted, built a column at a time (each unsorted column
  released as soon as its sorted copy exists), or the frame itself when it is already in order;
* ``parts_by(frame, key)``: each key's rows, as slices (views) when the rows are grouped by key.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def beside(frame: pl.DataFrame, sides: Sequence[pl.DataFrame], on: str = "nhs_number") -> pl.DataFrame:
    """``frame`` left-joined to each of ``sides`` on ``on``, rows in ``frame``'s order.

    A side table with two rows for one key (which the pipeline never makes) gives what the joins
    always gave, one row for each match."""
    keyed = frame.select(on)
    for side in sides:
        keyed = keyed.join(side, on=on, how="left", maintain_order="left")
    if keyed.height == frame.height:
        added = keyed.drop(on)  # a name the frame has already gets the join's suffix, as a join gives it
        return frame.hstack(added.rename({c: f"{c}_right" for c in added.columns if c in frame.columns}))
    for side in sides:
        frame = frame.join(side, on=on, how="left", maintain_order="left")
    return frame


def in_order(frame: pl.DataFrame, keys: Sequence[str | pl.Expr], unique: bool = False) -> bool:
    """True when ``frame``'s rows are already in ascending order of ``keys`` (no key null);
    ``unique``: and no two rows have the same keys (strictly ascending)."""
    if frame.height < 2:
        return True
    values = frame.select(*[(pl.col(k) if isinstance(k, str) else k).alias(f"_key{i}") for i, k in enumerate(keys)])
    if any(s.null_count() for s in values.get_columns()):
        return False
    before = pl.lit(False)
    tied = pl.lit(True)
    for name in values.columns:  # lexicographic: a row is out of order at the first key that differs
        col, prev = pl.col(name), pl.col(name).shift(1)
        before = before | (tied & (col < prev))
        tied = tied & (col == prev)
    if unique:
        before = before | tied  # a row whose every key equals the row before's repeats it
    return not bool(values.select(before.fill_null(False).any()).item())


def sorted_by(frame: pl.DataFrame, keys: Sequence[str | pl.Expr], nulls_last: bool = False) -> pl.DataFrame:
    """``frame.sort(keys, nulls_last=...)``'s rows, built a column at a time.

    Unless the rows are already in order (then ``frame`` itself is returned), ``frame`` is
    emptied: each column is taken out of it and released once its sorted copy exists, so its
    caller's name for it no longer holds the unsorted rows. The keys must order the rows fully
    (the last key unique within ties), as every caller's do: then the order is ``sort``'s."""
    if not nulls_last and in_order(frame, keys):
        return frame
    order = frame.select(pl.arg_sort_by(list(keys), nulls_last=nulls_last)).to_series()
    ordered = [frame.drop_in_place(name).rechunk().gather(order) for name in frame.columns]
    return pl.DataFrame(ordered)


def parts_by(frame: pl.DataFrame, key: str) -> dict[str, pl.DataFrame]:
    """Each value of the text column ``key`` and its rows, in the order the values first appear.
    When the rows come sorted by ``key`` each part is a slice of ``frame`` (a view, not a copy);
    otherwise a partition (a copy)."""
    if not frame[key].is_sorted():
        return {value: part for (value,), part in frame.partition_by(key, as_dict=True, maintain_order=True).items()}
    parts: dict[str, pl.DataFrame] = {}
    start = 0
    for length, value in frame.select(pl.col(key).rle()).unnest(key).iter_rows():  # one run a value, in order
        parts[value] = frame.slice(start, length)
        start += length
    return parts
