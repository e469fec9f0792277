"""What every licence model is: a name, its options, and one function from frames to frames.

A model receives the used events already restricted to the contract's scope, the
calendar of the report range in the contract's timezone, and the contract. It
returns one usage row per (scope, day) of the calendar, and its detail tables.
Capacity, excess, cost and month roll-up are common to every model and are added
by ``licaudit.audit``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import polars as pl

from licaudit.periods import Calendar

if TYPE_CHECKING:
    from licaudit.contract import Contract

OptionKind = Literal["int", "choice", "str_list", "duration", "path"]

__all__ = ["Calendar", "Model", "ModelResult", "Option"]


@dataclass(frozen=True)
class Option:
    """A contract key that only this model reads, with its default."""

    name: str
    kind: OptionKind
    default: Any
    choices: tuple[str, ...] = ()
    required: bool = False


@dataclass
class ModelResult:
    """Day usage (scope, day, units) for every day of the calendar, and named detail tables."""

    day_usage: pl.DataFrame
    details: dict[str, pl.DataFrame] = field(default_factory=dict)


class ModelFunction(Protocol):
    def __call__(
        self, events: pl.LazyFrame, calendar: Calendar, contract: Contract
    ) -> ModelResult: ...


@dataclass(frozen=True)
class Model:
    """A licence model: its contract name, its options, and its computation."""

    name: str
    summary: str
    options: tuple[Option, ...]
    compute: ModelFunction
    # How a month row is made from its day rows: max for every model but flex.
    month_rollup: Literal["max", "sum"] = "max"
