"""Ingest, end to end: Timestamps (SPEC 1.2, 1.4).

Most tests run once per input format through ``write_records``; expected
instants are computed by hand and written out in UTC.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from tests.conftest import RecordWriter
from tests.ingest.support import at, column, read, reasons, ts_file

# --- Timestamps (SPEC 1.2, 1.4) -------------------------------------------------------
# Text reaches the parser alike from every format, so these run on CSV; the mixed
# column runs through every format.


def test_iso_timestamp_with_offset_is_converted_to_utc(tmp_path: Path) -> None:
    path = ts_file(
        tmp_path, "2025-03-10T10:00:00+01:00", "2025-03-10T10:00:00-0530", "2025-03-10T10:00:00.25Z"
    )
    assert column(read(path), "ts") == [
        at(2025, 3, 10, 9),
        at(2025, 3, 10, 15, 30),
        at(2025, 3, 10, 10, 0, 0, 250_000),
    ]


def test_iso_timestamp_without_offset_is_read_as_utc_by_default(tmp_path: Path) -> None:
    path = ts_file(tmp_path, "2025-03-10T10:00:00", "2025-03-10T10:00:07.5")
    assert column(read(path), "ts") == [at(2025, 3, 10, 10), at(2025, 3, 10, 10, 0, 7, 500_000)]


def test_date_space_hours_minutes_without_seconds_is_a_timestamp(tmp_path: Path) -> None:
    path = ts_file(tmp_path, "2025-03-10 10:05", "2025-03-10 10:05:09")
    assert column(read(path), "ts") == [at(2025, 3, 10, 10, 5), at(2025, 3, 10, 10, 5, 9)]


def test_slash_dates_are_day_first_by_default(tmp_path: Path) -> None:
    path = ts_file(tmp_path, "01/02/2025 10:00", "13/02/2025 10:00:30")
    assert column(read(path), "ts") == [at(2025, 2, 1, 10), at(2025, 2, 13, 10, 0, 30)]


def test_slash_dates_are_month_first_when_a_value_is_impossible_day_first(
    tmp_path: Path,
) -> None:
    # 02/13 cannot be day-first (no 13th month): the whole file is month-first.
    ingested = read(ts_file(tmp_path, "01/02/2025 10:00", "02/13/2025 10:00"))
    assert ingested.files[0].date_order == "mdy"
    assert column(ingested, "ts") == [at(2025, 1, 2, 10), at(2025, 2, 13, 10)]


def test_slash_dates_stay_day_first_when_some_value_is_impossible_either_way(
    tmp_path: Path,
) -> None:
    ingested = read(ts_file(tmp_path, "13/02/2025 10:00", "02/13/2025 10:00"))
    assert ingested.files[0].date_order == "dmy"
    assert column(ingested, "ts") == [at(2025, 2, 13, 10)]
    assert reasons(ingested) == [(2, "unparseable_ts")]


def test_slash_date_order_is_decided_per_file(tmp_path: Path) -> None:
    european = ts_file(tmp_path, "01/02/2025", "25/02/2025", name="eu.csv")
    american = ts_file(tmp_path, "01/02/2025", "02/25/2025", name="us.csv")
    ingested = read(european, american)
    assert [report.date_order for report in ingested.files] == ["dmy", "mdy"]
    assert column(ingested, "ts") == [
        at(2025, 2, 1),
        at(2025, 2, 25),
        at(2025, 1, 2),
        at(2025, 2, 25),
    ]


def test_date_order_option_forces_month_first(tmp_path: Path) -> None:
    ingested = read(ts_file(tmp_path, "01/02/2025", "13/02/2025"), date_order="mdy")
    assert column(ingested, "ts") == [at(2025, 1, 2)]
    assert reasons(ingested) == [(2, "unparseable_ts")]


def test_date_only_is_midnight(tmp_path: Path) -> None:
    path = ts_file(tmp_path, "2025-03-10", "11/03/2025")
    assert column(read(path), "ts") == [at(2025, 3, 10), at(2025, 3, 11)]


def test_epoch_numbers_are_seconds_ms_us_or_ns_by_magnitude(tmp_path: Path) -> None:
    path = ts_file(
        tmp_path,
        "1735725600",
        "1735725600000",
        "1735725600000000",
        "1735725600000000000",
        # 99,999,999,999 is below 10^11: seconds (year 5138), so out of range, not milliseconds.
        "99999999999",
    )
    ingested = read(path)
    assert column(ingested, "ts") == [at(2025, 1, 1, 10)] * 4
    assert reasons(ingested) == [(5, "out_of_range")]


def test_fractional_epoch_seconds_round_to_the_nearest_microsecond(tmp_path: Path) -> None:
    path = ts_file(tmp_path, "1735725600.5", "1735725600.0000004", "1735725600.0000005")
    assert column(read(path), "ts") == [
        at(2025, 1, 1, 10, 0, 0, 500_000),
        at(2025, 1, 1, 10),
        at(2025, 1, 1, 10, 0, 0, 1),
    ]


def test_epoch_numbers_typed_as_numbers_read_like_their_text(tmp_path: Path) -> None:
    jsonl = tmp_path / "typed.jsonl"
    jsonl.write_text('{"ts": 1735725600}\n{"ts": 1735725600000}\n{"ts": 1735725600.25}\n')
    parquet = tmp_path / "typed.parquet"
    pl.DataFrame({"ts": [1735725600, 1735725600000]}).write_parquet(parquet)
    assert column(read(jsonl, parquet), "ts") == [
        at(2025, 1, 1, 10),
        at(2025, 1, 1, 10),
        at(2025, 1, 1, 10, 0, 0, 250_000),
        at(2025, 1, 1, 10),
        at(2025, 1, 1, 10),
    ]


def test_input_timezone_applies_to_naive_timestamps_only(tmp_path: Path) -> None:
    path = ts_file(
        tmp_path,
        "2025-07-01 10:00",  # CEST, +02:00
        "2025-01-15",  # CET, +01:00: local midnight
        "15/01/2025 10:00",
        "2025-07-01T10:00Z",
        "2025-07-01T10:00+05:00",
        "1735725600",
    )
    assert column(read(path, input_timezone="Europe/Paris"), "ts") == [
        at(2025, 7, 1, 8),
        at(2025, 1, 14, 23),
        at(2025, 1, 15, 9),
        at(2025, 7, 1, 10),
        at(2025, 7, 1, 5),
        at(2025, 1, 1, 10),
    ]


def test_naive_time_in_the_repeated_dst_hour_takes_the_first_occurrence(tmp_path: Path) -> None:
    # Paris falls back at 03:00 CEST on 2025-10-26: 02:30 happens at 00:30Z, then at 01:30Z.
    path = ts_file(tmp_path, "2025-10-26 02:30")
    assert column(read(path, input_timezone="Europe/Paris"), "ts") == [at(2025, 10, 26, 0, 30)]


def test_one_column_may_mix_timestamp_forms(write_records: RecordWriter) -> None:
    path = write_records(
        [
            {"ts": "2025-03-10T11:00:00+01:00"},
            {"ts": "2025-03-10 10:00"},
            {"ts": "10/03/2025 10:00"},
            {"ts": "2025-03-10"},
            {"ts": "1741600800"},
            {"ts": "1741600800000"},
        ]
    )
    assert (
        column(read(path), "ts")
        == [at(2025, 3, 10, 10)] * 3 + [at(2025, 3, 10)] + [at(2025, 3, 10, 10)] * 2
    )
