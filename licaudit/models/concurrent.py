"""`concurrent` — NetExplorer 2K16/2K17 (SPEC 3.2).

"Chaque connexion compte pour une licence, les licences sont libérées toutes les 10
minutes": every (identity, method) pair is a slot, the identity being the user, or for
an anonymous row ``anon:`` + its session (a row without session is an identity of its
own). An event at ``t`` keeps its slot busy over ``[t, t + window)``; a slot's
overlapping or touching busy spans merge, and a day's units are the most busy slots at
one instant of it. ``window_mode = "fixed"`` counts instead the distinct slots with an
event in each bucket ``window`` wide aligned on the UTC epoch, a bucket belonging to the
day of its start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import polars as pl

from licaudit.models.base import Detail, Model, ModelInput, ModelResult
from licaudit.models.spans import INSTANT, INT64_LIMIT, daily_peaks

NAME = "concurrent"
MICROSECONDS_PER_MINUTE = 60_000_000


@dataclass(frozen=True)
class ConcurrentOptions:
    """``window``: how long an event keeps its slot busy (or the bucket width, fixed mode)."""

    window: timedelta = timedelta(minutes=10)
    window_mode: Literal["sliding", "fixed"] = "sliding"


def microseconds(duration: timedelta) -> int:
    """A timedelta in whole microseconds, exactly (no float on the way)."""
    return (duration.days * 86_400 + duration.seconds) * 1_000_000 + duration.microseconds


def runs(events: pl.DataFrame, pause: int) -> pl.DataFrame:
    """Each group's events cut into runs: ``group``, ``first`` and ``last`` ``ts`` of each.

    ``events`` has ``group`` (Int64, 0 or more) and ``ts``. A run starts at a group's
    first event and at every event coming ``pause`` µs or more after the one before it.
    Sorting on (group, ts) is the cost here: packed into one Int64 when group and time
    offset fit, it is one single-column sort, several times faster than a frame sort.
    """
    low, high, groups = events.select(
        low=pl.col("ts").min().dt.epoch("us"),
        high=pl.col("ts").max().dt.epoch("us"),
        groups=pl.col("group").max() + 1,
    ).row(0)
    if low is None:
        return pl.DataFrame(schema={"group": pl.Int64(), "first": INSTANT, "last": INSTANT})
    offset = pl.col("ts").dt.epoch("us") - low
    stride = high - low + 1
    if groups * stride <= INT64_LIMIT:
        key = pl.col("key")
        ordered = (
            events.lazy()
            .select(key=(pl.col("group") * stride + offset).sort())
            .select(group=key // stride, offset=key % stride)
        )
    else:
        ordered = events.lazy().select("group", offset=offset).sort("group", "offset")
    group, at = pl.col("group"), pl.col("offset")
    opens = (group.diff() != 0).fill_null(True) | (at.diff() >= pause)
    flagged = ordered.with_columns(opens=opens).collect()
    closes = pl.col("opens").shift(-1).fill_null(True)
    return flagged.select(
        group=group.filter(pl.col("opens")),
        first=(at.filter(pl.col("opens")) + low).cast(INSTANT),
        last=(at.filter(closes) + low).cast(INSTANT),
    )


@dataclass(frozen=True)
class Slotted:
    """The events by kind of identity, each with its ``ts``.

    ``named``: authenticated rows, ``group`` = the slot (user, method); ``visitors``:
    anonymous rows with a session, ``group`` = the slot (session, method), numbered
    apart from the named ones (they never share a slot); ``lone``: anonymous rows
    without session, each a slot of its own.
    """

    named: pl.LazyFrame
    visitors: pl.LazyFrame
    lone: pl.LazyFrame


def slotted(model_input: ModelInput[ConcurrentOptions]) -> Slotted:
    # A slot number is identity × methods + method: compact, so that runs() can pack it.
    methods = max(model_input.names.methods.height, 1)
    method = pl.col("method").cast(pl.Int64)
    events = model_input.events.select("ts", "user", "anonymous", "method", "session")
    anonymous = pl.col("anonymous")
    # Sessions are not encoded by the core: numbered here, among the visitors' rows only.
    session = pl.col("session").rank("dense").cast(pl.Int64) - 1
    return Slotted(
        named=events.filter(~anonymous).select(
            "ts", group=pl.col("user").cast(pl.Int64) * methods + method
        ),
        visitors=events.filter(anonymous & pl.col("session").is_not_null()).select(
            "ts", group=session * methods + method
        ),
        lone=events.filter(anonymous & pl.col("session").is_null()).select("ts"),
    )


def busy_spans(slots: Slotted, window: timedelta) -> pl.DataFrame:
    """Each slot's merged busy spans ``[start, end)``.

    Every span is ``window`` long, so a slot's spans overlap or touch exactly when an
    event comes at most ``window`` after the one before: runs split on pauses of
    ``window`` + 1 µs or more, and a run is busy from its first event to its last + window.
    """
    pause = microseconds(window) + 1
    merged = [
        runs(kind.collect(), pause).select(start="first", end=pl.col("last") + window)
        for kind in (slots.named, slots.visitors)
    ]
    lone = slots.lone.select(start="ts", end=pl.col("ts") + window).collect()
    return pl.concat([*merged, lone])


def minutes(duration: pl.Expr) -> pl.Expr:
    return duration.dt.total_microseconds().cast(pl.Float64) / MICROSECONDS_PER_MINUTE


def sliding_peaks(model_input: ModelInput[ConcurrentOptions]) -> pl.DataFrame:
    """Per day: the most busy slots at once, its first instant, minutes above capacity."""
    capacity = model_input.capacity
    spans = busy_spans(slotted(model_input), model_input.options.window)
    daily = daily_peaks(spans, model_input.calendar.days, over=capacity)
    over = minutes(pl.col("time_over")) if capacity is not None else pl.lit(None, pl.Float64)
    return daily.select("day", "peak", "peak_at", minutes_over=over)


def fixed_peaks(model_input: ModelInput[ConcurrentOptions]) -> pl.DataFrame:
    """Per day: the largest bucket starting in it, the first such bucket's start, and the
    minutes of its buckets above capacity (whole buckets, even one running past midnight)."""
    calendar = model_input.calendar
    capacity = model_input.capacity
    width = microseconds(model_input.options.window)
    slots = slotted(model_input)
    bucket = (pl.col("ts").dt.epoch("us") // width).alias("bucket")
    # Distinct slots of a bucket: named ones, visitors' ones, and every lone row.
    counts = pl.concat(
        [
            slots.named.group_by(bucket).agg(count=pl.col("group").n_unique().cast(pl.Int64)),
            slots.visitors.group_by(bucket).agg(count=pl.col("group").n_unique().cast(pl.Int64)),
            slots.lone.group_by(bucket).agg(count=pl.len().cast(pl.Int64)),
        ]
    )
    buckets = (
        counts.group_by("bucket")
        .agg(pl.col("count").sum())
        .sort("bucket")
        .with_columns(start=(pl.col("bucket") * width).cast(INSTANT))
        .with_columns(day=calendar.day_of(pl.col("start")))
        .filter(pl.col("day").is_not_null())
    )
    count = pl.col("count")
    over = (
        (count > capacity).sum().cast(pl.Float64) * (width / MICROSECONDS_PER_MINUTE)
        if capacity is not None
        else pl.lit(None, pl.Float64)
    )
    # The earliest bucket at the peak (not get(arg_max): see models/spans.py).
    per_day = buckets.group_by("day").agg(
        peak=count.max(),
        peak_at=pl.col("start").filter(count == count.max()).min(),
        minutes_over=over,
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


def compute(model_input: ModelInput[ConcurrentOptions]) -> ModelResult:
    if model_input.options.window_mode == "fixed":
        peaks = fixed_peaks(model_input)
    else:
        peaks = sliding_peaks(model_input)
    peaks = peaks.cast({"peak": pl.Int64, "peak_at": INSTANT, "minutes_over": pl.Float64})
    day_usage = peaks.select("day", units="peak")
    return ModelResult(day_usage=day_usage, details={"peaks": Detail(peaks, "day", "day")})


MODEL = Model(
    name=NAME,
    summary="most (user or visitor, method) slots busy at once per local day, 10-minute spans",
    options=ConcurrentOptions,
    compute=compute,
    named_users=False,
)
