"""A deliberately naive reference of `daily-active` (SPEC 3.1): dicts, sets and loops.

It shares nothing with ``licaudit.models.daily_active`` but the rule: local days come
from ``zoneinfo``, seats from ``math.ceil``, and the refused list from one walk per
day. The property tests compare the vectorized model with it on generated events.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class RefusedUser:
    """One refused user of one day, as the model's ``refused`` detail lists it."""

    period: str
    user: str
    first_event: datetime
    methods: int
    sync_methods: int
    seats: int
    running_total: int


@dataclass(frozen=True)
class DailyActive:
    """Units of every local day from the first to the last event's day, and the refused users."""

    units: dict[date, int]
    refused: list[RefusedUser]


def local_date(ts: datetime, timezone: str) -> date:
    return ts.astimezone(ZoneInfo(timezone)).date()


def seats(
    methods: int, sync_methods: int, overflow: str, max_methods: int, max_sync_methods: int
) -> int:
    if overflow == "block":
        return max(1, math.ceil(methods / max_methods), math.ceil(sync_methods / max_sync_methods))
    return 1 + max(0, methods - max_methods, sync_methods - max_sync_methods)


def daily_active(
    events: Iterable[Mapping[str, Any]],
    timezone: str,
    options: Mapping[str, Any],
    capacity: int | None,
    days: Iterable[date] | None = None,
) -> DailyActive:
    """Compute daily-active the slow way.

    ``events`` are rows with ``ts`` (aware datetime), ``user``, ``anonymous`` and
    ``method``. ``days`` defaults to every day from the first to the last event's
    local day (of every event, anonymous ones included, as the report range is).
    """
    rows = list(events)
    sync_names = {name.lower() for name in options["sync_methods"]}

    methods_of: dict[tuple[date, str], set[str]] = {}
    first_of: dict[tuple[date, str], datetime] = {}
    for row in rows:
        if row["anonymous"]:
            continue
        key = (local_date(row["ts"], timezone), row["user"])
        methods_of.setdefault(key, set()).add(row["method"])
        if key not in first_of or row["ts"] < first_of[key]:
            first_of[key] = row["ts"]

    if days is None:
        local_days = [local_date(row["ts"], timezone) for row in rows]
        days = []
        if local_days:
            day = min(local_days)
            while day <= max(local_days):
                days.append(day)
                day += timedelta(days=1)

    units: dict[date, int] = {day: 0 for day in days}
    by_day: dict[date, list[tuple[datetime, str, int, int, int]]] = {}
    for (day, user), methods in methods_of.items():
        m = len(methods)
        s = len({method for method in methods if method.lower() in sync_names})
        seat_count = seats(
            m, s, options["overflow"], options["max_methods"], options["max_sync_methods"]
        )
        units[day] = units.get(day, 0) + seat_count
        by_day.setdefault(day, []).append((first_of[(day, user)], user, m, s, seat_count))

    refused: list[RefusedUser] = []
    if capacity is not None:
        for day in sorted(by_day):
            total = 0
            for first, user, m, s, seat_count in sorted(by_day[day]):
                total += seat_count
                if total > capacity:
                    refused.append(
                        RefusedUser(day.isoformat(), user, first, m, s, seat_count, total)
                    )
    return DailyActive(units=units, refused=refused)
