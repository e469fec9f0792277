"""Run every contract over the used events: the usage table and the models' details (SPEC 3).

What is common to every model lives here: the report range (local days of the
earliest and latest used event, in each contract's timezone), the scope filter,
``--from/--to``, capacity and excess, cost on month rows, and the month roll-up
(max of the days, sum for flex).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import polars as pl

from licaudit.contract import Contract
from licaudit.ingest.events import Ingested
from licaudit.models import MODELS
from licaudit.periods import build_calendar, local_day

Period = Literal["day", "month"]
CENT = Decimal("0.01")
COST_DTYPE = pl.Decimal(precision=38, scale=2)
USAGE_SCHEMA = pl.Schema(
    {
        "contract": pl.String(),
        "model": pl.String(),
        "scope": pl.String(),
        "period": pl.String(),
        "units": pl.Int64(),
        "capacity": pl.Int64(),
        "excess": pl.Int64(),
        "cost": COST_DTYPE,
        "currency": pl.String(),
    }
)


@dataclass
class ContractResult:
    """One contract's usage rows (day and month) and its model's detail tables."""

    contract: Contract
    day_rows: pl.DataFrame
    month_rows: pl.DataFrame
    details: dict[str, pl.DataFrame] = field(default_factory=dict)

    def rows(self, period: Period) -> pl.DataFrame:
        return self.day_rows if period == "day" else self.month_rows


@dataclass
class AuditResult:
    """Every contract's results, with the ingest that fed them."""

    ingested: Ingested
    results: list[ContractResult]
    currency: str

    def usage(self, period: Period) -> pl.DataFrame:
        frames = [result.rows(period) for result in self.results]
        return pl.concat(frames) if frames else pl.DataFrame(schema=USAGE_SCHEMA)

    def table_names(self) -> list[str]:
        names = ["usage"]
        for result in self.results:
            names.extend(name for name in result.details if name not in names)
        return names

    def table(self, name: str, period: Period) -> pl.DataFrame:
        if name == "usage":
            return self.usage(period)
        frames = [r.details[name] for r in self.results if name in r.details]
        return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()

    def overage(self, period: Period) -> pl.DataFrame:
        """The usage rows whose units exceed capacity."""
        return self.usage(period).filter(pl.col("excess") > 0)


def cost(units: int, contract: Contract) -> Decimal | None:
    """``price + excess × excess_price`` for a month, exact, rounded half-up to cents."""
    if not contract.priced:
        return None
    excess = max(0, units - contract.capacity) if contract.capacity is not None else 0
    price = contract.price or Decimal(0)
    excess_price = contract.excess_price or Decimal(0)
    return (price + excess * excess_price).quantize(CENT, rounding=ROUND_HALF_UP)


def _finish(rows: pl.DataFrame, contract: Contract, currency: str, monthly: bool) -> pl.DataFrame:
    capacity = pl.lit(contract.capacity, pl.Int64)
    finished = rows.select(
        contract=pl.lit(contract.name, pl.String),
        model=pl.lit(contract.model, pl.String),
        scope="scope",
        period="period",
        units="units",
        capacity=capacity,
        # clip, not max_horizontal: max_horizontal skips nulls, and without capacity
        # excess must stay empty rather than become 0 (SPEC 3, usage table).
        excess=(pl.col("units") - capacity).clip(lower_bound=0),
    )
    costs = [cost(units, contract) if monthly else None for units in finished["units"]]
    # Month rows are few (one per scope and month): exact Decimal arithmetic on each.
    return finished.with_columns(
        cost=pl.Series("cost", costs, dtype=COST_DTYPE),
        currency=pl.lit(currency, pl.String),
    ).cast(USAGE_SCHEMA)


def _in_range(day: pl.Expr, date_from: date | None, date_to: date | None) -> pl.Expr:
    keep = pl.lit(True)
    if date_from is not None:
        keep = keep & (day >= date_from)
    if date_to is not None:
        keep = keep & (day <= date_to)
    return keep


def run_contract(
    events: pl.DataFrame,
    contract: Contract,
    currency: str,
    date_from: date | None = None,
    date_to: date | None = None,
) -> ContractResult:
    """Apply one contract's model over the report range, then the rules common to all models."""
    model = MODELS[contract.model]
    bounds = events.select(
        first=local_day(pl.col("ts").min(), contract.timezone),
        last=local_day(pl.col("ts").max(), contract.timezone),
    ).row(0)
    calendar = build_calendar(bounds[0], bounds[1], contract.timezone)
    in_scope = events.lazy()
    if contract.scope is not None:
        in_scope = in_scope.filter(pl.col("product") == contract.scope)
    result = model.compute(in_scope, calendar, contract)
    days = result.day_usage.filter(_in_range(pl.col("day"), date_from, date_to)).sort(
        "scope", "day"
    )
    day_rows = days.select("scope", period=pl.col("day").dt.strftime("%Y-%m-%d"), units="units")
    rollup = pl.col("units").max() if model.month_rollup == "max" else pl.col("units").sum()
    month_rows = (
        days.group_by("scope", period=pl.col("day").dt.strftime("%Y-%m"), maintain_order=True)
        .agg(units=rollup.cast(pl.Int64))
        .sort("scope", "period")
    )
    details = {
        name: (
            table.filter(_in_range(pl.col("period").str.to_date("%Y-%m-%d"), date_from, date_to))
            if "period" in table.columns
            else table
        )
        for name, table in result.details.items()
    }
    return ContractResult(
        contract=contract,
        day_rows=_finish(day_rows, contract, currency, monthly=False),
        month_rows=_finish(month_rows, contract, currency, monthly=True),
        details=details,
    )


def run_audit(
    ingested: Ingested,
    contracts: tuple[Contract, ...],
    currency: str,
    date_from: date | None = None,
    date_to: date | None = None,
) -> AuditResult:
    """Every contract over the same used events (which must not be empty)."""
    results = [
        run_contract(ingested.events, contract, currency, date_from, date_to)
        for contract in contracts
    ]
    return AuditResult(ingested=ingested, results=results, currency=currency)
