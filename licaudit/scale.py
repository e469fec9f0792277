"""Large inputs: events kept as integer codes, cut into parts by identity as files are read.

The whole-frame path holds every used event with its texts (user, method, product,
session, device) until the models run. For inputs of tens of millions of rows and more,
``PartStore`` takes each file's used events as soon as ingest has read them
(``licaudit.ingest.events.ingest(sink=...)``), turns every text into a code of a
dictionary that grows file by file, and files the rows under their part — a hash of the
row's identity, as ``licaudit.partition`` defines it. Only codes stay in memory: about
37 bytes an event. When every file is read, the dictionaries are sorted (a code's order
is its name's order, as ``licaudit.ingest.encode`` makes them), and the parts are given
to the models one at a time (``licaudit.audit.run_audit(store=...)``), each through its
``partial``, the ``finish`` running once over the merged partials. Same numbers, row for
row, as the whole-frame path.

Two texts are kept only where a model reads them, which changes no result: a session
only on anonymous rows (the visitor's identity, SPEC 3.2; a named row's identity is its
user), a device only on named rows (Flex's device findings look at named users only).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from licaudit.ingest.dictionary import Dictionary, code_columns
from licaudit.ingest.encode import CODE, CODED_EVENTS, Encoded, Names
from licaudit.partition import PART, key_hash, placed, read_texts, user_key

# Inputs estimated above this many events take the parts path by default.
AUTO_ROWS = 25_000_000
# How many events a part holds, about, when the number of parts is chosen.
ROWS_PER_PART = 12_500_000
TEXT_BYTES_PER_ROW = 80


def estimated_rows(paths: Sequence[Path]) -> int:
    """About how many rows the input files hold: Parquet files say it in their footer,
    text files are guessed from their size (80 bytes a row, five times that gzipped)."""
    total = 0
    for path in paths:
        try:
            # The footer's row count; pyarrow would cost its import (and numpy's) here.
            total += int(pl.scan_parquet(path).select(pl.len()).collect().item())
            continue
        except Exception:
            pass
        size = path.stat().st_size if path.is_file() else 0
        factor = 5 if path.name.endswith(".gz") else 1
        total += size * factor // TEXT_BYTES_PER_ROW
    return total


def parts_for(rows: int) -> int:
    """The parts for about ``rows`` events: 1 (the whole-frame path) up to ``AUTO_ROWS``."""
    return 1 if rows <= AUTO_ROWS else math.ceil(rows / ROWS_PER_PART)


@dataclass
class PartStore:
    """The used events of every file read so far, as codes, filed by part."""

    parts: int
    chunks: list[list[pl.DataFrame]] = field(default_factory=list)
    users: Dictionary = field(default_factory=Dictionary)
    methods: Dictionary = field(default_factory=Dictionary)
    products: Dictionary = field(default_factory=Dictionary)
    sessions: Dictionary = field(default_factory=Dictionary)
    devices: Dictionary = field(default_factory=Dictionary)
    first_ts: Any = None
    last_ts: Any = None
    rows: int = 0

    def __post_init__(self) -> None:
        self.chunks = [[] for _ in range(self.parts)]

    def add(self, events: pl.DataFrame) -> None:
        """File one file's canonical events (``EVENT_SCHEMA``) under their parts."""
        if events.is_empty():
            return
        # A file without end times keeps none (8 bytes an event): a Null column.
        end = pl.lit(None) if events["end"].null_count() == events.height else pl.col("end")
        kept = events.select(
            "ts",
            end.alias("end"),
            "user",
            "anonymous",
            "method",
            "product",
            *read_texts(),
        )
        # Each text coded against its dictionary as it stands (``code_columns``).
        codes = code_columns(kept, self._dictionaries())
        coded = kept.select("ts", "end", *codes.values(), "anonymous").select(CODED_EVENTS.names())
        span = coded.select(pl.col("ts").min().alias("first"), pl.col("ts").max().alias("last"))
        first, last = span.row(0)
        self.first_ts = first if self.first_ts is None else min(self.first_ts, first)
        self.last_ts = last if self.last_ts is None else max(self.last_ts, last)
        self.rows += coded.height
        if self.parts == 1:
            self.chunks[0].append(coded)
            return
        # A filter per part: faster than partition_by for a few parts (0.35 s of CPU
        # against 0.55 on 8.9 M rows and 8 parts), rows in order either way.
        # Lazily: the streaming engine spreads the hashing over the cores (0.37 -> 0.10 s).
        placed_rows = coded.lazy().with_columns(self._part()).collect()
        for part in range(self.parts):
            chunk = placed_rows.filter(pl.col(PART) == part).drop(PART)
            if chunk.height:
                self.chunks[part].append(chunk)

    def _dictionaries(self) -> dict[str, Dictionary]:
        """The dictionary of each text column of the events."""
        return {
            "user": self.users,
            "method": self.methods,
            "product": self.products,
            "session": self.sessions,
            "device": self.devices,
        }

    def _part(self) -> pl.Expr:
        """A row's part, as ``licaudit.partition.part_of`` gives it, on provisional codes:
        each name hashed once, then gathered by code."""
        by_user = user_key(pl.lit(self.users.names)).gather(pl.col("user"))
        by_session = key_hash(pl.lit(self.sessions.names)).gather(pl.col("session"))
        return placed(by_user, by_session, self.parts).alias(PART)

    def encoded(self, roster: pl.DataFrame | None) -> Encoded:
        """The sorted dictionaries (with the roster's users and products) and the roster
        coded by them; the events are left out (``encoded_parts`` gives them)."""
        if roster is not None:
            self.users.add(roster["user"])
            self.products.add(roster["product"])
        tables = [dictionary.final()[0] for dictionary in (self.users, self.methods, self.products)]
        names = Names(users=tables[0], methods=tables[1], products=tables[2])
        coded_roster = None
        if roster is not None:
            coded_roster = roster.with_columns(
                pl.col(column).cast(pl.Enum(table["name"])).to_physical().cast(CODE)
                for column, table in (("user", names.users), ("product", names.products))
            )
        empty = pl.DataFrame(schema=CODED_EVENTS)
        return Encoded(events=empty, roster=coded_roster, names=names)

    def encoded_parts(self) -> Iterator[pl.DataFrame]:
        """Each part's events with final codes, as ``encode`` gives them (``device`` a
        Categorical), in file order; a part's chunks are let go as it is given."""
        remaps = [dictionary.final()[1] for dictionary in (self.users, self.methods, self.products)]
        # Devices as a Categorical gathered by code: what Flex's device findings cast them
        # to (each value hashed again, 0.2 s a 10 M-row part), without a string per row.
        sessions, devices = self.sessions.names, self.devices.names.cast(pl.Categorical)
        for part in range(self.parts):
            chunks, self.chunks[part] = self.chunks[part], []
            if not chunks:
                continue
            frame = pl.concat(chunks, how="vertical_relaxed").cast({"end": CODED_EVENTS["end"]})
            del chunks
            yield frame.select(
                "ts",
                "end",
                pl.lit(remaps[0]).gather(pl.col("user")).alias("user"),
                "anonymous",
                pl.lit(remaps[1]).gather(pl.col("method")).alias("method"),
                pl.lit(remaps[2]).gather(pl.col("product")).alias("product"),
                pl.lit(sessions).gather(pl.col("session")).alias("session"),
                pl.lit(devices).gather(pl.col("device")).alias("device"),
            )
