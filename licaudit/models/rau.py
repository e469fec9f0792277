"""`rau` — Netex Cloud real active users (SPEC 3.6).

Per product, a month's units are the authenticated users with at least one event
in it ("users 1, 2, 3, 4 and 5 have accessed the platform at least once during the
month"). A day's units are the month-to-date running count of those users, the
Netex text's own daily table, so that the month is the max of its days as for
every model. Months and days are local to the contract's timezone.
"""

from __future__ import annotations

import polars as pl

from licaudit.models.base import (
    Calendar,
    Detail,
    Model,
    ModelInput,
    ModelResult,
    NoOptions,
    Partial,
    Split,
)

NAME = "rau"


def month_of(day: pl.Expr, calendar: Calendar) -> pl.Expr:
    """The first day of the month of ``day``, a day of the calendar (which has them all).

    Looked up by the day's offset from the first day: 0.05 s on 10 M events where
    ``dt.month_start()`` on each takes 0.26 s, a quarter of the whole model.
    """
    days = calendar.days["day"]
    if days.is_empty():
        return day.dt.month_start()
    return _of_calendar_day(day, days, days.dt.month_start())


def day_bit(day: pl.Expr, calendar: Calendar) -> pl.Expr:
    """``2^(day of the month - 1)`` of ``day``, a day of the calendar, as a UInt32: a
    month's days are distinct bits, so the OR of a user's bits counts their active days.
    Gathered from the calendar's days, as ``month_of``."""
    days = calendar.days["day"]
    if days.is_empty():  # no event has a day to take a bit of
        return pl.lit(None, pl.UInt32)
    bits = pl.Series([1 << (calendar_day.day - 1) for calendar_day in days], dtype=pl.UInt32)
    return _of_calendar_day(day, days, bits)


def _of_calendar_day(day: pl.Expr, days: pl.Series, values: pl.Series) -> pl.Expr:
    """``values[i]`` for ``day``, the calendar's ``days[i]`` (a non-empty run of days):
    gathered by the day's offset from the first."""
    return pl.lit(values).gather(day.cast(pl.Int32) - pl.lit(days[0]).cast(pl.Int32))


def user_months(model_input: ModelInput[NoOptions]) -> pl.DataFrame:
    """One row per (product, month, user) with an event: first and last access, active days.

    The active days are the bits set in the OR of each event's ``day_bit``: 0.095 s on
    10 M events, where ``n_unique`` of the days takes 0.146 s.
    """
    calendar = model_input.calendar
    active = pl.col("active")
    return (
        model_input.events.filter(~pl.col("anonymous") & pl.col("day").is_not_null())
        # The bits before the aggregation: a gather inside it takes a slow path.
        .with_columns(active=day_bit(pl.col("day"), calendar))
        .group_by("product", month=month_of(pl.col("day"), calendar), user="user")
        .agg(
            first_access=pl.col("ts").min(),
            last_access=pl.col("ts").max(),
            active=active.bitwise_or(),
        )
        .with_columns(active_days=active.bitwise_count_ones().cast(pl.Int64))
        .drop("active")
        .collect()
    )


def running_counts(counted: pl.DataFrame, calendar: Calendar) -> pl.DataFrame:
    """Month-to-date distinct users of every (product, day) of the calendar.

    A user joins the count on the day of their first access of the month; the count
    carries over the days without events until the month ends.
    """
    newcomers = counted.group_by("product", day=calendar.day_of(pl.col("first_access"))).agg(
        newcomers=pl.len().cast(pl.Int64)
    )
    products = counted.select(pl.col("product").unique())
    return (
        products.join(calendar.days.select("day"), how="cross")
        .join(newcomers, on=["product", "day"], how="left")
        .sort("product", "day")
        .select(
            "product",
            "day",
            units=pl.col("newcomers")
            .fill_null(0)
            .cum_sum()
            .over("product", pl.col("day").dt.month_start())
            .cast(pl.Int64),
        )
    )


def partial(model_input: ModelInput[NoOptions]) -> Partial:
    """Each user's first and last access and active days per product and month."""
    return {"user_months": user_months(model_input)}


def finish(model_input: ModelInput[NoOptions], partials: Partial) -> ModelResult:
    counted = partials["user_months"]
    users = counted.sort("product", "month", "user").select(
        "product", "month", "user", "first_access", "last_access", "active_days"
    )
    return ModelResult(
        day_usage=running_counts(counted, model_input.calendar),
        details={"users": Detail(users, key="month", key_kind="month")},
    )


SPLIT = Split(partial, finish)
MODEL = Model(
    name=NAME,
    summary="per product: distinct authenticated users month to date (Netex Cloud RAU)",
    options=NoOptions,
    compute=SPLIT.compute,
    split=SPLIT,
    scoping="per-product",
    named_users=True,
)
