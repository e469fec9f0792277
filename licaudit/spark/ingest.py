"""Ingest in Spark tasks: one task per file or Parquet slice, licaudit's own reading inside.

A task runs ``read_table`` and ``_ingest_table`` on its file, as ``ingest`` does on one
machine, and gives Arrow rows of one schema (``ROW_SCHEMA``): its used events, with the
part of their identity, and one last row whose ``found`` column holds what it found
(``Found``: the file's report, rejects, dictionaries of names, time span). The driver
rebuilds ``Ingested`` from the ``Found`` rows (``ingested_of``).

As in ``licaudit.scale``, users, methods and products travel as codes: each piece's rank
of the name in the piece's own sorted dictionary, which the models' tasks turn into the
code of every name (``licaudit.spark.models``); Spark moves integers, not texts. And, as
there, a session is kept only on anonymous rows (the visitor's identity, SPEC 3.2), a
device only on named rows (Flex's device findings look at named users only): no result
changes.

A large Parquet file is cut into slices of whole row groups, a task each, only when no
rule of SPEC 1 looks at the whole file: its time columns are typed (timestamps, dates or
epoch numbers, not text whose slash-date order is decided over every value of the file),
and no W3C ``date`` + ``time`` pair is read (recognized over every value). Every other
rule is decided row by row; a slice numbers its records from its first row in the file,
so rejects keep their file-global record numbers.

An input may be an object-store URL (``licaudit.ingest.remote``): its task copies the
object to a local temporary file, reads that as a local file, and deletes it; the file's
report and rejects name the URL.
"""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import cast

import polars as pl
import pyarrow as pa

from licaudit.errors import LicauditError
from licaudit.ingest.events import (
    EVENT_SCHEMA,
    REJECT_SCHEMA,
    FileReport,
    Ingested,
    IngestOptions,
    _check_map,
    _file_warnings,
    _ingest_table,
)
from licaudit.ingest.readers import Format, RawTable, read_table
from licaudit.ingest.remote import Source, Url, readable, shown_path, url_parquet_slices
from licaudit.ingest.slices import parquet_slices, read_slice
from licaudit.partition import key_hash, placed, read_texts, user_key

# Rows of an Arrow batch a task gives Spark: small enough for 32-bit string offsets.
BATCH_ROWS = 1 << 16
IDENTITIES = ("user", "method", "product")

ROW_SCHEMA = pa.schema(
    [
        ("piece", pa.int32()),  # pieces are numbered in file order, then row order
        ("order", pa.int64()),  # the row's rank among its file's used events
        ("part", pa.int32()),
        ("ts", pa.int64()),  # microseconds since the epoch, UTC
        ("end", pa.int64()),
        ("user", pa.int32()),  # the name's rank in the piece's dictionary
        ("anonymous", pa.bool_()),
        ("method", pa.int32()),
        ("product", pa.int32()),
        ("session", pa.string()),
        ("device", pa.string()),
        ("found", pa.binary()),  # a pickled ``Found``, on the one row that is not an event
    ]
)
PIECE_SCHEMA = pa.schema([("piece", pa.binary())])


@dataclass(frozen=True)
class Piece:
    """What one task reads: a whole file (``rows`` None) or ``rows`` rows from ``start``."""

    index: int
    file: int
    source: Source
    start: int = 0
    rows: int | None = None


@dataclass
class Found:
    """What one task found in its piece: the driver's share of ``ingest``."""

    piece: int
    file: int
    start: int
    columns: list[str] = field(default_factory=list)
    empty: bool = False
    report: FileReport | None = None
    rejects: pl.DataFrame | None = None
    # The piece's dictionaries: the sorted distinct users, methods and products.
    names: dict[str, list[str]] = field(default_factory=dict)
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    used: int = 0
    # A file that cannot be read: raised on the driver, the first in file order.
    error: tuple[type[LicauditError], str, str | None] | None = None


def pieces_of(files: Sequence[Source], options: IngestOptions) -> list[Piece]:
    """The tasks of the ingest: each file whole, or a typed Parquet file in slices (an
    object's slices planned from its footer, read through ``pyarrow.fs``)."""
    pieces: list[Piece] = []
    for index, source in enumerate(files):
        if isinstance(source, Url):
            found = url_parquet_slices(source, options)
        else:
            found = parquet_slices(source, options)
        slices: list[tuple[int, int | None]] = list(found) if found else [(0, None)]
        for start, rows in slices:
            pieces.append(Piece(len(pieces), index, source, start, rows))
    return pieces


def _read_piece(piece: Piece, path: Path, options: IngestOptions) -> RawTable:
    """The piece's rows, read from ``path``: the file, or an object's local copy.

    A slice's task copies the whole object too: ``read_slice`` reads its row groups with
    Polars, from a local file, for the dtypes ``read_table`` gives; reading them through
    ``pyarrow.fs`` would give pyarrow's, and the bytes of a report could differ.
    """
    if piece.rows is None:
        table = read_table(path, options.encoding, options.sheet)
    else:
        table = read_slice(path, piece.start, piece.rows)
    table.path = shown_path(piece.source)  # what the report and the rejects name
    return table


def ingest_pieces(
    batches: Iterator[pa.RecordBatch], options: IngestOptions, parts: int
) -> Iterator[pa.RecordBatch]:
    """The ``mapInArrow`` function: each piece of ``PIECE_SCHEMA`` rows, read and normalized."""
    for batch in batches:
        for blob in batch.column("piece").to_pylist():
            yield from _ingest_piece(pickle.loads(blob), options, parts)


def _ingest_piece(piece: Piece, options: IngestOptions, parts: int) -> Iterator[pa.RecordBatch]:
    try:
        with readable(piece.source) as path:
            table = _read_piece(piece, path, options)
            events, rejects, report = _ingest_table(table, options)
    except LicauditError as error:
        error_found = (type(error), error.message, error.hint)
        failed = Found(piece.index, piece.file, piece.start, error=error_found)
        yield _found_row(failed)
        return
    events = events.cast(pl.Schema(EVENT_SCHEMA))
    found = Found(
        piece.index,
        piece.file,
        piece.start,
        columns=table.columns,
        empty=table.empty,
        report=report,
        rejects=rejects,
        used=events.height,
    )
    del table
    if events.height:
        texts = events.select(pl.col(c).drop_nulls().unique().sort().implode() for c in IDENTITIES)
        dictionaries = {column: texts[column][0] for column in IDENTITIES}
        found.names = {column: names.to_list() for column, names in dictionaries.items()}
        found.first_ts, found.last_ts = events.select(
            first=pl.col("ts").min(), last=pl.col("ts").max()
        ).row(0)
        rows = events.with_columns(read_texts()).select(
            piece=pl.lit(piece.index, pl.Int32),
            order=pl.int_range(pl.len(), dtype=pl.Int64) + piece.start,
            part=_part(parts, piece.start),
            ts=pl.col("ts").dt.epoch("us"),
            end=pl.col("end").dt.epoch("us"),
            user=_rank("user", dictionaries["user"]),
            anonymous=pl.col("anonymous"),
            method=_rank("method", dictionaries["method"]),
            product=_rank("product", dictionaries["product"]),
            session="session",
            device="device",
            found=pl.lit(None, pl.Binary),
        )
        del events
        for offset in range(0, rows.height, BATCH_ROWS):
            # Spark's strings are Arrow ``string`` (32-bit offsets): a batch stays small.
            yield from rows.slice(offset, BATCH_ROWS).to_arrow().cast(ROW_SCHEMA).to_batches()
    yield _found_row(found)


def _rank(column: str, names: pl.Series) -> pl.Expr:
    return pl.col(column).cast(pl.Enum(names)).to_physical().cast(pl.Int32)


def _part(parts: int, start: int) -> pl.Expr:
    """A row's part as ``licaudit.partition.part_of`` places it, hashed from the texts."""
    by_user = user_key(pl.col("user"))
    return placed(by_user, key_hash(pl.col("session")), parts, start).cast(pl.Int32)


def _found_row(found: Found) -> pa.RecordBatch:
    values: dict[str, list[object]] = {name: [None] for name in ROW_SCHEMA.names}
    values["piece"] = [found.piece]
    values["found"] = [pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)]
    return pa.RecordBatch.from_pydict(values, schema=ROW_SCHEMA)


def ingested_of(
    found: Sequence[Found], files: Sequence[Source], warnings: list[str], options: IngestOptions
) -> Ingested:
    """``Ingested`` as ``ingest`` gives it, from what the tasks found (events left in Spark)."""
    ordered = sorted(found, key=lambda piece: (piece.file, piece.start))
    for piece in ordered:
        if piece.error is not None:
            kind, message, hint = piece.error
            raise kind(message, hint)
    reports: list[FileReport] = []
    rejects: list[pl.DataFrame] = []
    columns_by_file: dict[Path, list[str]] = {}
    for index, source in enumerate(files):
        path = shown_path(source)
        pieces = [piece for piece in ordered if piece.file == index]
        first = pieces[0]
        assert first.report is not None
        report = dataclasses.replace(
            first.report,
            rows_read=sum(piece.report.rows_read for piece in pieces if piece.report),
            rows_rejected=sum(piece.report.rows_rejected for piece in pieces if piece.report),
        )
        reports.append(report)
        rejects.extend(piece.rejects for piece in pieces if piece.rejects is not None)
        columns_by_file[path] = first.columns
        # What ``_file_warnings`` reads of a table: its path, columns and emptiness.
        table = RawTable(
            path=path,
            format=cast(Format, report.format),
            compressed=report.compressed,
            columns=first.columns,
            frame=pl.LazyFrame(),
            empty=first.empty,
        )
        warnings.extend(_file_warnings(table, report))
    _check_map(columns_by_file, options.column_map)
    return Ingested(
        events=pl.DataFrame(schema=EVENT_SCHEMA),
        rejects=pl.concat(rejects).cast(pl.Schema(REJECT_SCHEMA))
        if rejects
        else pl.DataFrame(schema=REJECT_SCHEMA),
        files=reports,
        warnings=warnings,
        rows_streamed=sum(piece.used for piece in ordered),
    )
