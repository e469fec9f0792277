"""`concurrent` — NetExplorer 2K16/2K17 (SPEC 3.2).

"Chaque connexion compte pour une licence, les licences sont libérées toutes les 10
minutes": every (identity, method) pair is a slot, the identity being the user, or for
an anonymous row ``anon:`` + its session (a row without session is an identity of its
own). An event at ``t`` keeps its slot busy over ``[t, t + window)``; a slot's
overlapping or touching busy spans merge, and a day's units are the most busy slots at
one instant of it. ``window_mode = "fixed"`` counts instead the distinct slots with an
event in each bucket ``window`` wide aligned on the UTC epoch, a bucket belonging to the
day of its start.
Detail tables: ``peaks``, and ``peak_holders`` (period, user, slots): the slots busy at
each day's peak instant (``peak_at``; fixed mode: the slots of the peak bucket) by user,
the visitors' and lone rows' under an empty user; they sum to the day's units, and a
chargeback shares the day by them (issue 13); reported with a groups file only.
``peak_profile`` (instant, busy): the intraday profile of the range's peak day (the
earliest day with the most busy slots), one row per change: ``busy`` slots from
``instant`` until the next row, the last row until the day's end (fixed mode: each
bucket's count, 0 between buckets). No row when no slot was ever busy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import polars as pl

from licaudit.models.base import CODE, Detail, Model, ModelInput, ModelResult, Partial, Split
from licaudit.models.spans import (
    INSTANT,
    INT64_LIMIT,
    Axis,
    change_key,
    edges,
    held_at_peaks,
    peaks_of_changes,
)

NAME = "concurrent"
INT128_LIMIT = 2**127 - 1
MICROSECONDS_PER_MINUTE = 60_000_000


@dataclass(frozen=True)
class ConcurrentOptions:
    """``window``: how long an event keeps its slot busy (or the bucket width, fixed mode)."""

    window: timedelta = timedelta(minutes=10)
    window_mode: Literal["sliding", "fixed"] = "sliding"


def microseconds(duration: timedelta) -> int:
    """A timedelta in whole microseconds, exactly (no float on the way)."""
    return (duration.days * 86_400 + duration.seconds) * 1_000_000 + duration.microseconds


def runs(
    events: pl.DataFrame | pl.LazyFrame, pause: int, bounds: Bounds | None = None
) -> pl.DataFrame:
    """Each group's events cut into runs: ``group``, ``first`` and ``last`` ``ts`` of each.

    ``events`` has ``group`` (Int64, 0 or more) and ``ts``. A run starts at a group's
    first event and at every event coming ``pause`` µs or more after the one before it.
    """
    packed = _packed(events, pause, bounds)
    if packed is None:
        return _sorted_runs(events.lazy(), pause)
    if packed.keys is None:
        return pl.DataFrame(schema={"group": pl.Int64(), "first": INSTANT, "last": INSTANT})
    firsts, lasts = packed.firsts(), packed.lasts()
    return packed.keys.select(
        group=(firsts // packed.stride).cast(pl.Int64),
        first=(packed.time(firsts) + packed.low).cast(INSTANT),
        last=(packed.time(lasts) + packed.low).cast(INSTANT),
    ).collect()


@dataclass(frozen=True)
class Packed:
    """Events sorted on (group, ts) as one key column ``key`` of ``keys``: ``group * stride
    + ts - low``, ts in µs. Sorting on (group, ts) is the cost of runs: packed into one
    Int64 (or Int128), it is one single-column sort, several times faster than a frame sort.
    The groups are spaced ``pause`` more than the time range apart, so that a group's
    first event is ``pause`` or more above the key before it: one difference of keys then
    finds every run's start, a group's first included. ``keys`` is None: no event."""

    keys: pl.LazyFrame | None
    stride: int = 0
    low: int = 0
    pause: int = 0

    def _opens(self) -> pl.Expr:
        return pl.col("key").diff().fill_null(self.pause) >= self.pause

    def time(self, key: pl.Expr) -> pl.Expr:
        """The time of a key's event, µs after ``low`` (Int64): the key's remainder by the
        stride, a mask when it is a power of two (a third of the time of ``%``)."""
        if self.stride & (self.stride - 1) == 0:
            return (key & (self.stride - 1)).cast(pl.Int64)
        return (key % self.stride).cast(pl.Int64)

    def firsts(self) -> pl.Expr:
        """The key of each run's first event, in key order."""
        return pl.col("key").filter(self._opens())

    def lasts(self) -> pl.Expr:
        """The key of each run's last event, in key order."""
        return pl.col("key").filter(self._opens().shift(-1).fill_null(True))


@dataclass(frozen=True)
class Bounds:
    """Every event's time within ``[low, high]`` (µs since the epoch), every group below
    ``groups``: what keys are packed by."""

    low: int
    high: int
    groups: int


def _packed(
    events: pl.DataFrame | pl.LazyFrame, pause: int, bounds: Bounds | None = None
) -> Packed | None:
    """``events`` (``group``, ``ts``) packed and sorted; None when the groups and the time
    range are too wide to pack (``_sorted_runs`` then sorts the frame). ``bounds``, when
    the caller knows them, spares a pass over the events to find them."""
    events = events.lazy()
    epoch = pl.col("ts").dt.epoch("us")
    if bounds is None:
        low, high, groups = (
            events.select(low=epoch.min(), high=epoch.max(), groups=pl.col("group").max() + 1)
            .collect()
            .row(0)
        )
        if low is None:
            return Packed(None)
    else:
        low, high, groups = bounds.low, bounds.high, bounds.groups
    stride = high - low + pause
    # Rounded up to a power of two where that still fits, so that a key's time is a mask.
    if groups * _power_of_two(stride) <= INT64_LIMIT:
        stride = _power_of_two(stride)
    if groups * stride <= INT64_LIMIT:
        dtype: pl.DataType = pl.Int64()
    elif groups * stride <= INT128_LIMIT:
        # A year of a large company's slots: an Int128 key sorts twice slower than an
        # Int64 one, and five times faster than the frame (40 M rows: 2.3 s against 13).
        dtype = pl.Int128()
    else:
        return None
    packed = pl.col("group").cast(dtype) * stride + (epoch - low).cast(dtype)
    return Packed(events.select(key=packed.sort()), stride, low, pause)


def _power_of_two(number: int) -> int:
    """The least power of two at or above ``number`` (>= 1)."""
    return 1 << (number - 1).bit_length()


def _sorted_runs(events: pl.LazyFrame, pause: int) -> pl.DataFrame:
    """``runs`` by a sort on (group, ts): groups and times too wide to pack."""
    group, ts = pl.col("group"), pl.col("ts")
    opens = (group.diff() != 0).fill_null(True) | (ts.dt.epoch("us").diff() >= pause)
    closes = opens.shift(-1).fill_null(True)
    return (
        events.select("group", "ts")
        .sort("group", "ts")
        .select(group=group.filter(opens), first=ts.filter(opens), last=ts.filter(closes))
        .collect()
    )


@dataclass(frozen=True)
class Slotted:
    """The events by kind of identity, each with its ``ts``.

    ``named``: the rows whose identity is a name, ``group`` = the slot (identity,
    method): authenticated rows, whose identity is their user, and anonymous rows with a
    session, whose identity is ``anon:`` + session; ``lone``: anonymous rows without
    session, each a slot of its own. ``visitors``: when given, the anonymous rows with a
    session, whose slots are then none of ``named``'s: their runs are found apart, and
    the authenticated rows are not copied into one frame with them. ``bounds``: what
    ``named``'s keys are packed by, when known without a pass over it.
    """

    named: pl.LazyFrame
    lone: pl.LazyFrame
    visitors: pl.LazyFrame | None = None
    bounds: Bounds | None = None
    visitor_bounds: Bounds | None = None

    def with_names(self) -> list[pl.LazyFrame]:
        """The frames of named slots: ``named``, and ``visitors`` when apart."""
        return [frame for frame, _ in self.bounded()]

    def bounded(self) -> list[tuple[pl.LazyFrame, Bounds | None]]:
        """``with_names``, each frame with its bounds when known (``bounds``,
        ``visitor_bounds``)."""
        named = [(self.named, self.bounds)]
        if self.visitors is None:
            return named
        return [*named, (self.visitors, self.visitor_bounds)]


ANON = "anon:"


def slotted(model_input: ModelInput[ConcurrentOptions]) -> Slotted:
    """The slots: identity x methods + method, compact so that runs() can pack it.

    "identity is ``user``, or for anonymous rows ``anon:`` + ``session``": both are names,
    compared as written, so a visitor whose ``anon:`` + session is some user's name is
    that user (their code); any other session is numbered after every user.
    """
    users = model_input.names.users
    methods = max(model_input.names.methods.height, 1)
    method = pl.col("method").cast(pl.Int64)
    events = model_input.events.select("ts", "user", "anonymous", "method", "session")
    anonymous = pl.col("anonymous")
    authenticated = events.filter(~anonymous).select(
        "ts", "method", identity=pl.col("user").cast(pl.Int64)
    )
    # The anonymous rows, few in most logs, taken from the events once: the visitors and
    # the lone rows are both found among them.
    anonymous_rows = events.filter(anonymous).select("ts", "method", "session").collect().lazy()
    visitors = anonymous_rows.filter(pl.col("session").is_not_null())
    # Sessions are not encoded by the core: numbered here, among the visitors' rows only,
    # by the dense rank of a Categorical's codes (a hash of each text, then integers):
    # half the time of ranking the texts themselves (0.09 -> 0.05 s for 300 k rows).
    session_code = pl.col("session").cast(pl.Categorical).to_physical()
    identity = users.height + session_code.rank("dense").cast(pl.Int64) - 1
    named_like_visitors = users.filter(pl.col("name").str.starts_with(ANON))
    if named_like_visitors.height:
        codes = named_like_visitors.lazy().select(
            session=pl.col("name").str.strip_prefix(ANON), user_code=pl.col("code").cast(pl.Int64)
        )
        visitors = visitors.join(codes, on="session", how="left")
        identity = pl.coalesce("user_code", identity)
    slot = pl.col("identity") * methods + method
    visiting = visitors.select("ts", "method", identity=identity).select("ts", group=slot)
    lone = anonymous_rows.filter(pl.col("session").is_null()).select("ts")
    if named_like_visitors.height:
        # Some visitors are users (their slots among the users'): one frame for both.
        return Slotted(
            named=pl.concat([authenticated.select("ts", group=slot), visiting]), lone=lone
        )
    # The users' slots are below users x methods, and their times among all the events':
    # the keys are packed by those, without a pass over the users' rows to find them.
    epoch = pl.col("ts").dt.epoch("us")
    low, high = events.select(low=epoch.min(), high=epoch.max()).collect().row(0)
    bounds = None if low is None else Bounds(low, high, users.height * methods)
    # The visitors' slots, numbered once (their sessions' ranks are most of their cost),
    # and bounded by the events' times and their highest slot.
    visitor_slots = visiting.collect()
    top = visitor_slots.select(pl.col("group").max()).item()
    visitor_bounds = None if low is None or top is None else Bounds(low, high, top + 1)
    return Slotted(
        named=authenticated.select("ts", group=slot),
        lone=lone,
        visitors=visitor_slots.lazy(),
        bounds=bounds,
        visitor_bounds=visitor_bounds,
    )


def busy_spans(slots: Slotted, window: timedelta) -> pl.DataFrame:
    """Each slot's merged busy spans ``[start, end)``.

    Every span is ``window`` long, so a slot's spans overlap or touch exactly when an
    event comes at most ``window`` after the one before: runs split on pauses of
    ``window`` + 1 µs or more, and a run is busy from its first event to its last + window.
    """
    return identity_spans(slots, window, 1).select("start", "end")


def identity_spans(slots: Slotted, window: timedelta, methods: int) -> pl.DataFrame:
    """``busy_spans`` with the ``identity`` of each (``group // methods``; null: a lone row)."""
    pause = microseconds(window) + 1
    found = [runs(frame, pause, bounds) for frame, bounds in slots.bounded()]
    merged = pl.concat(found).select(
        identity=pl.col("group") // methods, start="first", end=pl.col("last") + window
    )
    lone = slots.lone.select(
        identity=pl.lit(None, pl.Int64), start="ts", end=pl.col("ts") + window
    ).collect()
    return pl.concat([merged, lone])


def minutes(duration: pl.Expr) -> pl.Expr:
    return duration.dt.total_microseconds().cast(pl.Float64) / MICROSECONDS_PER_MINUTE


PROFILE_SCHEMA = pl.Schema({"instant": INSTANT, "busy": pl.Int64()})


def peak_day(peaks: pl.DataFrame, days: pl.DataFrame) -> pl.DataFrame:
    """The calendar row (day, start, end) of the earliest day with the highest peak; none
    when no slot was busy on any day."""
    top = peaks.filter(pl.col("peak") > 0).sort(["peak", "day"], descending=[True, False])
    return days.join(top.head(1).select("day"), on="day")


def changes_only(profile: pl.LazyFrame) -> pl.DataFrame:
    """``instant, busy`` rows kept where ``busy`` differs from the row before."""
    busy = pl.col("busy")
    return profile.filter(busy.ne_missing(busy.shift(1))).collect().cast(PROFILE_SCHEMA)


def busy_changes(slots: Slotted, window: timedelta, axis: Axis) -> pl.LazyFrame:
    """Every slot's merged busy spans as the changes ``peaks_of_changes`` sweeps: +1 where a
    span starts and -1 where it ends, offsets of ``axis`` (past its ends too), and the
    axis' marks. The spans ``identity_spans`` gives, taken from the sorted keys of the runs
    without being made: on 10 M events, 0.75 -> 0.56 s for the whole model."""
    busy = microseconds(window)
    pause = busy + 1

    def changes_of(start: pl.Expr, end: pl.Expr, shift: int) -> pl.Expr:
        """One column: the starts' changes, then the ends'. A run's offsets are its first
        and last events' times in µs (``start``, ``end``) + ``shift``, + ``busy`` for its
        end. The shift is added to the packed changes, one pass fewer; offsets are not
        clamped into the axis, the sweep reads past its ends (``peaks_of_changes``)."""
        return change_key(start, 1, shift).append(change_key(end, -1, shift + busy))

    changes = []
    for frame, bounds in slots.bounded():
        packed = _packed(frame, pause, bounds)
        if packed is None:  # too wide to pack: the runs of a frame sort
            found = _sorted_runs(frame, pause).lazy()
            first, last = pl.col("first").dt.epoch("us"), pl.col("last").dt.epoch("us")
            changes.append(found.select(changes_of(first, last, -axis.origin)))
        elif packed.keys is not None:
            # Sorted once, read for both ends of every run in one pass.
            first, last = packed.time(packed.firsts()), packed.time(packed.lasts())
            shift = packed.low - axis.origin
            changes.append(packed.keys.select(changes_of(first, last, shift)))
    lone = pl.col("ts").dt.epoch("us")
    changes += [
        slots.lone.select(changes_of(lone, lone, -axis.origin)),
        axis.marks().to_frame("offset").lazy().select(change_key(pl.col("offset"), 0)),
    ]
    return pl.concat(changes)


def span_changes(spans: pl.DataFrame, axis: Axis) -> pl.LazyFrame:
    """``busy_changes`` of spans already made (the merged partials of several parts)."""
    return edges(spans.select("start", "end"), axis)


def timeline_profile(timeline: pl.DataFrame, day: pl.DataFrame, axis: Axis) -> pl.DataFrame:
    """The busy slots over ``day`` (one calendar row, or none), one row per change of count
    from the day's start: the rows of the sweep's ``timeline`` in that day."""
    if day.height == 0:
        return pl.DataFrame(schema=PROFILE_SCHEMA)
    start = int(day["start"].dt.epoch("us")[0]) - axis.origin
    end = int(day["end"].dt.epoch("us")[0]) - axis.origin
    offset = pl.col("offset")
    rows = timeline.lazy().filter((offset >= start) & (offset < end))
    return changes_only(rows.select(instant=(offset + axis.origin).cast(INSTANT), busy="count"))


def sliding_peaks(
    model_input: ModelInput[ConcurrentOptions], changes: Callable[[Axis], pl.LazyFrame]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per day: the most busy slots at once, its first instant, minutes above capacity; the
    peak day's profile. ``changes``: every busy span's changes on an axis (``busy_changes``,
    ``span_changes``)."""
    capacity = model_input.capacity
    days = model_input.calendar.days
    if days.height == 0:
        return pl.DataFrame(schema=PEAKS_SCHEMA), pl.DataFrame(schema=PROFILE_SCHEMA)
    axis = Axis.of(days)
    daily, timeline = peaks_of_changes(changes(axis), days, axis, over=capacity)
    over = minutes(pl.col("time_over")) if capacity is not None else pl.lit(None, pl.Float64)
    profile = timeline_profile(timeline, peak_day(daily, days), axis)
    return daily.select("day", "peak", "peak_at", minutes_over=over), profile


PEAKS_SCHEMA = pl.Schema(
    {"day": pl.Date(), "peak": pl.Int64(), "peak_at": INSTANT, "minutes_over": pl.Float64()}
)


def sliding_holders(spans: pl.DataFrame, peaks: pl.DataFrame) -> pl.DataFrame:
    """The (day, identity) slots busy at each day's peak instant (``peak_at`` of ``peaks``)."""
    return held_at_peaks(spans, peaks).group_by("day", "identity").agg(slots=pl.len())


def slot_buckets(model_input: ModelInput[ConcurrentOptions]) -> pl.DataFrame:
    """Per bucket with an event and identity: ``bucket``, ``identity`` (null: the lone
    rows, each its own slot), and ``slots``, the identity's distinct slots in the bucket."""
    width = microseconds(model_input.options.window)
    methods = max(model_input.names.methods.height, 1)
    slots = slotted(model_input)
    bucket = (pl.col("ts").dt.epoch("us") // width).alias("bucket")
    named = (
        pl.concat(slots.with_names())
        .group_by(bucket, identity=pl.col("group") // methods)
        .agg(slots=pl.col("group").n_unique().cast(pl.Int64))
    )
    lone = slots.lone.group_by(bucket).agg(
        identity=pl.lit(None, pl.Int64), slots=pl.len().cast(pl.Int64)
    )
    return pl.concat([named, lone]).collect()


def fixed_buckets(
    model_input: ModelInput[ConcurrentOptions], slot_counts: pl.DataFrame
) -> pl.DataFrame:
    """Every bucket with an event, sorted: ``bucket``, ``count`` of its slots, ``start`` and
    the ``day`` of its start (buckets starting outside the calendar left out).
    ``slot_counts``: as ``slot_buckets`` gives them."""
    calendar = model_input.calendar
    width = microseconds(model_input.options.window)
    return (
        slot_counts.lazy()
        .group_by("bucket")
        .agg(count=pl.col("slots").sum())
        .sort("bucket")
        .with_columns(start=(pl.col("bucket") * width).cast(INSTANT))
        .with_columns(day=calendar.day_of(pl.col("start")))
        .filter(pl.col("day").is_not_null())
        .collect()
    )


def fixed_peaks(model_input: ModelInput[ConcurrentOptions], buckets: pl.DataFrame) -> pl.DataFrame:
    """Per day: the largest of ``buckets`` starting in it, the first such bucket's start, and
    the minutes of its buckets above capacity (whole buckets, even one running past midnight)."""
    calendar = model_input.calendar
    capacity = model_input.capacity
    width = microseconds(model_input.options.window)
    count = pl.col("count")
    over = (
        (count > capacity).sum().cast(pl.Float64) * (width / MICROSECONDS_PER_MINUTE)
        if capacity is not None
        else pl.lit(None, pl.Float64)
    )
    # The earliest bucket at the peak (not get(arg_max): see models/spans.py).
    per_day = (
        buckets.lazy()
        .group_by("day")
        .agg(
            peak=count.max(),
            peak_at=pl.col("start").filter(count == count.max()).min(),
            minutes_over=over,
        )
    )
    no_time_over = pl.lit(0.0 if capacity is not None else None, pl.Float64)
    return (
        calendar.days.lazy()
        .select("day")
        .join(per_day, on="day", how="left")
        .select(
            "day",
            peak=pl.col("peak").fill_null(0),
            peak_at="peak_at",
            minutes_over=pl.col("minutes_over").fill_null(no_time_over),
        )
        .sort("day")
        .collect()
    )


def fixed_profile(buckets: pl.DataFrame, day: pl.DataFrame, window: timedelta) -> pl.DataFrame:
    """The bucket counts over ``day`` (one calendar row, or none): each of its buckets from
    its start, 0 from the day's start and from the end of a bucket not followed by another."""
    if day.height == 0:
        return pl.DataFrame(schema=PROFILE_SCHEMA)
    start, end = day.row(0, named=True)["start"], day.row(0, named=True)["end"]
    own = (
        buckets.lazy().filter(pl.col("day") == day["day"][0]).select(instant="start", busy="count")
    )
    after = pl.col("instant") + window
    gaps = own.filter(after.ne_missing(pl.col("instant").shift(-1)) & (after < end)).select(
        instant=after, busy=pl.lit(0, pl.Int64())
    )
    opening = pl.LazyFrame({"instant": [start], "busy": [0]}, schema=PROFILE_SCHEMA)
    # At one instant a bucket's count wins over the day's opening 0 (rank 0 before 1).
    rows = pl.concat(
        [
            opening.with_columns(rank=pl.lit(0)),
            own.with_columns(rank=pl.lit(1)),
            gaps.with_columns(rank=pl.lit(1)),
        ],
        how="vertical_relaxed",
    )
    latest = rows.sort("instant", "rank").group_by("instant", maintain_order=True).last()
    return changes_only(latest.select("instant", "busy"))


def fixed_holders(
    model_input: ModelInput[ConcurrentOptions], slot_counts: pl.DataFrame, peaks: pl.DataFrame
) -> pl.DataFrame:
    """The (day, identity) slots with an event in each day's peak bucket (``peak_at``)."""
    width = microseconds(model_input.options.window)
    peak_buckets = peaks.filter(pl.col("peak_at").is_not_null()).select(
        "day", bucket=pl.col("peak_at").dt.epoch("us") // width
    )
    return (
        slot_counts.join(peak_buckets, on="bucket")
        .group_by("day", "identity")
        .agg(slots=pl.col("slots").sum())
    )


def peak_holders(at_peaks: pl.DataFrame, users: int) -> pl.DataFrame:
    """``period, user, slots``: the slots each user holds at the day's peak; the identities
    that are no user (visitors, lone rows) together under an empty user."""
    identity = pl.col("identity")
    user = pl.when(identity < users).then(identity).cast(CODE).alias("user")
    return (
        at_peaks.group_by("day", user)
        .agg(slots=pl.col("slots").sum().cast(pl.Int64))
        .sort("day", "user", nulls_last=True)
        .select(period="day", user="user", slots="slots")
    )


def partial(model_input: ModelInput[ConcurrentOptions]) -> Partial:
    """Each slot's busy spans (sliding), or its buckets with an event (fixed)."""
    if model_input.options.window_mode == "fixed":
        return {"slot_buckets": slot_buckets(model_input)}
    methods = max(model_input.names.methods.height, 1)
    return {"spans": identity_spans(slotted(model_input), model_input.options.window, methods)}


def finish(model_input: ModelInput[ConcurrentOptions], partials: Partial) -> ModelResult:
    if model_input.options.window_mode == "fixed":
        slot_counts = partials["slot_buckets"]
        buckets = fixed_buckets(model_input, slot_counts)
        peaks = fixed_peaks(model_input, buckets)
        day = peak_day(peaks, model_input.calendar.days)
        profile = fixed_profile(buckets, day, model_input.options.window)

        def at_peaks() -> pl.DataFrame:
            return fixed_holders(model_input, slot_counts, peaks)

        return _result(model_input, peaks, profile, at_peaks)
    spans = partials["spans"]
    peaks, profile = sliding_peaks(model_input, lambda axis: span_changes(spans, axis))
    return _result(model_input, peaks, profile, lambda: sliding_holders(spans, peaks))


def compute(model_input: ModelInput[ConcurrentOptions]) -> ModelResult:
    """The model on every event at once: as ``finish(partial)``, and in sliding mode the
    spans are swept without being made (``busy_changes``); only the peak holders, which a
    chargeback alone reads, make them."""
    if model_input.options.window_mode == "fixed":
        return finish(model_input, partial(model_input))
    window = model_input.options.window
    peaks, profile = sliding_peaks(
        model_input, lambda axis: busy_changes(slotted(model_input), window, axis)
    )

    def at_peaks() -> pl.DataFrame:
        return sliding_holders(partial(model_input)["spans"], peaks)

    return _result(model_input, peaks, profile, at_peaks)


def _result(
    model_input: ModelInput[ConcurrentOptions],
    peaks: pl.DataFrame,
    profile: pl.DataFrame,
    at_peaks: Callable[[], pl.DataFrame],
) -> ModelResult:
    """The usage and detail tables from the day's ``peaks``, the peak day's ``profile``, and
    the slots held at each peak (``at_peaks``: made only when a chargeback reads them)."""
    peaks = peaks.cast({"peak": pl.Int64, "peak_at": INSTANT, "minutes_over": pl.Float64})
    day_usage = peaks.select("day", units="peak")
    users = model_input.names.users.height

    def holders() -> pl.DataFrame:
        return peak_holders(at_peaks(), users)

    return ModelResult(
        day_usage=day_usage,
        details={
            "peaks": Detail(peaks, "day", "day"),
            "peak_holders": Detail(holders, "period", contributions=True),
            # About the range's peak day: no key, so --from/--to leave it whole.
            "peak_profile": Detail(profile),
        },
    )


SPLIT = Split(partial, finish)
MODEL = Model(
    name=NAME,
    summary="most (user or visitor, method) slots busy at once per local day, 10-minute spans",
    options=ConcurrentOptions,
    compute=compute,
    split=SPLIT,
    named_users=False,
)
