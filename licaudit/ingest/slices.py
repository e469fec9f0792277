"""Large Parquet files read a slice of row groups at a time, where no rule needs them whole.

A slice is read as ``readers`` reads a whole Parquet file (the same columns and dtypes,
NUL fields screened), its records numbered from the slice's first row in the file, so
that rejects keep their file-global record numbers. A file is sliced only when no rule of
SPEC 1 looks at every value of the file: its time columns are typed (timestamps, dates or
epoch numbers, not text whose slash-date order is decided over the whole file) and no
W3C ``date`` + ``time`` pair is read (recognized over every value). Every other rule is
decided row by row. The parts path (``licaudit.scale``) and the Spark engine read large
files this way, so that memory is bounded by a slice, not by the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

import polars as pl

from licaudit.errors import DataError
from licaudit.ingest.columns import map_columns
from licaudit.ingest.dictionary import Dictionary
from licaudit.ingest.events import IngestOptions
from licaudit.ingest.readers import (
    PARQUET_SUFFIXES,
    ROW,
    DistinctColumns,
    RawTable,
    _inner_suffix,
    _reject_nul_fields,
)

if TYPE_CHECKING:
    import pyarrow.parquet as pq

# A Parquet file is sliced into runs of whole row groups of at least this many rows: for
# Spark's tasks (parallelism), and for the parts path only files larger than a part (the
# parts path then holds a slice of raw text at a time; smaller slices cost ~7 % more time
# on the 100 M-event benchmark for no lower peak, which the models reach).
SLICE_ROWS = 1_000_000
LOCAL_SLICE_ROWS = 12_500_000


def parquet_slices(
    path: Path, options: IngestOptions, size: int | None = None
) -> list[tuple[int, int]] | None:
    """Runs of row groups ``(first row, rows)`` of ``size`` rows or more (default
    ``SLICE_ROWS``), or None when the file is read whole."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not named_parquet(path):
        return None
    try:
        with path.open("rb") as handle:
            if handle.read(4) != b"PAR1":
                return None
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException):
        return None  # reading it whole says what is wrong
    return row_group_slices(parquet, options, size)


def named_parquet(path: PurePath) -> bool:
    """Whether a file's name says Parquet, not compressed: the only files ever sliced."""
    return _inner_suffix(Path(path.name)) in PARQUET_SUFFIXES and path.suffix.lower() != ".gz"


def row_group_slices(
    parquet: pq.ParquetFile, options: IngestOptions, size: int | None = None
) -> list[tuple[int, int]] | None:
    """``parquet_slices`` of an open Parquet file (local, or an object's footer read
    through ``pyarrow.fs``): None when one slice would hold it, or when a rule of SPEC 1
    looks at the whole file."""
    size = SLICE_ROWS if size is None else size
    metadata, schema = parquet.metadata, parquet.schema_arrow
    if metadata.num_rows <= size or metadata.num_row_groups < 2:
        return None
    mapping = map_columns(list(schema.names), options.column_map)
    times = [mapping.chosen.get("ts"), mapping.chosen.get("end")]
    typed = all(
        match is None or match.reading != "value" or _typed_time(schema.field(match.index).type)
        for match in times
    )
    if mapping.date_time_pair is not None or times[0] is None or not typed:
        return None
    slices: list[tuple[int, int]] = []
    start = rows = 0
    for group in range(metadata.num_row_groups):
        rows += metadata.row_group(group).num_rows
        if rows >= size:
            slices.append((start, rows))
            start, rows = start + rows, 0
    if rows:
        slices.append((start, rows))
    return slices if len(slices) > 1 else None


def _typed_time(kind: object) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_timestamp(kind) or pa.types.is_date(kind) or pa.types.is_integer(kind))


def read_slice(
    path: Path,
    start: int,
    rows: int,
    distinct: DistinctColumns | None = None,
    dictionaries: Mapping[str, Dictionary] | None = None,
) -> RawTable:
    """``rows`` rows of a Parquet file from ``start``, as ``read_table`` reads the file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        columns = list(pq.ParquetFile(path).schema_arrow.names)
        frame = pl.scan_parquet(path).slice(start, rows).collect()
    except (pa.ArrowException, OSError, pl.exceptions.PolarsError) as error:
        raise DataError(
            f"File {path} is a truncated or corrupt Parquet file ({error}).",
            "export it again.",
        ) from None
    frame = frame.rename({old: f"c{index}" for index, old in enumerate(frame.columns)})
    frame = frame.with_row_index(ROW, offset=1 + start).with_columns(pl.col(ROW).cast(pl.Int64))
    table = RawTable(
        path=path, format="parquet", compressed=False, columns=columns, frame=frame.lazy()
    )
    return _reject_nul_fields(table, distinct, dictionaries)
