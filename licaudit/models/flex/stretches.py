"""Usage stretches of each key (user, product) (SPEC 3.7, rule 1).

"A key's events (points, or ``[ts, end]`` spans) whose gaps are at most
``idle_timeout`` merge into usage stretches ``[s, e]`` (the gap is the next start
minus the largest end so far; overlaps merge)." Devices and versions do not split a
key. When the key codes and the span of times fit in 62 bits, each start and end is one
integer (key in the high bits, time in the low ones) and starts and ends are sorted
apart, each a one-column sort; otherwise one sort on (user, product, start) and a
running maximum of ends per key.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

KEY = ("user", "product")
INSTANT = pl.Datetime("us", "UTC")
# Bits a packed integer may use: one fewer than Int64's, so that sums stay positive.
PACKED_BITS = 62


def named_usage(events: pl.LazyFrame) -> pl.LazyFrame:
    """The named users' usage spans: ``user``, ``product``, ``start``, ``stop`` (= end or ts)."""
    return events.filter(~pl.col("anonymous") & pl.col("user").is_not_null()).select(
        "user",
        "product",
        start=pl.col("ts"),
        stop=pl.coalesce("end", "ts"),
        device="device",
    )


def stretches(usage: pl.LazyFrame, idle_timeout: timedelta) -> pl.DataFrame:
    """One row per stretch, sorted by key then start: ``user``, ``product``, ``start``, ``end``."""
    spans = usage.select(*KEY, "start", "stop")
    packed = _packed_stretches(spans, idle_timeout)
    return packed if packed is not None else _sorted_stretches(spans.collect(), idle_timeout)


def _packed_stretches(spans: pl.LazyFrame, idle_timeout: timedelta) -> pl.DataFrame | None:
    """The stretches from packed integers, sorted alone; None when they do not fit in 62 bits.

    Starts and ends (plus ``idle_timeout``) are sorted apart: a stretch ends before the
    k-th start exactly when k ends are below it (every span ending before a start began
    before it), and its end is then the k-th smallest. This needs ends not before their
    starts; bounds are checked first, and anything else takes the sort on three columns.
    """
    idle = idle_timeout // timedelta(microseconds=1)
    start, stop = pl.col("start").dt.epoch("us"), pl.col("stop").dt.epoch("us")
    bounds = (
        spans.select(
            rows=pl.len(),
            nulls=pl.sum_horizontal(pl.all().null_count()),
            backwards=(stop < start).sum(),
            user=pl.col("user").max(),
            product=pl.col("product").max(),
            low=start.min(),
            high=stop.max(),
        )
        .collect()
        .row(0, named=True)
    )
    if not bounds["rows"] or bounds["nulls"] or bounds["backwards"] or idle < 0:
        return None
    product_bits = int(bounds["product"]).bit_length()
    # Room for a time plus the idle timeout: a key's first start is then above every
    # end of the keys before it, so it opens a stretch by itself.
    time_bits = (bounds["high"] - bounds["low"] + idle).bit_length()
    if int(bounds["user"]).bit_length() + product_bits + time_bits > PACKED_BITS:
        return None
    low = bounds["low"]
    key = (pl.col("user").cast(pl.Int64) * 2**product_bits + pl.col("product")) * 2**time_bits
    # The two sorts run in parallel, each on one integer column.
    ordered = spans.select(
        start=(key + start - low).sort(), end=(key + stop - low + idle).sort()
    ).collect()
    new_stretch = (pl.col("end").shift(1) < pl.col("start")).fill_null(True)
    marked = ordered.with_columns(new_stretch=new_stretch)
    # A stretch ends with the largest end of its spans: at the row before the next start.
    last_row = pl.col("new_stretch").shift(-1, fill_value=True)
    starts = marked.filter(pl.col("new_stretch")).select("start")
    ends = marked.filter(last_row).select(end=pl.col("end") - idle)
    key_of = pl.col("start") // 2**time_bits
    return pl.concat([starts, ends], how="horizontal").select(
        user=(key_of // 2**product_bits).cast(pl.UInt32),
        product=(key_of % 2**product_bits).cast(pl.UInt32),
        start=(pl.col("start") % 2**time_bits + low).cast(INSTANT),
        end=(pl.col("end") % 2**time_bits + low).cast(INSTANT),
    )


def _sorted_stretches(spans: pl.DataFrame, idle_timeout: timedelta) -> pl.DataFrame:
    """The stretches by a sort on (user, product, start): any codes, any times."""
    ordered = spans.sort(*KEY, "start")
    new_key = (pl.col("user") != pl.col("user").shift(1)) | (
        pl.col("product") != pl.col("product").shift(1)
    )
    # The largest end of the key's events so far: a gap is measured from it.
    marked = ordered.with_columns(new_key=new_key.fill_null(True)).with_columns(
        latest_end=pl.col("stop").cum_max().over(pl.col("new_key").cum_sum())
    )
    new_stretch = pl.col("new_key") | (
        pl.col("start") > pl.col("latest_end").shift(1) + idle_timeout
    )
    marked = marked.with_columns(new_stretch=new_stretch)
    last_row = pl.col("new_stretch").shift(-1, fill_value=True)
    starts = marked.filter(pl.col("new_stretch")).select(*KEY, "start")
    ends = marked.filter(last_row).select(end="latest_end")
    return pl.concat([starts, ends], how="horizontal")
