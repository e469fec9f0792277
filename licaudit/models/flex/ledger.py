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
by one, over stretches and charges (never raw events).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from licaudit.models.flex.charges import CHARGE_SCHEMA, INSTANT, micros

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


def _expiries(ordered: pl.DataFrame, left: pl.Expr, range_end: object) -> pl.DataFrame:
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


def vectorized(charges: pl.DataFrame, ordered: pl.DataFrame, range_end: object) -> Ledger | None:
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
    range_end: object,
) -> Ledger:
    """Charges decided one at a time against the packs as they stand (denials feed back).

    Every key offers its next potential charge; the earliest (ties by user, then
    product) is decided, and the key then offers its next one: the rest of the stretch
    past the new window, or, after a denial, its next stretch afresh.
    """
    width, free = micros(window), micros(grace)
    rate_of = dict(zip(rates["product"].to_list(), rates["tokens_per_day"].to_list(), strict=True))
    frame = stretches.select(
        "user", "product", start=pl.col("start").dt.epoch("us"), end=pl.col("end").dt.epoch("us")
    )
    keys = frame.group_by("user", "product", maintain_order=True).agg("start", "end")
    spans: list[tuple[list[int], list[int]]] = list(
        zip(keys["start"].to_list(), keys["end"].to_list(), strict=True)
    )
    users, products = keys["user"].to_list(), keys["product"].to_list()

    def next_charge(key: int, index: int, covered_until: int | None) -> None:
        starts, ends = spans[key]
        while index < len(starts):
            start, end = starts[index], ends[index]
            t = start if covered_until is None or start >= covered_until else covered_until
            if end - t > free:
                heapq.heappush(pending, (t, users[key], products[key], key, index))
                return
            index += 1

    pending: list[tuple[int, int, int, int, int]] = []
    window_end: list[int | None] = [None] * len(spans)
    for key in range(len(spans)):
        next_charge(key, 0, None)

    pack_ids = ordered["pack_id"].to_list()
    purchased = ordered["purchased_at"].dt.epoch("us").to_list()
    expires = ordered["expires_at"].dt.epoch("us").to_list()
    left = ordered["tokens"].to_list()
    charge_rows: list[tuple[int, int, int, int | None, int, str]] = []
    draw_rows: list[tuple[str, int, int, int, int, int]] = []
    while pending:
        t, user, product, key, index = heapq.heappop(pending)
        rate = rate_of[product]
        usable = [i for i in range(len(left)) if left[i] > 0 and purchased[i] <= t < expires[i]]
        if sum(left[i] for i in usable) < rate:
            charge_rows.append((user, product, t, None, rate, "denied"))
            next_charge(key, index + 1, window_end[key])
            continue
        need = rate
        for i in usable:
            take = min(need, left[i])
            left[i] -= take
            need -= take
            draw_rows.append((pack_ids[i], t, -take, left[i], len(charge_rows), i))
            if need == 0:
                break
        charge_rows.append((user, product, t, t + width, rate, "charged"))
        window_end[key] = t + width
        next_charge(key, index, t + width)

    charges = (
        pl.DataFrame(
            charge_rows,
            schema=["user", "product", "window_start", "window_end", "tokens", "status"],
            orient="row",
        )
        .cast({"window_start": INSTANT, "window_end": INSTANT})
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
