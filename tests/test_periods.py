"""Local days of a contract timezone (SPEC 3, "Timezone"): [local midnight, next local midnight)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from licaudit.periods import build_calendar, local_day
from tests.conftest import utc

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"


def bounds(first: date, last: date, timezone: str) -> list[tuple[date, datetime, datetime]]:
    return list(build_calendar(first, last, timezone).days.iter_rows())


def hours(start: datetime, end: datetime) -> float:
    return (end - start) / timedelta(hours=1)


def test_calendar_day_runs_from_local_midnight_to_next_local_midnight() -> None:
    # Paris is UTC+1 in winter, UTC+2 in summer.
    assert bounds(date(2025, 1, 15), date(2025, 1, 15), PARIS) == [
        (date(2025, 1, 15), utc("2025-01-14 23:00"), utc("2025-01-15 23:00"))
    ]
    assert bounds(date(2025, 7, 14), date(2025, 7, 14), PARIS) == [
        (date(2025, 7, 14), utc("2025-07-13 22:00"), utc("2025-07-14 22:00"))
    ]


def test_calendar_spring_dst_day_has_23_hours() -> None:
    days = bounds(date(2025, 3, 29), date(2025, 3, 31), PARIS)
    assert days[1] == (date(2025, 3, 30), utc("2025-03-29 23:00"), utc("2025-03-30 22:00"))
    assert [hours(start, end) for _, start, end in days] == [24, 23, 24]


def test_calendar_autumn_dst_day_has_25_hours() -> None:
    days = bounds(date(2025, 10, 25), date(2025, 10, 27), PARIS)
    assert days[1] == (date(2025, 10, 26), utc("2025-10-25 22:00"), utc("2025-10-26 23:00"))
    assert [hours(start, end) for _, start, end in days] == [24, 25, 24]


def test_calendar_dst_days_have_23_and_25_hours_in_new_york() -> None:
    spring = bounds(date(2025, 3, 9), date(2025, 3, 9), NEW_YORK)
    assert spring == [(date(2025, 3, 9), utc("2025-03-09 05:00"), utc("2025-03-10 04:00"))]
    autumn = bounds(date(2025, 11, 2), date(2025, 11, 2), NEW_YORK)
    assert autumn == [(date(2025, 11, 2), utc("2025-11-02 04:00"), utc("2025-11-03 05:00"))]


def test_calendar_crosses_a_year_boundary() -> None:
    days = bounds(date(2024, 12, 30), date(2025, 1, 2), PARIS)
    assert [day for day, _, _ in days] == [
        date(2024, 12, 30),
        date(2024, 12, 31),
        date(2025, 1, 1),
        date(2025, 1, 2),
    ]
    assert days[1][1:] == (utc("2024-12-30 23:00"), utc("2024-12-31 23:00"))
    assert days[2][1:] == (utc("2024-12-31 23:00"), utc("2025-01-01 23:00"))


def test_calendar_crosses_a_leap_day() -> None:
    days = bounds(date(2024, 2, 28), date(2024, 3, 1), PARIS)
    assert [day for day, _, _ in days] == [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)]


def test_calendar_day_starts_at_the_switch_when_dst_skips_midnight() -> None:
    # Havana sprang from 00:00 CST to 01:00 CDT on 2019-03-10: that day starts at the switch
    # (05:00 UTC), the first instant whose local date is the 10th, and lasts 23 h.
    days = bounds(date(2019, 3, 9), date(2019, 3, 10), "America/Havana")
    assert days == [
        (date(2019, 3, 9), utc("2019-03-09 05:00"), utc("2019-03-10 05:00")),
        (date(2019, 3, 10), utc("2019-03-10 05:00"), utc("2019-03-11 04:00")),
    ]


def test_calendar_is_empty_when_last_day_is_before_first() -> None:
    calendar = build_calendar(date(2025, 1, 2), date(2025, 1, 1), PARIS)
    assert calendar.days.is_empty()
    assert calendar.days.schema == pl.Schema(
        {"day": pl.Date(), "start": pl.Datetime("us", "UTC"), "end": pl.Datetime("us", "UTC")}
    )


def test_calendar_keeps_its_timezone_and_outer_bounds() -> None:
    calendar = build_calendar(date(2025, 3, 29), date(2025, 3, 30), PARIS)
    assert calendar.timezone == PARIS
    assert calendar.first_start == utc("2025-03-28 23:00")
    assert calendar.last_end == utc("2025-03-30 22:00")


def test_local_day_of_an_instant_is_its_date_in_the_timezone() -> None:
    instants = pl.Series(
        "ts",
        [utc("2025-01-14 22:59:59.999999"), utc("2025-01-14 23:00"), utc("2025-03-30 21:59")],
        dtype=pl.Datetime("us", "UTC"),
    )
    frame = instants.to_frame().select(paris=local_day(pl.col("ts"), PARIS))
    assert frame["paris"].to_list() == [date(2025, 1, 14), date(2025, 1, 15), date(2025, 3, 30)]


@settings(max_examples=40, deadline=None)
@given(
    timezone=st.sampled_from([PARIS, NEW_YORK, "Australia/Sydney", "UTC"]),
    first=st.dates(min_value=date(2023, 1, 1), max_value=date(2026, 12, 31)),
    length=st.integers(min_value=1, max_value=400),
)
def test_calendar_days_are_contiguous_local_days_of_23_to_25_hours(
    timezone: str, first: date, length: int
) -> None:
    last = first + timedelta(days=length - 1)
    days = build_calendar(first, last, timezone).days
    assert days.height == length
    assert days["day"].to_list() == [first + timedelta(days=n) for n in range(length)]
    assert days["end"][:-1].to_list() == days["start"][1:].to_list()
    zone = ZoneInfo(timezone)
    checks = days.select(
        "day",
        "start",
        first_day=local_day(pl.col("start"), timezone),
        last_day=local_day(pl.col("end") - pl.duration(microseconds=1), timezone),
        hours=(pl.col("end") - pl.col("start")).dt.total_minutes() / 60,
    )
    assert checks["first_day"].equals(checks["day"], check_names=False)
    assert checks["last_day"].equals(checks["day"], check_names=False)
    assert set(checks["hours"].to_list()) <= {23.0, 24.0, 25.0}
    # In these zones local midnight always exists: every day starts exactly at it.
    assert all(start.astimezone(zone).time() == datetime.min.time() for start in checks["start"])


@settings(max_examples=60, deadline=None)
@given(
    timezone=st.sampled_from(["Europe/Paris", "America/New_York", "Australia/Sydney", "UTC"]),
    offsets=st.lists(st.integers(min_value=-2 * 86_400, max_value=400 * 86_400), max_size=40),
)
def test_day_of_finds_the_local_day_like_a_timezone_conversion(
    timezone: str, offsets: list[int]
) -> None:
    calendar = build_calendar(date(2024, 12, 30), date(2026, 1, 2), timezone)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    # Instants on every day of the range, plus each day's first instant and the one before it.
    instants = [base + timedelta(seconds=offset) for offset in offsets]
    for start in calendar.days["start"].to_list()[::7]:
        instants += [start, start - timedelta(microseconds=1)]
    frame = pl.DataFrame({"ts": instants}, schema={"ts": pl.Datetime("us", "UTC")})
    found = frame.select(
        by_search=calendar.day_of(pl.col("ts")), by_conversion=local_day(pl.col("ts"), timezone)
    )
    inside = (frame["ts"] >= calendar.first_start) & (frame["ts"] < calendar.last_end)
    assert (
        found.filter(inside)["by_search"].to_list()
        == found.filter(inside)["by_conversion"].to_list()
    )
    assert found.filter(~inside)["by_search"].null_count() == (~inside).sum()
