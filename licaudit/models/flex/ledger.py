"""The token-pack ledger (SPEC 3.7, rule 3).

Charges of all keys, in time order (ties by user, then product), draw on the packs with
``purchased_at <= t < expires_at`` that have tokens left: earliest expiry *date* (local
day in the contract's timezone) first, then the smallest original pack, then
``pack_id``; one charge may span packs. A charge the usable tokens cannot pay is
denied: nothing is drawn, no window opens, the rest of its stretch is not billed and
the key's next stretch is evaluated afresh. Tokens left at ``expires_at`` expire.

Two paths give the same rows. When packs become usable and expire in their order of
consumption (always so with default expiries) the packs are one line of tokens and a
position on it, pushed past each expired pack: ``p_k = R_k + max_{j<=k}(floor_j -
R_{j-1})`` with ``R`` the running sum of rates, a cumulative maximum; if no charge then
overdraws what is purchased, nothing was denied and these optimistic charges are
final. Otherwise a denial feeds back into the charges, and ``walk`` decides them one
by one, over long stretches and charges (never raw events); while the usable tokens are
fewer than every rate it denies all offers until the next purchase in one step.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from licaudit.models.flex.charges import (
    CHARGE_SCHEMA,
    INSTANT,
    NEVER,
    PACKED_BITS,
    ledger_order,
    long_stretches,
    micros,
    new_key,
)

LEDGER_SCHEMA = pl.Schema(
    {
        "pack_id": pl.String(),
        "time": INSTANT,
        "change": pl.Int64(),
        "reason": pl.String(),
        "balance": pl.Int64(),
    }
)


@dataclass(frozen=True)
class Ledger:
    """Every charge (charged and denied) in ledger order, and the ledger rows by time."""

    charges: pl.DataFrame
    ledger: pl.DataFrame


def consumption_order(packs: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """Packs in the order they are drawn on, with ``line_start``/``line_end``: their tokens'
    place on one line of every pack's tokens in that order."""
    expiry_date = pl.col("expires_at").dt.convert_time_zone(timezone).dt.date()
    return (
        packs.with_columns(expiry_date=expiry_date)
        .sort("expiry_date", "tokens", "pack_id")
        .with_columns(line_end=pl.col("tokens").cum_sum())
        .with_columns(line_start=pl.col("line_end") - pl.col("tokens"))
    )


def one_line(ordered: pl.DataFrame) -> bool:
    """Whether packs become usable, and expire, in their consumption order."""
    return bool(
        ordered.select(pl.col("purchased_at").is_sorted() & pl.col("expires_at").is_sorted()).item()
        if ordered.height
        else True
    )


def _expiries(ordered: pl.DataFrame, left: pl.Expr, range_end: datetime) -> pl.DataFrame:
    return (
        ordered.with_columns(left=left)
        .filter((pl.col("left") > 0) & (pl.col("expires_at") < range_end))
        .select(
            "pack_id",
            time="expires_at",
            change=-pl.col("left"),
            reason=pl.lit("expire"),
            balance=pl.lit(0, pl.Int64),
            charge=pl.lit(-1, pl.Int64),
            rank=pl.int_range(pl.len()),
        )
    )


def _ledger_rows(draws: pl.DataFrame, expiries: pl.DataFrame) -> pl.DataFrame:
    """By time; at one instant expiries first (an expiring pack is no longer usable), then
    draws in decision order."""
    return (
        pl.concat([expiries, draws.select(expiries.columns)], how="vertical_relaxed")
        .sort("time", "charge", "rank")
        .select(list(LEDGER_SCHEMA))
        .cast(LEDGER_SCHEMA)
    )


def vectorized(charges: pl.DataFrame, ordered: pl.DataFrame, range_end: datetime) -> Ledger | None:
    """The ledger of ``charges`` on packs in one line; None when some charge is denied."""
    line_start = ordered["line_start"]
    line_end = ordered["line_end"]
    bounds = pl.concat([pl.Series([0], dtype=pl.Int64), line_end]).rechunk()
    expires = ordered["expires_at"].rechunk()
    purchased = ordered["purchased_at"].rechunk()
    sum_before = pl.col("tokens").cum_sum() - pl.col("tokens")
    # floor: the line start of the first pack not expired; ceiling: the end of the packs
    # purchased so far.
    floor = pl.lit(bounds).gather(
        pl.lit(expires).search_sorted(pl.col("window_start"), side="right")
    )
    ceiling = pl.lit(bounds).gather(
        pl.lit(purchased).search_sorted(pl.col("window_start"), side="right")
    )
    placed = charges.with_columns(charge=pl.int_range(pl.len(), dtype=pl.Int64)).with_columns(
        position=sum_before + pl.col("tokens") + (floor - sum_before).cum_max(),
        ceiling=ceiling,
    )
    if placed.height and placed.select((pl.col("position") > pl.col("ceiling")).any()).item():
        return None
    placed = placed.with_columns(taken_from=pl.col("position") - pl.col("tokens"))
    first = pl.lit(line_end).search_sorted(pl.col("taken_from"), side="right")
    last = pl.lit(line_start).search_sorted(pl.col("position"), side="left") - 1
    draws = (
        placed.select(
            "charge", "window_start", "taken_from", "position", rank=pl.int_ranges(first, last + 1)
        )
        .explode("rank")
        .with_columns(
            pack_start=pl.lit(line_start).gather(pl.col("rank")),
            pack_end=pl.lit(line_end).gather(pl.col("rank")),
        )
        .select(
            pack_id=pl.lit(ordered["pack_id"]).gather(pl.col("rank")),
            time="window_start",
            change=pl.max_horizontal("taken_from", "pack_start")
            - pl.min_horizontal("position", "pack_end"),
            reason=pl.lit("draw"),
            balance=pl.col("pack_end") - pl.min_horizontal("position", "pack_end"),
            charge="charge",
            rank="rank",
        )
    )
    # The line position when each pack expires: after the last charge before it.
    before = pl.lit(charges["window_start"].rechunk()).search_sorted(
        pl.col("expires_at"), side="left"
    )
    positions = pl.concat([pl.Series([0], dtype=pl.Int64), placed["position"]]).rechunk()
    at_expiry = pl.lit(positions).gather(before)
    left = pl.col("line_end") - at_expiry.clip(pl.col("line_start"), pl.col("line_end"))
    return Ledger(charges=charges, ledger=_ledger_rows(draws, _expiries(ordered, left, range_end)))


def walk(
    stretches: pl.DataFrame,
    rates: pl.DataFrame,
    ordered: pl.DataFrame,
    window: timedelta,
    grace: timedelta,
    range_end: datetime,
) -> Ledger:
    """Charges decided one at a time against the packs as they stand (denials feed back).

    Every key offers its next potential charge; the earliest (ties by user, then
    product) is decided, and the key then offers its next one: the rest of the stretch
    past the new window, or, after a denial, its next stretch afresh. Only long
    stretches (``e - s > grace``) are walked: the others charge nothing. When the
    usable tokens are fewer than every rate, nothing can be charged before the next
    purchase: every offer until then is denied at once, vectorized (``_run_out``).
    """
    width, free = micros(window), micros(grace)
    rate_of = dict(zip(rates["product"].to_list(), rates["tokens_per_day"].to_list(), strict=True))
    long = long_stretches(stretches, width, free).with_columns(
        key=(new_key().cum_sum() - 1).cast(pl.Int64)
    )
    keys = long.select(
        pl.col("key").filter(new_key()),
        pl.col("user").filter(new_key()),
        pl.col("product").filter(new_key()),
        first=pl.arg_where(new_key()).cast(pl.Int64),
    ).with_columns(last=pl.col("first").shift(-1, fill_value=long.height))
    starts, ends = long["start"].to_list(), long["end"].to_list()
    users, products = keys["user"].to_list(), keys["product"].to_list()
    key_last = keys["last"].to_list()
    window_end = [NEVER] * keys.height
    pending: list[tuple[int, int, int, int, int]] = list(
        zip(
            long["start"].gather(keys["first"]).to_list(),
            users,
            products,
            range(keys.height),
            keys["first"].to_list(),
            strict=True,
        )
    )
    heapq.heapify(pending)

    def next_charge(key: int, index: int, covered_until: int) -> None:
        last = key_last[key]
        while index < last:
            start, end = starts[index], ends[index]
            t = start if start >= covered_until else covered_until
            if end - t > free:
                heapq.heappush(pending, (t, users[key], products[key], key, index))
                return
            index += 1

    pack_ids = ordered["pack_id"].to_list()
    purchased = ordered["purchased_at"].dt.epoch("us").to_list()
    expires = ordered["expires_at"].dt.epoch("us").to_list()
    left = ordered["tokens"].to_list()
    # The usable packs change only at these instants: in between, the packs usable at the
    # last one, less those emptied (at the front: they are drawn in order).
    changes = sorted({*purchased, *expires})
    purchases = sorted(set(purchased))
    lowest_rate = min(rate_of.values(), default=0)
    usable: list[int] = []
    total = 0
    change = 0
    offers = _Offers(long, keys)
    rows: list[tuple[int, int, int, bool]] = []
    draw_rows: list[tuple[str, int, int, int, int, int]] = []
    while pending:
        t, user, product, key, index = pending[0]
        if change < len(changes) and changes[change] <= t:
            while change < len(changes) and changes[change] <= t:
                change += 1
            usable = [i for i in range(len(left)) if left[i] > 0 and purchased[i] <= t < expires[i]]
            total = sum(left[i] for i in usable)
        if total < lowest_rate and offers.packed:
            # Nothing can be charged before tokens are bought again: deny every offer
            # until then in one step.
            until = next((p for p in purchases if p > t), None)
            pending = offers.run_out(pending, until)
            continue
        heapq.heappop(pending)
        rate = rate_of[product]
        if total < rate:
            rows.append((user, product, t, True))
            next_charge(key, index + 1, window_end[key])
            continue
        need, total = rate, total - rate
        order = user * 2**32 + product
        while need:
            i = usable[0]
            take = min(need, left[i])
            left[i] -= take
            need -= take
            draw_rows.append((pack_ids[i], t, -take, left[i], order, i))
            if left[i] == 0:
                usable.pop(0)
        rows.append((user, product, t, False))
        window_end[key] = t + width
        next_charge(key, index, t + width)

    decided = pl.concat(
        [
            pl.DataFrame(
                rows,
                schema={
                    "user": pl.UInt32(),
                    "product": pl.UInt32(),
                    "window_start": pl.Int64(),
                    "denied": pl.Boolean(),
                },
                orient="row",
            ),
            *offers.denied,
        ]
    )
    charges = (
        ledger_order(decided)
        .select(
            "user",
            "product",
            window_start=pl.col("window_start").cast(INSTANT),
            window_end=pl.when(~pl.col("denied"))
            .then(pl.col("window_start") + width)
            .cast(INSTANT),
            tokens=pl.col("product").replace_strict(
                rates["product"], rates["tokens_per_day"], default=None, return_dtype=pl.Int64
            ),
            status=pl.when(pl.col("denied")).then(pl.lit("denied")).otherwise(pl.lit("charged")),
        )
        .cast(CHARGE_SCHEMA)
    )
    draws = pl.DataFrame(
        draw_rows,
        schema={
            "pack_id": pl.String(),
            "time": pl.Int64(),
            "change": pl.Int64(),
            "balance": pl.Int64(),
            "charge": pl.Int64(),
            "rank": pl.Int64(),
        },
        orient="row",
    ).with_columns(time=pl.col("time").cast(INSTANT), reason=pl.lit("draw"))
    left_at_end = pl.Series(left, dtype=pl.Int64)
    expiries = _expiries(ordered, pl.lit(left_at_end), range_end)
    return Ledger(charges=charges, ledger=_ledger_rows(draws, expiries))


class _Offers:
    """The long stretches, to deny every offer before an instant at once (tokens ran out).

    Each key's offer after a denial is its next stretch's start, so the offers denied
    before ``until`` are the pending ones and the starts of the key's stretches up to the
    first starting at or after ``until``: found by one search in (key, start) packed as
    one sorted integer. ``packed`` is False when they do not fit in 62 bits (the walk
    then denies one offer at a time).
    """

    def __init__(self, long: pl.DataFrame, keys: pl.DataFrame) -> None:
        self.starts = long["start"]
        self.users, self.products, self.last = keys["user"], keys["product"], keys["last"]
        self.low = int(long["start"].min() or 0)  # type: ignore[arg-type]
        high = int(long["start"].max() or 0)  # type: ignore[arg-type]
        self.time_bits = (high - self.low + 1).bit_length()
        self.packed = keys.height.bit_length() + self.time_bits <= PACKED_BITS
        self.positions = (
            long.select(pl.col("key") * 2**self.time_bits + pl.col("start") - self.low).to_series()
            if self.packed
            else pl.Series(dtype=pl.Int64)
        )
        self.denied: list[pl.DataFrame] = []

    def run_out(
        self, pending: list[tuple[int, int, int, int, int]], until: int | None
    ) -> list[tuple[int, int, int, int, int]]:
        """Deny every offer before ``until`` (None: ever); the offers left, as a heap."""
        due = [offer for offer in pending if until is None or offer[0] < until]
        kept = [offer for offer in pending if until is not None and offer[0] >= until]
        offers = pl.DataFrame(
            due,
            schema={
                "window_start": pl.Int64(),
                "user": pl.UInt32(),
                "product": pl.UInt32(),
                "key": pl.Int64(),
                "index": pl.Int64(),
            },
            orient="row",
        )
        if until is None:
            stop = pl.lit(self.last).gather(pl.col("key"))
        else:
            offset = min(max(until - self.low, 0), 2**self.time_bits - 1)
            stop = (
                pl.lit(self.positions)
                .search_sorted(pl.col("key") * 2**self.time_bits + offset, side="left")
                .cast(pl.Int64)
            )
        offers = offers.with_columns(stop=stop)
        later = (
            offers.select("user", "product", index=pl.int_ranges(pl.col("index") + 1, "stop"))
            .explode("index")
            .drop_nulls("index")
        )
        self.denied.append(
            pl.concat(
                [
                    offers.select("user", "product", "window_start"),
                    later.select(
                        "user", "product", window_start=pl.lit(self.starts).gather(pl.col("index"))
                    ),
                ]
            ).with_columns(denied=pl.lit(True))
        )
        resumed = offers.filter(pl.col("stop") < pl.lit(self.last).gather(pl.col("key"))).select(
            pl.lit(self.starts).gather(pl.col("stop")), "user", "product", "key", "stop"
        )
        kept.extend(resumed.iter_rows())
        heapq.heapify(kept)
        return kept
