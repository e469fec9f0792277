"""The named users' use of devices, as the device findings read it (SPEC 3.7 detail
tables), and the rows of it worth sweeping for overlaps.

Keys (user, product) are packed with a device code or an instant into one integer, as
``stretches`` packs its keys: polars sorts and deduplicates one integer column several times
faster than several columns. A span that neither overlaps nor touches another span of its
key, directly or through others (most point events), can neither merge nor overlap:
``chained_spans`` leaves it out before the device blocks are merged and swept
(``findings.device_findings``).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from licaudit.ingest.encode import CODE
from licaudit.models.flex.stretches import PACKED_BITS


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
            # One pass; an Enum of the sorted names would need a pass to find them first
            # (0.5 against 0.8 s of CPU on 9.4 M rows, polars 2.1).
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
        bounds = (
            usage.lazy()
            .select(
                user_low=pl.col("user").min(),
                user_high=pl.col("user").max(),
                product_low=pl.col("product").min(),
                product_high=pl.col("product").max(),
                device_high=DEVICE_CODE.max(),
                origin=start.min(),
                high=stop.max(),
                points=(stop - start == 1).all(),
            )
            .collect()
            .row(0, named=True)
        )
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
    pair = usage.lazy().select(pair=packing.with_device().unique(maintain_order=True)).collect()
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
    # Lazily: an eager select of these expressions costs half as much again (polars 2.1).
    packed_start = usage.lazy().select(packing.with_time("start")).collect().to_series()
    starts = packed_start.sort()
    if packing.points:
        stops = starts + 1
    else:
        stops = usage.lazy().select(packing.with_time("stop").sort()).collect().to_series()
    # A chain starts at a span when the spans before it all stop before it.
    starts_chain = (pl.col("stop").shift(1) < pl.col("start")).fill_null(True)
    alone = starts_chain & starts_chain.shift(-1, fill_value=True)
    ordered = pl.DataFrame({"start": starts, "stop": stops}).with_columns(alone=alone)
    # A span alone is the only one at its start: rows are looked up in the smaller set.
    lone = ordered.filter("alone")["start"]
    if lone.len() * 2 <= ordered.height:
        return usage.filter(~packed_start.is_in(lone.implode()))
    return usage.filter(packed_start.is_in(ordered.filter(~pl.col("alone"))["start"].implode()))


def device_names(usage: pl.DataFrame) -> pl.DataFrame:
    """``device_code``, ``device`` (its name) of the devices of ``usage``."""
    # Keeping the order costs a fifth of not keeping it, in polars 2.1.
    devices = usage.select(pl.col("device").unique(maintain_order=True))
    return devices.select(device_code=DEVICE_CODE, device=pl.col("device").cast(pl.String))
