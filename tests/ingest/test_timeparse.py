"""Timestamps (SPEC 1.2, 1.4): hand-computed rules, then `parse_time` against a naive reference."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licaudit.ingest.timeparse import (
    RANGE_END,
    RANGE_START,
    DateOrder,
    decide_date_order,
    parse_time,
    parse_time_struct,
)
from tests.conftest import utc
from tests.reference import timeparse_ref

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"
LORD_HOWE = "Australia/Lord_Howe"  # half-hour DST: its repeated and skipped spans are 30 min
TIMEZONES = ("UTC", PARIS, NEW_YORK, LORD_HOWE)

Parsed = tuple[datetime | None, str | None]


def parse_series(values: pl.Series, *, tz: str = "UTC", order: DateOrder = "dmy") -> list[Parsed]:
    value, problem = parse_time(pl.col("v"), values.dtype, input_tz=tz, date_order=order)
    frame = pl.DataFrame({"v": values}).select(value=value, problem=problem)
    assert frame.schema["value"] == pl.Datetime("us", "UTC")
    assert frame.schema["problem"] == pl.String
    return list(zip(frame["value"].to_list(), frame["problem"].to_list(), strict=True))


def parse(
    values: Sequence[Any], dtype: Any = pl.String, *, tz: str = "UTC", order: DateOrder = "dmy"
) -> list[Parsed]:
    return parse_series(pl.Series("v", values, dtype=dtype), tz=tz, order=order)


def parse_us(
    values: Sequence[Any], dtype: Any = pl.String, *, tz: str = "UTC", order: DateOrder = "dmy"
) -> list[tuple[int | None, str | None]]:
    """As `parse`, the value in microseconds since the epoch (any representable instant)."""
    parsed = parse_time_struct(pl.col("v"), dtype, input_tz=tz, date_order=order)
    frame = pl.DataFrame({"v": pl.Series("v", values, dtype=dtype)}).select(parsed.alias("parsed"))
    frame = frame.unnest("parsed").with_columns(pl.col("value").dt.epoch("us"))
    return list(zip(frame["value"].to_list(), frame["problem"].to_list(), strict=True))


def one(value: Any, dtype: Any = pl.String, **options: Any) -> Parsed:
    return parse([value], dtype, **options)[0]


# ISO 8601


def test_iso_with_offset_is_exact() -> None:
    assert parse(
        [
            "2025-03-10T14:30:00+02:00",
            "2025-03-10T14:30:00-0530",
            "2025-03-10 14:30+05",
            "2025-03-10T14:30:00Z",
            "2025-03-10T14:30:00-00:00",
        ],
        tz=NEW_YORK,
    ) == [
        (utc("2025-03-10 12:30"), None),
        (utc("2025-03-10 20:00"), None),
        (utc("2025-03-10 09:30"), None),
        (utc("2025-03-10 14:30"), None),
        (utc("2025-03-10 14:30"), None),
    ]


def test_iso_without_offset_is_local_time_in_input_timezone() -> None:
    # Paris is UTC+2 in July (CEST), UTC+1 in January (CET).
    assert parse(["2025-07-01 12:00", "2025-01-15T12:00:30"], tz=PARIS) == [
        (utc("2025-07-01 10:00"), None),
        (utc("2025-01-15 11:00:30"), None),
    ]


def test_iso_date_only_is_midnight_in_input_timezone() -> None:
    assert one("2025-07-01", tz=PARIS) == (utc("2025-06-30 22:00"), None)
    assert one("2025-07-01") == (utc("2025-07-01 00:00"), None)


def test_iso_separator_may_be_t_lowercase_t_or_space_and_z_any_case() -> None:
    assert (
        parse(["2025-07-01T08:00z", "2025-07-01t08:00Z", "2025-07-01 08:00"])
        == [(utc("2025-07-01 08:00"), None)] * 3
    )


def test_iso_fields_have_exactly_their_width() -> None:
    values = ["2025-7-01", "2025-07-1", "25-07-01", "2025-07-01 8:00", "2025-07-01 08:0"]
    values += ["2025-07-01 08:00:0", "2025-07-01 08:00+5", "02025-07-01"]
    assert parse(values) == [(None, "unparseable")] * len(values)


def test_iso_offset_needs_a_time() -> None:
    # ISO 8601 puts an offset after a time only; "2025-07-01-05" is not a date in -05.
    assert (
        parse(["2025-07-01Z", "2025-07-01+02:00", "2025-07-01-05"]) == [(None, "unparseable")] * 3
    )


def test_iso_offset_hours_above_23_or_minutes_above_59_are_unparseable() -> None:
    assert (
        parse(["2025-07-01T08:00+24:00", "2025-07-01T08:00+05:60", "2025-07-01T08:00-2400"])
        == [(None, "unparseable")] * 3
    )
    assert one("2025-07-01T08:00+23:59") == (utc("2025-06-30 08:01"), None)


def test_iso_fraction_rounds_to_nearest_microsecond() -> None:
    assert parse(
        [
            "2025-07-01T08:00:00.5Z",
            "2025-07-01T08:00:00.1234565Z",
            "2025-07-01T08:00:00.12345649999999Z",
            "2025-07-01T08:00:59.9999995+01:00",
        ]
    ) == [
        (utc("2025-07-01 08:00:00.500000"), None),
        (utc("2025-07-01 08:00:00.123457"), None),
        (utc("2025-07-01 08:00:00.123456"), None),
        (utc("2025-07-01 07:01:00"), None),
    ]


def test_fraction_rounding_carries_into_the_next_day_before_the_timezone_applies() -> None:
    # 23:59:59.9999995 is midnight of 1 July on the wall clock, then Paris time (UTC+2).
    assert one("2025-06-30 23:59:59.9999995", tz=PARIS) == (utc("2025-06-30 22:00"), None)


def test_a_fraction_needs_seconds() -> None:
    assert parse(["2025-07-01T08:00.5Z", "2025-07-01T08:00:00.Z"]) == [(None, "unparseable")] * 2


# Impossible dates and times


def test_24_00_is_unparseable() -> None:
    values = ["2025-01-01 24:00", "2025-01-01T24:00:00Z", "01/01/2025 24:00"]
    assert parse(values) == [(None, "unparseable")] * 3


def test_february_30_is_unparseable() -> None:
    assert (
        parse(["2025-02-30", "30/02/2025", "2025-04-31T10:00Z", "2025-13-01"])
        == [(None, "unparseable")] * 4
    )


def test_february_29_exists_only_in_gregorian_leap_years() -> None:
    assert parse(["2024-02-29", "2000-02-29", "2023-02-29", "2100-02-29", "1900-02-29"]) == [
        (utc("2024-02-29 00:00"), None),
        (utc("2000-02-29 00:00"), None),
        (None, "unparseable"),
        (None, "unparseable"),
        (None, "unparseable"),
    ]


def test_second_60_is_unparseable_no_leap_seconds() -> None:
    assert parse(["2016-12-31T23:59:60Z", "2025-01-01 10:60", "2025-01-01 00:00:00"]) == [
        (None, "unparseable"),
        (None, "unparseable"),
        (utc("2025-01-01 00:00"), None),
    ]


# DST


def test_naive_time_in_repeated_dst_hour_takes_first_occurrence() -> None:
    # Paris 26 Oct 2025: 02:00-03:00 happens at +02:00, then again at +01:00.
    assert one("2025-10-26 02:30", tz=PARIS) == (utc("2025-10-26 00:30"), None)
    # New York 2 Nov 2025: 01:00-02:00 at -04:00 (EDT), then at -05:00.
    assert one("2025-11-02 01:30", tz=NEW_YORK) == (utc("2025-11-02 05:30"), None)
    # Lord Howe 6 Apr 2025: 01:30-02:00 at +11:00, then at +10:30.
    assert one("2025-04-06 01:45", tz=LORD_HOWE) == (utc("2025-04-05 14:45"), None)


def test_naive_time_in_spring_forward_gap_uses_offset_before_transition() -> None:
    # Paris 30 Mar 2025: 02:00-03:00 does not exist; +01:00 was in force before.
    assert one("2025-03-30 02:30", tz=PARIS) == (utc("2025-03-30 01:30"), None)
    # New York 9 Mar 2025: 02:00-03:00 does not exist; -05:00 before.
    assert one("03/09/2025 02:30", tz=NEW_YORK, order="mdy") == (utc("2025-03-09 07:30"), None)
    # Lord Howe 5 Oct 2025: 02:00-02:30 does not exist; +10:30 before.
    assert one("2025-10-05 02:15", tz=LORD_HOWE) == (utc("2025-10-04 15:45"), None)


# Slash dates


def test_slash_dates_day_first() -> None:
    assert parse(["05/03/2025 09:05", "5/3/2025 9:05", "5/3/2025", "05/03/2025T09:05:07.25"]) == [
        (utc("2025-03-05 09:05"), None),
        (utc("2025-03-05 09:05"), None),
        (utc("2025-03-05 00:00"), None),
        (utc("2025-03-05 09:05:07.25"), None),
    ]


def test_slash_dates_month_first() -> None:
    assert one("5/3/2025 9:05", order="mdy") == (utc("2025-05-03 09:05"), None)


def test_slash_dates_are_local_time_in_input_timezone() -> None:
    assert one("1/7/2025 12:00", tz=PARIS) == (utc("2025-07-01 10:00"), None)


def test_slash_dates_take_no_offset_nor_short_year_nor_one_digit_minutes() -> None:
    values = ["05/03/2025 09:05+01:00", "05/03/2025 09:05Z", "05/03/25", "5/3/2025 9:5"]
    values += ["005/03/2025", "5/3/2025  9:05"]
    assert parse(values) == [(None, "unparseable")] * len(values)


# Epoch numbers


def test_epoch_magnitude_picks_seconds() -> None:
    assert one("1700000000") == (utc("2023-11-14 22:13:20"), None)
    # Just under 10^11: still seconds, in the year 5138.
    assert parse_us(["99999999999"]) == [(99_999_999_999_000_000, "out_of_range")]


def test_epoch_magnitude_picks_milliseconds() -> None:
    assert one("1700000000123") == (utc("2023-11-14 22:13:20.123"), None)
    # 10^11 is milliseconds: 10^8 s, in 1973.
    assert parse_us(["100000000000"]) == [(100_000_000_000_000, "out_of_range")]


def test_epoch_magnitude_picks_microseconds() -> None:
    assert one("1700000000123456") == (utc("2023-11-14 22:13:20.123456"), None)
    assert parse_us(["100000000000000"]) == [(100_000_000_000_000, "out_of_range")]


def test_epoch_magnitude_picks_nanoseconds() -> None:
    assert one("1700000000123456789") == (utc("2023-11-14 22:13:20.123457"), None)
    assert parse_us(["100000000000000000"]) == [(100_000_000_000_000, "out_of_range")]


def test_fractional_epoch_seconds_round_to_nearest_microsecond() -> None:
    assert parse_us(
        [
            "1700000000.0000005",
            "1700000000.00000049999",
            "+1700000000.5",
            "-1.0000005",
            "-0.0000004",
        ]
    ) == [
        (1_700_000_000_000_001, None),
        (1_700_000_000_000_000, None),
        (1_700_000_000_500_000, None),
        (-1_000_001, "out_of_range"),  # ties go away from zero
        (0, "out_of_range"),
    ]


def test_fractional_epoch_milliseconds_round_to_nearest_microsecond() -> None:
    assert parse_us(["1700000000123.4565", "1700000000123.4564"]) == [
        (1_700_000_000_123_457, None),
        (1_700_000_000_123_456, None),
    ]


def test_epoch_is_utc_whatever_the_input_timezone() -> None:
    assert one("1700000000", tz=PARIS) == (utc("2023-11-14 22:13:20"), None)


def test_negative_epoch_is_out_of_range_with_its_value() -> None:
    assert one("-1700000000") == (utc("1916-02-18 01:46:40"), "out_of_range")


def test_epoch_too_large_to_represent_is_out_of_range_without_value() -> None:
    huge = ["1" + "0" * 30, "-" + "9" * 40, "9223372036854775808000", "1" + "0" * 22]
    assert parse_us(huge) == [(None, "out_of_range")] * 4
    # The largest representable microsecond, written in nanoseconds.
    assert parse_us(["9223372036854775807000"]) == [(2**63 - 1, "out_of_range")]


def test_epoch_leading_zeros_do_not_change_magnitude() -> None:
    assert one("0" * 30 + "1700000000") == (utc("2023-11-14 22:13:20"), None)


# Range, missing, junk


def test_out_of_range_before_1990() -> None:
    assert parse(["1989-12-31T23:59:59.999999Z", "1990-01-01T00:00:00Z"]) == [
        (utc("1989-12-31 23:59:59.999999"), "out_of_range"),
        (utc("1990-01-01 00:00"), None),
    ]
    assert utc("1990-01-01 00:00") == RANGE_START


def test_out_of_range_from_2100() -> None:
    assert parse(["2100-01-01T00:00:00Z", "2099-12-31T23:59:59.999999Z"]) == [
        (utc("2100-01-01 00:00"), "out_of_range"),
        (utc("2099-12-31 23:59:59.999999"), None),
    ]
    assert utc("2100-01-01 00:00") == RANGE_END


def test_range_is_checked_in_utc() -> None:
    assert parse(["1990-01-01 00:30"], tz=PARIS) == [(utc("1989-12-31 23:30"), "out_of_range")]
    assert parse(["1989-12-31 20:00"], tz=NEW_YORK) == [(utc("1990-01-01 01:00"), None)]


def test_year_zero_is_a_proleptic_date_out_of_range() -> None:
    # 0000-03-01 is 719 468 days before 1970-01-01 (Hinnant's constant).
    assert parse_us(["0000-03-01T00:00Z"]) == [(-719_468 * 86_400_000_000, "out_of_range")]


def test_blank_is_missing() -> None:
    assert parse([None, "", "   ", "\t\n", "\u00a0"]) == [(None, "missing")] * 5


def test_surrounding_whitespace_is_trimmed() -> None:
    assert one(" \t2025-07-01T08:00Z\r\n") == (utc("2025-07-01 08:00"), None)
    assert one("  1700000000 ") == (utc("2023-11-14 22:13:20"), None)


def test_anything_else_is_unparseable() -> None:
    values = ["abc", "2025-07-01T", "1e5", "12:00", "2025/07/01", ".5", "5.", "1_000", "--5"]
    values += ["٢٠٢٥-07-01", "１７００００００００", "2025-07-01 08:00 UTC", "1 700 000 000"]
    assert parse(values) == [(None, "unparseable")] * len(values)


def test_mixed_forms_in_one_column() -> None:
    values = [
        "2025-07-01T08:00:00+02:00",
        "2025-07-01 08:00",
        "01/07/2025 08:00",
        "1751349600",
        "1751349600000",
        "",
        "soon",
        "2025-02-30",
        "1980-01-01",
    ]
    assert parse(values, tz=PARIS) == [
        (utc("2025-07-01 06:00"), None),
        (utc("2025-07-01 06:00"), None),
        (utc("2025-07-01 06:00"), None),
        (utc("2025-07-01 06:00"), None),
        (utc("2025-07-01 06:00"), None),
        (None, "missing"),
        (None, "unparseable"),
        (None, "unparseable"),
        (utc("1979-12-31 23:00"), "out_of_range"),
    ]


def test_parse_time_struct_holds_the_same_pair() -> None:
    values = pl.Series("v", ["2025-07-01 08:00", "x", None, "-5"])
    struct = parse_time_struct(pl.col("v"), pl.String, input_tz=PARIS, date_order="dmy")
    frame = pl.DataFrame({"v": values}).select(struct.alias("parsed")).unnest("parsed")
    assert list(zip(frame["value"].to_list(), frame["problem"].to_list(), strict=True)) == (
        parse_series(values, tz=PARIS)
    )


# Slash date order


def test_date_order_is_month_first_when_a_value_is_impossible_day_first() -> None:
    assert decide_date_order(pl.Series(["02/03/2025", " 01/13/2025 10:00 ", None, "x"])) == "mdy"


def test_date_order_is_day_first_when_a_value_is_also_impossible_month_first() -> None:
    assert decide_date_order(pl.Series(["01/13/2025", "13/01/2025"])) == "dmy"


def test_date_order_is_day_first_when_every_value_reads_both_ways() -> None:
    assert decide_date_order(pl.Series(["02/03/2025", "12/12/2025 9:05"])) == "dmy"


def test_date_order_is_day_first_without_slash_dates() -> None:
    assert decide_date_order(pl.Series(["2025-01-13", None, "1700000000"])) == "dmy"
    assert decide_date_order(pl.Series([], dtype=pl.String)) == "dmy"


def test_date_order_counts_an_impossible_time_as_impossible_both_ways() -> None:
    # The literal reading: "01/01/2025 25:00" is impossible month-first too.
    assert decide_date_order(pl.Series(["01/13/2025", "01/01/2025 25:00"])) == "dmy"


def test_date_order_checks_the_day_within_its_month() -> None:
    # Month 28 is impossible day-first; 29 February 2024 exists, 29 February 2025 does not.
    assert decide_date_order(pl.Series(["02/28/2025", "02/29/2024"])) == "mdy"
    assert decide_date_order(pl.Series(["02/28/2025", "02/29/2025"])) == "dmy"


# Parquet-typed inputs


def test_naive_datetime_is_read_in_input_timezone() -> None:
    values = [datetime(2025, 7, 1, 12), datetime(2025, 10, 26, 2, 30), None]
    assert parse(values, pl.Datetime("us"), tz=PARIS) == [
        (utc("2025-07-01 10:00"), None),
        (utc("2025-10-26 00:30"), None),  # first occurrence of the repeated hour
        (None, "missing"),
    ]
    assert parse(values[:1], pl.Datetime("ms"), tz=PARIS) == [(utc("2025-07-01 10:00"), None)]


def test_tz_aware_datetime_is_converted_to_utc() -> None:
    aware = datetime(2025, 7, 1, 8, tzinfo=ZoneInfo(NEW_YORK))
    assert parse([aware], pl.Datetime("us", NEW_YORK), tz=PARIS) == [
        (utc("2025-07-01 12:00"), None)
    ]


def test_nanosecond_datetime_rounds_to_nearest_microsecond() -> None:
    nanos = pl.Series("v", [1_751_356_800_000_000_500, 1_751_356_800_000_000_499]).cast(
        pl.Datetime("ns", "UTC")
    )
    assert parse_series(nanos) == [
        (utc("2025-07-01 08:00:00.000001"), None),
        (utc("2025-07-01 08:00:00"), None),
    ]


def test_date_is_midnight_in_input_timezone() -> None:
    assert parse([date(2025, 7, 1), None], pl.Date, tz=PARIS) == [
        (utc("2025-06-30 22:00"), None),
        (None, "missing"),
    ]


def test_integer_epochs_follow_the_magnitude_rule() -> None:
    assert parse([1_700_000_000_123, 1_700_000_000, -5, None], pl.Int64) == [
        (utc("2023-11-14 22:13:20.123"), None),
        (utc("2023-11-14 22:13:20"), None),
        (utc("1969-12-31 23:59:55"), "out_of_range"),
        (None, "missing"),
    ]
    assert parse([1_700_000_000_123_456_789], pl.UInt64) == [
        (utc("2023-11-14 22:13:20.123457"), None)
    ]


def test_float_epochs_read_as_their_shortest_decimal_text() -> None:
    assert parse([1_700_000_000.5, 1_700_000_000.123456, 1.7e18, None], pl.Float64) == [
        (utc("2023-11-14 22:13:20.5"), None),
        (utc("2023-11-14 22:13:20.123456"), None),
        (utc("2023-11-14 22:13:20"), None),
        (None, "missing"),
    ]
    # 0.0000005 s written 5e-07: half a microsecond, rounded up; 1e+20 ns is 1e+17 µs.
    assert parse_us([5e-7, 1e20, -0.0], pl.Float64) == [
        (1, "out_of_range"),
        (10**17, "out_of_range"),
        (0, "out_of_range"),
    ]


def test_infinite_float_is_out_of_range_and_nan_unparseable() -> None:
    assert parse([float("inf"), float("-inf"), float("nan")], pl.Float64) == [
        (None, "out_of_range"),
        (None, "out_of_range"),
        (None, "unparseable"),
    ]


def test_other_dtypes_are_read_as_text() -> None:
    assert parse(["2025-07-01T08:00Z", None], pl.Categorical) == [
        (utc("2025-07-01 08:00"), None),
        (None, "missing"),
    ]
    assert parse([Decimal("1700000000.123")], pl.Decimal(20, 3)) == [
        (utc("2023-11-14 22:13:20.123"), None)
    ]
    assert parse([True], pl.Boolean) == [(None, "unparseable")]
    # Bytes that are not UTF-8 are there, so not missing, but cannot be read.
    assert parse([b"\xff", b"1700000000"], pl.Binary) == [
        (None, "unparseable"),
        (utc("2023-11-14 22:13:20"), None),
    ]


def test_nested_dtypes_are_unparseable() -> None:
    assert parse([[1], None], pl.List(pl.Int64)) == [(None, "unparseable"), (None, "missing")]
    assert parse([None], pl.Null) == [(None, "missing")]


# Properties against the naive reference


def number(valid: tuple[int, int], edges: tuple[int, int]) -> st.SearchStrategy[int]:
    """Mostly a valid field value, now and then one from the wider `edges`."""
    return st.one_of(
        st.integers(*valid), st.integers(*valid), st.integers(*valid), st.integers(*edges)
    )


def two_digits(valid: tuple[int, int], edges: tuple[int, int]) -> st.SearchStrategy[str]:
    """A field written on two digits, now and then on one or three."""
    return number(valid, edges).flatmap(
        lambda n: st.sampled_from([f"{n:02d}"] * 18 + [str(n), f"{n:03d}"])
    )


YEARS = st.one_of(*[st.integers(1988, 2101)] * 3, st.integers(0, 9999))
FRACTIONS = st.text("0123456789", min_size=1, max_size=12)


@st.composite
def time_of_day(draw: st.DrawFn, hour_digits: st.SearchStrategy[str]) -> str:
    text = f"{draw(hour_digits)}:{draw(two_digits((0, 59), (0, 60)))}"
    if draw(st.booleans()):
        text += ":" + draw(two_digits((0, 59), (0, 61)))
        if draw(st.booleans()):
            text += "." + draw(FRACTIONS)
    return text


@st.composite
def offsets(draw: st.DrawFn) -> str:
    sign = draw(st.sampled_from("+-"))
    hours, minutes = draw(two_digits((0, 23), (0, 25))), draw(two_digits((0, 59), (0, 61)))
    return draw(
        st.sampled_from(
            ["", "", "Z", "z", f"{sign}{hours}:{minutes}", f"{sign}{hours}{minutes}", sign + hours]
        )
    )


@st.composite
def iso_texts(draw: st.DrawFn) -> str:
    month, day = draw(two_digits((1, 12), (0, 13))), draw(two_digits((1, 31), (0, 32)))
    text = f"{draw(YEARS):04d}-{month}-{day}"
    if draw(st.integers(0, 4)):
        separator = draw(st.sampled_from("Tt "))
        text += separator + draw(time_of_day(two_digits((0, 23), (0, 24)))) + draw(offsets())
    return text


@st.composite
def slash_texts(draw: st.DrawFn) -> str:
    day, month = draw(number((1, 31), (0, 32))), draw(number((1, 12), (0, 13)))
    text = f"{draw(st.sampled_from([str(day), f'{day:02d}']))}/"
    text += f"{draw(st.sampled_from([str(month), f'{month:02d}']))}/{draw(YEARS):04d}"
    if draw(st.booleans()):
        hour = number((0, 23), (0, 24)).flatmap(lambda h: st.sampled_from([str(h), f"{h:02d}"]))
        text += draw(st.sampled_from(" T")) + draw(time_of_day(hour))
    return text


@st.composite
def epoch_texts(draw: st.DrawFn) -> str:
    digits = draw(st.integers(1, 27))
    number = draw(st.integers(10 ** (digits - 1) if digits > 1 else 0, 10**digits - 1))
    text = draw(st.sampled_from(["", "", "-", "+"])) + "0" * draw(st.integers(0, 2)) + str(number)
    if draw(st.booleans()):
        text += "." + draw(FRACTIONS)
    return text


@st.composite
def plausible_epoch_texts(draw: st.DrawFn) -> str:
    """An epoch number inside the plausible range, in any unit."""
    unit = draw(st.sampled_from([1, 1000, 10**6, 10**9]))
    text = str(draw(st.integers(631_152_000 * unit, 4_102_444_800 * unit - 1)))
    if draw(st.booleans()):
        text += "." + draw(FRACTIONS)
    return text


# Magnitude boundaries, with and without fractions.
BOUNDARY_EPOCHS = st.sampled_from(
    [f"{sign}{10**k + delta}" for sign in ("", "-") for k in (11, 14, 17) for delta in (-1, 0)]
    + ["99999999999.9999995", "99999999999999.9995", "631152000", "631151999.9999995"]
    + ["4102444800", "4102444799.9999995", "9223372036854775807000", "9223372036854775807500"]
)


@cache
def transitions(tz: str) -> list[datetime]:
    """UTC instants where `tz` changes offset, in a few years of the plausible range."""
    zone, found = ZoneInfo(tz), []
    for year in (1990, 1996, 2007, 2025, 2037, 2038, 2099):
        instant = datetime(year, 1, 1, tzinfo=UTC)
        while instant.year == year:
            later = instant + timedelta(days=1)
            if instant.astimezone(zone).utcoffset() != later.astimezone(zone).utcoffset():
                low, high = instant, later
                while high - low > timedelta(minutes=1):
                    middle = low + (high - low) / 2
                    same = middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset()
                    low, high = (middle, high) if same else (low, middle)
                found.append(high)
            instant = later
    return found


@st.composite
def near_transition_texts(draw: st.DrawFn, tz: str, order: DateOrder) -> str:
    """A wall-clock time within two hours of a DST change of `tz`, naive ISO or slash."""
    if tz == "UTC":
        return draw(iso_texts())
    change = draw(st.sampled_from(transitions(tz)))
    offset_after = change.astimezone(ZoneInfo(tz)).utcoffset()
    assert offset_after is not None
    wall_after = (change + offset_after).replace(tzinfo=None)
    minutes = draw(st.integers(-150, 150))
    wall = wall_after + timedelta(minutes=minutes, seconds=draw(st.sampled_from([0, 0, 59])))
    if draw(st.booleans()):
        return wall.isoformat(sep=draw(st.sampled_from("T ")))
    first, second = (wall.day, wall.month) if order == "dmy" else (wall.month, wall.day)
    return f"{first}/{second}/{wall.year} {wall.hour}:{wall.minute:02d}:{wall.second:02d}"


def mutated(texts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Valid-looking text with one character dropped, replaced or inserted."""

    @st.composite
    def mutate(draw: st.DrawFn) -> str:
        text = draw(texts)
        at = draw(st.integers(0, len(text)))
        char: str = draw(st.sampled_from([*"0123456789:-+./TZ ", "\u00a0", "٣", "\x1c"]))
        kind = draw(st.sampled_from(["drop", "replace", "insert"]))
        if kind == "drop":
            return text[:at] + text[at + 1 :]
        if kind == "replace":
            return text[:at] + char + text[at + 1 :]
        return text[:at] + char + text[at:]

    return mutate()


def padded(texts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    spaces = st.sampled_from(["", "", "", " ", "\t", " \u3000", "\n"])
    return st.tuples(spaces, texts, spaces).map("".join)


def any_texts(tz: str, order: DateOrder) -> st.SearchStrategy[str | None]:
    forms = st.one_of(
        iso_texts(),
        slash_texts(),
        epoch_texts(),
        plausible_epoch_texts(),
        BOUNDARY_EPOCHS,
        near_transition_texts(tz, order),
    )
    junk = st.one_of(mutated(forms), st.text(max_size=12), st.none(), st.just(""))
    # Weighted: mostly well-formed values (valid or not), some junk.
    return st.one_of(padded(forms), padded(forms), padded(forms), junk)


# Polars' timezone rules end in 2099: later wall-clock times get standard time
# where zoneinfo applies DST. Those instants are out of range anyway, their kept
# value may be off by the DST shift.
RULES_END_US = (datetime(2100, 1, 2) - datetime(1970, 1, 1)) // timedelta(microseconds=1)
HOUR_US = 3_600_000_000


def assert_agree(
    actual: Sequence[tuple[int | None, str | None]],
    expected: Sequence[tuple[int | None, str | None]],
) -> None:
    def close(pair: tuple[tuple[int | None, str | None], tuple[int | None, str | None]]) -> bool:
        (value, problem), (ref_value, ref_problem) = pair
        if problem != ref_problem or value == ref_value:
            return problem == ref_problem
        return (
            problem == "out_of_range"
            and value is not None
            and ref_value is not None
            and min(value, ref_value) >= RULES_END_US
            and abs(value - ref_value) <= HOUR_US
        )

    pairs = list(zip(actual, expected, strict=True))
    assert [pair for pair in pairs if not close(pair)] == []


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_text_parsing_matches_the_naive_reference(data: st.DataObject) -> None:
    tz = data.draw(st.sampled_from(TIMEZONES), label="input_tz")
    order: DateOrder = data.draw(st.sampled_from(["dmy", "mdy"]), label="date_order")
    values = data.draw(st.lists(any_texts(tz, order), min_size=1, max_size=40), label="values")
    expected = [timeparse_ref.parse(value, tz, order) for value in values]
    assert_agree(parse_us(values, tz=tz, order=order), expected)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_naive_times_near_dst_changes_match_zoneinfo(data: st.DataObject) -> None:
    tz = data.draw(st.sampled_from(TIMEZONES[1:]), label="input_tz")
    values = data.draw(st.lists(near_transition_texts(tz, "dmy"), min_size=1, max_size=30))
    expected = [timeparse_ref.parse(value, tz, "dmy") for value in values]
    assert_agree(parse_us(values, tz=tz), expected)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.integers(-(2**63), 2**63 - 1), st.none()), min_size=1))
def test_integer_epochs_match_the_reference(values: list[int | None]) -> None:
    expected = [timeparse_ref.parse(None if v is None else str(v), "UTC", "dmy") for v in values]
    assert parse_us(values, pl.Int64) == expected


def reference_float(value: float | None, tz: str) -> tuple[int | None, str | None]:
    if value is None:
        return None, "missing"
    if value != value:
        return None, "unparseable"
    if value in (float("inf"), float("-inf")):
        return None, "out_of_range"
    # repr is the shortest round-trip text; Decimal and "f" spell it without exponent.
    return timeparse_ref.parse(format(Decimal(repr(value)), "f"), tz, "dmy")


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(TIMEZONES),
    st.lists(
        st.one_of(
            st.floats(),
            st.floats(-2e9, 5e9),
            st.floats(1e11, 1e19),
            st.integers(0, 5 * 10**9).map(lambda n: n / 1000),
            st.none(),
        ),
        min_size=1,
    ),
)
def test_float_epochs_match_the_reference(tz: str, values: list[float | None]) -> None:
    expected = [reference_float(value, tz) for value in values]
    assert parse_us(values, pl.Float64, tz=tz) == expected


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(TIMEZONES),
    st.lists(
        st.one_of(
            st.datetimes(datetime(1985, 1, 1), datetime(2105, 1, 1)),
            st.sampled_from(TIMEZONES[1:])
            .flatmap(lambda tz: near_transition_texts(tz, "dmy").filter(lambda t: "/" not in t))
            .map(datetime.fromisoformat),
            st.none(),
        ),
        min_size=1,
    ),
)
def test_naive_datetimes_match_the_reference(tz: str, values: list[datetime | None]) -> None:
    expected = [
        timeparse_ref.parse(None if v is None else v.isoformat(sep=" "), tz, "dmy") for v in values
    ]
    assert_agree(parse_us(values, pl.Datetime("us"), tz=tz), expected)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(TIMEZONES), st.lists(st.one_of(st.dates(), st.none()), min_size=1))
def test_dates_match_the_reference(tz: str, values: list[date | None]) -> None:
    expected = [
        timeparse_ref.parse(None if v is None else v.isoformat(), tz, "dmy") for v in values
    ]
    assert_agree(parse_us(values, pl.Date, tz=tz), expected)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.one_of(slash_texts(), padded(slash_texts()), iso_texts(), st.none()), max_size=8)
)
def test_date_order_matches_the_reference(values: list[str | None]) -> None:
    assert decide_date_order(pl.Series(values, dtype=pl.String)) == (
        timeparse_ref.decide_date_order(values)
    )


@pytest.mark.parametrize("tz", TIMEZONES)
def test_reference_transitions_are_found(tz: str) -> None:
    # Guards the DST strategy: it must aim at real changes.
    assert (len(transitions(tz)) == 0) == (tz == "UTC")
