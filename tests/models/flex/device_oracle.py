"""The device findings as they were computed before the chained-spans filter (commit
b2e822a), kept as an oracle: every device's use merged into blocks and swept, key by key.

Copied unchanged but for this docstring (the findings' schema and device limit are
imported); the property tests compare ``licaudit.models.flex.findings.device_findings``
with ``device_findings`` here.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from licaudit.models.flex.findings import FINDINGS_SCHEMA, MAX_DEVICES
from licaudit.models.flex.stretches import merge_spans
from licaudit.periods import Calendar

INSTANT = pl.Datetime("us", "UTC")


def _local_text(instant: pl.Expr, timezone: str, form: str) -> pl.Expr:
    return instant.dt.convert_time_zone(timezone).dt.strftime(form)


def device_usage(events: pl.LazyFrame) -> pl.DataFrame:
    """The named users' use of each device in the range: ``user``, ``product``, ``device``
    (and ``device_code``, an integer to sort and group on), ``start``, ``stop``; a point
    is the microsecond at its ``ts``, so that it can overlap."""
    return (
        events.filter(
            ~pl.col("anonymous")
            & pl.col("user").is_not_null()
            & pl.col("device").is_not_null()
            & pl.col("day").is_not_null()
        )
        .select(
            "user",
            "product",
            "device",
            device_code=pl.col("device").cast(pl.Categorical).to_physical(),
            start="ts",
            stop=pl.max_horizontal(
                pl.coalesce("end", "ts"), pl.col("ts") + pl.duration(microseconds=1)
            ),
        )
        .collect()
    )


def sorted_by(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """``frame`` sorted by integer or Datetime ``columns`` (no nulls).

    When their ranges fit in 126 bits, through one Int128 key packing them (each less its
    minimum): polars sorts one column of ten million rows three times faster than four.
    """
    values = [
        pl.col(name).dt.epoch("us") if frame.schema[name].is_temporal() else pl.col(name)
        for name in columns
    ]
    if not frame.height:
        return frame
    bounds = frame.select(
        *(value.min().alias(f"low{i}") for i, value in enumerate(values)),
        *(value.max().alias(f"high{i}") for i, value in enumerate(values)),
    ).row(0)
    lows, highs = bounds[: len(values)], bounds[len(values) :]
    widths = [int(high - low).bit_length() for low, high in zip(lows, highs, strict=True)]
    if sum(widths) > 126:
        return frame.sort(*columns)
    # Int64 when it fits: polars sorts it twice as fast as Int128.
    dtype = pl.Int64 if sum(widths) <= 62 else pl.Int128
    key = pl.lit(0, dtype)
    for value, low, width in zip(values, lows, widths, strict=True):
        key = key * pl.lit(2**width, dtype) + (value.cast(dtype) - low)
    return frame.sort(key)


def _new_run(*columns: str) -> pl.Expr:
    changed = [pl.col(column) != pl.col(column).shift(1) for column in columns]
    return pl.any_horizontal(changed).fill_null(True)


def _running_max_within(frame: pl.DataFrame, instant: str, segment: str) -> pl.Expr:
    """The running maximum of a Datetime column of ``frame`` within each segment,
    ``segment`` being a non-decreasing integer column: every segment's values are lifted
    above the earlier segments' (segment × span), so that one running maximum over the
    frame never crosses a segment. Ten times faster than ``cum_max().over(segment)`` on
    many small segments; in Int64 when segments × span fit (twice as fast), else Int128."""
    micros = pl.col(instant).dt.epoch("us")
    origin, high, last = frame.select(
        micros.min().alias("low"), micros.max().alias("high"), pl.col(segment).max()
    ).row(0)
    if origin is None:
        return pl.col(instant)
    width = high - origin + 1
    dtype = pl.Int64 if (last + 1) * width < 2**62 else pl.Int128
    lift = pl.col(segment).cast(dtype) * pl.lit(width, dtype)
    running: pl.Expr = (lift + (micros - origin).cast(dtype)).cum_max() - lift + origin
    return running.cast(pl.Int64).cast(INSTANT)


def device_blocks(usage: pl.DataFrame) -> pl.DataFrame:
    """Each device's use merged where it overlaps or touches (one device at a time is
    allowed): ``user``, ``product``, ``device_code``, ``start``, ``stop``, the blocks of
    one device never overlapping."""
    key = ("user", "product", "device_code")
    spans = usage.lazy().select(*key, "start", "stop")
    return merge_spans(spans, key, timedelta(0)).rename({"end": "stop"})


def device_overlaps(blocks: pl.DataFrame, calendar: Calendar) -> pl.DataFrame:
    """Users running one product on two devices at overlapping times (half-open spans):
    ``user``, ``product``, ``times``, ``days``, ``first`` (instant), ``devices`` (codes).

    ``blocks``: as ``device_blocks`` gives them."""
    ordered = sorted_by(blocks, "user", "product", "start").with_columns(
        segment=_new_run("user", "product").cum_sum()
    )
    ordered = ordered.with_columns(running=_running_max_within(ordered, "stop", "segment"))
    # A block starting before the furthest reach of the key's earlier blocks overlaps the
    # block that reaches it, of another device (one device's blocks never overlap).
    reach = pl.when(_new_run("segment")).then(None).otherwise(pl.col("running").shift(1))
    reaching = pl.col("stop") == pl.col("running")
    holder = pl.when(reaching).then(pl.col("device_code")).forward_fill().shift(1)
    return (
        ordered.with_columns(reach=reach, holder=holder)
        .filter(pl.col("start") < pl.col("reach"))
        .group_by("user", "product")
        .agg(
            times=pl.len(),
            days=calendar.day_of(pl.col("start")).n_unique(),
            first=pl.col("start").min(),
            devices=pl.col("holder").append(pl.col("device_code")).unique(),
        )
    )


def with_device_names(found: pl.DataFrame, names: pl.DataFrame) -> pl.DataFrame:
    """``found`` with its ``devices`` codes replaced by their ``names`` (``device_code``,
    ``device``), sorted and joined by commas, and ``count``, how many they are."""
    listed = found.select("user", "product", device_code=pl.col("devices")).explode("device_code")
    named = (
        listed.join(names, on="device_code")
        .group_by("user", "product")
        .agg(count=pl.len(), devices=pl.col("device").sort().str.join(", "))
    )
    return found.drop("devices").join(named, on=["user", "product"])


def device_findings(events: pl.LazyFrame, calendar: Calendar) -> pl.DataFrame:
    """The ``device-overlap`` and ``too-many-devices`` findings of the named users in
    ``events`` (``FINDINGS_SCHEMA``, unsorted): each about one user and product, so those of
    parts of the events by user concatenate to those of all of them.

    Only the keys used on two devices or more can overlap: their device use alone is merged
    into blocks and swept (the sorts cost the most here, and most keys have one device).
    """
    usage = device_usage(events)
    names = usage.group_by("device_code").agg(pl.col("device").first())
    per_key = (
        usage.select("user", "product", "device_code")
        .unique()
        .group_by("user", "product")
        .agg(devices=pl.col("device_code"))
    )
    shared = per_key.filter(pl.col("devices").list.len() > 1).select("user", "product")
    if shared.height < per_key.height:
        usage = usage.join(shared, on=["user", "product"], how="semi")
    blocks = device_blocks(usage)
    many = per_key.filter(pl.col("devices").list.len() > MAX_DEVICES)
    overlaps = with_device_names(device_overlaps(blocks, calendar), names).select(
        "user",
        "product",
        tokens=pl.lit(None, pl.Int64),
        evidence=pl.format(
            "used on two devices at overlapping times {} time(s) on {} day(s), first on {} "
            "(devices {}): the licence allows one device at a time",
            "times",
            "days",
            _local_text(pl.col("first"), calendar.timezone, "%Y-%m-%d at %H:%M"),
            "devices",
        ),
        finding=pl.lit("device-overlap"),
    )
    many = with_device_names(many, names).select(
        "user",
        "product",
        tokens=pl.lit(None, pl.Int64),
        evidence=pl.format(
            "{} devices over the range ({}): the licence allows installing on {}",
            "count",
            "devices",
            pl.lit(MAX_DEVICES),
        ),
        finding=pl.lit("too-many-devices"),
    )
    return pl.concat(
        [frame.select(list(FINDINGS_SCHEMA)).cast(FINDINGS_SCHEMA) for frame in (overlaps, many)]
    )
