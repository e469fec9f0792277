"""What if: the same logs under every model that applies, sized and priced (issue 13, item 1).

Which models run: daily-active, concurrent, floating and rau on the events; accounts
and nominal when a roster is given; flex for the contract file's flex contracts that
have ``rates``. A model with contracts in the contract file runs as each of them (their
scope, options, timezone, capacity and prices); one without runs once with its
default options, every product and the contract file's timezone, named after itself.

Each contract runs once through ``licaudit.audit`` (its day and month rows, as
``report`` gives them); nothing here knows a licence rule. From the rows, per scope:

- ``peak``: the largest day's units; ``p95`` and ``p99``: the **nearest-rank**
  percentiles of the day rows of the report range (sorted ascending, the value at rank
  ``ceil(p × days / 100)``): the smallest capacity that at most 5 % (1 %) of the days
  exceed. Percentiles are over days for every model, rau (a month-to-date count) and
  flex (tokens a day) included.
- per candidate capacity ``c``: ``days_over`` and ``months_over``, the day and month rows
  whose units exceed ``c`` (a month's units are the max of its days, the sum for flex);
  for a model with a ``refused`` table (daily-active, accounts), the model is run again
  with capacity ``c``: ``refusals`` are its rows, ``users_refused`` its distinct users.
  A capacity at or above the peak refuses nothing (those models refuse only when a
  day's units pass the capacity), so it is not run again.
- ``cost`` at ``c`` over the report range: ``Σ months (c × price per licence + max(0,
  units − c) × excess_price)``, each month exact and rounded half-up to cents as a
  month row's cost is (SPEC 3, Money), a partial month billed whole. The contract's
  own ``price`` is for ``capacity`` licences, so its price per licence is ``price /
  capacity`` (at ``c = capacity`` the cost is the report's); without a capacity (or
  with 0) it has no price per licence and is not compared. ``offer_cost``: the same
  with the ``[offers]`` price of the model. ``price_per_licence`` is shown in cents;
  the costs use it exact.
- ``optimum``: the candidate of least cost (ties: the smallest), per pricing.

Candidates: ``--capacities`` (the same for every row), else per row every whole number
from 0 to the largest month's units (the peak day's for every model but flex). Past 100
of them, the default takes a step of ``ceil(top / 100)`` instead, plus the top, every
month's units, the contract's capacity, p95, p99 and the peak: the cost is linear
between two months' units, so the least cost is still found at one of them (or 0).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import polars as pl

from licaudit.audit import COST_DTYPE, ContractResult, Prepared, prepare, run_prepared
from licaudit.contract import Settings
from licaudit.errors import ConfigError
from licaudit.ingest.dictionary import IdentityCodes
from licaudit.ingest.roster import Roster
from licaudit.models import MODELS
from licaudit.models.base import Contract
from licaudit.pipeline import Inputs, Request, check_user_columns, report_range

MAX_CANDIDATES = 10_000
DEFAULT_STEPS = 100
PERCENTILES = (95, 99)
REFUSED = "refused"
COST_NOTE = (
    "cost: Σ months (capacity × price_per_licence + excess × excess_price), each month in "
    "cents; a contract's price_per_licence is its price / its capacity; optimum: the "
    "candidate of least cost (the smallest of equal ones)."
)
"""How ``cost`` and ``optimum`` are computed, in the terminal caption and the HTML page."""

Pricing = Literal["contract", "offer"]
RefusedAt = Callable[[int], "pl.DataFrame | None"]

WHATIF_SCHEMA = pl.Schema(
    {
        "contract": pl.String(),
        "model": pl.String(),
        "scope": pl.String(),
        "capacity": pl.Int64(),
        "peak": pl.Int64(),
        "p95": pl.Int64(),
        "p99": pl.Int64(),
        "pricing": pl.String(),
        "price_per_licence": COST_DTYPE,
        "excess_price": COST_DTYPE,
        "optimum": pl.Int64(),
        "optimum_cost": COST_DTYPE,
        "currency": pl.String(),
    }
)
CANDIDATES_SCHEMA = pl.Schema(
    {
        "contract": pl.String(),
        "model": pl.String(),
        "scope": pl.String(),
        "capacity": pl.Int64(),
        "days_over": pl.Int64(),
        "months_over": pl.Int64(),
        "refusals": pl.Int64(),
        "users_refused": pl.Int64(),
        "cost": COST_DTYPE,
        "offer_cost": COST_DTYPE,
        "currency": pl.String(),
    }
)


@dataclass(frozen=True)
class Price:
    """A price per licence a month and per unit over the licences, exact."""

    source: Pricing
    per_licence: Fraction
    excess_price: Fraction


@dataclass
class Advice:
    """The ``whatif`` table (sizes and optimum per pricing) and the ``candidates`` table."""

    whatif: pl.DataFrame
    candidates: pl.DataFrame
    warnings: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pl.DataFrame]:
        return {"whatif": self.whatif, "candidates": self.candidates}

    def notable_candidates(self) -> pl.DataFrame:
        """The candidate rows at 0, the contract's capacity, p95, p99, the peak and the optima.

        What a person reads first when the candidates are every capacity up to the peak.
        """
        marks = self.whatif.unpivot(
            ["capacity", "p95", "p99", "peak", "optimum"],
            index=["contract", "scope"],
            value_name="mark",
        ).select("contract", "scope", capacity="mark")
        zero = self.whatif.select("contract", "scope", capacity=pl.lit(0, pl.Int64))
        notable = pl.concat([marks, zero]).drop_nulls().unique()
        return self.candidates.join(
            notable, on=["contract", "scope", "capacity"], how="semi", maintain_order="left"
        )


_RANGE = re.compile(r"^(\d+)(?::(\d+)(?::(\d+))?)?$")


def parse_capacities(spec: str) -> tuple[int, ...]:
    """``START:STOP[:STEP]`` (STOP included) or numbers, comma-separated: sorted, each once."""
    found: set[int] = set()
    for item in spec.split(","):
        match = _RANGE.match(item.strip())
        if match is None:
            raise ConfigError(
                f"`--capacities` = {spec!r}: {item.strip()!r} is not a capacity or a range.",
                "write START:STOP[:STEP] such as 10:200:5 (200 included), or numbers such as "
                "10,20,40.",
            )
        start = int(match[1])
        stop = int(match[2]) if match[2] is not None else start
        step = int(match[3]) if match[3] is not None else 1
        if stop < start or step == 0:
            raise ConfigError(
                f"`--capacities` = {spec!r}: {item.strip()!r} is an empty range.",
                "write START:STOP[:STEP] with START <= STOP and STEP >= 1, e.g. 10:200:5.",
            )
        if (stop - start) // step + 1 + len(found) > MAX_CANDIDATES:
            raise ConfigError(
                f"`--capacities` = {spec!r} names more than {MAX_CANDIDATES:,} capacities.",
                "take a larger STEP, e.g. 0:100000:100.",
            )
        found.update(range(start, stop + 1, step))
    return tuple(sorted(found))


def nearest_rank(units: Sequence[int], percent: int) -> int:
    """Nearest rank: the value of rank ``ceil(percent × n / 100)`` in the sorted ``units``."""
    if not units:
        return 0
    ordered = sorted(units)
    rank = -(-percent * len(ordered) // 100)
    return ordered[max(rank, 1) - 1]


def default_candidates(month_units: Sequence[int], marks: Sequence[int]) -> tuple[int, ...]:
    """0 to the top of ``month_units`` and ``marks``: every capacity, or past 100 of them
    a step of ``ceil(top / 100)`` with the top, the months' units and the marks kept."""
    top = max([*month_units, *marks], default=0)
    step = max(1, -(-top // DEFAULT_STEPS))
    if step == 1:
        return tuple(range(top + 1))
    return tuple(sorted({*range(0, top + 1, step), top, *month_units, *marks}))


def _cents(amount: Fraction) -> Decimal:
    """An exact non-negative amount rounded half-up to cents."""
    cents = math.floor(amount * 100 + Fraction(1, 2))
    return Decimal(cents).scaleb(-2)


def range_cost(month_units: Sequence[int], capacity: int, price: Price) -> Decimal:
    """``Σ months (capacity × price per licence + excess × excess_price)``, each month in cents."""
    return sum(
        (
            _cents(capacity * price.per_licence + max(0, units - capacity) * price.excess_price)
            for units in month_units
        ),
        Decimal("0.00"),
    )


def _needs_rates(contract: Contract) -> bool:
    # Flex charges each product's rate: without the rates file it cannot run (SPEC 3.7).
    return hasattr(contract.options, "rates") and contract.options.rates is None


def whatif_contracts(settings: Settings, with_roster: bool) -> tuple[list[Contract], list[str]]:
    """The contracts to run, in the models' order, and why a model or offer was left out."""
    contracts: list[Contract] = []
    warnings: list[str] = []
    for name, model in MODELS.items():
        own = [contract for contract in settings.contracts if contract.model == name]
        if "roster" in model.reads and not with_roster:
            if own or name in settings.offers:
                warnings.append(
                    f"`{name}` is not compared: it counts accounts from a roster, and none was "
                    "given. Hint: give --roster FILE or roster = FILE in the contract file."
                )
            continue
        if not own:
            own = [
                Contract(name=name, model=name, timezone=settings.timezone, options=model.options())
            ]
        for contract in own:
            if _needs_rates(contract):
                if contract.name != name or name in settings.offers:
                    warnings.append(
                        f"`{contract.name}` ({name}) is not compared: it needs the products' "
                        "token rates. Hint: add a flex [[contract]] with rates = FILE."
                    )
                continue
            contracts.append(contract)
    return contracts, warnings


def _prices(contract: Contract, settings: Settings) -> tuple[list[Price], list[str]]:
    prices: list[Price] = []
    warnings: list[str] = []
    if contract.priced:
        if contract.capacity:
            prices.append(
                Price(
                    "contract",
                    Fraction(contract.price or 0) / contract.capacity,
                    Fraction(contract.excess_price or 0),
                )
            )
        else:
            warnings.append(
                f"contract `{contract.name}` has prices but no capacity above 0: its price is "
                "not per licence, so it is not compared. Hint: give its capacity, or an "
                f"[offers.{contract.model}] price per licence."
            )
    offer = settings.offers.get(contract.model)
    if offer is not None:
        prices.append(Price("offer", Fraction(offer.price), Fraction(offer.excess_price)))
    return prices, warnings


def _unpriced() -> dict[str, Any]:
    return dict.fromkeys(
        ("pricing", "price_per_licence", "excess_price", "optimum", "optimum_cost")
    )


def _in_scope(refused: pl.DataFrame, scope: str) -> pl.DataFrame:
    # Across-products models have one scope; a per-product table names its product.
    return refused.filter(pl.col("product") == scope) if "product" in refused.columns else refused


def _contract_rows(
    result: ContractResult,
    prices: list[Price],
    candidates: tuple[int, ...] | None,
    refused_at: RefusedAt,
    currency: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    contract = result.contract
    sizes: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for scope in sorted(set(result.day_rows["scope"].to_list())):
        days = result.day_rows.filter(pl.col("scope") == scope)["units"].to_list()
        months = result.month_rows.filter(pl.col("scope") == scope)["units"].to_list()
        peak = max(days, default=0)
        percentiles = {f"p{p}": nearest_rank(days, p) for p in PERCENTILES}
        tried = candidates or default_candidates(
            months, [peak, contract.capacity or 0, *percentiles.values()]
        )
        costs: dict[Pricing, dict[int, Decimal]] = {
            price.source: {c: range_cost(months, c, price) for c in tried} for price in prices
        }
        for capacity in tried:
            refused = refused_at(capacity)
            in_scope = None if refused is None else _in_scope(refused, scope)
            rows.append(
                {
                    "contract": contract.name,
                    "model": contract.model,
                    "scope": scope,
                    "capacity": capacity,
                    "days_over": sum(units > capacity for units in days),
                    "months_over": sum(units > capacity for units in months),
                    "refusals": None if in_scope is None else in_scope.height,
                    "users_refused": None if in_scope is None else in_scope["user"].n_unique(),
                    "cost": costs.get("contract", {}).get(capacity),
                    "offer_cost": costs.get("offer", {}).get(capacity),
                    "currency": currency,
                }
            )
        size = {
            "contract": contract.name,
            "model": contract.model,
            "scope": scope,
            "capacity": contract.capacity,
            "peak": peak,
            **percentiles,
            "currency": currency,
        }
        if not prices:
            sizes.append(size | _unpriced())
        for price in prices:
            by_capacity = costs[price.source]
            # min keeps the first of equal costs: candidates ascend, so the smallest wins.
            optimum = min(tried, key=lambda c: by_capacity[c])
            sizes.append(
                size
                | {
                    "pricing": price.source,
                    "price_per_licence": _cents(price.per_licence),
                    "excess_price": _cents(price.excess_price),
                    "optimum": optimum,
                    "optimum_cost": by_capacity[optimum],
                }
            )
    return sizes, rows


def advise_events(
    events: pl.DataFrame,
    settings: Settings,
    roster: Roster | None = None,
    candidates: tuple[int, ...] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    codes: IdentityCodes | None = None,
) -> Advice:
    """Every model that applies over the used ``events`` (canonical columns, not empty);
    ``codes``: their identities as ingest coded them (``Ingested.codes``)."""
    contracts, warnings = whatif_contracts(settings, roster is not None)
    if roster is None:
        prepared = prepare(events, codes=codes)
    else:
        prepared = prepare(events, roster.states, roster.mode, codes)
    currency = settings.currency
    sizes: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for contract in contracts:
        result = run_prepared(prepared, contract, currency, date_from, date_to)
        warnings.extend(result.warnings)
        prices, price_warnings = _prices(contract, settings)
        warnings.extend(price_warnings)
        refused_at = _refusals(result, prepared, currency, date_from, date_to)
        contract_sizes, contract_rows = _contract_rows(
            result, prices, candidates, refused_at, currency
        )
        sizes.extend(contract_sizes)
        rows.extend(contract_rows)
    return Advice(
        whatif=pl.DataFrame(sizes, schema=WHATIF_SCHEMA),
        candidates=pl.DataFrame(rows, schema=CANDIDATES_SCHEMA),
        warnings=warnings,
    )


def _refusals(
    result: ContractResult,
    prepared: Prepared,
    currency: str,
    date_from: date | None,
    date_to: date | None,
) -> RefusedAt:
    """``capacity -> refused table`` of the contract's model run at that capacity, once each.

    None for a model without a ``refused`` table. At or above the peak the table is
    empty without a run: those models refuse only when a day's units pass capacity.
    """
    if REFUSED not in result.details:
        return lambda capacity: None
    peak = max(result.day_rows["units"].to_list(), default=0)
    empty = result.details[REFUSED].clear()
    runs: dict[int, pl.DataFrame] = {}

    def refused_at(capacity: int) -> pl.DataFrame:
        if capacity >= peak:
            return empty
        if capacity not in runs:
            contract = replace(result.contract, capacity=capacity)
            rerun = run_prepared(prepared, contract, currency, date_from, date_to)
            runs[capacity] = rerun.details[REFUSED]
        return runs[capacity]

    return refused_at


def advise(inputs: Inputs, request: Request, candidates: tuple[int, ...] | None) -> Advice:
    """``licaudit whatif``: the inputs read, every model that applies, sized and priced."""
    first, last = report_range(request)
    contracts, _ = whatif_contracts(inputs.settings, inputs.roster is not None)
    # Named-user models on files without a user column: the same data error as `report`.
    check_user_columns(
        replace(inputs, settings=replace(inputs.settings, contracts=tuple(contracts)))
    )
    ingested = inputs.ingested
    return advise_events(
        ingested.events, inputs.settings, inputs.roster, candidates, first, last, ingested.codes
    )
