"""`accounts` — NetExplorer 2K22 / Workspace / Share (SPEC 3.4).

From the roster. "An account is a user, active at an instant when active for at least
one product in scope. ``units(day)`` = max number of simultaneously active accounts at
any instant of the day (units report what the roster says, refused activations
included)." Activations made while the count was already at capacity are listed as
``refused``: "lorsque le nombre total de comptes utilisateurs atteint la capacité
maximale de la solution, il n'est plus possible d'activer d'autres comptes".
``peak_holders`` (period, user) lists the accounts active at each day's peak instant
(the first instant of the day at its peak), as many as the day's units: what a
chargeback shares the day by (issue 13), reported with a groups file only.
"""

from __future__ import annotations

import polars as pl

from licaudit.models.base import Calendar, Detail, Model, ModelInput, ModelResult, NoOptions
from licaudit.models.roster_states import active_spans, merge_spans
from licaudit.models.spans import daily_peaks, held_at_peaks

NAME = "accounts"


def account_spans(roster: pl.DataFrame) -> pl.DataFrame:
    """When each account is active: its (user, product) spans merged per user.

    A product taken up as another is dropped at the same instant leaves the account
    active throughout: touching spans merge, so this is neither a deactivation nor an
    activation.
    """
    return merge_spans(active_spans(roster), "user")


def refused(spans: pl.DataFrame, capacity: int | None, calendar: Calendar) -> pl.DataFrame:
    """Activations in the calendar's range made while ``capacity`` accounts or more were active.

    The SPEC is silent on ties; our reading: at one instant every deactivation applies
    first (half-open states: what ends at ``t`` frees its place for what starts at
    ``t``), then the activations one by one in user order. ``active_before`` is the
    count just before an activation, earlier activations of that instant included,
    refused ones too (units report what the roster says): once the roster is over
    capacity, every activation is refused. Activations before the report range still
    count, but are not listed.
    """
    # One activation per merged span start, one deactivation per end; sorted by time,
    # deactivations (-1) before activations (+1), then user: the running sum of the
    # changes before a row is the count the platform saw when that change came.
    activations = spans.select(ts="start", user="user", change=pl.lit(1, pl.Int64))
    deactivations = spans.filter(pl.col("end").is_not_null()).select(
        ts="end", user="user", change=pl.lit(-1, pl.Int64)
    )
    listed = (
        pl.concat([activations, deactivations])
        .sort("ts", "change", "user")
        .with_columns(active_before=pl.col("change").cum_sum() - pl.col("change"))
        .filter(pl.col("change") == 1)
    )
    if capacity is None or calendar.days.height == 0:
        listed = listed.clear()
    else:
        listed = listed.filter(
            pl.col("active_before") >= capacity,
            pl.col("ts") >= calendar.first_start,
            pl.col("ts") < calendar.last_end,
        )
    return listed.select("ts", "user", "active_before")


def compute(model_input: ModelInput[NoOptions]) -> ModelResult:
    assert model_input.roster is not None  # the audit refuses a roster model without roster
    calendar = model_input.calendar
    spans = account_spans(model_input.roster)
    peaks = daily_peaks(spans, calendar.days)
    day_usage = peaks.select("day", units="peak")
    refusals = refused(spans, model_input.capacity, calendar)

    def holders() -> pl.DataFrame:
        found = held_at_peaks(spans.select("user", "start", "end"), peaks)
        return found.sort("day", "user").rename({"day": "period"})

    return ModelResult(
        day_usage=day_usage,
        details={
            "refused": Detail(refusals, key="ts", key_kind="instant"),
            "peak_holders": Detail(holders, "period", contributions=True),
        },
    )


MODEL = Model(
    name=NAME,
    summary="most accounts active at once per local day, from the roster (any product in scope)",
    options=NoOptions,
    compute=compute,
    reads=frozenset({"roster"}),
    scoping="across",
    named_users=False,
)
