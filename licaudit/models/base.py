"""What every licence model is, and what it receives: the model interface (version 2).

A model declares what it reads (events, roster), how it scopes (across products
under one scope, or one scope per product), its options as a small frozen
dataclass, and one pure function from a ``ModelInput`` to a ``ModelResult``.
Everything common to every model (scopes, report range, filling every day,
``--from/--to``, capacity, excess, cost, month roll-up) is done once, by
``licaudit.audit``.

Identities arrive encoded: ``user``, ``method`` and ``product`` are UInt32 codes
whose order is the order of the names, so sorting on a code sorts by name; the
``Names`` dictionaries turn them back, and ``licaudit.audit`` does so on the rows
of detail tables (any UInt32 column named ``user``, ``method`` or ``product``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import polars as pl

from licaudit.ingest.encode import CODE, Names
from licaudit.periods import Calendar

__all__ = [
    "CODE",
    "Calendar",
    "Contract",
    "Detail",
    "Model",
    "ModelInput",
    "ModelResult",
    "Names",
    "NoOptions",
    "Partial",
    "Split",
]

Reads = Literal["events", "roster"]
Scoping = Literal["across", "per-product"]
PeriodKey = Literal["day", "month", "instant"]

OptionsT = TypeVar("OptionsT")


@dataclass(frozen=True)
class NoOptions:
    """The options of a model that has none."""


@dataclass(frozen=True)
class Contract:
    """One contract: a model applied to a scope, with capacity, prices and typed model options.

    ``scope`` is ``None`` (every product) or the tuple of products it names, trimmed,
    lowercased, sorted and without duplicates; ``options`` is the model's options
    dataclass, built and validated when the contract loads.
    """

    name: str
    model: str
    timezone: str
    capacity: int | None = None
    scope: tuple[str, ...] | None = None
    price: Decimal | None = None
    excess_price: Decimal | None = None
    options: Any = field(default_factory=NoOptions)
    # The files its options name (Flex rates and packs): never read as events.
    files: tuple[Path, ...] = ()

    @property
    def priced(self) -> bool:
        return self.price is not None or self.excess_price is not None


@dataclass(frozen=True)
class ModelInput(Generic[OptionsT]):
    """What a model computes from: its scope's rows, the calendar, capacity and options.

    ``events`` holds the used events of the contract's scope: ``ts``, ``end``,
    ``user``, ``method``, ``product`` (codes), ``anonymous``, ``session``, ``device``
    and ``day`` (the local day of ``ts`` in the contract's timezone, null outside
    the calendar). ``roster`` holds the scope's roster states (``ts``, ``user``,
    ``product`` codes, ``active``, ``seq``) for models that read one, else None.
    ``scopes`` maps each product of a per-product model's scope list to its label
    (``product`` code, ``scope``); for an across-products model it is one row with a
    null product.
    """

    contract: Contract
    events: pl.LazyFrame
    roster: pl.DataFrame | None
    calendar: Calendar
    scope_label: str
    options: OptionsT
    names: Names

    @property
    def capacity(self) -> int | None:
        return self.contract.capacity


@dataclass(frozen=True)
class Detail:
    """A detail table, and the typed column ``--from/--to`` filters it by.

    ``key`` names a Date column holding a local day (``key_kind = "day"``), the first
    day of a month (``"month"``), or a Datetime instant (``"instant"``, kept when its
    local day is reported). ``key = None``: the table is about the whole range.
    Day and month keys are written as ``YYYY-MM-DD`` and ``YYYY-MM`` text, in a column
    named ``period`` placed first (after ``contract``), as in the usage table.
    ``contributions`` marks a table of what each user contributed to the units, kept
    apart (``ContractResult.contributions``) unless a chargeback is asked for (issue 13).
    """

    # The table, or (for contributions) the function that makes it, called only when the
    # table is reported: a year of holders per day is millions of rows nobody asked for.
    frame: pl.DataFrame | Callable[[], pl.DataFrame]
    key: str | None = None
    key_kind: PeriodKey = "day"
    # Who contributed to each period's units (seats, peak holders): what the chargeback
    # splits per group. Reported only with a groups file, so as not to crowd every report.
    contributions: bool = False

    def table(self) -> pl.DataFrame:
        """The table, made now when the model left it to be made on demand."""
        return self.frame if isinstance(self.frame, pl.DataFrame) else self.frame()


@dataclass
class ModelResult:
    """Day usage and named detail tables.

    ``day_usage`` has ``day`` (Date) and ``units`` (Int64), plus ``product`` (code)
    for a per-product model. Rows may be left out where units are 0: the audit fills
    every day of every scope with 0. A model whose units carry over days without
    events (held licences, running counts) returns those days itself.
    """

    day_usage: pl.DataFrame
    details: dict[str, Detail] = field(default_factory=dict)
    # What the report says of the contract beside its numbers, e.g. the rows a model left
    # out and counted (SPEC 3.7: flex's anonymous rows).
    notes: list[str] = field(default_factory=list)


Partial = dict[str, pl.DataFrame]
"""What a model keeps of one part of the events: named frames whose rows concatenate."""


@dataclass(frozen=True)
class Split(Generic[OptionsT]):
    """A model that decomposes by identity: ``compute = finish(partial(events))``.

    ``partial`` reduces raw events to per-identity rows (a user's seats per day, a slot's
    busy spans, a key's usage stretches) and must look at no other identity's events;
    ``finish`` turns the concatenated partials of every part into the model's result,
    without looking at ``ModelInput.events``. When every user's events (and every
    visitor session's) are in one part, the partials of the parts concatenate to the
    partial of all the events, so the result is the same however the events are split
    (``licaudit.partition``; tested on random logs).
    """

    partial: Callable[[ModelInput[OptionsT]], Partial]
    finish: Callable[[ModelInput[OptionsT], Partial], ModelResult]

    def compute(self, model_input: ModelInput[OptionsT]) -> ModelResult:
        return self.finish(model_input, self.partial(model_input))


@dataclass(frozen=True)
class Model(Generic[OptionsT]):
    """A licence model: its contract name, what it reads, how it scopes, and its computation."""

    name: str
    summary: str
    options: type[OptionsT]
    compute: Callable[[ModelInput[OptionsT]], ModelResult]
    reads: frozenset[Reads] = frozenset({"events"})
    scoping: Scoping = "across"
    # Whether it counts named (authenticated) users: such a model cannot run on files
    # where no column holds users (SPEC 1.3).
    named_users: bool = True
    # How a month row is made from its day rows: max for every model but flex.
    month_rollup: Literal["max", "sum"] = "max"
    # What `licaudit check` finds beyond capacity (Flex: denials, run-out), from the
    # contract, its decoded detail tables and the first and last reported days.
    check: CheckFunction | None = None
    # How it decomposes by identity, for running on parts of the events (issue 11);
    # None for the roster models, which read no events.
    split: Split[OptionsT] | None = None

    def option_fields(self) -> tuple[dataclasses.Field[Any], ...]:
        return dataclasses.fields(self.options)  # type: ignore[arg-type]


CheckFunction = Callable[[Contract, Mapping[str, pl.DataFrame], date, date], list[str]]

OptionReader = Callable[[Path, str, str, str], Any]
"""How a file option is read at contract load: ``(path, key, place, naive timezone) -> value``.

The naive timezone is the contract file's ``input_timezone`` (its ``timezone`` by
default): where a time written without offset in the file was meant (SPEC 1.2)."""


def file_option(reader: OptionReader) -> Any:
    """A dataclass field for an option naming a file, read by ``reader`` when the contract loads."""
    return field(default=None, metadata={"reader": reader})


def option_metadata(option: dataclasses.Field[Any]) -> Mapping[str, Any]:
    return option.metadata
