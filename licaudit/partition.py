"""Parts of the events by a hash of the identity, and the merge of the models' partials.

Every event model counts per identity: a user's seats per day (daily-active), a slot's
busy spans (concurrent), a user's licences (floating), a user's first access of the month
(rau), a key's usage stretches (flex). So the events can be cut into parts that each hold
*all* the events of their identities, each part reduced by the model's ``partial``, and the
partials concatenated before the model's ``finish`` — the sums of seats, the sweep over
every slot's spans, the count of month newcomers, the Flex ledger — runs once, over all of
them. The result is the same, row for row, as on the whole frame (tested on random logs).

The identity of a row, for this cut, is what every model agrees on:
- a named row: its user's name (``anon:`` + session names a visitor, SPEC 3.2, so a user
  named ``anon:x`` goes with the visitors of session ``x``: the prefix is dropped);
- an anonymous row with a session: the session;
- an anonymous row without session: its own identity, anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from licaudit.ingest.encode import Names
from licaudit.models.base import Partial
from licaudit.models.concurrent import ANON

PART = "__part"
# Any fixed seed: what matters is that a name and a session that are equal hash alike.
SEED = 20_261_201


def key_hash(text: pl.Expr) -> pl.Expr:
    """The hash that places an identity (a user's name, a visitor's session)."""
    return text.hash(seed=SEED)


def user_parts(names: Names, parts: int) -> pl.Series:
    """The part of every user code (index = code)."""
    return (
        names.users.sort("code")
        .select(key_hash(pl.col("name").str.strip_prefix(ANON)) % parts)
        .to_series()
        .cast(pl.UInt32)
    )


def part_of(names: Names, parts: int) -> pl.Expr:
    """The part (0 to ``parts`` - 1) of each encoded event row."""
    by_user = pl.lit(user_parts(names, parts)).gather(pl.col("user"))
    by_session = key_hash(pl.col("session")) % parts
    by_row = pl.int_range(pl.len(), dtype=pl.UInt64) % parts
    named = ~pl.col("anonymous") & pl.col("user").is_not_null()
    return (
        pl.when(named)
        .then(by_user)
        .when(pl.col("session").is_not_null())
        .then(by_session)
        .otherwise(by_row)
        .cast(pl.UInt32)
        .alias(PART)
    )


def split_events(events: pl.DataFrame, names: Names, parts: int) -> list[pl.DataFrame]:
    """``events`` cut into ``parts`` frames by identity (some may be empty), rows in order."""
    if parts <= 1:
        return [events]
    cut = events.with_columns(part_of(names, parts)).partition_by(
        PART, as_dict=True, include_key=False, maintain_order=True
    )
    empty = events.clear()
    return [cut.get((part,), empty) for part in range(parts)]


def merge(partials: Sequence[Partial]) -> Partial:
    """The partials of several parts, each frame concatenated in part order."""
    first = partials[0]
    return {
        name: pl.concat([partial[name] for partial in partials], how="vertical_relaxed")
        for name in first
    }
