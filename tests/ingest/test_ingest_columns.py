"""Ingest, end to end: Columns: aliases, ties, --map, W3C (SPEC 1.2, 1.4).

Most tests run once per input format through ``write_records``; expected
instants are computed by hand and written out in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import polars as pl
import pytest

from licaudit.errors import ConfigError
from tests.conftest import RecordWriter, write_format
from tests.ingest.support import at, column, csv_only, read, write_csv

# --- Columns: aliases, ties, --map, W3C (SPEC 1.2, 1.4) ----------------------------------


def test_aliases_with_any_case_underscore_dash_or_space_map_every_canonical_column(
    write_records: RecordWriter,
) -> None:
    path = write_records(
        [
            {
                "@Timestamp": "2025-03-10T10:00Z",
                "Logout-Time": "2025-03-10T11:00Z",
                "User Name": "Alice",
                "ACCESS_METHOD": "WebDAV",
                "Product-Name": "Drive",
                "client ip": "10.0.0.1",
                "MachineName": "PC-01",
                "Is_Authenticated": "no",
            }
        ]
    )
    events = read(path).events
    assert events.row(0, named=True) == {
        "ts": at(2025, 3, 10, 10),
        "end": at(2025, 3, 10, 11),
        "user": "alice",
        "anonymous": True,
        "method": "webdav",
        "product": "drive",
        "session": "10.0.0.1",
        "device": "PC-01",
    }


@pytest.mark.parametrize(
    ("name", "values", "expected_ends"),
    [
        ("duration", ["90", " 0 "], [at(2025, 3, 10, 10, 1, 30), at(2025, 3, 10, 10)]),
        ("Duration_S", ["1.5"], [at(2025, 3, 10, 10, 0, 1, 500_000)]),
        ("duration-min", ["90", "0.5"], [at(2025, 3, 10, 11, 30), at(2025, 3, 10, 10, 0, 30)]),
    ],
)
def test_duration_columns_give_end_as_ts_plus_seconds_or_minutes(
    tmp_path: Path, name: str, values: list[str], expected_ends: list[datetime]
) -> None:
    records = [{"ts": "2025-03-10T10:00Z", name: value} for value in values]
    path = write_format(tmp_path / "d.csv", records, "csv")
    assert column(read(path), "end") == expected_ends


@csv_only
def test_external_columns_are_authenticated_inverted(write_records: RecordWriter) -> None:
    path = write_records(
        [
            {"ts": "2025-03-10", "user": "a", "Is_External": "true"},
            {"ts": "2025-03-10", "user": "b", "Is_External": "0"},
            {"ts": "2025-03-10", "user": "c", "Is_External": "Oui"},
            {"ts": "2025-03-10", "user": "d", "Is_External": ""},
            {"ts": "2025-03-10", "user": "e", "Is_External": "no"},
        ]
    )
    assert column(read(path), "anonymous") == [True, False, True, False, False]


@csv_only
def test_tied_columns_take_the_alias_earliest_in_the_table(write_records: RecordWriter) -> None:
    # login comes first in the file, but `user` is earlier among the aliases;
    # timestamp is listed before time; end_time before duration.
    path = write_records(
        [
            {
                "login": "from-login",
                "user": "from-user",
                "time": "2025-01-01T00:00Z",
                "timestamp": "2025-03-10T10:00Z",
                "duration": "60",
                "end_time": "2025-03-10T12:00Z",
            }
        ]
    )
    ingested = read(path)
    assert column(ingested, "user") == ["from-user"]
    assert column(ingested, "ts") == [at(2025, 3, 10, 10)]
    assert column(ingested, "end") == [at(2025, 3, 10, 12)]
    assert ingested.files[0].mapping.ignored["user"] == ["login"]


def test_exact_duplicate_column_names_take_the_first(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "dup.csv", "ts,user,user\n2025-03-10,first,second\n")
    ingested = read(path)
    assert column(ingested, "user") == ["first"]
    assert ingested.files[0].mapping.chosen["user"].index == 1
    assert ingested.files[0].mapping.ignored["user"] == ["user"]


@csv_only
def test_map_option_overrides_the_aliases(write_records: RecordWriter) -> None:
    path = write_records(
        [
            {
                "timestamp": "2025-01-01T00:00Z",
                "EventTime": "2025-03-10T10:00Z",
                "user": "alias-user",
                "Login": "mapped-user",
                "Who": "x",
            }
        ]
    )
    ingested = read(path, column_map={"ts": "EventTime", "user": "Login"})
    assert column(ingested, "ts") == [at(2025, 3, 10, 10)]
    assert column(ingested, "user") == ["mapped-user"]
    assert ingested.files[0].mapping.ignored["ts"] == ["timestamp"]


@csv_only
def test_map_option_finds_the_column_whatever_its_case(write_records: RecordWriter) -> None:
    path = write_records([{"EventTime": "2025-03-10T10:00Z", "Qui": "Bob"}])
    ingested = read(path, column_map={"ts": "eventtime", "user": "QUI"})
    assert column(ingested, "user") == ["bob"]


def test_map_option_naming_a_missing_column_is_a_config_error(
    write_records: RecordWriter,
) -> None:
    path = write_records([{"ts": "2025-03-10", "user": "a"}])
    with pytest.raises(ConfigError, match="EventTime") as raised:
        read(path, column_map={"ts": "EventTime"})
    assert raised.value.exit_code == 2
    assert str(path) in str(raised.value)
    assert "columns found: ts, user" in str(raised.value)


def test_w3c_date_and_time_columns_are_combined_into_ts(tmp_path: Path) -> None:
    text = write_csv(
        tmp_path / "u_ex250310.csv",
        "date time cs-username\n"
        "2025-03-10 10:05:00 a\n"
        "2025-03-11 23:59:59.5 b\n"
        "12/03/2025 7:30 c\n".replace(" ", "\t"),
    )
    typed = tmp_path / "typed.parquet"
    pl.DataFrame(
        {"Date": [date(2025, 3, 13)], "Time": [time(8, 0, 1)]},
        schema={"Date": pl.Date, "Time": pl.Time},
    ).write_parquet(typed)
    ingested = read(text, typed)
    assert [report.combined_date_time for report in ingested.files] == [True, True]
    assert column(ingested, "ts") == [
        at(2025, 3, 10, 10, 5),
        at(2025, 3, 11, 23, 59, 59, 500_000),
        at(2025, 3, 12, 7, 30),
        at(2025, 3, 13, 8, 0, 1),
    ]


@csv_only
def test_date_and_time_columns_are_not_combined_when_time_holds_full_timestamps(
    write_records: RecordWriter,
) -> None:
    # `time` is then an ordinary ts alias, listed before `date`.
    path = write_records([{"date": "2025-01-01", "time": "2025-03-10T10:00Z"}])
    ingested = read(path)
    assert not ingested.files[0].combined_date_time
    assert column(ingested, "ts") == [at(2025, 3, 10, 10)]
