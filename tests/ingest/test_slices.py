"""A large typed Parquet file read a slice of row groups at a time gives what reading it
whole gives: the same events in order, the same rejects with file-global row numbers, one
report per file with the file's counts (SPEC 1.3, 1.4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from licaudit.ingest import slices
from licaudit.ingest.events import IngestOptions, ingest


def write_log(path: Path, text_times: bool = False) -> Path:
    base = datetime(2025, 10, 1, 8, tzinfo=UTC)
    rows = 50
    ts = [base + timedelta(minutes=i) for i in range(rows)]
    ts[33] = datetime(1980, 1, 1, tzinfo=UTC)  # out_of_range, in the third slice
    end: list[datetime | None] = [None] * rows
    end[41] = ts[41] - timedelta(minutes=5)  # end_before_ts, in the fourth
    device = [f"pc{i % 3}" for i in range(rows)]
    device[27] = "pc\x001"  # a NUL byte: malformed, in the second
    frame = pl.DataFrame(
        {
            "ts": ts,
            "end": end,
            "user": [f"U{i % 7} " for i in range(rows)],
            "method": ["web"] * rows,
            "device": device,
        },
        schema_overrides={"end": pl.Datetime("us", "UTC")},
    )
    if text_times:
        frame = frame.with_columns(pl.col("ts").dt.strftime("%d/%m/%Y %H:%M"))
    frame.write_parquet(path, row_group_size=10)
    return path


def test_a_typed_parquet_file_in_slices_gives_the_events_rejects_and_report_of_the_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_log(tmp_path / "events.parquet")
    whole = ingest([path], IngestOptions())
    monkeypatch.setattr(slices, "LOCAL_SLICE_ROWS", 12)
    assert slices.parquet_slices(path, IngestOptions(), 12) == [(0, 20), (20, 20), (40, 10)]
    received: list[pl.DataFrame] = []
    cut = ingest([path], IngestOptions(), sink=received.append)
    assert len(received) == 3
    assert pl.concat(received).equals(whole.events)
    assert cut.rejects.equals(whole.rejects)
    assert cut.rejects["row"].to_list() == [28, 34, 42]
    assert cut.rejects_by_reason == {"malformed": 1, "out_of_range": 1, "end_before_ts": 1}
    assert (cut.rows_read, cut.rows_used, cut.rows_rejected) == (50, 47, 3)
    assert [(r.rows_read, r.rows_rejected) for r in cut.files] == [(50, 3)]
    assert cut.warnings == whole.warnings


def test_parquet_with_text_times_is_read_whole_for_its_slash_date_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_log(tmp_path / "events.parquet", text_times=True)
    monkeypatch.setattr(slices, "LOCAL_SLICE_ROWS", 12)
    assert slices.parquet_slices(path, IngestOptions(), 12) is None
    received: list[pl.DataFrame] = []
    ingest([path], IngestOptions(), sink=received.append)
    assert len(received) == 1


def test_small_parquet_files_are_read_whole(tmp_path: Path) -> None:
    path = write_log(tmp_path / "events.parquet")
    assert slices.parquet_slices(path, IngestOptions()) is None
