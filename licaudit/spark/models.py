"""The models in Spark tasks: each part's partials, merged and finished on the driver.

``read_in_spark`` runs the ingest (``licaudit.spark.ingest``) and keeps its events in
Spark's cache; ``SparkEvents.audit`` gives each part of them (every event of its
identities, ``licaudit.partition``) to a task through ``groupBy(part).applyInArrow``. The
task turns each piece's codes into the codes of every name (``encode``'s: a name's rank
among every name), puts the events back in file order, and runs every split model's
``partial`` on them, as ``run_audit`` does part by part on one
machine (``licaudit.audit.part_partials``); the driver merges the partials in part order
and finishes (``licaudit.audit.evaluate_partials``).
"""

from __future__ import annotations

import functools
import math
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import polars as pl
import pyarrow as pa

from licaudit.audit import (
    AuditResult,
    Prepared,
    account_states,
    audit_evaluated,
    evaluate_partials,
    part_partials,
)
from licaudit.ingest.encode import CODE, CODED_EVENTS, Encoded, Names, encode
from licaudit.ingest.events import Ingested, IngestOptions
from licaudit.ingest.remote import Source, discover_sources, estimated_source_rows
from licaudit.ingest.roster import Roster
from licaudit.models import MODELS
from licaudit.models.base import Contract, Partial
from licaudit.spark.ingest import (
    IDENTITIES,
    PIECE_SCHEMA,
    ROW_SCHEMA,
    Found,
    ingest_pieces,
    ingested_of,
    pieces_of,
)
from licaudit.spark.session import quiet_pandas_warning, start

# Events of a part, about, when the number of parts is chosen: what a task holds at once.
ROWS_PER_PART = 1_000_000
# Bytes of partials a row of the models' output carries (Spark binary values are capped).
CHUNK_BYTES = 64 << 20
PARTIAL_SCHEMA = pa.schema([("part", pa.int32()), ("chunk", pa.int32()), ("partials", pa.binary())])
CODED_SCHEMA = CODED_EVENTS


@dataclass
class SparkEvents:
    """The used events, in Spark's cache with their parts, and what the driver knows of them."""

    ingested: Ingested
    events: Any  # pyspark.sql.DataFrame of ``ROW_SCHEMA`` rows without ``found``
    cached: Any  # the DataFrame of every row the ingest gave, persisted
    # Each piece's dictionaries (users, methods, products), by piece number.
    piece_names: list[dict[str, list[str]]]
    first_ts: datetime | None
    last_ts: datetime | None
    parts: int
    session: Any
    owned: bool

    def audit(
        self,
        contracts: Sequence[Contract],
        currency: str,
        date_from: date | None,
        date_to: date | None,
        roster: Roster | None,
        input_timezone: str,
        contributions: bool = True,
    ) -> AuditResult:
        """Every contract over the events, as ``run_audit`` gives it on one machine."""
        try:
            prepared = self._prepared(roster)
            prepared.contributions = contributions
            split = tuple(c for c in contracts if MODELS[c.model].split is not None)
            partials: dict[str, list[Partial]] = {}
            counted: dict[str, int] = {}
            if split:
                for found in self._part_partials(prepared, split):
                    for name, (partial, events) in found.items():
                        partials.setdefault(name, []).append(partial)
                        counted[name] = counted.get(name, 0) + events
            evaluations = evaluate_partials(
                prepared, partials, counted, contracts, date_from, date_to
            )
            return audit_evaluated(
                self.ingested,
                prepared,
                contracts,
                currency,
                date_from,
                date_to,
                evaluations,
                input_timezone,
            )
        finally:
            self.close()

    def _prepared(self, roster: Roster | None) -> Prepared:
        """The dictionaries of every name of the events and roster, exactly as ``encode``
        makes them, the coded roster, and the report range; no event (they are in Spark)."""
        states = None if roster is None else account_states(roster.states, roster.mode)
        every = {
            column: sorted({name for names in self.piece_names for name in names[column]})
            for column in IDENTITIES
        }
        # One frame of the three columns, the shorter ones ending in nulls (no name).
        height = max(len(names) for names in every.values())
        distinct = pl.DataFrame(
            {c: every[c] + [None] * (height - len(every[c])) for c in IDENTITIES},
            schema=dict.fromkeys(IDENTITIES, pl.String()),
        )
        encoded = encode(distinct, states)
        return Prepared(
            encoded=Encoded(
                events=pl.DataFrame(schema=CODED_SCHEMA), roster=encoded.roster, names=encoded.names
            ),
            first_ts=self.first_ts,
            last_ts=self.last_ts,
        )

    def _part_partials(
        self, prepared: Prepared, contracts: tuple[Contract, ...]
    ) -> list[dict[str, tuple[Partial, int]]]:
        """Each part's partials of every split contract, computed in Spark, in part order."""
        names = prepared.encoded.names
        plan = pickle.dumps(
            (contracts, names, self._recodes(names), prepared.first_ts, prepared.last_ts),
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        schema = _spark_schema(PARTIAL_SCHEMA)
        quiet_pandas_warning()
        self.session.conf.set("spark.sql.shuffle.partitions", str(self.parts))
        rows = (
            self.events.groupBy("part")
            # A lambda: PySpark picks the function's form from type hints, which it
            # cannot read through functools.partial; without hints, Table in, Table out.
            .applyInArrow(lambda table: partials_of_part(table, plan), schema)
            .toArrow()
        )
        chunks: dict[int, list[tuple[int, bytes]]] = {}
        for part, chunk, blob in zip(
            *(rows.column(n).to_pylist() for n in ("part", "chunk", "partials")), strict=True
        ):
            chunks.setdefault(part, []).append((chunk, blob))
        return [
            pickle.loads(b"".join(blob for _, blob in sorted(chunks[part])))
            for part in sorted(chunks)
        ]

    def _recodes(self, names: Names) -> dict[str, Recode]:
        """Per identity, each piece's codes as codes of every name, the pieces end to end,
        and where each piece's run starts."""
        recodes: dict[str, Recode] = {}
        for column, dictionary in zip(
            IDENTITIES, (names.users, names.methods, names.products), strict=True
        ):
            every = pl.Enum(dictionary["name"])
            runs = [
                pl.Series(piece[column], dtype=pl.String).cast(every).to_physical().cast(CODE)
                for piece in self.piece_names
            ]
            sizes = [0, *(run.len() for run in runs)]
            starts = pl.Series(sizes, dtype=pl.Int64).cum_sum().head(len(runs))
            recodes[column] = Recode(pl.concat(runs), starts)
        return recodes

    def close(self) -> None:
        """Let go of the cached events; stop the session if it was started for this run."""
        self.cached.unpersist()
        if self.owned:
            self.session.stop()


@dataclass(frozen=True)
class Recode:
    """Each piece's codes of an identity as codes of every name: piece ``p``'s code ``c``
    becomes ``codes[starts[p] + c]``."""

    codes: pl.Series
    starts: pl.Series

    def of(self, column: str) -> pl.Expr:
        start = pl.lit(self.starts).gather(pl.col("piece"))
        return pl.lit(self.codes).gather(start + pl.col(column)).alias(column)


def partials_of_part(table: pa.Table, plan: bytes) -> pa.Table:
    """The ``applyInArrow`` function: one part's events, in file order, coded as ``encode``
    codes them and reduced by every split contract's ``partial`` (pickled, in chunks)."""
    contracts, names, recodes, first_ts, last_ts = pickle.loads(plan)
    rows = pl.from_arrow(table)
    assert isinstance(rows, pl.DataFrame)
    rows = rows.sort("piece", "order")
    part = int(rows["part"][0])
    events = rows.select(
        pl.col("ts").cast(pl.Datetime("us", "UTC")),
        pl.col("end").cast(pl.Datetime("us", "UTC")),
        recodes["user"].of("user"),
        "anonymous",
        recodes["method"].of("method"),
        recodes["product"].of("product"),
        "session",
        "device",
    )
    del rows
    prepared = Prepared(Encoded(events, None, names), first_ts, last_ts)
    blob = pickle.dumps(part_partials(prepared, contracts), protocol=pickle.HIGHEST_PROTOCOL)
    batches = [
        pa.RecordBatch.from_pydict(
            {"part": [part], "chunk": [index], "partials": [blob[offset : offset + CHUNK_BYTES]]},
            schema=PARTIAL_SCHEMA,
        )
        for index, offset in enumerate(range(0, max(len(blob), 1), CHUNK_BYTES))
    ]
    return pa.Table.from_batches(batches, schema=PARTIAL_SCHEMA)


def _spark_schema(schema: pa.Schema) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def read_in_spark(
    paths: Sequence[Source], options: IngestOptions, master: str, parts: int | None = None
) -> SparkEvents:
    """Discover the input files (local, or object-store URLs listed through ``pyarrow.fs``),
    ingest them in Spark tasks and cache their events.

    ``parts``: the parts by identity the models run on (``--parts``); by default one per
    million events, at least two per core of the cluster.
    """
    files, warnings = discover_sources(paths, options.recursive, options.exclude)
    session, owned = start(master)
    rows = None
    try:
        if parts is None:
            cores = session.sparkContext.defaultParallelism
            parts = max(2 * cores, math.ceil(estimated_source_rows(files) / ROWS_PER_PART))
        pieces = pieces_of(files, options)
        blobs = [(pickle.dumps(piece),) for piece in pieces]
        quiet_pandas_warning()
        table = session.sparkContext.parallelize(blobs, max(1, len(blobs))).toDF(
            _spark_schema(PIECE_SCHEMA)
        )
        rows = table.mapInArrow(
            functools.partial(ingest_pieces, options=options, parts=parts),
            _spark_schema(ROW_SCHEMA),
        ).persist()
        found_rows = rows.filter(rows["found"].isNotNull()).select("found").toArrow()
        found: list[Found] = [pickle.loads(blob) for blob in found_rows.column(0).to_pylist()]
        ingested = ingested_of(found, files, warnings, options)
    except BaseException:
        if owned:
            session.stop()
        elif rows is not None:
            rows.unpersist()
        raise
    by_piece = sorted(found, key=lambda piece: piece.piece)
    firsts = [piece.first_ts for piece in found if piece.first_ts is not None]
    lasts = [piece.last_ts for piece in found if piece.last_ts is not None]
    return SparkEvents(
        ingested=ingested,
        events=rows.filter(rows["found"].isNull()).drop("found"),
        cached=rows,
        piece_names=[
            {column: piece.names.get(column, []) for column in IDENTITIES} for piece in by_piece
        ],
        first_ts=min(firsts, default=None),
        last_ts=max(lasts, default=None),
        parts=parts,
        session=session,
        owned=owned,
    )
