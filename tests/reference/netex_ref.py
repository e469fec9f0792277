"""Deliberately naive references of `nominal` and `rau` (SPEC 3.5, 3.6): dicts, sets and loops.

They share nothing with the vectorized models but the rules. Local days come from
``zoneinfo``; a day is ``[local midnight, next local midnight)`` as aware UTC instants;
roster states are right-continuous step functions read off a list of changes, and the
most users active at once in a day is looked for at the day's start and at every change
inside it (a step function only rises at those instants). The property tests compare
the models with these on generated rosters and events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

Key = tuple[str, str]  # (user, product)


def local_date(ts: datetime, timezone: str) -> date:
    return ts.astimezone(ZoneInfo(timezone)).date()


def day_start(day: date, timezone: str) -> datetime:
    """The UTC instant of the local midnight that opens ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of the local day as UTC instants (23 or 25 hours on DST days)."""
    return day_start(day, timezone), day_start(day + timedelta(days=1), timezone)


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


# --------------------------------------------------------------------------- nominal


def roster_changes(
    roster_rows: Iterable[Mapping[str, Any]], mode: str = "events"
) -> dict[Key, list[tuple[datetime, bool]]]:
    """Every (user, product)'s state changes, in the order they apply.

    The state at an instant T is the status of the last change with ``ts <= T`` in that
    list (inactive before the first). In ``events`` mode the list is the key's own rows
    ordered by ``(ts, seq)``, so at one ``ts`` the last row in file order wins. In
    ``snapshot`` mode the rows sharing one ``ts`` (all products together) are a complete
    list: each listed key takes its status (the last by ``seq`` when listed twice), and
    every key active just before that ``ts`` and not listed becomes inactive at it.
    """
    rows = list(roster_rows)
    changes: dict[Key, list[tuple[datetime, bool]]] = {}
    if mode == "events":
        for row in sorted(rows, key=lambda r: (r["ts"], r["seq"])):
            key = (row["user"], row["product"])
            changes.setdefault(key, []).append((row["ts"], bool(row["active"])))
        return changes
    if mode != "snapshot":
        raise ValueError(f"unknown roster mode {mode!r}")

    snapshots: dict[datetime, list[Mapping[str, Any]]] = {}
    for row in rows:
        snapshots.setdefault(row["ts"], []).append(row)
    state: dict[Key, bool] = {}
    for ts in sorted(snapshots):
        listed: dict[Key, bool] = {}
        for row in sorted(snapshots[ts], key=lambda r: r["seq"]):
            listed[(row["user"], row["product"])] = bool(row["active"])
        for key, active in state.items():
            if active and key not in listed:
                changes.setdefault(key, []).append((ts, False))
        for key, active in listed.items():
            changes.setdefault(key, []).append((ts, active))
        for key in list(state):
            if key not in listed:
                state[key] = False
        state.update(listed)
    return changes


def state_at(changes: list[tuple[datetime, bool]], instant: datetime) -> bool:
    """The status of the last change at or before ``instant``; inactive before the first."""
    active = False
    for ts, status in changes:
        if ts <= instant:
            active = status
    return active


def nominal(
    roster_rows: Iterable[Mapping[str, Any]],
    days: Iterable[date],
    timezone: str,
    products: Iterable[str],
    mode: str = "events",
) -> dict[tuple[str, date], int]:
    """Units of every (product, day): the most users active at once for the product.

    ``roster_rows`` are mappings with ``ts`` (aware UTC), ``user``, ``product``, ``active``
    (bool) and ``seq`` (file order). Give the whole roster: in snapshot mode a snapshot of
    other products still deactivates this product's absent users. ``products`` are the
    scopes reported (every one gets a row for every day, zeros included).
    """
    changes = roster_changes(roster_rows, mode)
    day_list = list(days)
    units: dict[tuple[str, date], int] = {}
    for product in products:
        keys = [key for key in changes if key[1] == product]
        for day in day_list:
            start, end = day_bounds(day, timezone)
            instants = {start}
            for key in keys:
                for ts, _ in changes[key]:
                    if start <= ts < end:
                        instants.add(ts)
            best = 0
            for instant in instants:
                count = sum(1 for key in keys if state_at(changes[key], instant))
                best = max(best, count)
            units[(product, day)] = best
    return units


def nominal_peaks(
    roster_rows: Iterable[Mapping[str, Any]],
    days: Iterable[date],
    timezone: str,
    products: Iterable[str],
    mode: str = "events",
) -> dict[tuple[str, str], tuple[date | None, int]]:
    """Per (product, month ``YYYY-MM``): the first day of the range reaching the month's max.

    A month whose max is 0 (no user ever active for the product) has no peak day: None.
    """
    day_list = sorted(days)
    product_list = list(products)
    units = nominal(roster_rows, day_list, timezone, product_list, mode)
    peaks: dict[tuple[str, str], tuple[date | None, int]] = {}
    for product in product_list:
        for day in day_list:
            key = (product, month_of(day))
            count = units[(product, day)]
            if key not in peaks:
                peaks[key] = (day if count > 0 else None, count)
            elif count > peaks[key][1]:
                peaks[key] = (day, count)
    return peaks


# --------------------------------------------------------------------------- rau


@dataclass(frozen=True)
class RauUser:
    """One user counted by rau in one (product, month)."""

    user: str
    first_access: datetime
    last_access: datetime
    active_days: int


def _named_events_by_product(
    events: Iterable[Mapping[str, Any]], timezone: str
) -> dict[str, list[tuple[date, datetime, str]]]:
    by_product: dict[str, list[tuple[date, datetime, str]]] = {}
    for event in events:
        if event["anonymous"]:
            continue
        by_product.setdefault(event["product"], []).append(
            (local_date(event["ts"], timezone), event["ts"], event["user"])
        )
    return by_product


def rau(
    events: Iterable[Mapping[str, Any]],
    days: Iterable[date],
    timezone: str,
    products: Iterable[str],
) -> dict[tuple[str, date], int]:
    """Units of every (product, day): the month-to-date count of distinct named users.

    A user counts on day d when they have an event of the product whose local day is
    between the first day of d's month and d, both included.
    """
    by_product = _named_events_by_product(events, timezone)
    day_list = list(days)
    units: dict[tuple[str, date], int] = {}
    for product in products:
        rows = by_product.get(product, [])
        for day in day_list:
            first = day.replace(day=1)
            users = {user for local_day, _, user in rows if first <= local_day <= day}
            units[(product, day)] = len(users)
    return units


def rau_users(
    events: Iterable[Mapping[str, Any]],
    days: Iterable[date],
    timezone: str,
    products: Iterable[str],
) -> dict[tuple[str, str], list[RauUser]]:
    """Per (product, month of the range): the users counted, sorted by user.

    The month is cut as its units are: its events from its first day up to its last day
    in the range. Each user has their first and last access (instants) in that span and
    the number of distinct local days with an event.
    """
    by_product = _named_events_by_product(events, timezone)
    last_day_of_month: dict[str, date] = {}
    for day in days:
        month = month_of(day)
        if month not in last_day_of_month or day > last_day_of_month[month]:
            last_day_of_month[month] = day
    result: dict[tuple[str, str], list[RauUser]] = {}
    for product in products:
        rows = by_product.get(product, [])
        for month, last in last_day_of_month.items():
            first = last.replace(day=1)
            instants: dict[str, list[datetime]] = {}
            local_days: dict[str, set[date]] = {}
            for local_day, ts, user in rows:
                if first <= local_day <= last:
                    instants.setdefault(user, []).append(ts)
                    local_days.setdefault(user, set()).add(local_day)
            result[(product, month)] = [
                RauUser(user, min(instants[user]), max(instants[user]), len(local_days[user]))
                for user in sorted(instants)
            ]
    return result


# --------------------------------------------------------------------------- money


def _decimal(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(value)


def month_cost(
    units: int, capacity: int | None, price: Any = None, excess_price: Any = None
) -> Decimal:
    """``price + max(0, units - capacity) * excess_price``, half-up to cents.

    A missing price or excess price is 0; without capacity there is no excess. Floats are
    read through their shortest text (``12.5`` is exactly 12.5, ``0.1`` is 0.1).
    """
    excess = 0 if capacity is None else max(0, units - capacity)
    cost = _decimal(price) + excess * _decimal(excess_price)
    return cost.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
