"""The device findings as they were computed before the chained-spans filter (commit
b2e822a), kept as an oracle: every device's use merged into blocks and swept, key by key.

The orchestration is the old one, unchanged: every row of a key used on two devices or more
goes through the blocks and the sweep. The blocks, the sweep and the naming are the
functions the findings still use (on the chained rows only), so the property tests compare
``licaudit.models.flex.findings.device_findings`` with ``device_findings`` here on what the
filter changed; the naive reference (``tests/reference/flex_ref.py``) checks the sweep.
"""

from __future__ import annotations

import polars as pl

from licaudit.models.flex.findings import (
    FINDINGS_SCHEMA,
    MAX_DEVICES,
    _local_text,
    device_blocks,
    device_overlaps,
    with_device_names,
)
from licaudit.periods import Calendar


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
