"""`flex` — Autodesk Flex tokens (SPEC 3.7).

A named user's use of a product (the key) merges into stretches across gaps of at
most ``idle_timeout``; each stretch is charged the product's daily rate once per
24-hour window, after ``grace`` of free usage ("aucun jeton ne sera facturé si la
durée de connexion ne dépasse pas 5 minutes"). With ``packs``, charges draw on the
pack expiring first, smallest first, and a charge the balance cannot pay is denied.
``units(day)`` are the tokens charged with ``window_start`` on that local day.
Detail tables: ``charges``, ``ledger``, ``balances``, the ``forecast`` from the end of
the range (``forecast.py``) and the waste and compliance ``findings`` (``findings.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from licaudit.errors import ConfigError
from licaudit.models.base import Detail, Model, ModelInput, ModelResult, Partial, Split
from licaudit.models.flex.charges import CHARGE_SCHEMA, new_key, optimistic_charges
from licaudit.models.flex.check import check_lines
from licaudit.models.flex.findings import device_findings, findings_table, sorted_by
from licaudit.models.flex.forecast import FORECAST_SCHEMA, forecast_table
from licaudit.models.flex.ledger import (
    LEDGER_SCHEMA,
    Ledger,
    consumption_order,
    one_line,
    vectorized,
    walk,
)
from licaudit.models.flex.options import FlexOptions
from licaudit.models.flex.stretches import named_usage, stretches

NAME = "flex"

__all__ = ["MODEL", "FlexOptions", "finish", "partial"]


def product_rates(model_input: ModelInput[FlexOptions], products: pl.Series) -> pl.DataFrame:
    """``product`` (code), ``tokens_per_day`` for the products used; a missing rate is an error."""
    options, contract = model_input.options, model_input.contract
    if options.rates is None:
        raise ConfigError(
            f"Contract `{contract.name}` uses model `flex` without `rates`.",
            'add rates = "flex_rates.csv" (product,tokens_per_day) to its [[contract]] table.',
        )
    rates = model_input.names.products.join(
        options.rates.frame, left_on="name", right_on="product", how="inner"
    ).select(product="code", tokens_per_day="tokens_per_day")
    used = model_input.names.products.filter(
        pl.col("code").is_in(products.unique(maintain_order=True).implode())
    )
    missing = sorted(set(used["name"].to_list()) - set(options.rates.frame["product"].to_list()))
    if missing:
        raise ConfigError(
            f"Contract `{contract.name}`: no rate in {options.rates.source} for "
            f"{', '.join(missing)}, used by named users in its scope.",
            "add a line product,tokens_per_day for each, or leave the products that are not "
            'Flex out with a scope list, e.g. scope = ["autocad", "revit"].',
        )
    return rates


def balances(ledger: pl.DataFrame, packs: pl.DataFrame, days: pl.DataFrame) -> pl.DataFrame:
    """Each pack's balance at the end of every day it is held (purchased, not yet expired)."""
    held = (
        days.join(packs.select("pack_id", "purchased_at", "expires_at", "tokens"), how="cross")
        .filter((pl.col("purchased_at") < pl.col("end")) & (pl.col("expires_at") > pl.col("start")))
        .with_columns(before=pl.col("end") - pl.duration(microseconds=1))
        .sort("before")
    )
    spent = ledger.sort("time").select(
        "pack_id", "time", spent=pl.col("change").cum_sum().over("pack_id")
    )
    return (
        held.join_asof(
            spent, left_on="before", right_on="time", by="pack_id", check_sortedness=False
        )
        .select(
            "day",
            "pack_id",
            balance=(pl.col("tokens") + pl.col("spent").fill_null(0)).cast(pl.Int64),
        )
        .sort("day", "pack_id")
    )


def keys_in_blocks(spans: pl.DataFrame) -> bool:
    """Whether each key's (user, product) rows of ``spans`` are one block, in order of start.

    What the charges and the ledger walk need: they go key by key, and the charges come
    out in ledger order whatever the order of the keys. The stretches of one part are
    sorted by key then start, and those of several parts, one part after another, are
    such blocks too (no key is in two parts), so they need no sort.
    """
    if spans.is_empty():
        return True
    start = pl.col("start")
    if not spans.select((new_key() | (start >= start.shift(1))).all()).item():
        return False
    firsts = spans.filter(new_key()).select("user", "product").sort("user", "product")
    return not firsts.select((~new_key()).any()).item()


def partial(model_input: ModelInput[FlexOptions]) -> Partial:
    """Each key's usage stretches, each named user's device findings, and how many
    anonymous rows were left out (one row: ``rows``)."""
    anonymous = pl.col("anonymous") | pl.col("user").is_null()
    return {
        "stretches": stretches(named_usage(model_input.events), model_input.options.idle_timeout),
        "device_findings": device_findings(model_input.events, model_input.calendar),
        "anonymous": model_input.events.select(rows=anonymous.sum().cast(pl.Int64)).collect(),
    }


def anonymous_note(partials: Partial) -> list[str]:
    """SPEC 3.7: "Named users only (anonymous rows are ignored for this model, and
    counted)": the count, said when there are any."""
    ignored = int(partials["anonymous"]["rows"].sum())
    if not ignored:
        return []
    rows = "row" if ignored == 1 else "rows"
    return [f"{ignored:,} anonymous {rows} ignored: Flex charges named users only"]


def finish(model_input: ModelInput[FlexOptions], partials: Partial) -> ModelResult:
    options, calendar = model_input.options, model_input.calendar
    # Each key's stretches in one block, by start, as the charges and the ledger walk them.
    spans = partials["stretches"]
    if not keys_in_blocks(spans):
        spans = sorted_by(spans, "user", "product", "start")
    rates = product_rates(model_input, spans["product"])
    charges = optimistic_charges(spans, rates, options.window, options.grace)
    ledger = pl.DataFrame(schema=LEDGER_SCHEMA)
    pack_forecast = pl.DataFrame(schema=FORECAST_SCHEMA)
    pack_balances = pl.DataFrame(
        schema={"day": pl.Date(), "pack_id": pl.String(), "balance": pl.Int64()}
    )
    if options.packs is not None:
        range_end = calendar.last_end if calendar.days.height else datetime.min.replace(tzinfo=UTC)
        ordered = consumption_order(options.packs.frame, calendar.timezone)
        result: Ledger | None = None
        if one_line(ordered):
            result = vectorized(charges, ordered, range_end)
        if result is None:
            result = walk(spans, rates, ordered, options.window, options.grace, range_end)
        charges, ledger = result.charges, result.ledger
        pack_balances = balances(ledger, ordered, calendar.days)
        pack_forecast = forecast_table(charges, ledger, options.packs, calendar)
    day_usage = (
        charges.filter(pl.col("status") == "charged")
        .with_columns(day=calendar.day_of(pl.col("window_start")))
        .filter(pl.col("day").is_not_null())
        .group_by("product", "day")
        .agg(units=pl.col("tokens").sum().cast(pl.Int64))
    )
    if calendar.days.height:
        # Every product named users used is a scope, even with no token charged (SPEC 3:
        # one scope per product among the rows flex counts).
        used = spans.select(
            pl.col("product").unique(maintain_order=True), day=pl.lit(calendar.days["day"][0])
        )
        day_usage = (
            pl.concat([day_usage, used.with_columns(units=pl.lit(0, pl.Int64))])
            .group_by("product", "day")
            .agg(pl.col("units").sum())
        )
    return ModelResult(
        day_usage=day_usage,
        notes=anonymous_note(partials),
        # Findings and the forecast first: what a Flex admin reads first (issue 10).
        details={
            # About the whole range: the findings over it, the forecast from its end.
            "findings": Detail(
                findings_table(
                    partials["device_findings"], charges, calendar, options, model_input.names
                )
            ),
            "forecast": Detail(pack_forecast),
            "charges": Detail(charges.cast(CHARGE_SCHEMA), "window_start", "instant"),
            "ledger": Detail(ledger, "time", "instant"),
            "balances": Detail(pack_balances, "day", "day"),
        },
    )


SPLIT = Split(partial, finish)
MODEL = Model(
    name=NAME,
    summary="Autodesk Flex: tokens per named user, product and 24-hour window, drawn on packs",
    options=FlexOptions,
    compute=SPLIT.compute,
    split=SPLIT,
    scoping="per-product",
    named_users=True,
    month_rollup="sum",
    check=check_lines,
)
