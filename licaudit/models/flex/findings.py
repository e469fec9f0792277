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

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from licaudit.ingest.encode import CODE, Names
from licaudit.models.flex.options import FlexOptions
from licaudit.models.flex.stretches import PACKED_BITS, merge_spans
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


def device_usage(events: pl.LazyFrame) -> pl.DataFrame:
    """The named users' use of each device in the range: ``user``, ``product``, ``device``
    (Categorical: its physical code is an integer to sort and group on), ``start``,
    ``stop``; a point is the microsecond at its ``ts``, so that it can overlap."""
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
            device=pl.col("device").cast(pl.Categorical),
            start="ts",
            stop=pl.max_horizontal(
                pl.coalesce("end", "ts"), pl.col("ts") + pl.duration(microseconds=1)
            ),
        )
        .collect()
    )


DEVICE_CODE = pl.col("device").to_physical()


@dataclass(frozen=True)
class Packing:
    """Keys (user, product) of device usage, with a device or an instant, as one integer.

    ``key``: each code less its minimum, the product in the low ``product_bits``, in
    ``key_bits`` in all; ``device_bits``, the width of the device codes; an instant is the
    microseconds since ``origin``, below ``2**time_bits``. ``points``: every stop is the
    microsecond after its start (events without ``end``).
    """

    user_low: int
    product_low: int
    product_bits: int
    key_bits: int
    device_bits: int
    origin: int
    time_bits: int
    points: bool

    @classmethod
    def of(cls, usage: pl.DataFrame) -> Packing:
        """The packing of ``usage`` (as ``device_usage`` gives it, at least one row)."""
        start, stop = pl.col("start").dt.epoch("us"), pl.col("stop").dt.epoch("us")
        bounds = usage.select(
            user_low=pl.col("user").min(),
            user_high=pl.col("user").max(),
            product_low=pl.col("product").min(),
            product_high=pl.col("product").max(),
            device_high=DEVICE_CODE.max(),
            origin=start.min(),
            high=stop.max(),
            points=(stop - start == 1).all(),
        ).row(0, named=True)
        user_bits = int(bounds["user_high"] - bounds["user_low"]).bit_length()
        product_bits = int(bounds["product_high"] - bounds["product_low"]).bit_length()
        return cls(
            user_low=bounds["user_low"],
            product_low=bounds["product_low"],
            product_bits=product_bits,
            key_bits=user_bits + product_bits,
            device_bits=int(bounds["device_high"]).bit_length(),
            origin=bounds["origin"],
            time_bits=int(bounds["high"] - bounds["origin"]).bit_length(),
            points=bounds["points"],
        )

    def key(self) -> pl.Expr:
        user = pl.col("user").cast(pl.Int64) - self.user_low
        return user * (1 << self.product_bits) + (
            pl.col("product").cast(pl.Int64) - self.product_low
        )

    def with_device(self) -> pl.Expr:
        """The key, then the device code in the low ``device_bits``."""
        return self.key() * (1 << self.device_bits) + DEVICE_CODE

    def with_time(self, instant: str) -> pl.Expr:
        """The key, then the instant in the low ``time_bits``."""
        return self.key() * (1 << self.time_bits) + (pl.col(instant).dt.epoch("us") - self.origin)


def devices_of_keys(usage: pl.DataFrame, packing: Packing) -> pl.DataFrame:
    """The distinct (``user``, ``product``, ``device_code``) of ``usage``: through one packed
    integer when they fit in 62 bits (a ``unique`` of one column is several times faster
    than of three)."""
    if packing.key_bits + packing.device_bits > PACKED_BITS:
        return usage.select("user", "product", device_code=DEVICE_CODE).unique()
    # Keeping the order costs a quarter of not keeping it, in polars 2.1.
    pair = usage.select(pair=packing.with_device().unique(maintain_order=True))
    key = pl.col("pair") // (1 << packing.device_bits)
    return pair.select(
        user=(key // (1 << packing.product_bits) + packing.user_low).cast(CODE),
        product=(key % (1 << packing.product_bits) + packing.product_low).cast(CODE),
        device_code=(pl.col("pair") % (1 << packing.device_bits)).cast(CODE),
    )


def chained_spans(usage: pl.DataFrame, packing: Packing) -> pl.DataFrame:
    """The rows of ``usage`` whose span overlaps or touches another span of its key, or is
    chained to one through others: the only rows that can merge into a device block or
    overlap one.

    A key's spans, sorted by start, chain while each starts at or before the largest stop
    so far. A device block (its spans merged where they overlap or touch) lies within one
    chain, and so do two blocks that overlap: a chain of one span is a block overlapping
    nothing, and leaving its row out changes no finding. Starts and stops are sorted
    apart, each one integer (key, time), as ``stretches`` merges them: a chain ends before
    the k-th start when the k-th smallest stop is below it. Point events' stops need no
    sort of their own (each is its start plus one). All rows when key and time do not fit.
    """
    if packing.key_bits + packing.time_bits > PACKED_BITS:
        return usage
    packed_start = usage.select(packing.with_time("start"))
    starts = packed_start.to_series().sort()
    if packing.points:
        stops = starts + 1
    else:
        stops = usage.select(packing.with_time("stop")).to_series().sort()
    # A chain starts at a span when the spans before it all stop before it.
    starts_chain = (pl.col("stop").shift(1) < pl.col("start")).fill_null(True)
    alone = starts_chain
    chained = pl.DataFrame({"start": starts, "stop": stops}).filter(~alone)
    return usage.filter(packed_start.to_series().is_in(chained["start"].implode()))


def device_names(usage: pl.DataFrame) -> pl.DataFrame:
    """``device_code``, ``device`` (its name) of the devices of ``usage``."""
    # Keeping the order costs a tenth of not keeping it, in polars 2.1.
    devices = usage.select(pl.col("device").unique(maintain_order=True))
    return devices.select(device_code=DEVICE_CODE, device=pl.col("device").cast(pl.String))


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

    Only the keys used on two devices or more can overlap, and of those only the spans
    chained to another span of their key (``chained_spans``): these alone are merged into
    device blocks and swept (most keys have one device, and most point events touch no
    other). Devices are named only in the findings.
    """
    usage = device_usage(events)
    if not usage.height:
        return pl.DataFrame(schema=FINDINGS_SCHEMA)
    packing = Packing.of(usage)
    pairs = devices_of_keys(usage, packing)
    per_key = pairs.group_by("user", "product").agg(count=pl.len())
    shared = per_key.filter(pl.col("count") > 1).select(key=packing.key())["key"]
    if shared.len() < per_key.height:
        usage = usage.filter(packing.key().is_in(shared.implode()))
    chained = chained_spans(usage, packing).with_columns(device_code=DEVICE_CODE)
    found = device_overlaps(device_blocks(chained), calendar)
    many = (
        pairs.join(
            per_key.filter(pl.col("count") > MAX_DEVICES), on=["user", "product"], how="semi"
        )
        .group_by("user", "product")
        .agg(devices=pl.col("device_code"))
    )
    names = device_names(usage)
    overlaps = with_device_names(found, names).select(
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
