"""A deliberately naive reference of `flex` (SPEC 3.7): lists, dicts and one loop.

Stretches are merged by a walk over sorted intervals; charges and the pack ledger are one
event-driven simulation: every key (user, product) offers its next potential charge,
the earliest (ties by user, then product) is decided against the packs as they stand, and
the key then offers its next one, which depends on whether this one was denied. Local
days come from ``zoneinfo``. The property tests compare the vectorized model with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

WINDOW = timedelta(hours=24)
IDLE_TIMEOUT = timedelta(minutes=15)
GRACE = timedelta(minutes=5)

Key = tuple[str, str]  # (user, product)


@dataclass(frozen=True)
class Charge:
    """One row of the ``charges`` detail table."""

    user: str
    product: str
    window_start: datetime
    window_end: datetime | None
    tokens: Any
    status: str  # "charged" or "denied"


@dataclass(frozen=True)
class LedgerRow:
    """One row of the ``ledger`` detail table."""

    pack_id: str
    time: datetime
    change: Any
    reason: str  # "draw" or "expire"
    balance: Any


@dataclass(frozen=True)
class Flex:
    """All charges (charged and denied, in decision order) and the ledger (by time)."""

    charges: list[Charge]
    ledger: list[LedgerRow]


def local_date(ts: datetime, timezone: str) -> date:
    return ts.astimezone(ZoneInfo(timezone)).date()


def stretches(
    intervals: Iterable[tuple[datetime, datetime]], idle_timeout: timedelta = IDLE_TIMEOUT
) -> list[tuple[datetime, datetime]]:
    """Merge one key's intervals (``end == start`` for points) into usage stretches.

    Sorted by start; the next interval joins the current stretch when its start minus the
    largest end so far is at most ``idle_timeout`` (overlaps give a negative gap).
    """
    merged: list[tuple[datetime, datetime]] = []
    current_start: datetime | None = None
    current_end: datetime | None = None
    for start, end in sorted(intervals):
        if current_start is None or current_end is None:
            current_start, current_end = start, end
        elif start - current_end <= idle_timeout:
            current_end = max(current_end, end)
        else:
            merged.append((current_start, current_end))
            current_start, current_end = start, end
    if current_start is not None and current_end is not None:
        merged.append((current_start, current_end))
    return merged


def default_expiry(purchased_at: datetime) -> datetime:
    """The same instant one calendar year later in UTC; 29 February gives 28 February."""
    utc = purchased_at.astimezone(UTC)
    day = 28 if (utc.month, utc.day) == (2, 29) else utc.day
    return utc.replace(year=utc.year + 1, day=day)


def key_stretches(
    events: Iterable[Mapping[str, Any]], idle_timeout: timedelta = IDLE_TIMEOUT
) -> dict[Key, list[tuple[datetime, datetime]]]:
    """Every named key's stretches; anonymous events are ignored."""
    intervals: dict[Key, list[tuple[datetime, datetime]]] = {}
    for event in events:
        if event["anonymous"]:
            continue
        end = event.get("end")
        start = event["ts"]
        intervals.setdefault((event["user"], event["product"]), []).append(
            (start, start if end is None else end)
        )
    return {key: stretches(spans, idle_timeout) for key, spans in intervals.items()}


def _next_charge(
    spans: list[tuple[datetime, datetime]],
    index: int,
    window_end: datetime | None,
    grace: timedelta,
) -> tuple[int, datetime] | None:
    """The key's next potential charge at or after stretch ``index``: (stretch, time).

    In a stretch ``[s, e]`` the uncovered usage starts at ``t = s``, or at ``window_end``
    when the stretch starts before it; it is charged when ``e - t > grace``.
    """
    while index < len(spans):
        s, e = spans[index]
        t = s if window_end is None or s >= window_end else window_end
        if e - t > grace:
            return index, t
        index += 1
    return None


def flex(
    events: Iterable[Mapping[str, Any]],
    rates: Mapping[str, Any],
    packs: Iterable[Mapping[str, Any]] | None = None,
    timezone: str = "Europe/Paris",
    end_of_range: datetime | None = None,
    window: timedelta = WINDOW,
    idle_timeout: timedelta = IDLE_TIMEOUT,
    grace: timedelta = GRACE,
) -> Flex:
    """Charges of every named key, drawn on ``packs`` when given.

    ``events``: mappings with ``ts``, ``end`` (or None/absent), ``user``, ``anonymous``,
    ``product``. ``rates``: product -> tokens per day (a named product without a rate is
    a ``ValueError`` naming the missing products). ``packs``: mappings with ``pack_id``,
    ``purchased_at``, ``tokens`` and optionally ``expires_at`` (None/absent: one year).
    Without packs every charge is charged and the ledger is empty. With packs, a pack's
    tokens left at its ``expires_at`` get an ``expire`` row when ``expires_at <
    end_of_range``, the exclusive end of the report range (the end of its last day;
    every expiry when ``end_of_range`` is None). Expiries at one instant come in
    consumption order (expiry date, size, pack_id).
    """
    spans_of = key_stretches(events, idle_timeout)
    missing = sorted({product for _, product in spans_of if product not in rates})
    if missing:
        raise ValueError(f"no rate for products: {', '.join(missing)}")

    pack_list: list[dict[str, Any]] = []
    if packs is not None:
        for pack in packs:
            expires_at = pack.get("expires_at")
            if expires_at is None:
                expires_at = default_expiry(pack["purchased_at"])
            pack_list.append(
                {
                    "pack_id": pack["pack_id"],
                    "purchased_at": pack["purchased_at"],
                    "expires_at": expires_at,
                    "tokens": pack["tokens"],
                    "left": pack["tokens"],
                }
            )

    # Per key: the next potential charge (stretch index, time) and the open window's end.
    window_end_of: dict[Key, datetime | None] = {key: None for key in spans_of}
    pending: dict[Key, tuple[int, datetime] | None] = {
        key: _next_charge(spans, 0, None, grace) for key, spans in spans_of.items()
    }
    charges: list[Charge] = []
    draws: list[LedgerRow] = []
    while True:
        candidates = [(item[1], key, item[0]) for key, item in pending.items() if item]
        if not candidates:
            break
        t, key, index = min(candidates)
        user, product = key
        rate = rates[product]
        spans = spans_of[key]

        granted = True
        if packs is not None:
            eligible = [
                pack
                for pack in pack_list
                if pack["purchased_at"] <= t < pack["expires_at"] and pack["left"] > 0
            ]
            eligible.sort(
                key=lambda p: (local_date(p["expires_at"], timezone), p["tokens"], p["pack_id"])
            )
            if sum(pack["left"] for pack in eligible) < rate:
                granted = False
            else:
                need = rate
                for pack in eligible:
                    if need <= 0:
                        break
                    take = min(need, pack["left"])
                    pack["left"] -= take
                    need -= take
                    draws.append(LedgerRow(pack["pack_id"], t, -take, "draw", pack["left"]))

        if granted:
            end = t + window
            charges.append(Charge(user, product, t, end, rate, "charged"))
            window_end_of[key] = end
            # The rest of this stretch past the new window, else the next stretches.
            pending[key] = _next_charge(spans, index, end, grace)
        else:
            charges.append(Charge(user, product, t, None, rate, "denied"))
            pending[key] = _next_charge(spans, index + 1, window_end_of[key], grace)

    ledger = list(draws)
    consumption = sorted(
        pack_list,
        key=lambda p: (local_date(p["expires_at"], timezone), p["tokens"], p["pack_id"]),
    )
    for pack in consumption:
        expires_at = pack["expires_at"]
        if pack["left"] > 0 and (end_of_range is None or expires_at < end_of_range):
            ledger.append(LedgerRow(pack["pack_id"], expires_at, -pack["left"], "expire", 0))
    # By time; at one instant an expiry comes before draws (the expiring pack is not
    # eligible at its expires_at), draws keep their decision order.
    order = {id(row): n for n, row in enumerate(ledger)}
    ledger.sort(key=lambda row: (row.time, row.reason != "expire", order[id(row)]))
    return Flex(charges=charges, ledger=ledger)


def charges(
    events: Iterable[Mapping[str, Any]],
    rates: Mapping[str, Any],
    window: timedelta = WINDOW,
    idle_timeout: timedelta = IDLE_TIMEOUT,
    grace: timedelta = GRACE,
) -> list[Charge]:
    """Charges without packs (all charged), by window start, then user, then product."""
    result = flex(events, rates, None, window=window, idle_timeout=idle_timeout, grace=grace)
    return sorted(result.charges, key=lambda c: (c.window_start, c.user, c.product))


def units(
    charge_list: Iterable[Charge],
    days: Iterable[date],
    timezone: str,
    products: Iterable[str] | None = None,
) -> dict[tuple[str, date], int]:
    """Tokens charged with ``window_start`` on each local day, per product.

    Every product of ``products`` (default: the products of the charges) gets a row for
    every day of ``days``; denied charges add nothing; charges outside the days are not
    reported.
    """
    charge_rows = list(charge_list)
    if products is None:
        products = sorted({charge.product for charge in charge_rows})
    day_list = list(days)
    result: dict[tuple[str, date], int] = {}
    for product in products:
        for day in day_list:
            result[(product, day)] = 0
    for charge in charge_rows:
        if charge.status != "charged":
            continue
        key = (charge.product, local_date(charge.window_start, timezone))
        if key in result:
            result[key] += charge.tokens
    return result


# --- Device compliance (SPEC 3.7 detail tables) ---------------------------------------------

MICROSECOND = timedelta(microseconds=1)
MAX_DEVICES = 3


@dataclass(frozen=True)
class DeviceFinding:
    """One ``device-overlap`` or ``too-many-devices`` row of the findings table."""

    finding: str
    user: str
    product: str
    evidence: str


def device_blocks(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """One device's spans merged where they overlap or touch (``[a, b)`` and ``[b, c)``)."""
    blocks: list[tuple[datetime, datetime]] = []
    for start, stop in sorted(spans):
        if blocks and start <= blocks[-1][1]:
            blocks[-1] = (blocks[-1][0], max(blocks[-1][1], stop))
        else:
            blocks.append((start, stop))
    return blocks


def device_findings(
    events: Iterable[Mapping[str, Any]],
    timezone: str = "Europe/Paris",
    days: Iterable[date] | None = None,
) -> list[DeviceFinding]:
    """The device findings of the named users, by (user, product), overlaps first.

    A key's events with a device are spans ``[ts, max(end, ts + 1 µs))`` (a point is its
    microsecond); each device's spans merge into blocks where they overlap or touch. Two
    blocks of two devices overlap when they share an instant (half-open). A block counts
    as one time when another device's block holds its start: starts before it, or with
    it and first in the order (start, device). ``times`` is how many blocks count, on how
    many local ``days`` they start, from the ``first`` of their starts; the devices named
    are those of every block overlapping another. More than three devices over the range
    is the other finding. Only events on ``days`` (local dates; default all) are read.
    """
    kept = None if days is None else set(days)
    spans: dict[Key, dict[str, list[tuple[datetime, datetime]]]] = {}
    for event in events:
        if event["anonymous"] or event["user"] is None or event.get("device") is None:
            continue
        start = event["ts"]
        if kept is not None and local_date(start, timezone) not in kept:
            continue
        end = event.get("end")
        stop = max(start if end is None else end, start + MICROSECOND)
        by_device = spans.setdefault((event["user"], event["product"]), {})
        by_device.setdefault(event["device"], []).append((start, stop))
    overlaps, many = [], []
    for (user, product), by_device in sorted(spans.items()):
        blocks = [
            (start, stop, device)
            for device, device_spans in by_device.items()
            for start, stop in device_blocks(device_spans)
        ]
        counted = [
            block
            for block in blocks
            if any(
                other[2] != block[2]
                and (other[0], other[2]) < (block[0], block[2])
                and block[0] < other[1]
                for other in blocks
            )
        ]
        overlapping = {
            block[2]
            for block in blocks
            for other in blocks
            if other[2] != block[2] and block[0] < other[1] and other[0] < block[1]
        }
        if counted:
            first = min(block[0] for block in counted).astimezone(ZoneInfo(timezone))
            count_days = len({local_date(block[0], timezone) for block in counted})
            overlaps.append(
                DeviceFinding(
                    "device-overlap",
                    user,
                    product,
                    f"used on two devices at overlapping times {len(counted)} time(s) on "
                    f"{count_days} day(s), first on {first:%Y-%m-%d at %H:%M} (devices "
                    f"{', '.join(sorted(overlapping))}): the licence allows one device at a time",
                )
            )
        if len(by_device) > MAX_DEVICES:
            many.append(
                DeviceFinding(
                    "too-many-devices",
                    user,
                    product,
                    f"{len(by_device)} devices over the range ({', '.join(sorted(by_device))}): "
                    f"the licence allows installing on {MAX_DEVICES}",
                )
            )
    return overlaps + many
