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


def user_key(names: pl.Expr) -> pl.Expr:
    """The hash that places a user: of the name, less an ``anon:`` prefix (the user
    ``anon:x`` is the visitors of session ``x``, SPEC 3.2)."""
    return key_hash(names.str.strip_prefix(ANON))


def placed(by_user: pl.Expr, by_session: pl.Expr, parts: int, first_row: int = 0) -> pl.Expr:
    """The part (0 to ``parts`` - 1, UInt32) of each row of canonical or coded events.

    ``by_user`` and ``by_session`` are the hashes of the row's user (``user_key``) and
    session (``key_hash``), however the caller gets them (from texts, or gathered from a
    dictionary's hashes by code). A named row goes by its user, a visitor by its session,
    a visitor without session (an identity of its own) by its row number, counted from
    ``first_row`` when the rows are a slice.
    """
    named = ~pl.col("anonymous") & pl.col("user").is_not_null()
    return (
        pl.when(named)
        .then(by_user % parts)
        .when(pl.col("session").is_not_null())
        .then(by_session % parts)
        .otherwise((pl.int_range(pl.len(), dtype=pl.UInt64) + first_row) % parts)
        .cast(pl.UInt32)
    )


def part_of(names: Names, parts: int) -> pl.Expr:
    """The part of each encoded event row (users hashed once per name, then gathered)."""
    hashes = names.users.sort("code").select(user_key(pl.col("name"))).to_series()
    by_user = pl.lit(hashes).gather(pl.col("user"))
    return placed(by_user, key_hash(pl.col("session")), parts).alias(PART)


def read_texts() -> list[pl.Expr]:
    """``session`` and ``device`` where a model reads them, null elsewhere: a session only
    on anonymous rows (a visitor's identity, SPEC 3.2; a named row's identity is its user),
    a device only on named rows (Flex's device findings look at named users only). No
    result changes; what the parts path and Spark keep of every other row."""
    anonymous = pl.col("anonymous")
    return [
        pl.when(anonymous).then(pl.col("session")).alias("session"),
        pl.when(~anonymous).then(pl.col("device")).alias("device"),
    ]


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
