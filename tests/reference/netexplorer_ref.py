"""Deliberately naive references of `concurrent`, `floating` and `accounts` (SPEC 3.2-3.4).

Dicts, sets and loops only: no Polars, no NumPy. Every count is taken by brute force,
by evaluating "how many are busy / held / active at instant T" at every instant where
that number can change (and at the day's first instant), so there is nothing clever
to get wrong. The property tests compare the vectorized models with these functions
on generated events.

Shared conventions
------------------
* ``events`` are already normalized (SPEC 1.2) and already restricted to the
  contract's scope: mappings with ``ts`` (aware datetime, UTC), ``user`` (str or
  None), ``anonymous`` (bool), ``method``, ``product`` and ``session`` (str or None).
* ``days`` are the local dates of the report range. A local day ``d`` is the
  half-open interval ``[midnight(d), midnight(d + 1))`` where ``midnight(d)`` is
  ``datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(tz)).astimezone(UTC)`` (a midnight
  skipped by DST lands on the transition instant). "The day of an instant" is the
  day of ``days`` whose interval contains it: the same as the instant's local date
  (except where a zone turns its clocks back across midnight, which no zone the
  tests use does); an instant outside every day is not reported.
* Every interval is half-open (SPEC 3, "Half-open time"): what ends at ``b`` and
  what starts at ``b`` are never simultaneous.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- Local days -----------------------------------------------------------------------------


def local_midnight(day: date, timezone: str) -> datetime:
    """The UTC instant at which the local day ``day`` starts."""
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """``[start, end)`` of the local day ``day``, in UTC (23 or 25 hours on DST days)."""
    return local_midnight(day, timezone), local_midnight(day + timedelta(days=1), timezone)


def day_of(instant: datetime, days: Sequence[date], timezone: str) -> date | None:
    """The day of ``days`` whose ``[start, end)`` contains ``instant``, or None."""
    for day in days:
        start, end = day_bounds(day, timezone)
        if start <= instant < end:
            return day
    return None


def minutes(span: timedelta) -> float:
    return span.total_seconds() / 60


# --- 3.2 concurrent -------------------------------------------------------------------------


@dataclass(frozen=True)
class Concurrent:
    """Units per day, with the first peak instant and the minutes above capacity per day."""

    units: dict[date, int]
    peak_at: dict[date, datetime | None]
    minutes_over: dict[date, float | None]


Slot = tuple[Any, str]
"""(identity, method). An identity is a user name, ``"anon:" + session``, or for an
anonymous row without session the tuple ``("row", i)``: unique to that row and equal
to no string."""


def slot_of(index: int, event: Mapping[str, Any]) -> Slot:
    identity: Any
    if not event["anonymous"]:
        identity = event["user"]
    elif event["session"] is not None:
        identity = "anon:" + event["session"]
    else:
        identity = ("row", index)
    return identity, event["method"]


def merged_spans(starts: list[datetime], window: timedelta) -> list[tuple[datetime, datetime]]:
    """The busy spans ``[t, t + window)`` of one slot, overlapping or touching ones merged."""
    spans: list[tuple[datetime, datetime]] = []
    for t in sorted(starts):
        if spans and t <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], t + window))
        else:
            spans.append((t, t + window))
    return spans


def concurrent(
    events: Iterable[Mapping[str, Any]],
    days: Sequence[date],
    timezone: str,
    window: timedelta = timedelta(minutes=10),
    window_mode: str = "sliding",
    capacity: int | None = None,
) -> Concurrent:
    """Compute `concurrent` (SPEC 3.2) the slow way.

    Every event, anonymous or not, counts in its slot ``(identity, method)``.

    ``window_mode = "sliding"``: an event at ``t`` makes its slot busy on
    ``[t, t + window)``; a slot's overlapping or touching spans merge, so a slot is
    busy at most once at any instant. ``concurrency(T)`` = merged spans containing
    ``T``. ``units(day)`` = max of ``concurrency`` over the day, evaluated at the
    day's start and at every span start and end inside the day (concurrency only
    changes there, and is right-continuous). ``peak_at`` = the earliest of those
    instants where the maximum is reached (None when the maximum is 0).
    ``minutes_over`` = the measure, in minutes, of the instants of the day whose
    concurrency exceeds ``capacity`` (None without capacity: there is nothing to be
    above, as the usage table's ``excess`` is empty then).

    ``window_mode = "fixed"``: bucket ``k`` is ``[epoch + k*window, epoch + (k+1)*window)``
    with ``k = floor((ts - epoch) / window)`` (UTC epoch); its count is the number of
    distinct slots with an event in it; a bucket belongs to the day of its start
    instant, even when it runs past that day's end. ``units(day)`` = the largest count
    of the day's buckets (0 when none). ``peak_at`` = the start of the earliest
    largest bucket (None when units are 0). ``minutes_over`` (a reading of ours, the
    SPEC is silent) = ``window`` in minutes times the number of the day's buckets
    whose count exceeds ``capacity``: whole buckets, not clipped to the day.
    """
    if window <= timedelta(0):
        raise ValueError("window must be positive")
    rows = list(events)
    slots: dict[Slot, list[datetime]] = {}
    for index, event in enumerate(rows):
        slots.setdefault(slot_of(index, event), []).append(event["ts"])

    units: dict[date, int] = {}
    peak_at: dict[date, datetime | None] = {}
    minutes_over: dict[date, float | None] = {}

    if window_mode == "sliding":
        spans = [span for starts in slots.values() for span in merged_spans(starts, window)]

        def busy(instant: datetime) -> int:
            return sum(1 for start, end in spans if start <= instant < end)

        for day in days:
            day_start, day_end = day_bounds(day, timezone)
            candidates = {day_start}
            for start, end in spans:
                for instant in (start, end):
                    if day_start <= instant < day_end:
                        candidates.add(instant)
            ordered = sorted(candidates)
            counts = [busy(instant) for instant in ordered]
            peak = max(counts)
            units[day] = peak
            peak_at[day] = ordered[counts.index(peak)] if peak > 0 else None
            over = timedelta(0)
            if capacity is not None:
                bounds = [*ordered, day_end]
                for i, count in enumerate(counts):
                    if count > capacity:
                        over += bounds[i + 1] - bounds[i]
            minutes_over[day] = minutes(over) if capacity is not None else None
        return Concurrent(units=units, peak_at=peak_at, minutes_over=minutes_over)

    if window_mode == "fixed":
        buckets: dict[datetime, set[Slot]] = {}
        for slot, stamps in slots.items():
            for ts in stamps:
                index = (ts - EPOCH) // window
                buckets.setdefault(EPOCH + index * window, set()).add(slot)
        for day in days:
            units[day] = 0
            peak_at[day] = None
            minutes_over[day] = 0.0
        over_count: dict[date, int] = {day: 0 for day in days}
        for bucket_start in sorted(buckets):
            day_or_none = day_of(bucket_start, days, timezone)
            if day_or_none is None:
                continue
            count = len(buckets[bucket_start])
            if count > units[day_or_none]:
                units[day_or_none] = count
                peak_at[day_or_none] = bucket_start
            if capacity is not None and count > capacity:
                over_count[day_or_none] += 1
        for day in days:
            minutes_over[day] = minutes(window * over_count[day]) if capacity is not None else None
        return Concurrent(units=units, peak_at=peak_at, minutes_over=minutes_over)

    raise ValueError(f"unknown window_mode {window_mode!r}")


# --- 3.3 floating ---------------------------------------------------------------------------


class Licence(NamedTuple):
    """One floating licence: held by ``user`` on ``[assigned, released)``."""

    user: str
    assigned: datetime
    released: datetime


@dataclass(frozen=True)
class Floating:
    """Units per day, with the assignment and release details."""

    units: dict[date, int]
    assignments: dict[date, int]
    releases: dict[date, int]
    held_at_end: dict[date, int]
    holders_at_end: set[str]
    licences: list[Licence]


def licences_of(stamps: list[datetime], user: str, inactivity: timedelta) -> list[Licence]:
    """Walk one user's events in time order and cut them into licences."""
    licences: list[Licence] = []
    ordered = sorted(stamps)
    assigned = ordered[0]
    last = ordered[0]
    for ts in ordered[1:]:
        release = last + inactivity
        if ts >= release:
            # At or after the release instant: the old licence ends, a new one starts.
            licences.append(Licence(user, assigned, release))
            assigned = ts
        last = ts
    licences.append(Licence(user, assigned, last + inactivity))
    return licences


def floating(
    events: Iterable[Mapping[str, Any]],
    days: Sequence[date],
    timezone: str,
    inactivity: timedelta = timedelta(days=30),
    *,
    end_of_range: datetime | None = None,
) -> Floating:
    """Compute `floating` (SPEC 3.3) the slow way.

    Authenticated (non-anonymous) users only. A user's events, in time order: a
    licence is assigned at the first event; it is kept while each next event comes
    strictly before ``last + inactivity``; an event at or after that release instant
    releases the licence at the release instant and takes a new one at the event.
    A licence is held over ``[assigned, last + inactivity)``.

    * ``units(day)`` = max licences held at any instant of the day, evaluated at the
      day's start and at every assignment inside the day (the count only rises there).
      A release at ``t`` and a new assignment at ``t`` are not simultaneous.
    * ``assignments`` / ``releases`` = licences whose assignment / release instant
      falls in the day (instants outside every day are not reported).
    * ``held_at_end(day)`` = licences held at the instant just before the day's end
      ``E``: ``assigned < E <= released`` (so a licence released exactly at midnight is
      still held at the end of the day it ends; one assigned at ``E`` is not).
    * ``holders_at_end`` = users holding a licence just before ``end_of_range``, by the
      same rule (a reading of ours: it makes ``len(holders_at_end)`` equal
      ``held_at_end`` of the last day). ``end_of_range`` defaults to the last day's
      end (the empty set when ``days`` is empty).
    """
    stamps: dict[str, list[datetime]] = {}
    for event in events:
        if event["anonymous"]:
            continue
        stamps.setdefault(event["user"], []).append(event["ts"])
    licences = [
        licence
        for user in sorted(stamps)
        for licence in licences_of(stamps[user], user, inactivity)
    ]

    def held(instant: datetime) -> int:
        return sum(1 for lic in licences if lic.assigned <= instant < lic.released)

    def held_just_before(instant: datetime) -> list[Licence]:
        return [lic for lic in licences if lic.assigned < instant <= lic.released]

    units: dict[date, int] = {}
    assignments: dict[date, int] = {}
    releases: dict[date, int] = {}
    held_at_end: dict[date, int] = {}
    for day in days:
        day_start, day_end = day_bounds(day, timezone)
        candidates = [day_start] + [
            lic.assigned for lic in licences if day_start <= lic.assigned < day_end
        ]
        units[day] = max(held(instant) for instant in candidates)
        assignments[day] = sum(1 for lic in licences if day_start <= lic.assigned < day_end)
        releases[day] = sum(1 for lic in licences if day_start <= lic.released < day_end)
        held_at_end[day] = len(held_just_before(day_end))

    if end_of_range is None and days:
        end_of_range = day_bounds(days[-1], timezone)[1]
    holders_at_end = (
        {lic.user for lic in held_just_before(end_of_range)} if end_of_range is not None else set()
    )
    return Floating(
        units=units,
        assignments=assignments,
        releases=releases,
        held_at_end=held_at_end,
        holders_at_end=holders_at_end,
        licences=licences,
    )


# --- 3.4 accounts ---------------------------------------------------------------------------


class Refusal(NamedTuple):
    """An activation made while ``count_before`` accounts were already active (>= capacity)."""

    ts: datetime
    user: str
    count_before: int


@dataclass(frozen=True)
class Accounts:
    """Units per day, and the refused activations."""

    units: dict[date, int]
    refused: list[Refusal]


Pair = tuple[str, str]
"""(user, product)"""


def pair_changes_events(rows: list[Mapping[str, Any]]) -> dict[Pair, dict[datetime, bool]]:
    """Status events: each row sets its (user, product) at its ts; same ts: last seq wins."""
    changes: dict[Pair, dict[datetime, bool]] = {}
    for row in sorted(rows, key=lambda r: (r["ts"], r["seq"])):
        changes.setdefault((row["user"], row["product"]), {})[row["ts"]] = bool(row["active"])
    return changes


def pair_changes_snapshot(rows: list[Mapping[str, Any]]) -> dict[Pair, dict[datetime, bool]]:
    """Snapshots: the rows of one ts list every account; an active pair left out turns inactive."""
    by_ts: dict[datetime, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_ts.setdefault(row["ts"], []).append(row)
    changes: dict[Pair, dict[datetime, bool]] = {}
    state: dict[Pair, bool] = {}
    for ts in sorted(by_ts):
        listed: dict[Pair, bool] = {}
        for row in sorted(by_ts[ts], key=lambda r: r["seq"]):
            listed[(row["user"], row["product"])] = bool(row["active"])
        for pair, active in state.items():
            if active and pair not in listed:
                changes.setdefault(pair, {})[ts] = False
        for pair, active in listed.items():
            changes.setdefault(pair, {})[ts] = active
        for pair in set(state) | set(listed):
            state[pair] = listed.get(pair, False)
    return changes


def accounts(
    roster_rows: Iterable[Mapping[str, Any]],
    days: Sequence[date],
    timezone: str,
    capacity: int | None,
    mode: str = "events",
    *,
    refused_in_range_only: bool = True,
    scope: Iterable[str] | None = None,
) -> Accounts:
    """Compute `accounts` (SPEC 3.4) the slow way.

    ``roster_rows``: mappings with ``ts`` (aware UTC), ``user``, ``product``, ``active``
    (bool) and ``seq`` (file order), restricted to the contract's scope unless ``scope`` is given.

    A (user, product) state holds from its row's ts until that pair's next change;
    before its first row it is inactive. ``mode = "events"``: rows of one pair with one
    ts apply in file order, the last wins. ``mode = "snapshot"`` (SPEC 1.5): the rows
    of one ts are the complete list at that instant; a listed pair takes its status
    (the last in file order if listed twice); a pair active just before and not
    listed turns inactive at that ts. An account (user) is active at ``T`` when at
    least one of its pairs is. ``units(day)`` = max active accounts over the day,
    evaluated at the day's start and at every roster ts inside the day.

    Refused activations (a reading of ours where the SPEC is silent on ties): an
    *activation* is an instant where an account goes from inactive to active over all
    its products (a product swapped for another at one instant is neither an
    activation nor a deactivation). Instants are taken in time order; at one instant,
    every deactivation applies first (half-open: what ends at ``t`` frees its place
    for what starts at ``t``), then the activations one by one in user order. An
    activation is refused when the count just before it (accounts active before
    ``t``, minus the deactivations at ``t``, plus the earlier activations at ``t``,
    refused ones included) is ``>= capacity``; it is listed as ``(ts, user,
    count_before)``. Refused activations still count (units report what the roster
    says), so once the roster is over capacity every new activation is refused.
    No capacity: nothing is refused. With ``refused_in_range_only`` (default) only
    activations inside the report range ``[start of first day, end of last day)`` are
    listed; earlier ones still count for the state.

    ``scope``: the products counted, when ``roster_rows`` is the whole roster. Snapshot
    states need every product (a snapshot lists them all), so they are read from the
    whole roster and only then restricted to ``scope``; in events mode this is the same
    as giving the scope's rows only.
    """
    rows = list(roster_rows)
    if mode == "events":
        changes = pair_changes_events(rows)
    elif mode == "snapshot":
        changes = pair_changes_snapshot(rows)
    else:
        raise ValueError(f"unknown roster mode {mode!r}")
    if scope is not None:
        products = set(scope)
        changes = {pair: steps for pair, steps in changes.items() if pair[1] in products}

    def pair_active(pair: Pair, instant: datetime) -> bool:
        before = [ts for ts in changes[pair] if ts <= instant]
        return changes[pair][max(before)] if before else False

    users = sorted({user for user, _ in changes})

    def active_users(instant: datetime) -> set[str]:
        return {
            user
            for user in users
            if any(pair_active(pair, instant) for pair in changes if pair[0] == user)
        }

    instants = sorted({ts for pair in changes for ts in changes[pair]})

    units: dict[date, int] = {}
    for day in days:
        day_start, day_end = day_bounds(day, timezone)
        candidates = [day_start] + [t for t in instants if day_start <= t < day_end]
        units[day] = max(len(active_users(instant)) for instant in candidates)

    refused: list[Refusal] = []
    if capacity is not None:
        range_start = day_bounds(days[0], timezone)[0] if days else None
        range_end = day_bounds(days[-1], timezone)[1] if days else None
        before: set[str] = set()
        for instant in instants:
            after = active_users(instant)
            deactivated = before - after
            activated = sorted(after - before)
            count = len(before) - len(deactivated)
            for user in activated:
                in_range = (
                    range_start is not None
                    and range_end is not None
                    and range_start <= instant < range_end
                )
                if count >= capacity and (in_range or not refused_in_range_only):
                    refused.append(Refusal(instant, user, count))
                count += 1
            before = after
    return Accounts(units=units, refused=refused)
