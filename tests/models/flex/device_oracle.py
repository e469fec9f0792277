"""The device findings as they were computed before the chained-spans filter (commit
b2e822a), kept as an oracle: every device's use merged into blocks and swept, key by key.

The orchestration is the old one, unchanged: every row of a key used on two devices or more
goes through the blocks and the sweep. The device use, the blocks, the sweep and the
wording are the functions the findings still use (on the chained rows only), so the
property tests compare
``licaudit.models.flex.findings.device_findings`` with ``device_findings`` here on what the
filter changed; the naive reference (``tests/reference/flex_ref.py``) checks the sweep.
"""

from __future__ import annotations

import polars as pl

from licaudit.models.flex.devices import DEVICE_CODE, device_names, device_usage
from licaudit.models.flex.findings import (
    MAX_DEVICES,
    described,
    device_blocks,
    device_overlaps,
)
from licaudit.periods import Calendar


def device_findings(events: pl.LazyFrame, calendar: Calendar) -> pl.DataFrame:
    """The ``device-overlap`` and ``too-many-devices`` findings of the named users in
    ``events`` (``FINDINGS_SCHEMA``, unsorted): each about one user and product, so those of
    parts of the events by user concatenate to those of all of them.

    Only the keys used on two devices or more can overlap: their device use alone is merged
    into blocks and swept (the sorts cost the most here, and most keys have one device).
    """
    usage = device_usage(events).with_columns(device_code=DEVICE_CODE)
    names = device_names(usage)
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
    return described(device_overlaps(blocks, calendar), many, names, calendar)
