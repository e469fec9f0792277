"""`floating` — NetExplorer Share Enterprise (SPEC 3.3).

"Les licences flottantes sont automatiquement attribuées à un utilisateur interne lors de
sa première connexion": an authenticated user takes a licence at their first event and
holds it while they keep coming back; it is released at ``last + inactivity`` (default
30 × 24 h) after an event not followed by another within that span, and an event at or
after the release instant takes a new one. A day's units are the most licences held at
one instant of it; licences still held after the last event count on the remaining days.
Detail tables: ``assignments``, ``holders``, and ``peak_holders`` (period, user,
licences): the users holding a licence at each day's peak instant (the first instant of
the day at its peak), one licence each, so they sum to the day's units; what a
chargeback shares the day by (issue 13), reported with a groups file only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from licaudit.models.base import CODE, Detail, Model, ModelInput, ModelResult, Partial, Split
from licaudit.models.concurrent import microseconds, runs
from licaudit.models.spans import daily_peaks, held_at_peaks
from licaudit.periods import Calendar

NAME = "floating"


@dataclass(frozen=True)
class FloatingOptions:
    """``inactivity``: how long after a user's last event their licence is released."""

    inactivity: timedelta = timedelta(days=30)


def licences(model_input: ModelInput[FloatingOptions]) -> pl.DataFrame:
    """Every licence: ``user`` (code), held over ``[assigned, released)``.

    An event takes a new licence at the user's first event and when it comes at or after
    the release instant of the one before, which is the previous event's ``ts +
    inactivity``; a licence is released ``inactivity`` after the last event before the
    next assignment. Sorted by user, then assignment.
    """
    inactivity = model_input.options.inactivity
    authenticated = model_input.events.filter(~pl.col("anonymous")).select(
        "ts", group=pl.col("user").cast(pl.Int64)
    )
    # Runs split on pauses of ``inactivity`` or more: "at or after the release instant".
    pause = microseconds(inactivity)
    held = runs(period_ends(authenticated, pause), pause)
    return held.select(
        user=pl.col("group").cast(CODE), assigned="first", released=pl.col("last") + inactivity
    )


def period_ends(events: pl.LazyFrame, pause: int) -> pl.DataFrame:
    """Each group's first and last event of each period ``pause`` µs long (epoch-aligned).

    The events of one period are less than ``pause`` apart, so no run splits inside it:
    the pauses between runs, and the first and last events of runs, are all among these
    rows. With the 30-day default a user has two or three periods a month: the sort that
    follows is of those rows, not of every event (0.45 s to 0.2 s of CPU on 10M events).
    """
    period = (pl.col("ts").dt.epoch("us") // pause).alias("period")
    ends = events.group_by("group", period).agg(first=pl.col("ts").min(), last=pl.col("ts").max())
    firsts = ends.select("group", ts="first")
    lasts = ends.filter(pl.col("last") != pl.col("first")).select("group", ts="last")
    return pl.concat([firsts, lasts]).collect()


def day_movements(licences: pl.DataFrame, calendar: Calendar) -> pl.DataFrame:
    """Per day: licences assigned, released, and held at the day's end.

    "Held at the end" is held just before the end ``E``: ``assigned < E <= released``.
    Every licence has ``assigned < released``, so that count is the licences assigned
    before ``E`` less those released before it.
    """
    assignments = licences.group_by(day=calendar.day_of(pl.col("assigned"))).agg(
        assignments=pl.len()
    )
    releases = licences.group_by(day=calendar.day_of(pl.col("released"))).agg(releases=pl.len())
    held_at_end = before_end(licences["assigned"]) - before_end(licences["released"])
    return (
        calendar.days.with_columns(held_at_end=held_at_end)
        .join(assignments, on="day", how="left")
        .join(releases, on="day", how="left")
        .select(
            "day",
            assignments=pl.col("assignments").fill_null(0).cast(pl.Int64),
            releases=pl.col("releases").fill_null(0).cast(pl.Int64),
            held_at_end="held_at_end",
        )
        .sort("day")
    )


def before_end(instants: pl.Series) -> pl.Expr:
    """How many of ``instants`` come strictly before each day's ``end``."""
    return pl.lit(instants.sort()).search_sorted(pl.col("end"), side="left").cast(pl.Int64)


def holders(licences: pl.DataFrame, calendar: Calendar) -> pl.DataFrame:
    """The users holding a licence at the end of the report (just before the last day's end).

    A user holds at most one licence at an instant: theirs are disjoint.
    """
    held = licences.clear()
    if calendar.days.height:
        end = calendar.last_end
        held = licences.filter((pl.col("assigned") < end) & (pl.col("released") >= end))
    return held.sort("user").select("user", assigned_at="assigned", releases_at="released")


def partial(model_input: ModelInput[FloatingOptions]) -> Partial:
    """Each user's licences, assigned and released."""
    return {"licences": licences(model_input)}


def finish(model_input: ModelInput[FloatingOptions], partials: Partial) -> ModelResult:
    held = partials["licences"].sort("user", "assigned")
    calendar = model_input.calendar
    spans = held.select(start="assigned", end="released")
    peaks = daily_peaks(spans, calendar.days)

    def peak_holders() -> pl.DataFrame:
        at_peaks = held_at_peaks(held.select("user", start="assigned", end="released"), peaks)
        return at_peaks.sort("day", "user").select(
            period="day", user="user", licences=pl.lit(1, pl.Int64)
        )

    return ModelResult(
        day_usage=peaks.select("day", units="peak"),
        details={
            "assignments": Detail(day_movements(held, calendar), "day", "day"),
            "holders": Detail(holders(held, calendar), None),
            "peak_holders": Detail(peak_holders, "period", contributions=True),
        },
    )


SPLIT = Split(partial, finish)
MODEL = Model(
    name=NAME,
    summary="most floating licences held at once per local day, released 30 days after a "
    "user's last event",
    options=FloatingOptions,
    compute=SPLIT.compute,
    split=SPLIT,
)
