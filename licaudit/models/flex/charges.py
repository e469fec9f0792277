"""Charges of 24-hour windows over each key's stretches (SPEC 3.7, rule 2).

"Walking a key's stretches in order with ``window_end`` starting at −∞: usage before
``window_end`` is covered; uncovered usage starting at ``t`` (the stretch start, or
``window_end`` if the stretch runs past it) is charged when it lasts more than
``grace`` before the stretch ends." Within one stretch the charges are arithmetic:
from ``t``, one every ``window`` while ``e - t > grace``, so their number is
``ceil((e - grace - t) / window)``. Only ``window_end`` carries from one stretch to
the next, and only long stretches (``e - s > grace``) move it. A window opened in a
long stretch ends before ``e - grace + window``, so a long stretch starting at least
``window - grace`` after the previous one's end starts afresh: the key's long
stretches fall into runs, each starting afresh. The walk goes rank by rank (every
run's first stretch, then every run's second...), each step vectorized over the runs,
so it loops as many times as the longest run has stretches, never per event or per key.

Without packs no charge can be denied and these charges are final; with packs the
ledger decides (``ledger.py``).
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

INSTANT = pl.Datetime("us", "UTC")
# window_end before a key's first charge: far before any instant (−∞ of the SPEC).
NEVER = -(2**62)
# Bits a packed integer may use: one fewer than Int64's, so that sums stay positive.
PACKED_BITS = 62
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


def new_key() -> pl.Expr:
    """Whether a row's key (user, product) differs from the previous row's."""
    return (
        (pl.col("user") != pl.col("user").shift(1))
        | (pl.col("product") != pl.col("product").shift(1))
    ).fill_null(True)


def long_stretches(stretches: pl.DataFrame, width: int, free: int) -> pl.DataFrame:
    """The long stretches (``e - s > grace``), the only ones that charge or move a window,
    in order: ``user``, ``product``, ``start``, ``end`` (µs), ``run`` (starts afresh)."""
    long = stretches.select(
        "user", "product", start=pl.col("start").dt.epoch("us"), end=pl.col("end").dt.epoch("us")
    ).filter(pl.col("end") - pl.col("start") > free)
    return long.select(
        "user",
        "product",
        "start",
        "end",
        run=new_key() | (pl.col("start") - pl.col("end").shift(1) >= width - free),
    )


def walk_runs(long: pl.DataFrame, width: int, free: int) -> pl.DataFrame:
    """``row`` (of ``long``), ``first_charge`` (µs) and ``charges`` of every long stretch,
    rank by rank: every run's first stretch, then every run's second...

    Runs go by descending length, so the runs having a stretch of rank r are the first
    n_r of them and each step works on a prefix of the previous step's windows. The
    stretches are put in that order once, by a permutation computed from the run
    starts, and each step reads one contiguous slice of them.
    """
    run_starts = long.select(pl.arg_where(pl.col("run")).cast(pl.Int64))["run"]
    bounds = pl.concat([run_starts, pl.Series([long.height], dtype=pl.Int64)])
    lengths = bounds.diff().drop_nulls()
    # Runs of one length stay in their order, so that each step reads rows in order.
    runs = pl.DataFrame({"first": run_starts, "length": lengths}).sort(
        "length", descending=True, maintain_order=True
    )
    firsts, lengths = runs["first"], runs["length"]
    longest: int = lengths[0] if len(lengths) else 0
    ranks = pl.int_range(longest, eager=True, dtype=pl.Int64)
    active = (len(lengths) - lengths.reverse().search_sorted(ranks, side="right")).to_list()
    rows = pl.concat(
        [firsts.slice(0, size) + rank for rank, size in enumerate(active)]
        or [pl.Series([], dtype=pl.Int64)]
    )
    # The last instant a charge may start in: it must leave more than grace before e.
    ordered = long.select(
        start=pl.col("start").gather(rows), last=pl.col("end").gather(rows) - free + width - 1
    )
    starts, lasts = ordered["start"], ordered["last"]
    window_end = pl.repeat(NEVER, active[0] if active else 0, dtype=pl.Int64, eager=True)
    firsts_charged: list[pl.Series] = []
    offset = 0
    for size in active:
        start, covered_until = starts.slice(offset, size), window_end.slice(0, size)
        first = start.zip_with(start >= covered_until, covered_until)
        # A long stretch that charges nothing is covered: its first is window_end, kept.
        window_end = first + ((lasts.slice(offset, size) - first) // width).clip(0) * width
        firsts_charged.append(first)
        offset += size
    first = pl.concat(firsts_charged or [pl.Series([], dtype=pl.Int64)])
    return pl.DataFrame({"row": rows, "first_charge": first}).with_columns(
        charges=((lasts - pl.col("first_charge")) // width).clip(0)
    )


def charge_counts(stretches: pl.DataFrame, window: timedelta, grace: timedelta) -> pl.DataFrame:
    """Each stretch with ``first_charge`` (µs since the epoch) and ``charges`` (count ≥ 0).

    ``stretches`` is sorted by key, then start (as ``stretches.stretches`` gives it), and
    so are the rows returned.
    """
    width, free = micros(window), micros(grace)
    long = long_stretches(stretches, width, free)
    walked = walk_runs(long, width, free)
    start, end = pl.col("start").dt.epoch("us"), pl.col("end").dt.epoch("us")
    is_long = stretches.select(end - start > free).to_series()
    # window_end after each long stretch, at its place among all stretches.
    after = pl.repeat(None, stretches.height, dtype=pl.Int64, eager=True)
    if walked.height:
        ends = walked["first_charge"] + walked["charges"] * width
        after.scatter(is_long.arg_true().gather(walked["row"]), ends)
    # window_end before a stretch is the one after the key's last long stretch before it.
    key = pl.col("user").cast(pl.Int64) * 2**32 + pl.col("product").cast(pl.Int64)
    covered_until = (
        pl.when(pl.when(pl.lit(is_long)).then(key).shift(1).forward_fill() == key)
        .then(pl.lit(after).shift(1).forward_fill())
        .otherwise(pl.lit(NEVER, pl.Int64))
    )
    first = pl.max_horizontal(start, covered_until)
    return stretches.with_columns(first_charge=first).with_columns(
        charges=((end - free - pl.col("first_charge") + width - 1) // width).clip(lower_bound=0)
    )


def optimistic_charges(
    stretches: pl.DataFrame, rates: pl.DataFrame, window: timedelta, grace: timedelta
) -> pl.DataFrame:
    """Every charge as if none were denied, in ledger order (window_start, user, product).

    ``rates``: ``product`` (code), ``tokens_per_day``.
    """
    width, free = micros(window), micros(grace)
    long = long_stretches(stretches, width, free)
    walked = walk_runs(long, width, free).filter(pl.col("charges") > 0)
    counted = walked.select(
        user=long["user"].gather(walked["row"]),
        product=long["product"].gather(walked["row"]),
        first_charge="first_charge",
        charges="charges",
    )
    # Mostly one charge a stretch: only longer stretches are expanded into their windows.
    single = counted.filter(pl.col("charges") == 1).select(
        "user", "product", window_start="first_charge"
    )
    several = (
        counted.filter(pl.col("charges") > 1)
        .select("user", "product", "first_charge", nth=pl.int_ranges(0, "charges"))
        .explode("nth")
        .select("user", "product", window_start=pl.col("first_charge") + pl.col("nth") * width)
    )
    ordered = ledger_order(pl.concat([single, several]))
    tokens = pl.col("product").replace_strict(
        rates["product"], rates["tokens_per_day"], default=None, return_dtype=pl.Int64
    )
    return ordered.select(
        "user",
        "product",
        window_start=pl.col("window_start").cast(INSTANT),
        window_end=(pl.col("window_start") + width).cast(INSTANT),
        tokens=tokens,
        status=pl.lit("charged"),
    ).cast(CHARGE_SCHEMA)


def ledger_order(charges: pl.DataFrame) -> pl.DataFrame:
    """``charges`` (``user``, ``product``, ``window_start`` in µs, and ``denied`` if there)
    by window_start, user, product: one sort of a packed integer when they fit in 62 bits,
    else a sort on three columns."""
    if not charges.height:
        return charges
    bounds = charges.select(
        user=pl.col("user").max(),
        product=pl.col("product").max(),
        low=pl.col("window_start").min(),
        high=pl.col("window_start").max(),
    ).row(0, named=True)
    flag_bits = int("denied" in charges.columns)
    product_bits = int(bounds["product"]).bit_length()
    key_bits = int(bounds["user"]).bit_length() + product_bits + flag_bits
    time_bits = (bounds["high"] - bounds["low"]).bit_length()
    if key_bits + time_bits > PACKED_BITS:
        return charges.sort("window_start", "user", "product")
    low = bounds["low"]
    packed = (
        (pl.col("window_start") - low) * 2**key_bits
        + pl.col("user").cast(pl.Int64) * 2 ** (product_bits + flag_bits)
        + pl.col("product").cast(pl.Int64) * 2**flag_bits
    )
    if flag_bits:
        packed = packed + pl.col("denied").cast(pl.Int64)
    key = pl.col("packed") % 2**key_bits // 2**flag_bits
    flag = {"denied": (pl.col("packed") % 2).cast(pl.Boolean)} if flag_bits else {}
    return charges.select(packed=packed.sort()).select(
        user=(key // 2**product_bits).cast(charges.schema["user"]),
        product=(key % 2**product_bits).cast(charges.schema["product"]),
        window_start=pl.col("packed") // 2**key_bits + low,
        **flag,
    )
