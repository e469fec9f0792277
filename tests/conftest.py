"""Fixtures shared by the test modules.

``write_records`` follows narwhals' ``constructor`` fixture: one test body runs
once per input format licaudit reads, so a rule checked on CSV is checked on
JSON Lines and Parquet too.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import settings

# Timing varies on shared machines: no example may fail for being slow. CI (CI=true)
# replays a fixed set of examples so that a landing never depends on luck; local
# runs keep exploring new ones.
settings.register_profile("licaudit", deadline=None)
settings.register_profile("ci", parent=settings.get_profile("licaudit"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "licaudit")


def utc(text: str) -> datetime:
    """An instant written ISO 8601 without offset (``YYYY-MM-DD HH:MM[:SS[.ffffff]]``), in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


Record = Mapping[str, str | None]
"""One input row: column -> text. ``None`` is a null (JSON null, Parquet null, empty CSV cell)."""

FORMATS = ("csv", "jsonl", "parquet")
"""The formats ``write_records`` runs through by default."""
ALL_FORMATS = (*FORMATS, "csv.gz", "jsonl.gz")


def record_columns(records: Sequence[Record]) -> list[str]:
    """Every column named by the records, in order of first appearance."""
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    return list(columns)


def csv_text(
    records: Sequence[Record], columns: Sequence[str] | None = None, sep: str = ","
) -> str:
    """The records as CSV text with a header; a missing or null value is an empty cell."""
    names = list(columns) if columns is not None else record_columns(records)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    writer.writerow(names)
    for record in records:
        writer.writerow([record.get(name) or "" for name in names])
    return buffer.getvalue()


def write_format(
    path: Path, records: Sequence[Record], file_format: str, columns: Sequence[str] | None = None
) -> Path:
    """Write ``records`` at ``path`` in ``file_format`` (one of ``ALL_FORMATS``)."""
    names = list(columns) if columns is not None else record_columns(records)
    if file_format.endswith(".gz"):
        plain = write_format(path, records, file_format.removesuffix(".gz"), names)
        path.write_bytes(gzip.compress(plain.read_bytes()))
    elif file_format == "csv":
        path.write_text(csv_text(records, names), encoding="utf-8")
    elif file_format == "jsonl":
        lines = [
            json.dumps({name: record[name] for name in names if name in record})
            for record in records
        ]
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    elif file_format == "parquet":
        frame = pl.DataFrame(
            {name: [record.get(name) for record in records] for name in names},
            schema=dict.fromkeys(names, pl.String),
        )
        frame.write_parquet(path)
    else:
        raise ValueError(f"unknown test format {file_format!r}")
    return path


class RecordWriter:
    """Writes records to a new file of one format in a test's tmp_path."""

    def __init__(self, folder: Path, file_format: str) -> None:
        self.folder = folder
        self.format = file_format
        self._count = 0

    def __call__(
        self, records: Sequence[Record], columns: Sequence[str] | None = None, stem: str = "events"
    ) -> Path:
        self._count += 1
        path = self.folder / f"{stem}{self._count}.{self.format}"
        return write_format(path, records, self.format, columns)

    def __repr__(self) -> str:
        return f"RecordWriter({self.format})"


@pytest.fixture(params=FORMATS)
def write_records(request: pytest.FixtureRequest, tmp_path: Path) -> RecordWriter:
    """A writer of records in each input format: csv, jsonl, parquet.

    A test may pick its own formats, compressed ones included:
    ``@pytest.mark.parametrize("write_records", ["csv.gz"], indirect=True)``.
    """
    return RecordWriter(tmp_path, request.param)
