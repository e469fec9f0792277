"""Charges of 24-hour windows over each key's stretches (SPEC 3.7, rule 2).

"Walking a key's stretches in order with ``window_end`` starting at −∞: usage before
``window_end`` is covered; uncovered usage starting at ``t`` (the stretch start, or
``window_end`` if the stretch runs past it) is charged when it lasts more than
``grace`` before the stretch ends." Within one stretch the charges are arithmetic:
from ``t``, one every ``window`` while ``e - t > grace``, so their number is
``ceil((e - grace - t) / window)``. Only ``window_end`` carries from one stretch to
the next: the walk goes rank by rank (every key's first stretch, then every key's
second...), each step vectorized over the keys, so it loops as many times as the
busiest key has stretches, never per event or per key.

Without packs no charge can be denied and these charges are final; with packs the
ledger decides (``ledger.py``).
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

INSTANT = pl.Datetime("us", "UTC")
# window_end before a key's first charge: far before any instant (−∞ of the SPEC).
NEVER = -(2**62)
CHARGE_SCHEMA = pl.Schema(
    {
        "user": pl.UInt32(),
        "product": pl.UInt32(),
        "window_start": INSTANT,
        "window_end": INSTANT,
        "tokens": pl.Int64(),
        "status": pl.String(),
    }
)


def micros(duration: timedelta) -> int:
    return duration // timedelta(microseconds=1)


def charge_counts(stretches: pl.DataFrame, window: timedelta, grace: timedelta) -> pl.DataFrame:
    """Each stretch with ``first_charge`` (µs since the epoch) and ``charges`` (count ≥ 0).

    ``stretches`` is sorted by key, then start (as ``stretches.stretches`` gives it).
    """
    width, free = micros(window), micros(grace)
    key_change = (pl.col("user") != pl.col("user").shift(1)) | (
        pl.col("product") != pl.col("product").shift(1)
    )
    ranked = stretches.with_columns(key=key_change.fill_null(True).cum_sum() - 1).with_columns(
        rank=pl.int_range(pl.len()).over("key"), count=pl.len().over("key")
    )
    # Keys numbered by descending stretch count: the keys having a stretch of rank j are
    # the first n_j of them, so each step works on a prefix of the previous step's state.
    key_order = (
        ranked.group_by("key")
        .agg(pl.col("count").first())
        .sort("count", "key", descending=[True, False])
        .select("key", slot=pl.int_range(pl.len()))
    )
    by_rank = ranked.join(key_order, on="key").sort("rank", "slot")
    starts = by_rank["start"].dt.epoch("us")
    ends = by_rank["end"].dt.epoch("us")
    sizes = by_rank.group_by("rank").len().sort("rank")["len"].to_list()

    window_end = pl.Series("window_end", [NEVER] * (sizes[0] if sizes else 0), dtype=pl.Int64)
    first_charges: list[pl.Series] = []
    counts: list[pl.Series] = []
    offset = 0
    for size in sizes:
        start, end = starts.slice(offset, size), ends.slice(offset, size)
        covered_until = window_end.slice(0, size)
        first = start.zip_with(start >= covered_until, covered_until)
        count = ((end - free - first + width - 1) // width).clip(lower_bound=0)
        window_end = covered_until.zip_with(count == 0, first + count * width)
        first_charges.append(first)
        counts.append(count)
        offset += size
    return by_rank.drop("key", "rank", "count", "slot").with_columns(
        first_charge=pl.concat(first_charges) if first_charges else pl.Series([], dtype=pl.Int64),
        charges=pl.concat(counts) if counts else pl.Series([], dtype=pl.Int64),
    )


def optimistic_charges(
    stretches: pl.DataFrame, rates: pl.DataFrame, window: timedelta, grace: timedelta
) -> pl.DataFrame:
    """Every charge as if none were denied, in ledger order (window_start, user, product).

    ``rates``: ``product`` (code), ``tokens_per_day``.
    """
    width = micros(window)
    counted = charge_counts(stretches, window, grace).filter(pl.col("charges") > 0)
    return (
        counted.select("user", "product", "first_charge", nth=pl.int_ranges(0, "charges"))
        .explode("nth")
        .with_columns(window_start=pl.col("first_charge") + pl.col("nth") * width)
        .join(rates, on="product", how="left")
        .select(
            "user",
            "product",
            window_start=pl.col("window_start").cast(INSTANT),
            window_end=(pl.col("window_start") + width).cast(INSTANT),
            tokens="tokens_per_day",
            status=pl.lit("charged"),
        )
        .sort("window_start", "user", "product")
        .cast(CHARGE_SCHEMA)
    )
