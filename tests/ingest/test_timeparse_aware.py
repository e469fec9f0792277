"""Timezone-aware microsecond Datetimes (the usual Parquet ``ts``) take a shortcut in
``licaudit.ingest.timeparse``: their instant is their physical value. It must read like any
other Datetime: null is missing, outside [1990, 2100) UTC out_of_range, the value kept."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from licaudit.ingest.timeparse import parse_time_struct

INSTANTS = [
    datetime(2025, 3, 10, 9, 30, tzinfo=UTC),
    None,
    datetime(1989, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
    datetime(1990, 1, 1, tzinfo=UTC),
    datetime(2099, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
    datetime(2100, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, tzinfo=UTC),
]


def _read(values: pl.Series) -> list[tuple[object, ...]]:
    frame = values.to_frame("ts")
    parsed = parse_time_struct(
        pl.col("ts"), frame.schema["ts"], input_tz="Europe/Paris", date_order="dmy"
    )
    return frame.select(parsed.alias("parsed")).unnest("parsed").rows()


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/New_York"])
def test_aware_microseconds_read_like_the_same_instants_in_milliseconds(zone: str) -> None:
    micros = pl.Series(INSTANTS, dtype=pl.Datetime("us", "UTC")).dt.convert_time_zone(zone)
    millis = micros.cast(pl.Datetime("ms", zone))
    assert _read(micros) == _read(millis)
    assert [problem for _, problem in _read(micros)] == [
        None,
        "missing",
        "out_of_range",
        None,
        None,
        "out_of_range",
        "out_of_range",
        "out_of_range",
    ]
