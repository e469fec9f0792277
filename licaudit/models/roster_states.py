"""Roster states as half-open active spans, and roster snapshots as status events (SPEC 1.5).

"A user's state holds from its row's ``ts`` until that user's next row for that
product; before their first row a user is inactive; rows with the same ``ts`` for one
user and product apply in file order (the last wins)." ``active_spans`` turns the rows
into the ``[start, end)`` spans during which each (user, product) is active, the shape
``daily_peaks`` sweeps; ``merge_spans`` joins one user's spans over several products.

"With ``roster_mode = "snapshot"``, the rows sharing one ``ts`` are a complete list of
the accounts at that instant": ``apply_snapshots`` rewrites such rows as the status
events they stand for, so that everything downstream reads one kind of roster.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = ["active_spans", "apply_snapshots", "merge_spans", "snapshot_summary"]

KEY = ("user", "product")
INSTANT = pl.Datetime("us", "UTC")
# Stands for "never ends" while merging: an end past every instant the roster can hold.
FOREVER = 2**62


def _same_as(columns: tuple[str, ...], shift: int) -> pl.Expr:
    """Whether the row ``shift`` rows away has the same values in ``columns``."""
    return pl.all_horizontal(pl.col(name).eq_missing(pl.col(name).shift(shift)) for name in columns)


@dataclass(frozen=True)
class Packing:
    """How (user, product, ts, seq, active) pack into one Int128 that sorts as the tuple.

    Sorting a roster by key, time and file order is the cost of every roster model:
    sorting one integer column and decoding it is several times faster in polars than
    sorting the frame by four columns and gathering its rows. From the highest bits:
    user and product codes, the offsets of ``ts`` and ``seq`` from their smallest
    values, and the status bit; all must fit the 127 bits of a positive Int128.
    """

    product_bits: int
    ts_bits: int
    seq_bits: int
    ts_origin: int
    seq_origin: int

    @staticmethod
    def of(roster: pl.DataFrame) -> Packing | None:
        """The packing of ``roster``, or None when its values do not fit (or are not codes)."""
        if roster.height == 0 or not all(roster.schema[name].is_integer() for name in KEY):
            return None
        epoch = pl.col("ts").dt.epoch("us")
        bounds = roster.select(
            nulls=pl.sum_horizontal(pl.all().null_count()),
            lowest=pl.min_horizontal(pl.col(*KEY).cast(pl.Int64).min()),
            user=pl.col("user").cast(pl.Int64).max(),
            product=pl.col("product").cast(pl.Int64).max(),
            ts_min=epoch.min(),
            ts_max=epoch.max(),
            seq_min=pl.col("seq").min(),
            seq_max=pl.col("seq").max(),
        ).row(0, named=True)
        if bounds["nulls"] or bounds["lowest"] < 0:
            return None
        packing = Packing(
            product_bits=max(int(bounds["product"]), 1).bit_length(),
            ts_bits=max(bounds["ts_max"] - bounds["ts_min"], 1).bit_length(),
            seq_bits=max(bounds["seq_max"] - bounds["seq_min"], 1).bit_length(),
            ts_origin=bounds["ts_min"],
            seq_origin=bounds["seq_min"],
        )
        user_bits = max(int(bounds["user"]), 1).bit_length()
        return packing if user_bits + packing.product_bits + packing.low_bits <= 126 else None

    @property
    def low_bits(self) -> int:
        return self.ts_bits + self.seq_bits + 1

    def key(self) -> pl.Expr:
        key = pl.col("user").cast(pl.Int128) * (1 << self.product_bits) + pl.col("product")
        key = key * (1 << self.ts_bits) + (pl.col("ts").dt.epoch("us") - self.ts_origin)
        key = key * (1 << self.seq_bits) + (pl.col("seq") - self.seq_origin)
        return key * 2 + pl.col("active").cast(pl.Int128)

    def key_and_time(self, key: pl.Expr) -> pl.Expr:
        """(user, product, ts) of a packed key, as one Int128 ordered like the key."""
        return key // (1 << (self.seq_bits + 1))

    def decode(self, key: pl.Expr, schema: pl.Schema) -> list[pl.Expr]:
        """``user``, ``product``, ``ts`` and ``active`` of a packed key, in ``schema``'s types."""
        high = (key // (1 << self.low_bits)).cast(pl.Int64)
        offset = (self.key_and_time(key) % (1 << self.ts_bits)).cast(pl.Int64)
        return [
            (high // (1 << self.product_bits)).cast(schema["user"]).alias("user"),
            (high % (1 << self.product_bits)).cast(schema["product"]).alias("product"),
            (offset + self.ts_origin).cast(INSTANT).alias("ts"),
            (key % 2 == 1).alias("active"),
        ]


def key_states(roster: pl.DataFrame) -> pl.LazyFrame:
    """The state each (user, product) takes at each of its instants: the last row in file order.

    ``user``, ``product``, ``ts``, ``active``, one row per (user, product, ts), sorted by
    user, product and ts: rows of one key and ts are resolved by ``seq``.
    """
    packing = Packing.of(roster)
    if packing is None:
        return (
            roster.lazy()
            .sort(*KEY, "ts", "seq")
            .filter(~_same_as((*KEY, "ts"), -1))
            .select(*KEY, "ts", "active")
        )
    key = pl.col("key")
    key_and_time = packing.key_and_time(key)
    return (
        roster.lazy()
        .select(key=packing.key().sort())
        .filter(key_and_time.ne_missing(key_and_time.shift(-1)))
        .select(packing.decode(key, roster.schema))
    )


def active_spans(roster: pl.DataFrame) -> pl.DataFrame:
    """The ``[start, end)`` spans during which each (user, product) is active.

    ``roster`` has ``ts``, ``user``, ``product``, ``active`` and ``seq``. A span starts
    at a row turning its key active (a key is inactive before its first row) and ends
    at the key's next row turning it inactive; ``end`` is null when none does (the
    state holds to the end of the range). Consecutive rows repeating a state do not cut
    a span. Result: ``user``, ``product``, ``start``, ``end``, sorted by key and start.
    """
    same_key_before = _same_as(KEY, 1)
    state_before = pl.when(same_key_before).then(pl.col("active").shift(1)).otherwise(False)
    changes = key_states(roster).filter(pl.col("active") != state_before)
    # Changes now alternate active / inactive within a key, starting active: each
    # active row's span ends at the next change of its key.
    end = pl.when(_same_as(KEY, -1)).then(pl.col("ts").shift(-1))
    return (
        changes.with_columns(end=end)
        .filter(pl.col("active"))
        .select(*KEY, start="ts", end="end")
        .collect()
    )


def merge_spans(spans: pl.DataFrame, key: str) -> pl.DataFrame:
    """Each ``key``'s spans with overlapping or touching ones merged: ``key``, ``start``, ``end``.

    Half-open spans ``[a, b)`` and ``[b, c)`` of one key merge into ``[a, c)``: the key
    is active at every instant of it, so nothing starts or ends at ``b``. A null
    ``end`` (never ends) absorbs every later span of its key.
    """
    reach = pl.col("end").dt.epoch("us").fill_null(FOREVER)
    # Within a key sorted by start, a new merged span begins where the start lies past
    # every end seen before it.
    reach_before = reach.cum_max().over(key).shift(1)
    begins = ~_same_as((key,), 1) | (pl.col("start").dt.epoch("us") > reach_before)
    return (
        spans.lazy()
        .select(key, "start", "end")
        .sort(key, "start")
        .with_columns(run=begins.cum_sum())
        .group_by("run")
        .agg(pl.col(key).first(), pl.col("start").min(), reach.max().alias("reach"))
        .sort(key, "start")
        .select(
            key,
            "start",
            end=pl.when(pl.col("reach") < FOREVER).then(pl.col("reach")).cast(INSTANT),
        )
        .collect()
    )


def apply_snapshots(states: pl.DataFrame) -> pl.DataFrame:
    """Snapshot rows rewritten as the status events they stand for (SPEC 1.5, "Snapshots").

    ``states`` has ``ts``, ``user``, ``product``, ``active`` and ``seq``; the rows
    sharing one ``ts`` are the complete list of accounts at that instant, every product
    together (give the whole roster, before any scope filter). Every row is kept: each
    listed (user, product) takes its status at its ``ts`` (listed twice: the last in
    file order, as for events). Added: for each (user, product) active just before a
    snapshot and absent from it, an inactive row at that snapshot's ``ts``, whose
    ``seq`` is the snapshot's first row's. The result has the input's schema: its rows,
    then the added ones by key and time; read as status events it gives the snapshots'
    states.
    """
    snapshots = states.group_by("ts").agg(first_seq=pl.col("seq").min()).sort("ts")
    instants, first_seqs = snapshots["ts"], snapshots["first_seq"]
    # A key listed active at one snapshot is still active just before the following
    # one; it turns inactive there unless that snapshot lists it again. Key states come
    # sorted by key and ts, so the key's next listing is on the next row.
    following = pl.lit(instants).search_sorted(pl.col("ts"), side="right")
    next_listing = pl.when(_same_as(KEY, -1)).then(pl.col("ts").shift(-1))
    dropped = (
        key_states(states)
        .with_columns(following=following, next_listing=next_listing)
        .filter(pl.col("active"), pl.col("following") < instants.len())
        .with_columns(ts_following=pl.lit(instants).gather(pl.col("following")))
        .filter(pl.col("next_listing").ne_missing(pl.col("ts_following")))
        .select(
            ts="ts_following",
            user="user",
            product="product",
            active=pl.lit(False),
            seq=pl.lit(first_seqs).gather(pl.col("following")),
        )
    )
    # Not sorted again: the rows' order means nothing once ``seq`` holds the file order.
    return pl.concat([states.lazy(), dropped.cast(states.schema).select(states.columns)]).collect()


def snapshot_summary(states: pl.DataFrame) -> pl.DataFrame:
    """The snapshots of a roster read in snapshot mode, for ``licaudit inspect``.

    One row per snapshot ``ts``: ``rows`` (rows listed), ``accounts`` (distinct users
    listed active for at least one product), sorted by ``ts``.
    """
    rows = states.lazy().group_by("ts").agg(rows=pl.len().cast(pl.Int64))
    accounts = (
        key_states(states)
        .group_by("ts")
        .agg(accounts=pl.col("user").filter(pl.col("active")).n_unique().cast(pl.Int64))
    )
    return rows.join(accounts, on="ts").sort("ts").collect()
