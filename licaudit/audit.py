"""Run every contract over the used events: the usage table and the models' details (SPEC 3).

What is common to every model lives here: the report range (local days of the
earliest and latest used event, in each contract's timezone), the scope filter,
``--from/--to``, capacity and excess, cost on month rows, and the month roll-up
(max of the days, sum for flex).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any, Literal

import polars as pl

from licaudit.errors import ConfigError
from licaudit.ingest.dictionary import IdentityCodes
from licaudit.ingest.encode import Encoded, decode, encode
from licaudit.ingest.events import Ingested
from licaudit.ingest.roster import Roster, RosterMode
from licaudit.models import MODELS
from licaudit.models.base import Contract, Model, ModelInput, ModelResult, Partial
from licaudit.models.roster_states import apply_snapshots
from licaudit.partition import merge, split_events
from licaudit.periods import Calendar, build_calendar, local_day
from licaudit.scale import PartStore
from licaudit.scoping import detail_frame, in_range, scope_label, scope_warnings

Period = Literal["day", "month"]
CENT = Decimal("0.01")
COST_DTYPE = pl.Decimal(precision=38, scale=2)
MONEY_DIGITS = 60
"""Decimal digits money is computed with: every cost exact before rounding to cents."""
USAGE_SCHEMA = pl.Schema(
    {
        "contract": pl.String(),
        "model": pl.String(),
        "scope": pl.String(),
        "period": pl.String(),
        "days": pl.Int64(),
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
    warnings: list[str] = field(default_factory=list)
    events_in_scope: int = 0
    # The details marked ``contributions`` (who holds the units), not reported by default.
    contributions: dict[str, pl.DataFrame] = field(default_factory=dict)

    def rows(self, period: Period) -> pl.DataFrame:
        return self.day_rows if period == "day" else self.month_rows


@dataclass
class AuditResult:
    """Every contract's results, with the ingest that fed them."""

    ingested: Ingested
    results: list[ContractResult]
    currency: str
    # The timezone naive timestamps were read in (SPEC 1.2: every report says it).
    input_timezone: str = "UTC"
    # Tables made from every contract's results after the run (the chargeback, issue 13),
    # by name and period, listed after the models' detail tables: see ``add_table``.
    added: dict[str, dict[Period, pl.DataFrame]] = field(default_factory=dict)
    # Every used event with ``ts``, ``user``, ``product`` and ``anonymous`` (names), for
    # the views drawn from raw events (the HTML report's); None when the events were
    # read in parts and never held whole.
    events: pl.LazyFrame | None = None

    @property
    def warnings(self) -> list[str]:
        """What each contract's run found doubtful (a scope matching nothing, ...)."""
        return [warning for result in self.results for warning in result.warnings]

    def usage(self, period: Period) -> pl.DataFrame:
        frames = [result.rows(period) for result in self.results]
        return pl.concat(frames) if frames else pl.DataFrame(schema=USAGE_SCHEMA)

    def table_names(self) -> list[str]:
        names = ["usage"]
        for result in self.results:
            names.extend(name for name in result.details if name not in names)
        return names + [name for name in self.added if name not in names]

    def add_table(self, name: str, rows: pl.DataFrame | dict[Period, pl.DataFrame]) -> None:
        """Attach a table computed from the results: one frame, or one per period."""
        self.added[name] = rows if isinstance(rows, dict) else {"day": rows, "month": rows}

    def table(self, name: str, period: Period) -> pl.DataFrame:
        if name == "usage":
            return self.usage(period)
        if name in self.added:
            return self.added[name][period]
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
    # Exact: prices up to 10^16 (licaudit.contract) times 64-bit excesses need 37 digits,
    # past the 28 of decimal's default context.
    with localcontext(prec=MONEY_DIGITS):
        return (price + excess * excess_price).quantize(CENT, rounding=ROUND_HALF_UP)


def _finish(rows: pl.DataFrame, contract: Contract, currency: str, monthly: bool) -> pl.DataFrame:
    capacity = pl.lit(contract.capacity, pl.Int64)
    finished = rows.select(
        contract=pl.lit(contract.name, pl.String),
        model=pl.lit(contract.model, pl.String),
        scope="scope",
        period="period",
        days="days",
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


@dataclass(frozen=True)
class Audience:
    """What every contract of one timezone shares: the calendar and the events' local days."""

    calendar: Calendar
    events: pl.DataFrame


@dataclass(frozen=True)
class Evaluation:
    """One model's output completed by the common rules, before ``--from/--to`` and pricing.

    ``day_usage``: (scope, day, units) for every day of every scope; ``details``:
    each detail table with its ``contract`` column, keys as text and codes as names.
    """

    day_usage: pl.DataFrame
    details: dict[str, pl.DataFrame]
    events_in_scope: int = 0
    # The names of the details marked ``contributions`` (in ``details`` too).
    contributions: frozenset[str] = frozenset()
    # What the model says beside its numbers (``ModelResult.notes``): reported as warnings.
    notes: tuple[str, ...] = ()


@dataclass
class Prepared:
    """The encoded events and roster, and one audience per timezone, built once per run."""

    encoded: Encoded
    first_ts: Any
    last_ts: Any
    audiences: dict[str, Audience] = field(default_factory=dict)
    # Whether the tables marked ``contributions`` (who holds the units) are made: only a
    # chargeback reads them (``run_audit(contributions=...)``).
    contributions: bool = True

    def audience(self, timezone: str, calendar: Calendar | None = None) -> Audience:
        if timezone not in self.audiences:
            if calendar is None:
                bounds = pl.DataFrame({"ts": [self.first_ts, self.last_ts]}).select(
                    local_day(pl.col("ts"), timezone)
                )
                calendar = build_calendar(bounds["ts"][0], bounds["ts"][1], timezone)
            events = self.encoded.events.with_columns(day=calendar.day_of(pl.col("ts")))
            self.audiences[timezone] = Audience(calendar, events)
        return self.audiences[timezone]


def prepare(
    events: pl.DataFrame,
    roster: pl.DataFrame | None = None,
    roster_mode: RosterMode = "events",
    codes: IdentityCodes | None = None,
) -> Prepared:
    """Encode identities once; the report range runs over every used event (SPEC 3).

    A snapshot roster becomes status events here, on the whole roster: a snapshot lists
    every product, so it must be read before any contract's scope applies (SPEC 1.5).
    ``codes``: the identities as ingest coded them, row for row with ``events``.
    """
    roster = account_states(roster, roster_mode)
    span = events.select(first=pl.col("ts").min(), last=pl.col("ts").max()).row(0)
    return Prepared(encoded=encode(events, roster, codes), first_ts=span[0], last_ts=span[1])


def account_states(roster: pl.DataFrame | None, roster_mode: RosterMode) -> pl.DataFrame | None:
    """The roster as status changes of accounts: snapshots turned into changes, and the
    rows of no user (marking an empty snapshot) left out."""
    if roster is not None and roster_mode == "snapshot":
        roster = apply_snapshots(roster)
    if roster is not None:
        # Anonymous roster rows (null user) marked their snapshot; they are no account.
        roster = roster.filter(pl.col("user").is_not_null())
    return roster


def _model_input(
    prepared: Prepared, contract: Contract, model: Model[Any], calendar: Calendar | None = None
) -> ModelInput[Any]:
    audience = prepared.audience(contract.timezone, calendar)
    names = prepared.encoded.names
    events = audience.events.lazy()
    roster = prepared.encoded.roster
    if contract.scope is not None:
        codes = names.codes_of("products", list(contract.scope))
        events = events.filter(pl.col("product").is_in(codes))
        if roster is not None:
            roster = roster.filter(pl.col("product").is_in(codes))
    if "roster" in model.reads and roster is None:
        raise ConfigError(
            f"Contract `{contract.name}` uses model `{model.name}`, which counts accounts "
            "from a roster, and no roster was given.",
            'add roster = "accounts.csv" at the top of the contract file, or give '
            "--roster FILE (rows ts, user, status[, product]).",
        )
    return ModelInput(
        contract=contract,
        events=events,
        roster=roster if "roster" in model.reads else None,
        calendar=audience.calendar,
        scope_label=scope_label(contract),
        options=contract.options,
        names=names,
    )


def _day_usage(
    result: ModelResult, contract: Contract, model: Model[Any], model_input: ModelInput[Any]
) -> pl.DataFrame:
    """(scope, day, units) for every day of every scope, 0 where the model gave no row."""
    days = model_input.calendar.days.select("day")
    usage = result.day_usage
    if model.scoping == "across":
        labels = pl.DataFrame({"scope": [model_input.scope_label]})
        usage = usage.select("day", "units", scope=pl.lit(model_input.scope_label))
    else:
        usage = decode(usage, model_input.names).select(
            "day", "units", scope=pl.col("product").cast(pl.String)
        )
        listed = list(contract.scope or ())
        labels = pl.DataFrame({"scope": sorted({*listed, *usage["scope"].unique().to_list()})})
        labels = labels.cast({"scope": pl.String})
    return (
        labels.join(days, how="cross")
        .join(usage, on=["scope", "day"], how="left")
        .select("scope", "day", units=pl.col("units").fill_null(0).cast(pl.Int64))
        .sort("scope", "day")
    )


def _evaluate(
    prepared: Prepared,
    contract: Contract,
    date_from: date | None = None,
    date_to: date | None = None,
    calendar: Calendar | None = None,
) -> Evaluation:
    model = MODELS[contract.model]
    model_input = _model_input(prepared, contract, model, calendar)
    result = model.compute(model_input)
    return _evaluation(
        result,
        contract,
        model,
        model_input,
        date_from,
        date_to,
        contributions=prepared.contributions,
    )


def _evaluation(
    result: ModelResult,
    contract: Contract,
    model: Model[Any],
    model_input: ModelInput[Any],
    date_from: date | None,
    date_to: date | None,
    events_in_scope: int | None = None,
    contributions: bool = True,
) -> Evaluation:
    """``contributions``: whether the tables marked so are made (and kept apart), or left out."""
    made = {
        name: detail
        for name, detail in result.details.items()
        if contributions or not detail.contributions
    }
    details = {
        name: detail_frame(
            detail, contract, model_input.names, model_input.calendar, date_from, date_to
        )
        for name, detail in made.items()
    }
    # What the model counted from: roster rows for a roster model, else events.
    if model_input.roster is not None:
        in_scope = model_input.roster.height
    elif events_in_scope is not None:
        in_scope = events_in_scope
    else:
        in_scope = model_input.events.select(pl.len()).collect().item()
    marked = frozenset(name for name, detail in made.items() if detail.contributions)
    day_usage = _day_usage(result, contract, model, model_input)
    return Evaluation(day_usage, details, in_scope, marked, tuple(result.notes))


def _evaluate_parts(
    prepared: Prepared,
    parts: Iterable[Prepared],
    contracts: Sequence[Contract],
    date_from: date | None,
    date_to: date | None,
) -> dict[str, Evaluation]:
    """Every contract evaluated part by part: each part of the events (all the events of
    its identities, ``licaudit.partition``) reduced by every split model's ``partial``,
    then each model's ``finish`` over the merged partials. The roster models, which read
    no events, run once on ``prepared``. Each part is visited once, whatever the number of
    contracts, so that parts read from disk are read once."""
    partials: dict[str, list[Partial]] = {}
    counted: dict[str, int] = {}
    for part in parts:
        for name, (partial, events) in part_partials(part, contracts).items():
            partials.setdefault(name, []).append(partial)
            counted[name] = counted.get(name, 0) + events
    return evaluate_partials(prepared, partials, counted, contracts, date_from, date_to)


def part_partials(part: Prepared, contracts: Sequence[Contract]) -> dict[str, tuple[Partial, int]]:
    """Every split contract's ``partial`` of one part of the events, with the number of
    events of its scope in the part, by contract name (what a Spark task computes)."""
    found: dict[str, tuple[Partial, int]] = {}
    for contract in contracts:
        model = MODELS[contract.model]
        if model.split is None:
            continue
        part_input = _model_input(part, contract, model)
        events = part_input.events.select(pl.len()).collect().item()
        found[contract.name] = (model.split.partial(part_input), events)
    return found


def evaluate_partials(
    prepared: Prepared,
    partials: Mapping[str, Sequence[Partial]],
    counted: Mapping[str, int],
    contracts: Sequence[Contract],
    date_from: date | None,
    date_to: date | None,
) -> dict[str, Evaluation]:
    """Each split contract's ``finish`` over its parts' partials (in part order), the
    roster models run once on ``prepared``. A split contract no part gave a partial to
    (no part held an event) is finished over the partial of no events."""
    evaluations: dict[str, Evaluation] = {}
    for contract in contracts:
        model = MODELS[contract.model]
        if model.split is None:
            evaluations[contract.name] = _evaluate(prepared, contract, date_from, date_to)
            continue
        model_input = _model_input(prepared, contract, model)
        found = partials.get(contract.name) or [model.split.partial(model_input)]
        result = model.split.finish(model_input, merge(found))
        evaluations[contract.name] = _evaluation(
            result,
            contract,
            model,
            model_input,
            date_from,
            date_to,
            counted.get(contract.name, 0),
            prepared.contributions,
        )
    return evaluations


def evaluate(
    events: pl.DataFrame,
    contract: Contract,
    calendar: Calendar | None = None,
    roster: pl.DataFrame | None = None,
    roster_mode: RosterMode = "events",
) -> Evaluation:
    """One contract's model over ``events`` (canonical, not encoded), on ``calendar`` if given.

    What a model's tests call: the model's result with scopes labelled, every day
    filled and detail tables decoded, without ``--from/--to`` or prices.
    """
    return _evaluate(prepare(events, roster, roster_mode), contract, calendar=calendar)


def _run(
    prepared: Prepared,
    contract: Contract,
    currency: str,
    date_from: date | None,
    date_to: date | None,
    evaluation: Evaluation | None = None,
) -> ContractResult:
    model = MODELS[contract.model]
    if evaluation is None:
        evaluation = _evaluate(prepared, contract, date_from, date_to)
    all_days = evaluation.day_usage
    days = all_days.filter(in_range(pl.col("day"), date_from, date_to))
    day_rows = days.select(
        "scope",
        period=pl.col("day").dt.strftime("%Y-%m-%d"),
        days=pl.lit(1, pl.Int64),
        units="units",
    )
    rollup = pl.col("units").max() if model.month_rollup == "max" else pl.col("units").sum()
    # A month row is the whole month within the report range: `--from/--to` choose which
    # periods are reported (months with a day of the range in them), not what a month holds;
    # `days` is how many of the month's days the report range covers (SPEC 3).
    month_rows = (
        all_days.group_by("scope", month=pl.col("day").dt.truncate("1mo"), maintain_order=True)
        .agg(
            days=pl.len().cast(pl.Int64),
            units=rollup.cast(pl.Int64),
            reported=in_range(pl.col("day"), date_from, date_to).any(),
        )
        .filter(pl.col("reported"))
        .select("scope", period=pl.col("month").dt.strftime("%Y-%m"), days="days", units="units")
        .sort("scope", "period")
    )
    return ContractResult(
        contract=contract,
        day_rows=_finish(day_rows, contract, currency, monthly=False),
        month_rows=_finish(month_rows, contract, currency, monthly=True),
        details={
            name: frame
            for name, frame in evaluation.details.items()
            if name not in evaluation.contributions
        },
        warnings=[*scope_warnings(contract, prepared.encoded.names), *evaluation.notes],
        events_in_scope=evaluation.events_in_scope,
        contributions={name: evaluation.details[name] for name in evaluation.contributions},
    )


def run_prepared(
    prepared: Prepared,
    contract: Contract,
    currency: str,
    date_from: date | None = None,
    date_to: date | None = None,
) -> ContractResult:
    """``run_contract`` on events already ``prepare``d: one model at many capacities, say.

    The encoding and each timezone's calendar are kept in ``prepared``, so the second
    and later calls only run the model (``licaudit whatif`` calls it per candidate).
    """
    return _run(prepared, contract, currency, date_from, date_to)


def run_contract(
    events: pl.DataFrame,
    contract: Contract,
    currency: str,
    date_from: date | None = None,
    date_to: date | None = None,
    roster: pl.DataFrame | None = None,
    roster_mode: RosterMode = "events",
) -> ContractResult:
    """Apply one contract's model over the report range, then the rules common to all models."""
    return _run(prepare(events, roster, roster_mode), contract, currency, date_from, date_to)


def run_audit(
    ingested: Ingested,
    contracts: tuple[Contract, ...],
    currency: str,
    date_from: date | None = None,
    date_to: date | None = None,
    roster: Roster | None = None,
    input_timezone: str = "UTC",
    parts: int = 1,
    store: PartStore | None = None,
    release: bool = False,
    contributions: bool = True,
) -> AuditResult:
    """Every contract over the same used events (which must not be empty).

    ``parts`` > 1 cuts the events into that many parts by identity and runs the models
    part by part (``licaudit.partition``); a ``store`` holds the events already in parts,
    kept as codes while they were read (large inputs, ``licaudit.scale``), each part given
    once to every contract's model. The same result, row for row, in every case.
    ``release``: ``ingested.events`` are let go once encoded (``AuditResult.events`` then
    decodes the coded ones on demand), which halves a run's memory.
    ``contributions``: whether the tables of who holds the units (seats, peak holders) are
    made, which only a chargeback reads (``ContractResult.contributions``, else empty).
    """
    states = None if roster is None else roster.states
    mode = "events" if roster is None else roster.mode
    prepared: Prepared
    pieces: Iterable[Prepared] | None = None
    if store is not None:
        encoded = store.encoded(account_states(states, mode))
        prepared = Prepared(encoded=encoded, first_ts=store.first_ts, last_ts=store.last_ts)
        pieces = (with_events(prepared, events) for events in store.encoded_parts())
    else:
        prepared = prepare(ingested.events, states, mode, ingested.codes)
        events = ingested.events.lazy()
        if release:
            ingested.release_events()
            events = named_events(prepared.encoded)
        if parts > 1:
            names = prepared.encoded.names
            pieces = [
                with_events(prepared, events)
                for events in split_events(prepared.encoded.events, names, parts)
            ]
    prepared.contributions = contributions
    evaluations: dict[str, Evaluation] = {}
    if pieces is not None:
        evaluations = _evaluate_parts(prepared, pieces, contracts, date_from, date_to)
    audit = audit_evaluated(
        ingested, prepared, contracts, currency, date_from, date_to, evaluations, input_timezone
    )
    audit.events = None if store is not None else events
    return audit


def named_events(encoded: Encoded) -> pl.LazyFrame:
    """The encoded events' ``ts``, ``anonymous``, ``user`` and ``product``, codes turned
    back into names when collected."""
    names = encoded.names
    return encoded.events.lazy().select(
        "ts",
        "anonymous",
        *(
            pl.col(column).replace_strict(
                table["code"], table["name"], default=None, return_dtype=pl.String
            )
            for column, table in (("user", names.users), ("product", names.products))
        ),
    )


def audit_evaluated(
    ingested: Ingested,
    prepared: Prepared,
    contracts: Sequence[Contract],
    currency: str,
    date_from: date | None,
    date_to: date | None,
    evaluations: Mapping[str, Evaluation],
    input_timezone: str = "UTC",
) -> AuditResult:
    """The audit of every contract, those of ``evaluations`` already evaluated (part by
    part, ``evaluate_partials``), the others evaluated on ``prepared``."""

    def run(contract: Contract) -> ContractResult:
        evaluation = evaluations.get(contract.name)
        return _run(prepared, contract, currency, date_from, date_to, evaluation)

    to_evaluate = [contract for contract in contracts if contract.name not in evaluations]
    if len(to_evaluate) < 2:
        return AuditResult(
            ingested, [run(contract) for contract in contracts], currency, input_timezone
        )
    # Two contracts evaluated at once: each model's queries leave a core idle at times
    # (1.6-1.8 cores of 2 busy on average), which the other's fill (10 M events, four
    # models: 0.06 s). Their shared state, the events of each timezone, is made first.
    for contract in to_evaluate:
        prepared.audience(contract.timezone)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, contracts))
    return AuditResult(ingested, results, currency, input_timezone)


def with_events(prepared: Prepared, events: pl.DataFrame) -> Prepared:
    """A part of ``prepared``: these events, the same names and report range (so the same
    calendars), no roster (the roster models are not split)."""
    return Prepared(
        encoded=Encoded(events=events, roster=None, names=prepared.encoded.names),
        first_ts=prepared.first_ts,
        last_ts=prepared.last_ts,
    )
