"""`nominal` — Netex Cloud nominal licences (SPEC 3.5).

From the roster, per product: "``units(day)`` = the most users simultaneously active
for the product at any instant of the day ('the day with the highest number of active
users registered'; a swap of one user for another within a day counts once).
``units(month)`` = max over the month's days." Roster states are half-open, so a user
deactivated exactly at local midnight does not count on the new day. The ``peaks``
table names, per product and month, the day that sets the month's bill;
``peak_holders`` (period, product, user) the users active for the product at each day's
peak instant (the first instant of the day at its peak), as many as the day's units:
what a chargeback shares the day by (issue 13), reported with a groups file only.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from licaudit.ingest.encode import CODE
from licaudit.models.base import Detail, Model, ModelInput, ModelResult, NoOptions
from licaudit.models.roster_states import active_spans
from licaudit.models.spans import daily_peaks, held_at_peaks

NAME = "nominal"


def product_days(
    model_input: ModelInput[NoOptions],
) -> tuple[pl.DataFrame, Callable[[], pl.DataFrame]]:
    """Units of every (product, day): the products of the roster and of a scope list.

    Every product gets every day, zeros included, so that the ``peaks`` table has a row
    for each of its months even when no user was ever active for it. Second: the
    ``peak_holders`` rows, made when called.
    """
    assert model_input.roster is not None  # the audit refuses a roster model without roster
    roster = model_input.roster
    days = model_input.calendar.days
    spans = active_spans(roster)
    peaks = daily_peaks(spans, days, by=["product"])
    listed = model_input.names.codes_of("products", list(model_input.contract.scope or ()))
    products = pl.concat(
        [roster.select("product"), pl.DataFrame({"product": listed}, schema={"product": CODE})]
    ).unique()
    units = (
        products.join(days.select("day"), how="cross")
        .join(peaks.select("product", "day", "peak"), on=["product", "day"], how="left")
        .select("product", "day", units=pl.col("peak").fill_null(0).cast(pl.Int64))
        .sort("product", "day")
    )

    def holders() -> pl.DataFrame:
        found = held_at_peaks(
            spans.select("product", "user", "start", "end"), peaks, by=["product"]
        )
        return found.sort("day", "product", "user").select(
            period="day", product="product", user="user"
        )

    return units, holders


def month_peaks(units: pl.DataFrame) -> pl.DataFrame:
    """Per product and month: ``peak_day``, the first day reaching the month's most active
    users, and that number ``active_users``. A month in which no user was active for the
    product has ``active_users`` 0 and no ``peak_day`` (null): no day sets its bill.
    """
    most = pl.col("units").max()
    # The earliest day at the maximum (not get(arg_max): see models/spans.py).
    first_day = pl.col("day").filter(pl.col("units") == most).min()
    return (
        units.group_by("product", month=pl.col("day").dt.truncate("1mo"), maintain_order=True)
        .agg(peak_day=pl.when(most > 0).then(first_day), active_users=most)
        .sort("product", "month")
        .select("month", "product", "peak_day", "active_users")
    )


def compute(model_input: ModelInput[NoOptions]) -> ModelResult:
    units, holders = product_days(model_input)
    return ModelResult(
        day_usage=units,
        details={
            "peaks": Detail(month_peaks(units), key="month", key_kind="month"),
            "peak_holders": Detail(holders, "period", contributions=True),
        },
    )


MODEL = Model(
    name=NAME,
    summary="most users active at once per product and local day, from the roster",
    options=NoOptions,
    compute=compute,
    reads=frozenset({"roster"}),
    scoping="per-product",
    named_users=False,
)
