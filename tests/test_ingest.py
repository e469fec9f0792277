"""From files to canonical events and counted rejects (SPEC 1.1-1.4), end to end.

Most tests run once per input format through ``write_records``; expected
instants are computed by hand and written out in UTC.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from licaudit.errors import ConfigError, DataError
from licaudit.ingest import REASONS, Ingested, IngestOptions, ingest
from tests.conftest import ALL_FORMATS, RecordWriter, csv_text, write_format

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


# --- Timestamps (SPEC 1.2, 1.4) -------------------------------------------------------
# Text reaches the parser alike from every format, so these run on CSV; the mixed
# column runs through every format.


def ts_file(tmp_path: Path, *values: str, name: str = "ts.csv") -> Path:
    return write_csv(tmp_path / name, "ts\n" + "".join(value + "\n" for value in values))


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


# --- Files, formats, encodings (SPEC 1.1, 1.4) -------------------------------------------


def test_gzip_compressed_text_is_decompressed(tmp_path: Path) -> None:
    csv_gz = tmp_path / "a.csv.gz"
    csv_gz.write_bytes(gzip.compress(b"ts,user\n2025-03-10,a\n"))
    jsonl_gz = tmp_path / "b.jsonl.gz"
    jsonl_gz.write_bytes(gzip.compress(b'{"ts": "2025-03-11", "user": "b"}\n'))
    ingested = read(csv_gz, jsonl_gz)
    assert column(ingested, "user") == ["a", "b"]
    assert [report.compressed for report in ingested.files] == [True, True]


def test_gz_file_holding_plain_text_is_read_as_text(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "plain.csv.gz", "ts,user\n2025-03-10,a\n")
    ingested = read(path)
    assert column(ingested, "user") == ["a"]
    assert not ingested.files[0].compressed


@pytest.mark.parametrize("name", ["events.csv", "events.log", "events.csv.gz"])
def test_parquet_is_recognised_by_its_magic_whatever_its_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    pl.DataFrame({"ts": ["2025-03-10"], "user": ["a"]}).write_parquet(path)
    ingested = read(path)
    assert ingested.files[0].format == "parquet"
    assert column(ingested, "user") == ["a"]


def test_many_files_with_different_column_orders_and_names_are_one_stream(
    tmp_path: Path,
) -> None:
    first = write_csv(tmp_path / "a.csv", "ts,user,method\n2025-03-10T10:00Z,a,web\n")
    second = write_csv(tmp_path / "b.csv", "Channel;Login;Timestamp\nSync;B;2025-03-11T10:00Z\n")
    third = tmp_path / "c.jsonl"
    third.write_text('{"email": "c@x", "event_time": "2025-03-12T10:00Z"}\n')
    ingested = read(first, second, third)
    assert ingested.events.select("ts", "user", "method").rows() == [
        (at(2025, 3, 10, 10), "a", "web"),
        (at(2025, 3, 11, 10), "b", "sync"),
        (at(2025, 3, 12, 10), "c@x", "unknown"),
    ]
    assert ingested.rows_read == 3


def test_every_format_gives_the_same_events(tmp_path: Path) -> None:
    records = [
        {"ts": "2025-03-10T10:00Z", "user": " Alice ", "method": "Web", "session": "S1"},
        {"ts": "10/03/2025 11:00", "user": "guest", "product": "Drive", "device": ""},
        {"ts": "1741600800", "user": "", "authenticated": "false"},
    ]
    frames = [read(write_format(tmp_path / f"e.{fmt}", records, fmt)).events for fmt in ALL_FORMATS]
    for frame in frames[1:]:
        assert_frame_equal(frame, frames[0])


def test_latin1_semicolon_csv_from_french_windows_with_day_first_dates(tmp_path: Path) -> None:
    text = (
        "Date;Utilisateur;Login;Méthode;Application\r\n"
        "03/02/2025 08:15;x;Hélène;Web;Drive\r\n"
        "25/02/2025 17:40;x;François;Sync;Drive\r\n"
        "26/02/2025 09:00;x;Zoë;Web;Coût €\r\n"
    )
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1252"))
    ingested = read(path)
    assert ingested.files[0].encoding == "windows-1252"
    assert ingested.files[0].delimiter == ";"
    assert ingested.events.select("ts", "user", "product").rows() == [
        (at(2025, 2, 3, 8, 15), "hélène", "drive"),
        (at(2025, 2, 25, 17, 40), "françois", "drive"),
        (at(2025, 2, 26, 9), "zoë", "coût €"),
    ]


def test_utf8_bom_is_dropped_before_the_header(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfts,user\n2025-03-10,Zo\xc3\xa9\n")
    ingested = read(path)
    assert ingested.files[0].columns == ["ts", "user"]
    assert column(ingested, "user") == ["zoé"]


def test_utf16_with_a_bom_is_decoded(tmp_path: Path) -> None:
    text = "ts\tuser\n2025-03-10\tZoé\n"
    little = tmp_path / "le.csv"
    little.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    big = tmp_path / "be.csv"
    big.write_bytes(b"\xfe\xff" + text.replace("Zoé", "Åsa").encode("utf-16-be"))
    ingested = read(little, big)
    assert [report.encoding for report in ingested.files] == ["utf-16", "utf-16"]
    assert column(ingested, "user") == ["zoé", "åsa"]


@pytest.mark.parametrize(
    "delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"]
)
def test_csv_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    records = [
        {"ts": "2025-03-10 10:00", "user": "Smith, J.; Jr", "method": "web|dav"},
        {"ts": "2025-03-10 11:00", "user": "b", "method": "sync"},
    ]
    path = write_csv(tmp_path / "d.csv", csv_text(records, sep=delimiter))
    ingested = read(path)
    assert ingested.files[0].delimiter == delimiter
    assert column(ingested, "user") == ["smith, j.; jr", "b"]
    assert column(ingested, "method") == ["web|dav", "sync"]


def test_folder_reads_its_supported_files_but_not_subfolders(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", "ts,user\n2025-03-10,a\n")
    (tmp_path / "b.jsonl").write_text('{"ts": "2025-03-10", "user": "b"}\n')
    (tmp_path / "licaudit.toml").write_text('[[contract]]\nmodel = "rau"\n')
    (tmp_path / "notes.md").write_text("not a log\n")
    (tmp_path / "sub").mkdir()
    write_csv(tmp_path / "sub" / "c.csv", "ts,user\n2025-03-10,c\n")
    assert column(read(tmp_path), "user") == ["a", "b"]


def test_folder_with_recursive_reads_subfolders_too(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", "ts,user\n2025-03-10,a\n")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    write_csv(tmp_path / "sub" / "deeper" / "c.csv.gz", "ts,user\n2025-03-10,c\n")
    assert sorted(column(read(tmp_path, recursive=True), "user")) == ["a", "c"]


# --- Normalization and the anonymous rule (SPEC 1.2) -------------------------------------


@csv_only
def test_user_method_product_are_trimmed_and_lowercased(write_records: RecordWriter) -> None:
    path = write_records(
        [
            {
                "ts": "2025-03-10",
                "user": "  Alice.B@X.org ",
                "method": " WebDAV ",
                "product": " Drive ",
            }
        ]
    )
    assert read(path).events.select("user", "method", "product").row(0) == (
        "alice.b@x.org",
        "webdav",
        "drive",
    )


@csv_only
def test_case_sensitive_users_keeps_user_case_but_still_trims(write_records: RecordWriter) -> None:
    path = write_records([{"ts": "2025-03-10", "user": " Alice ", "method": "WEB"}])
    events = read(path, case_sensitive_users=True).events
    assert events.select("user", "method").row(0) == ("Alice", "web")


def test_empty_or_missing_method_and_product_take_the_defaults(
    write_records: RecordWriter,
) -> None:
    path = write_records(
        [
            {"ts": "2025-03-10", "method": "", "product": "  "},
            {"ts": "2025-03-10", "method": None, "product": None},
        ]
    )
    no_columns = write_records([{"ts": "2025-03-10"}])
    events = read(path, no_columns).events
    assert events.select("method", "product").rows() == [("unknown", "default")] * 3


def test_session_and_device_are_kept_as_written_and_empty_cells_are_null(
    write_records: RecordWriter,
) -> None:
    path = write_records(
        [
            {"ts": "2025-03-10", "user": "a", "session": " Tok-AB ", "device": "PC-01"},
            {"ts": "2025-03-10", "user": "", "session": "", "device": None},
            {"ts": "2025-03-10", "user": "  ", "session": None, "device": ""},
        ]
    )
    events = read(path).events
    assert events.select("user", "session", "device").rows() == [
        ("a", " Tok-AB ", "PC-01"),
        (None, None, None),
        (None, None, None),
    ]


ANONYMOUS_MARKERS = [None, "", "  ", "-", " - ", "anonymous", " Anonymous ", "guest", "GUEST"]


NAMED_USERS = ["Alice", "guest1", "anonymous-bob", "--"]


def test_null_empty_dash_anonymous_or_guest_user_is_anonymous(
    write_records: RecordWriter,
) -> None:
    path = write_records(
        [{"ts": "2025-03-10", "user": user} for user in [*ANONYMOUS_MARKERS, *NAMED_USERS]]
    )
    expected = [True] * len(ANONYMOUS_MARKERS) + [False] * len(NAMED_USERS)
    assert column(read(path), "anonymous") == expected


@csv_only
def test_anonymous_users_are_recognised_even_with_case_sensitive_users(
    write_records: RecordWriter,
) -> None:
    path = write_records(
        [{"ts": "2025-03-10", "user": user} for user in [*ANONYMOUS_MARKERS, *NAMED_USERS]]
    )
    ingested = read(path, case_sensitive_users=True)
    expected = [True] * len(ANONYMOUS_MARKERS) + [False] * len(NAMED_USERS)
    assert column(ingested, "anonymous") == expected
    assert column(ingested, "user")[-4:] == NAMED_USERS


def test_file_without_user_column_is_all_anonymous(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nouser.csv", "ts,method\n2025-03-10,web\n")
    assert column(read(path), "anonymous") == [True]


FALSE_WORDS = ["false", "FALSE", "0", "no", "No", "n", "N", "f", "F", "non", " Non "]


@csv_only
def test_authenticated_false_words_make_the_row_anonymous(write_records: RecordWriter) -> None:
    path = write_records(
        [{"ts": "2025-03-10", "user": "alice", "authenticated": word} for word in FALSE_WORDS]
    )
    assert column(read(path), "anonymous") == [True] * len(FALSE_WORDS)


def test_authenticated_typed_as_json_booleans_and_numbers(tmp_path: Path) -> None:
    path = tmp_path / "typed.jsonl"
    lines = [{"ts": "2025-03-10", "user": "alice", "authenticated": v} for v in (False, 0, True, 1)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert column(read(path), "anonymous") == [True, True, False, False]


def test_authenticated_empty_or_other_words_change_nothing(write_records: RecordWriter) -> None:
    words = [None, "", "true", "1", "yes", "maybe"]
    path = write_records(
        [{"ts": "2025-03-10", "user": "alice", "authenticated": word} for word in words]
        + [{"ts": "2025-03-10", "user": "guest", "authenticated": word} for word in words]
    )
    assert column(read(path), "anonymous") == [False] * len(words) + [True] * len(words)


# --- Rejects (SPEC 1.3, 1.4) ---------------------------------------------------------------


def test_record_with_too_many_fields_is_malformed_and_the_rest_is_read(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv", "ts,user\n2025-03-10,a\n2025-03-10,b,extra\n2025-03-11,c\n"
    )
    ingested = read(path)
    assert column(ingested, "user") == ["a", "c"]
    assert ingested.rejects.rows() == [(str(path), 2, "malformed", "2025-03-10,b,extra")]


def test_record_with_too_few_fields_is_malformed(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", "ts,user,method\n2025-03-10,a\n2025-03-11,b,web\n")
    ingested = read(path)
    assert column(ingested, "user") == ["b"]
    assert reasons(ingested) == [(1, "malformed")]


def test_field_holding_a_nul_byte_is_malformed(write_records: RecordWriter) -> None:
    path = write_records(
        [{"ts": "2025-03-10", "user": "a\x00b"}, {"ts": "2025-03-11", "user": "c"}]
    )
    ingested = read(path)
    assert column(ingested, "user") == ["c"]
    assert reasons(ingested) == [(1, "malformed")]


def test_json_line_that_does_not_parse_or_is_not_an_object_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(
        '{"ts": "2025-03-10", "user": "a"}\n'
        '{"ts": "2025-03-10", "user": \n'
        '["2025-03-10", "b"]\n'
        '"2025-03-10"\n'
        '{"ts": "2025-03-11", "user": "c"}\n'
    )
    ingested = read(path)
    assert column(ingested, "user") == ["a", "c"]
    assert reasons(ingested) == [(2, "malformed"), (3, "malformed"), (4, "malformed")]
    assert ingested.rejects.get_column("raw").to_list() == [
        '{"ts": "2025-03-10", "user": ',
        '["2025-03-10", "b"]',
        '"2025-03-10"',
    ]


def test_json_string_holding_a_line_separator_character_stays_one_record(tmp_path: Path) -> None:
    # JSON Lines ends records at \n only; U+2028 and U+0085 are ordinary characters in a string.
    path = tmp_path / "sep.jsonl"
    path.write_text('{"ts": "2025-03-10", "user": "a\u2028b\x85c"}\r\n', encoding="utf-8")
    ingested = read(path)
    assert column(ingested, "user") == ["a\u2028b\x85c"]
    assert ingested.rows_rejected == 0


def test_empty_ts_cell_is_missing_ts(write_records: RecordWriter) -> None:
    path = write_records(
        [{"ts": "", "user": "a"}, {"ts": None, "user": "b"}, {"ts": "  ", "user": "c"}]
    )
    assert reasons(read(path)) == [(1, "missing_ts"), (2, "missing_ts"), (3, "missing_ts")]


def test_file_without_ts_column_rejects_every_row_as_missing_ts_with_a_warning(
    write_records: RecordWriter,
) -> None:
    path = write_records([{"user": "a"}, {"user": "b"}])
    ingested = read(path)
    assert reasons(ingested) == [(1, "missing_ts"), (2, "missing_ts")]
    assert len(ingested.warnings) == 1
    assert "no timestamp column" in ingested.warnings[0]
    assert "--map ts=" in ingested.warnings[0]


def test_unparseable_ts_includes_hour_24_and_impossible_dates(tmp_path: Path) -> None:
    values = [
        "yesterday",
        "2025-03-10 24:00",
        "2025-03-10T24:00:00Z",
        "2025-02-30",
        "2025-02-29",
        "31/04/2025",
        "2025-13-01",
        "2025-03-10 10:60",
        "10:00",
    ]
    ingested = read(ts_file(tmp_path, *values, "2024-02-29"))
    assert reasons(ingested) == [(row, "unparseable_ts") for row in range(1, len(values) + 1)]
    assert column(ingested, "ts") == [at(2024, 2, 29)]


def test_unparseable_end_or_duration_is_unparseable_end(tmp_path: Path) -> None:
    ends = write_csv(tmp_path / "e.csv", "ts,end\n2025-03-10,soon\n2025-03-10,2025-03-10 24:00\n")
    seconds = write_csv(tmp_path / "s.csv", "ts,duration\n2025-03-10,ten\n2025-03-10,nan\n")
    minutes = write_csv(tmp_path / "m.csv", 'ts,duration_min\n2025-03-10,"1,5"\n')
    assert ingest_reasons(read(ends, seconds, minutes)) == ["unparseable_end"] * 5


def ingest_reasons(ingested: Ingested) -> list[str]:
    return ingested.rejects.get_column("reason").to_list()


def test_empty_end_or_duration_is_no_end(tmp_path: Path) -> None:
    ends = write_csv(tmp_path / "e.csv", "ts,end\n2025-03-10,\n")
    durations = write_csv(tmp_path / "d.csv", "ts,duration\n2025-03-10,\n")
    assert column(read(ends, durations), "end") == [None, None]


def test_ts_or_end_outside_1990_to_2100_is_out_of_range(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "r.csv",
        "ts,end\n"
        "1989-12-31T23:59:59Z,\n"
        "2100-01-01T00:00Z,\n"
        "2025-03-10T10:00Z,2100-01-01\n"
        "2025-03-10T10:00Z,1989-12-31\n"
        "-1,\n"
        "1990-01-01T00:00:00+00:01,\n",
    )
    assert reasons(read(path)) == [(row, "out_of_range") for row in range(1, 7)]


def test_range_bounds_are_inclusive_at_1990_and_exclusive_at_2100(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "r.csv",
        "ts,end\n"
        "1990-01-01T00:00:00Z,2099-12-31T23:59:59.999999Z\n"
        "1990-01-01T01:00:00+01:00,2100-01-01T00:59:59+01:00\n",
    )
    ingested = read(path)
    assert ingested.rows_rejected == 0
    assert column(ingested, "ts") == [at(1990, 1, 1)] * 2


def test_duration_reaching_past_2100_is_out_of_range(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", "ts,duration_min\n2099-12-31T23:00Z,60\n")
    assert reasons(read(path)) == [(1, "out_of_range")]


def test_end_before_ts_is_rejected_but_end_equal_to_ts_is_kept(tmp_path: Path) -> None:
    ends = write_csv(
        tmp_path / "e.csv",
        "ts,end\n2025-03-10T10:00Z,2025-03-10T09:59:59Z\n2025-03-10T10:00Z,2025-03-10T10:00Z\n",
    )
    durations = write_csv(tmp_path / "d.csv", "ts,duration\n2025-03-10T10:00Z,-1\n")
    ingested = read(ends, durations)
    assert ingested.rejects.select("source", "row", "reason").rows() == [
        (str(ends), 1, "end_before_ts"),
        (str(durations), 1, "end_before_ts"),
    ]
    assert column(ingested, "end") == [at(2025, 3, 10, 10)]


def test_reject_reason_is_the_first_that_applies(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        "ts,end\n"
        ",soon\n"  # missing_ts before unparseable_end
        ",1980-01-01\n"  # missing_ts before out_of_range
        "soon,later\n"  # unparseable_ts before unparseable_end
        "soon,1980-01-01\n"  # unparseable_ts before out_of_range
        "1980-01-01,later\n"  # unparseable_end before out_of_range
        "2100-06-01,2025-01-01\n"  # out_of_range before end_before_ts
        "2025-03-10,1980-01-01\n",  # out_of_range (end) before end_before_ts
    )
    assert ingest_reasons(read(path)) == [
        "missing_ts",
        "missing_ts",
        "unparseable_ts",
        "unparseable_ts",
        "unparseable_end",
        "out_of_range",
        "out_of_range",
    ]


def test_malformed_comes_before_any_other_reason(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", "ts,end\nsoon,later,extra\n,\x00\n")
    assert reasons(read(path)) == [(1, "malformed"), (2, "malformed")]


def test_rows_read_is_rows_used_plus_rows_rejected_with_counts_by_reason(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "mix.csv",
        "ts,end,user\n"
        "2025-03-10T10:00Z,,a\n"  # 1 used
        "2025-03-10T10:00Z,,a,b\n"  # 2 malformed
        ",,c\n"  # 3 missing_ts
        "2025-02-30,,d\n"  # 4 unparseable_ts
        "2025-03-10,nope,e\n"  # 5 unparseable_end
        "1970-01-01,,f\n"  # 6 out_of_range
        "2025-03-10,2025-03-09,g\n"  # 7 end_before_ts
        "2025-03-11,2025-03-12,h\n"  # 8 used
        "2025-03-11 24:00,,i\n",  # 9 unparseable_ts
    )
    ingested = read(path)
    assert (ingested.rows_read, ingested.rows_used, ingested.rows_rejected) == (9, 2, 7)
    assert ingested.files[0].rows_read == 9
    assert ingested.files[0].rows_rejected == 7
    assert ingested.rejects_by_reason == {
        "malformed": 1,
        "missing_ts": 1,
        "unparseable_ts": 2,
        "unparseable_end": 1,
        "out_of_range": 1,
        "end_before_ts": 1,
    }
    assert list(ingested.rejects_by_reason) == [
        reason for reason in REASONS if reason in ingested.rejects_by_reason
    ]


def test_rejects_have_source_record_number_reason_and_the_record_as_read(tmp_path: Path) -> None:
    # Record numbers count data records: not the header, not blank lines.
    first = write_csv(
        tmp_path / "a.csv",
        'ts;user\n\n2025-03-10;a\nbad;b\n\n2025-03-10;c;x\nbad;"semi;colon ""q"""\n',
    )
    second = tmp_path / "b.jsonl"
    second.write_text('\n{"ts": "bad", "user": "d"}\n{"ts": "2025-03-10"}\n{"ts": \n{}\n')
    ingested = read(first, second)
    assert ingested.rejects.schema == pl.Schema(
        {"source": pl.String, "row": pl.Int64, "reason": pl.String, "raw": pl.String}
    )
    assert ingested.rejects.rows() == [
        (str(first), 2, "unparseable_ts", "bad;b"),
        (str(first), 3, "malformed", "2025-03-10;c;x"),
        (str(first), 4, "unparseable_ts", 'bad;"semi;colon ""q"""'),
        (str(second), 1, "unparseable_ts", '{"ts": "bad", "user": "d"}'),
        (str(second), 3, "malformed", '{"ts": '),
        (str(second), 4, "missing_ts", "{}"),
    ]


def test_rejected_parquet_row_keeps_its_values_as_json(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    pl.DataFrame({"ts": ["2025-03-10", "bad"], "user": ["a", None]}).write_parquet(path)
    ingested = read(path)
    assert ingested.rejects.select("row", "reason", "raw").rows() == [
        (2, "unparseable_ts", json.dumps({"ts": "bad", "user": None}, separators=(",", ":")))
    ]


def test_rejected_parquet_row_with_list_and_struct_values_keeps_them_as_json(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nested.parquet"
    pl.DataFrame(
        {"ts": ["soon"], "tags": [["a", "b"]], "geo": [{"lat": 1.5}], "n": [7]}
    ).write_parquet(path)
    assert read(path).rejects.get_column("raw").to_list() == [
        '{"ts":"soon","tags":["a","b"],"geo":{"lat":1.5},"n":"7"}'
    ]


# --- Files that cannot be read (SPEC 1.3, 1.4) ---------------------------------------------


def assert_data_error(path: Path, raised: pytest.ExceptionInfo[DataError]) -> None:
    assert raised.value.exit_code == 3
    assert str(path) in str(raised.value)


def test_missing_path_is_a_data_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(DataError) as raised:
        read(path)
    assert_data_error(path, raised)


def test_folder_with_no_supported_file_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "licaudit.toml").write_text("")
    (tmp_path / "sub").mkdir()
    write_csv(tmp_path / "sub" / "a.csv", "ts\n2025-03-10\n")
    with pytest.raises(DataError, match="--recursive") as raised:
        read(tmp_path)
    assert_data_error(tmp_path, raised)


def test_folder_with_no_supported_file_anywhere_is_a_data_error_with_recursive(
    tmp_path: Path,
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.md").write_text("x")
    with pytest.raises(DataError, match="anywhere") as raised:
        read(tmp_path, recursive=True)
    assert_data_error(tmp_path, raised)


def test_truncated_parquet_is_a_data_error(tmp_path: Path) -> None:
    whole = tmp_path / "whole.parquet"
    pl.DataFrame({"ts": ["2025-03-10"] * 100}).write_parquet(whole)
    path = tmp_path / "cut.parquet"
    path.write_bytes(whole.read_bytes()[:-30])
    with pytest.raises(DataError, match="Parquet") as raised:
        read(path)
    assert_data_error(path, raised)


def test_binary_file_named_csv_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    with pytest.raises(DataError, match="binary") as raised:
        read(path)
    assert_data_error(path, raised)


def test_corrupt_gzip_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "log.csv.gz"
    path.write_bytes(gzip.compress(b"ts,user\n" + b"2025-03-10,a\n" * 50)[:40])
    with pytest.raises(DataError, match="gzip") as raised:
        read(path)
    assert_data_error(path, raised)


@pytest.mark.parametrize("name", ["empty.csv", "empty.jsonl", "empty.csv.gz"])
def test_empty_file_gives_no_rows_and_a_warning(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(b"") if name.endswith(".gz") else b"")
    ingested = read(path)
    assert (ingested.rows_read, ingested.rows_used, ingested.rows_rejected) == (0, 0, 0)
    assert ingested.warnings == [f"{path} is empty: it adds no rows."]


def test_header_only_file_gives_no_rows_and_a_warning(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "header.csv", "ts,user,method\n")
    parquet = tmp_path / "header.parquet"
    pl.DataFrame(schema={"ts": pl.String}).write_parquet(parquet)
    ingested = read(path, parquet)
    assert ingested.rows_read == 0
    assert ingested.events.schema["ts"] == pl.Datetime("us", "UTC")
    assert ingested.warnings == [
        f"{path} has a header but no rows.",
        f"{parquet} has a header but no rows.",
    ]


# --- Properties --------------------------------------------------------------------------

# One CSV line per kind of row, with the reason it must get (None: used).
ROW_KINDS: dict[str, tuple[str, str | None]] = {
    "good": ("2025-03-10T10:00Z,2025-03-10T10:30Z,alice,web", None),
    "good_no_end": ("10/03/2025 10:00,,Bob,sync", None),
    "too_many": ("2025-03-10,,a,web,extra", "malformed"),
    "too_few": ("2025-03-10,a", "malformed"),
    "nul": ("2025-03-10,,a\x00,web", "malformed"),
    "no_ts": (",2025-03-10,a,web", "missing_ts"),
    "bad_ts": ("2025-02-30,,a,web", "unparseable_ts"),
    "bad_end": ("2025-03-10,later,a,web", "unparseable_end"),
    "old": ("1989-06-01,,a,web", "out_of_range"),
    "backwards": ("2025-03-10T10:00Z,2025-03-10T09:00Z,a,web", "end_before_ts"),
}


@settings(max_examples=8, deadline=None)
@given(kinds=st.lists(st.sampled_from(sorted(ROW_KINDS)), max_size=40))
def test_reconciliation_holds_for_any_mix_of_good_and_bad_rows(kinds: list[str]) -> None:
    text = "ts,end,user,method\n" + "".join(ROW_KINDS[kind][0] + "\n" for kind in kinds)
    expected = [(number, ROW_KINDS[kind][1]) for number, kind in enumerate(kinds, 1)]
    with tempfile.TemporaryDirectory() as folder:
        ingested = read(write_csv(Path(folder) / "mix.csv", text))
    assert ingested.rows_read == len(kinds) == ingested.files[0].rows_read
    assert ingested.rows_used == sum(reason is None for _, reason in expected)
    assert ingested.rows_used + ingested.rows_rejected == ingested.rows_read
    assert reasons(ingested) == [(row, reason) for row, reason in expected if reason is not None]
    by_reason = {
        reason: sum(expected_reason == reason for _, expected_reason in expected)
        for reason in REASONS
    }
    assert ingested.rejects_by_reason == {key: n for key, n in by_reason.items() if n}


PERMUTED_RECORDS = [
    {"Timestamp": "2025-03-10T10:00Z", "Login": "Alice", "Channel": "Web", "Host": "pc1",
     "duration_min": "5", "external": "no"},
    {"Timestamp": "10/03/2025 11:00", "Login": "guest", "Channel": "", "Host": "",
     "duration_min": "", "external": "yes"},
    {"Timestamp": "bad", "Login": "Carol", "Channel": "Sync", "Host": "pc3",
     "duration_min": "1", "external": ""},
]  # fmt: skip


_BASELINE: list[Ingested] = []


def permuted_baseline() -> Ingested:
    if not _BASELINE:
        with tempfile.TemporaryDirectory() as folder:
            _BASELINE.append(read(write_format(Path(folder) / "a.csv", PERMUTED_RECORDS, "csv")))
    return _BASELINE[0]


@settings(max_examples=5, deadline=None)
@given(
    order=st.permutations(list(PERMUTED_RECORDS[0])),
    file_format=st.sampled_from(["csv", "jsonl", "parquet"]),
)
def test_any_column_order_gives_the_same_events(order: list[str], file_format: str) -> None:
    baseline = permuted_baseline()
    with tempfile.TemporaryDirectory() as folder:
        path = write_format(Path(folder) / "b", PERMUTED_RECORDS, file_format, order)
        permuted = read(path)
    assert permuted.files[0].columns == order
    assert_frame_equal(permuted.events, baseline.events)
    assert reasons(permuted) == reasons(baseline) == [(3, "unparseable_ts")]
