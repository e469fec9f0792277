"""`daily-active` — NetExplorer 2K19/2K21 (SPEC 3.1).

Each authenticated user active on a local day of the contract's timezone takes a
seat; a user using more than ``max_methods`` distinct access methods, or more than
``max_sync_methods`` sync tools, that day takes extra seats: ``1 + max(0, m - 5,
s - 2)`` by default ("pour chaque dépassement, un utilisateur actif
supplémentaire"), or ``max(1, ceil(m/5), ceil(s/2))`` with ``overflow = "block"``.
The day's units are the sum of seats. Users are admitted in order of their first
event that day; once the running total of seats passes capacity, they are refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from licaudit.models.base import Calendar, Model, ModelResult, Option

if TYPE_CHECKING:
    from licaudit.contract import Contract

NAME = "daily-active"


def seats_expr(overflow: str, max_methods: int, max_sync_methods: int) -> pl.Expr:
    """Seats of one (day, user) from its distinct methods ``m`` and sync methods ``s``."""
    m, s = pl.col("methods"), pl.col("sync_methods")
    if overflow == "block":
        # Integer ceiling division: -(-a // b).
        return pl.max_horizontal(
            pl.lit(1, pl.Int64), -(-m // max_methods), -(-s // max_sync_methods)
        ).cast(pl.Int64)
    return (1 + pl.max_horizontal(pl.lit(0, pl.Int64), m - max_methods, s - max_sync_methods)).cast(
        pl.Int64
    )


def user_days(events: pl.LazyFrame, calendar: Calendar, contract: Contract) -> pl.LazyFrame:
    """One row per (day, user) active that day: first event, methods, sync methods, seats."""
    options = contract.options
    sync_methods = list(options["sync_methods"])
    return (
        events.filter(~pl.col("anonymous"))
        .with_columns(day=calendar.day_of(pl.col("ts")))
        .group_by("day", "user")
        .agg(
            first_event=pl.col("ts").min(),
            methods=pl.col("method").n_unique().cast(pl.Int64),
            sync_methods=pl.col("method")
            .filter(pl.col("method").is_in(sync_methods))
            .n_unique()
            .cast(pl.Int64),
        )
        .with_columns(
            seats=seats_expr(
                options["overflow"], options["max_methods"], options["max_sync_methods"]
            )
        )
    )


def compute(events: pl.LazyFrame, calendar: Calendar, contract: Contract) -> ModelResult:
    per_user = user_days(events, calendar, contract).collect()
    scope = contract.scope or "*"
    daily = per_user.group_by("day").agg(units=pl.col("seats").sum().cast(pl.Int64))
    day_usage = (
        calendar.days.select("day")
        .join(daily, on="day", how="left")
        .select(
            scope=pl.lit(scope, pl.String),
            day="day",
            units=pl.col("units").fill_null(0).cast(pl.Int64),
        )
        .sort("day")
    )
    return ModelResult(day_usage=day_usage, details={"refused": refused(per_user, contract)})


def refused(per_user: pl.DataFrame, contract: Contract) -> pl.DataFrame:
    """Users turned away: by first event of the day (ties by user), once seats exceed capacity."""
    ordered = per_user.sort("day", "first_event", "user").with_columns(
        running_total=pl.col("seats").cum_sum().over("day").cast(pl.Int64)
    )
    if contract.capacity is None:
        ordered = ordered.clear()
    else:
        ordered = ordered.filter(pl.col("running_total") > contract.capacity)
    return ordered.select(
        contract=pl.lit(contract.name, pl.String),
        period=pl.col("day").dt.strftime("%Y-%m-%d"),
        user="user",
        first_event="first_event",
        methods="methods",
        sync_methods="sync_methods",
        seats="seats",
        running_total="running_total",
    )


MODEL = Model(
    name=NAME,
    summary="distinct authenticated users per local day, extra seats past 5 methods / 2 sync",
    options=(
        Option("overflow", "choice", "per-method", choices=("per-method", "block")),
        Option("max_methods", "int", 5),
        Option("max_sync_methods", "int", 2),
        Option("sync_methods", "str_list", ("sync", "netsync")),
    ),
    compute=compute,
)
