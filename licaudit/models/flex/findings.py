"""Waste and compliance findings of a flex contract (issue 10, item 5; SPEC 3.7 detail tables).

Each finding names a user (and a product, when it is about one), says why in ``evidence``
and gives the ``tokens`` at stake (null when it is about compliance, or only informs):

- ``plugin-at-startup``: a plug-in charged within a minute of its host's charge on most
  (more than half) of the days its host was charged: the plug-in opens with its host,
  and the Autodesk Flex FAQ advises configuring plug-ins not to open at start-up.
- ``device-overlap``: one product used on two devices at overlapping times (the FAQ:
  "exécuter ce produit sur un seul appareil à la fois").
- ``too-many-devices``: one product on more than three devices over the range (the FAQ:
  "installer ce produit sur un maximum de trois appareils").
- ``named-user-cheaper``: a user whose tokens cost more than a named-user subscription
  for the range's days, when the contract gives both prices.
- ``occasional-user``: a user charged on three days or fewer: Flex suits them.

Everything is over the report range: charges with ``window_start`` on one of its days,
events whose ``ts`` is on one of its days.
"""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from licaudit.ingest.encode import CODE, Names
from licaudit.models.flex.devices import (
    DEVICE_CODE,
    Packing,
    chained_spans,
    device_names,
    device_usage,
    devices_of_keys,
)
from licaudit.models.flex.options import FlexOptions
from licaudit.models.flex.stretches import merge_spans
from licaudit.periods import Calendar

FINDINGS_SCHEMA = pl.Schema(
    {
        "finding": pl.String(),
        "user": CODE,
        "product": CODE,
        "evidence": pl.String(),
        "tokens": pl.Int64(),
    }
)
FINDINGS = (
    "plugin-at-startup",
    "device-overlap",
    "too-many-devices",
    "named-user-cheaper",
    "occasional-user",
)
# A plug-in opened with its host is charged within this lag of the host's charge.
STARTUP_LAG = timedelta(minutes=1)
MAX_DEVICES = 3  # the FAQ: "sur un maximum de trois appareils"
FEW_DAYS = 3  # at most this many charged days: an occasional user
CENT = Decimal("0.01")
DAYS_PER_YEAR = 365
MONEY = pl.Decimal(38, 2)
INSTANT = pl.Datetime("us", "UTC")


def _local_text(instant: pl.Expr, timezone: str, form: str) -> pl.Expr:
    return instant.dt.convert_time_zone(timezone).dt.strftime(form)


def _amount(money: Decimal) -> str:
    """An amount as written in the evidence: cents at least (``3.00``), more when given."""
    return f"{money:.2f}" if money == money.quantize(CENT) else str(money.normalize())


def charged_in_range(charges: pl.DataFrame, calendar: Calendar) -> pl.DataFrame:
    """The charges billed (status charged) with ``day``, the local day of ``window_start``,
    in the calendar."""
    return (
        charges.filter(pl.col("status") == "charged")
        .with_columns(day=calendar.day_of(pl.col("window_start")))
        .filter(pl.col("day").is_not_null())
        .select("user", "product", "window_start", "tokens", "day")
    )


def plugin_pairs(options: FlexOptions, names: Names) -> pl.DataFrame:
    """``plugin``, ``host`` (codes), ``plugin_name``, ``host_name`` of the products used."""
    products = names.products
    return (
        pl.DataFrame(
            list(options.plugin_hosts),
            schema={"plugin_name": pl.String(), "host_name": pl.String()},
            orient="row",
        )
        .join(products.rename({"code": "plugin", "name": "plugin_name"}), on="plugin_name")
        .join(products.rename({"code": "host", "name": "host_name"}), on="host_name")
    )


def plugins_at_startup(charged: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Plug-ins charged within a minute of their host on more than half of the host's days.

    The days counted are the local days of the plug-in's charges that have a host
    charge of the same user within ``STARTUP_LAG`` (either side); the tokens at stake
    are the plug-in's on those days.
    """
    key = ["user", "plugin", "host"]
    host = charged.join(pairs, left_on="product", right_on="host").select(
        "user", "plugin", host=pl.col("product"), host_start="window_start", host_day="day"
    )
    host_days = host.group_by(key).agg(host_days=pl.col("host_day").n_unique())
    plugin = charged.join(pairs, left_on="product", right_on="plugin").select(
        "user",
        "host",
        "plugin_name",
        "host_name",
        "window_start",
        "tokens",
        "day",
        plugin=pl.col("product"),
    )
    matched = plugin.sort("window_start").join_asof(
        host.select(*key, "host_start").sort("host_start"),
        left_on="window_start",
        right_on="host_start",
        by=key,
        strategy="nearest",
        tolerance=STARTUP_LAG,
        check_sortedness=False,
    )
    at_start = pl.col("host_start").is_not_null()
    on_start_day = at_start.any().over(*key, "day")
    return (
        matched.with_columns(on_start_day=on_start_day)
        .group_by(key)
        .agg(
            pl.col("plugin_name", "host_name").first(),
            start_days=pl.col("day").filter(at_start).n_unique(),
            first=pl.col("day").filter(at_start).min(),
            last=pl.col("day").filter(at_start).max(),
            tokens=pl.col("tokens").filter(pl.col("on_start_day")).sum(),
        )
        .join(host_days, on=key)
        .filter(pl.col("start_days") * 2 > pl.col("host_days"))
        .select(
            "user",
            product="plugin",
            tokens="tokens",
            evidence=pl.format(
                "{} charged within a minute of {} on {} of the {} days {} was charged "
                "({} to {}): it opens at start-up; configure it not to open with its host",
                "plugin_name",
                "host_name",
                "start_days",
                "host_days",
                "host_name",
                "first",
                "last",
            ),
            finding=pl.lit("plugin-at-startup"),
        )
    )


def sorted_by(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """``frame`` sorted by integer or Datetime ``columns`` (no nulls).

    When their ranges fit in 126 bits, through one Int64 or Int128 key packing them (each
    less its minimum): polars sorts one column of ten million rows three times faster than
    four.
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
    # Each column less its minimum is a digit of its range (mixed radix): fewer bits than
    # powers of two (a year of 20,000 users and 5 products in an Int64, not an Int128).
    radices = [int(high - low) + 1 for low, high in zip(lows, highs, strict=True)]
    if math.prod(radices) > 2**126:
        return frame.sort(*columns)
    # Int64 when it fits: polars sorts it twice as fast as Int128.
    dtype = pl.Int64 if math.prod(radices) <= 2**62 else pl.Int128
    key = pl.lit(0, dtype)
    for value, low, radix in zip(values, lows, radices, strict=True):
        key = key * pl.lit(radix, dtype) + (value.cast(dtype) - low)
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

    Only the spans chained to another span of their key (``chained_spans``), in keys used
    on two devices or more, are merged into device blocks and swept: the others can
    neither merge nor overlap (most keys have one device, and most point events touch no
    other).
    """
    usage = device_usage(events)
    if not usage.height:
        return pl.DataFrame(schema=FINDINGS_SCHEMA)
    packing = Packing.of(usage)
    pairs = devices_of_keys(usage, packing)
    per_key = pairs.group_by("user", "product").agg(count=pl.len())
    # Only keys used on two devices or more can overlap. When they are the fewer (as in
    # most logs), the others' rows are left out before the sort; else only after it.
    shared = per_key.filter(pl.col("count") > 1).select(key=packing.key())["key"]
    in_shared = packing.key().is_in(shared.implode())
    if 2 * shared.len() < per_key.height:
        usage = usage.lazy().filter(in_shared).collect()
    chained = chained_spans(usage, packing)
    if shared.len() < per_key.height:
        chained = chained.filter(in_shared)
    chained = chained.with_columns(device_code=DEVICE_CODE)
    found = device_overlaps(device_blocks(chained), calendar)
    many = (
        pairs.join(
            per_key.filter(pl.col("count") > MAX_DEVICES), on=["user", "product"], how="semi"
        )
        .group_by("user", "product")
        .agg(devices=pl.col("device_code"))
    )
    return described(found, many, device_names(usage), calendar)


def described(
    overlaps: pl.DataFrame, many: pl.DataFrame, names: pl.DataFrame, calendar: Calendar
) -> pl.DataFrame:
    """The findings as ``FINDINGS_SCHEMA`` rows, their devices named by ``names``
    (``device_code``, ``device``): ``overlaps`` as ``device_overlaps`` gives them, ``many``
    the keys (``user``, ``product``) used on more than ``MAX_DEVICES`` ``devices`` (codes)."""
    overlaps = with_device_names(overlaps, names).select(
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


def named_user_cheaper(
    charged: pl.DataFrame, days: int, named_user_price: Decimal, token_price: Decimal
) -> pl.DataFrame:
    """Users whose tokens cost more than a named-user subscription over ``days`` days.

    ``tokens × token_price > named_user_price × days / 365``, compared exactly (both
    sides times 365); amounts shown rounded half-up to cents, the saving being their
    difference.
    """
    subscription = (named_user_price * days / DAYS_PER_YEAR).quantize(CENT, ROUND_HALF_UP)
    cost = pl.col("tokens").cast(pl.Decimal(38, 0)) * pl.lit(token_price)
    return (
        charged.group_by("user")
        .agg(pl.col("tokens").sum())
        .filter(cost * pl.lit(Decimal(DAYS_PER_YEAR)) > pl.lit(named_user_price * days))
        .with_columns(cost=cost.round(2, mode="half_away_from_zero").cast(MONEY))
        .with_columns(saving=pl.col("cost") - pl.lit(subscription).cast(MONEY))
        .select(
            "user",
            product=pl.lit(None, CODE),
            tokens="tokens",
            evidence=pl.format(
                f"{{}} tokens cost {{}} at {_amount(token_price)} a token; a named-user "
                f"subscription at {_amount(named_user_price)} a year costs {subscription} for "
                f"these {days} days: {{}} less",
                "tokens",
                pl.col("cost").cast(pl.String),
                pl.col("saving").cast(pl.String),
            ),
            finding=pl.lit("named-user-cheaper"),
        )
    )


def occasional_users(charged: pl.DataFrame) -> pl.DataFrame:
    """Users charged on ``FEW_DAYS`` days or fewer: candidates to stay on Flex."""
    return (
        charged.group_by("user")
        .agg(days=pl.col("day").unique().sort(), tokens=pl.col("tokens").sum())
        .filter(pl.col("days").list.len() <= FEW_DAYS)
        .select(
            "user",
            product=pl.lit(None, CODE),
            tokens=pl.lit(None, pl.Int64),
            evidence=pl.format(
                "charged on {} day(s) ({}) for {} tokens: occasional use, which Flex suits",
                pl.col("days").list.len(),
                pl.col("days").cast(pl.List(pl.String)).list.join(", "),
                "tokens",
            ),
            finding=pl.lit("occasional-user"),
        )
    )


def findings_table(
    devices: pl.DataFrame,
    charges: pl.DataFrame,
    calendar: Calendar,
    options: FlexOptions,
    names: Names,
) -> pl.DataFrame:
    """The findings table (``FINDINGS_SCHEMA``): by finding, most tokens first, then user
    and product.

    ``devices``: the device findings, as ``device_findings`` gives them; ``charges``: every
    charge as the model decided it (charged and denied).
    """
    charged = charged_in_range(charges, calendar)
    found = [
        plugins_at_startup(charged, plugin_pairs(options, names)),
        devices,
        occasional_users(charged),
    ]
    if options.named_user_price is not None and options.token_price is not None:
        found.append(
            named_user_cheaper(
                charged, calendar.days.height, options.named_user_price, options.token_price
            )
        )
    rank = pl.col("finding").replace_strict(FINDINGS, range(len(FINDINGS)))
    table = pl.concat(
        [frame.select(list(FINDINGS_SCHEMA)).cast(FINDINGS_SCHEMA) for frame in found]
    )
    return table.sort(
        rank, "tokens", "user", "product", descending=[False, True, False, False], nulls_last=True
    )
