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

import math
from collections.abc import Sequence
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
    return merge_spans(usage.select(*KEY, "start", "stop"), KEY, idle_timeout)


def merge_spans(spans: pl.LazyFrame, keys: Sequence[str], gap: timedelta) -> pl.DataFrame:
    """Each key's spans merged where the next start is at most ``gap`` after the largest end
    so far (``merged_spans``), by a sort on the keys and start when they cannot be packed."""
    packed = merged_spans(spans, keys, gap)
    return packed if packed is not None else _sorted_merge(spans.collect(), keys, gap)


def merged_spans(spans: pl.LazyFrame, keys: Sequence[str], gap: timedelta) -> pl.DataFrame | None:
    """Each key's spans merged where the next start is at most ``gap`` after the largest
    end so far: ``keys`` (UInt32 codes), ``start``, ``end``, sorted by keys then start.

    ``spans`` has the ``keys``, ``start`` and ``stop``. The keys (less their minimum) and
    the time are packed into one integer; when they need more than 62 bits, the distinct
    keys are numbered in order first, and that number is packed instead. None when even
    so they do not fit, or when a value is null or a stop comes before its start.
    """
    idle = gap // timedelta(microseconds=1)
    start, stop = pl.col("start").dt.epoch("us"), pl.col("stop").dt.epoch("us")
    bounds = (
        spans.select(
            pl.len().alias("rows"),
            pl.sum_horizontal(pl.all().null_count()).alias("nulls"),
            (stop < start).sum().alias("backwards"),
            (stop > start).sum().alias("lasting"),
            start.min().alias("low"),
            stop.max().alias("high"),
            *(pl.col(key).min().alias(f"min_{key}") for key in keys),
            *(pl.col(key).max().alias(f"max_{key}") for key in keys),
        )
        .collect()
        .row(0, named=True)
    )
    if not bounds["rows"] or bounds["nulls"] or bounds["backwards"] or idle < 0:
        return None
    # Room for a time plus the gap: a key's first start is then above every end of the
    # keys before it, so it opens a span by itself.
    time_bits = (bounds["high"] - bounds["low"] + idle).bit_length()
    lows = [int(bounds[f"min_{key}"]) for key in keys]
    # Each key less its minimum is a digit of its range (mixed radix): a year of 20,000
    # users and 5 products then fits where powers of two would need 63 bits.
    radices = [int(bounds[f"max_{key}"] - bounds[f"min_{key}"]) + 1 for key in keys]
    if math.prod(radices) << time_bits <= 1 << PACKED_BITS:
        return _packed_merge(
            spans, keys, radices, lows, time_bits, bounds["low"], idle, not bounds["lasting"]
        )
    # Too wide: number the distinct keys in their order, and pack that number.
    numbered = spans.select(keys).unique().sort(keys).collect().with_row_index("key")
    if numbered.height << time_bits > 1 << PACKED_BITS:
        return None
    dense = spans.join(numbered.lazy(), on=list(keys)).select("key", "start", "stop")
    merged = _packed_merge(
        dense,
        ["key"],
        [numbered.height],
        [0],
        time_bits,
        bounds["low"],
        idle,
        not bounds["lasting"],
    )
    return merged.select(
        *(pl.lit(numbered[name]).gather(pl.col("key")).alias(name) for name in keys),
        "start",
        "end",
    )


def _packed_merge(
    spans: pl.LazyFrame,
    keys: Sequence[str],
    radices: Sequence[int],
    lows: Sequence[int],
    time_bits: int,
    low: int,
    idle: int,
    points: bool = False,
) -> pl.DataFrame:
    """``merged_spans`` of spans whose keys less ``lows`` are below ``radices``, with the
    time less ``low`` (plus ``idle``) in ``time_bits``.

    Starts and ends (plus the gap) are sorted apart: a merged span ends before the k-th
    start exactly when k ends are below it (every span ending before a start began before
    it), and its end is then the k-th smallest. ``points``: every stop is its start (events
    without ``end``), so the ends sorted are the starts sorted plus the gap: one sort.
    """
    key = pl.lit(0, pl.Int64)
    for name, radix, least in zip(keys, radices, lows, strict=True):
        key = key * radix + (pl.col(name).cast(pl.Int64) - least)
    key = key * 2**time_bits
    start, stop = pl.col("start").dt.epoch("us"), pl.col("stop").dt.epoch("us")
    # The two sorts run in parallel, each on one integer column.
    if points:
        ordered = (
            spans.select(start=(key + start - low).sort())
            .with_columns(end=pl.col("start") + idle)
            .collect()
        )
    else:
        ordered = spans.select(
            start=(key + start - low).sort(), end=(key + stop - low + idle).sort()
        ).collect()
    new_span = (pl.col("end").shift(1) < pl.col("start")).fill_null(True)
    marked = ordered.with_columns(new_span=new_span)
    # A merged span ends with the largest end of its spans: at the row before the next start.
    last_row = pl.col("new_span").shift(-1, fill_value=True)
    starts = marked.filter(pl.col("new_span")).select("start")
    ends = marked.filter(last_row).select(end=pl.col("end") - idle)
    packed_key = pl.col("start") // 2**time_bits
    columns: dict[str, pl.Expr] = {}
    below = 1  # the product of the radices of the keys after this one
    for name, radix, least in reversed(list(zip(keys, radices, lows, strict=True))):
        code = packed_key // below % radix + least
        columns[name] = code.cast(pl.UInt32)
        below *= radix
    return pl.concat([starts, ends], how="horizontal").select(
        *(columns[name].alias(name) for name in keys),
        start=(pl.col("start") % 2**time_bits + low).cast(INSTANT),
        end=(pl.col("end") % 2**time_bits + low).cast(INSTANT),
    )


def _sorted_merge(spans: pl.DataFrame, keys: Sequence[str], gap: timedelta) -> pl.DataFrame:
    """``merged_spans`` by a sort on the keys and start: any codes, any times."""
    ordered = spans.sort(*keys, "start")
    new_key = pl.any_horizontal(pl.col(key) != pl.col(key).shift(1) for key in keys)
    # The largest end of the key's spans so far: a gap is measured from it.
    marked = ordered.with_columns(new_key=new_key.fill_null(True)).with_columns(
        latest_end=pl.col("stop").cum_max().over(pl.col("new_key").cum_sum())
    )
    new_span = pl.col("new_key") | (pl.col("start") > pl.col("latest_end").shift(1) + gap)
    marked = marked.with_columns(new_span=new_span)
    last_row = pl.col("new_span").shift(-1, fill_value=True)
    starts = marked.filter(pl.col("new_span")).select(*keys, "start")
    ends = marked.filter(last_row).select(end="latest_end")
    return pl.concat([starts, ends], how="horizontal")
