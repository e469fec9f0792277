"""Usage stretches of each key (user, product) (SPEC 3.7, rule 1).

"A key's events (points, or ``[ts, end]`` spans) whose gaps are at most
``idle_timeout`` merge into usage stretches ``[s, e]`` (the gap is the next start
minus the largest end so far; overlaps merge)." Devices and versions do not split a
key. Built with one sort on (user, product, start) and a running maximum of ends.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

KEY = ("user", "product")


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
    ordered = usage.select(*KEY, "start", "stop").sort(*KEY, "start").collect()
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
    # A stretch ends with the latest end of its last row: the row before the next start.
    last_row = pl.col("new_stretch").shift(-1, fill_value=True)
    starts = marked.filter(pl.col("new_stretch")).select(*KEY, "start")
    ends = marked.filter(last_row).select(end="latest_end")
    return pl.concat([starts, ends], how="horizontal")
