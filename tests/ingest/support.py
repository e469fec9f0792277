"""What the ingest tests share: instants in UTC, reading files with options."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from licaudit.ingest.events import Ingested, IngestOptions, ingest

csv_only = pytest.mark.parametrize("write_records", ["csv"], indirect=True)
"""For rules the format cannot change: the case runs once, on CSV."""


def at(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)  # type: ignore[misc]


def read(*paths: Path, **options: object) -> Ingested:
    return ingest(list(paths), IngestOptions(**options))  # type: ignore[arg-type]


def column(ingested: Ingested, name: str) -> list[object]:
    return ingested.events.get_column(name).to_list()


def reasons(ingested: Ingested) -> list[tuple[int, str]]:
    return list(ingested.rejects.select("row", "reason").iter_rows())


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def ts_file(tmp_path: Path, *values: str, name: str = "ts.csv") -> Path:
    return write_csv(tmp_path / name, "ts\n" + "".join(value + "\n" for value in values))
